package io.tokenmeter.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferOverflowException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.qpid.proton.Proton;
import org.apache.qpid.proton.amqp.Binary;
import org.apache.qpid.proton.amqp.DescribedType;
import org.apache.qpid.proton.amqp.Symbol;
import org.apache.qpid.proton.amqp.messaging.Accepted;
import org.apache.qpid.proton.amqp.messaging.AmqpValue;
import org.apache.qpid.proton.amqp.messaging.ApplicationProperties;
import org.apache.qpid.proton.amqp.messaging.Data;
import org.apache.qpid.proton.amqp.messaging.MessageAnnotations;
import org.apache.qpid.proton.amqp.messaging.Source;
import org.apache.qpid.proton.amqp.messaging.Target;
import org.apache.qpid.proton.amqp.transport.ErrorCondition;
import org.apache.qpid.proton.engine.BaseHandler;
import org.apache.qpid.proton.engine.Connection;
import org.apache.qpid.proton.engine.Delivery;
import org.apache.qpid.proton.engine.EndpointState;
import org.apache.qpid.proton.engine.Event;
import org.apache.qpid.proton.engine.Link;
import org.apache.qpid.proton.engine.Receiver;
import org.apache.qpid.proton.engine.Sender;
import org.apache.qpid.proton.engine.Transport;
import org.apache.qpid.proton.engine.impl.TransportImpl;
import org.apache.qpid.proton.message.Message;
import org.apache.qpid.proton.reactor.Acceptor;
import org.apache.qpid.proton.reactor.Reactor;
import org.apache.qpid.proton.reactor.Selectable;
import org.apache.qpid.proton.reactor.impl.AcceptorImpl;

/**
 * A local AMQP 1.0 peer that speaks enough of the Event Hubs protocol for {@code EventProcessorClient} in
 * development-emulator mode: SASL ANONYMOUS, $cbs put-token, $management READ, and partition receive links with
 * offset / sequence-number filters (docs/design/eventhubs-amqp-peer.md). Events are put in with {@link #publish} and
 * kept in memory only. It backs {@code tokenmeter eventhubs-local} and the bridge's tests; it checks no credential.
 * All proton state is touched only on the reactor thread; other threads hand over through queues and wakeup().
 */
public final class LocalEventHubs implements AutoCloseable {

    /** The address it listens on; the connection string names it {@code localhost}. */
    public static final String HOST = "127.0.0.1";
    public static final int MAX_PARTITIONS = 1024;

    private static final Pattern PARTITION_ADDRESS = Pattern.compile("^([^/]+)/ConsumerGroups/([^/]+)/Partitions/(\\d+)$", Pattern.CASE_INSENSITIVE);
    private static final Pattern FILTER = Pattern.compile("amqp\\.annotation\\.(x-opt-[a-z-]+)\\s*(>=?)\\s*'([^']*)'");

    private record Event0(long sequence, String offset, Date enqueued, byte[] body) {
    }

    private static final class Cursor {
        final int partition;
        int next;

        Cursor(int partition, int next) {
            this.partition = partition;
            this.next = next;
        }
    }

    private record Pending(int partition, byte[] body) {
    }

    private final String hub;
    private final int partitions;
    private final List<List<Event0>> logs = new ArrayList<>();
    private final ConcurrentLinkedQueue<Pending> inbox = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Map<Sender, Cursor> consumers = new IdentityHashMap<>();
    private final Map<Connection, Map<String, Sender>> replyLinks = new IdentityHashMap<>();
    private final Map<Connection, Transport> transports = new IdentityHashMap<>();
    private final CompletableFuture<Integer> started = new CompletableFuture<>();
    private final AtomicLong tags = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong putTokens = new AtomicLong();
    private final List<String> tokenTypes = new CopyOnWriteArrayList<>();
    private volatile boolean running = true;
    private volatile boolean rejectCredentials;
    private volatile long firstSequenceNumber;
    private volatile int port;
    private final int requestedPort;
    private Acceptor acceptor;
    private final Reactor reactor;
    private final Thread thread;

    private LocalEventHubs(int requestedPort, String hub, int partitions) throws IOException {
        this.requestedPort = requestedPort;
        this.hub = hub;
        this.partitions = partitions;
        for (int i = 0; i < partitions; i++) {
            logs.add(new ArrayList<>());
        }
        reactor = Proton.reactor(new Handler());
        reactor.setTimeout(50);
        thread = new Thread(() -> {
            try {
                reactor.start();
                while (running && reactor.process()) {
                    // the reactor runs the handler
                }
                disconnect(); // frees the port at once
                reactor.stop();
            } catch (RuntimeException e) {
                started.completeExceptionally(e);
            }
        }, "local-eventhubs");
        thread.setDaemon(true);
    }

    /**
     * Numbers the events of every partition from {@code first} on (default 0); call it before publishing. A peer run
     * after another on the same Kafka cluster starts above the earlier run's checkpoints this way, as a real hub's
     * sequence numbers only grow.
     */
    public LocalEventHubs firstSequenceNumber(long first) {
        this.firstSequenceNumber = first;
        return this;
    }

    /** A peer with hub {@code hub} of {@code partitions} partitions, listening on an ephemeral loopback port. */
    public static LocalEventHubs start(String hub, int partitions) {
        return start(0, hub, partitions);
    }

    /**
     * A peer with hub {@code hub} of {@code partitions} partitions, listening on loopback port {@code port} (0: a free
     * one).
     *
     * @throws IllegalArgumentException for a blank hub name, a partition count outside 1..1024 or a bad port
     * @throws IllegalStateException when the port cannot be bound (e.g. in use)
     */
    public static LocalEventHubs start(int port, String hub, int partitions) {
        if (hub == null || hub.isBlank() || hub.contains("/")) {
            throw new IllegalArgumentException("the event hub needs a name without '/'");
        }
        if (partitions < 1 || partitions > MAX_PARTITIONS) {
            throw new IllegalArgumentException("an event hub has 1 to " + MAX_PARTITIONS + " partitions, not " + partitions);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("no port " + port);
        }
        LocalEventHubs peer;
        try {
            peer = new LocalEventHubs(port, hub, partitions);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        peer.thread.start();
        try {
            peer.port = peer.started.get(10, TimeUnit.SECONDS);
            return peer;
        } catch (ExecutionException e) {
            peer.close();
            throw new IllegalStateException("cannot listen on " + HOST + ":" + port + " (" + rootMessage(e.getCause()) + ")");
        } catch (TimeoutException e) {
            peer.close();
            throw new IllegalStateException("the local Event Hubs peer did not start within 10 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            peer.close();
            throw new IllegalStateException("interrupted while starting the local Event Hubs peer");
        }
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }

    public int port() {
        return port;
    }

    public String hub() {
        return hub;
    }

    public int partitionCount() {
        return partitions;
    }

    /**
     * A connection string for this peer, without EntityPath (the bridge passes the hub name). The key is a
     * placeholder: the peer accepts any token.
     */
    public String connectionString() {
        return "Endpoint=sb://localhost:" + port + ";SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=s3cr3t-key-value;"
                + "UseDevelopmentEmulator=true";
    }

    /** Appends events to a partition; any thread. */
    public void publish(int partition, byte[]... bodies) {
        if (partition < 0 || partition >= partitions) {
            throw new IllegalArgumentException("no partition " + partition);
        }
        for (byte[] body : bodies) {
            inbox.add(new Pending(partition, Objects.requireNonNull(body, "body").clone()));
        }
        reactor.wakeup();
    }

    public void publish(int partition, String... bodies) {
        for (String body : bodies) {
            publish(partition, body.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** Events in all partitions (published and taken in by the reactor so far). */
    public long size() {
        return onReactor(() -> (long) logs.stream().mapToInt(List::size).sum());
    }

    /** From now on answer every token and management request with 401, as the service does for a wrong key. */
    public void rejectCredentials() {
        rejectCredentials = true;
    }

    /**
     * As a namespace lost to the network: stops listening and drops every connection without an AMQP close. Events
     * are kept, and {@link #publish} still takes new ones; {@link #goOnline()} listens again on the same port.
     */
    public void goOffline() {
        onReactor(() -> {
            disconnect();
            return null;
        });
    }

    private void disconnect() {
        if (acceptor != null) {
            acceptor.close();
            acceptor = null;
        }
        new ArrayList<>(transports.entrySet()).forEach(entry -> {
            Selectable selectable = ((TransportImpl) entry.getValue()).getSelectable();
            if (selectable != null && selectable.getChannel() != null) {
                try {
                    selectable.getChannel().close();
                } catch (IOException e) {
                    // closed is what we want
                }
                selectable.terminate();
                reactor.update(selectable);
            }
            forget(entry.getKey());
        });
    }

    /** Listens again on the port it had, after {@link #goOffline()}. */
    public void goOnline() {
        onReactor(() -> {
            if (acceptor == null) {
                try {
                    acceptor = reactor.acceptor(HOST, port);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return null;
        });
    }

    /** Event transfers sent to clients so far. */
    public long delivered() {
        return delivered.get();
    }

    public long putTokens() {
        return putTokens.get();
    }

    /** The {@code type} of every put-token request so far: {@code servicebus.windows.net:sastoken} or {@code jwt}. */
    public List<String> tokenTypes() {
        return List.copyOf(tokenTypes);
    }

    @Override
    public void close() {
        running = false;
        try {
            reactor.wakeup();
        } catch (RuntimeException e) {
            // the reactor has stopped already
        }
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs {@code task} on the reactor thread and waits for it. */
    private <T> T onReactor(Supplier<T> task) {
        if (Thread.currentThread() == thread) {
            return task.get();
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        tasks.add(() -> {
            try {
                result.complete(task.get());
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        reactor.wakeup();
        try {
            return result.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the local Event Hubs peer did not answer within 10 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }

    private void forget(Connection connection) {
        replyLinks.remove(connection);
        transports.remove(connection);
        consumers.keySet().removeIf(s -> s.getSession().getConnection() == connection);
    }

    private final class Handler extends BaseHandler {

        @Override
        public void onReactorInit(Event e) {
            try {
                acceptor = e.getReactor().acceptor(HOST, requestedPort);
                port = ((AcceptorImpl) acceptor).getPortNumber();
            } catch (IOException ex) {
                started.completeExceptionally(ex);
                running = false;
                return;
            }
            e.getReactor().schedule(10, this);
            started.complete(port);
        }

        @Override
        public void onTimerTask(Event e) {
            Runnable task;
            while ((task = tasks.poll()) != null) {
                task.run();
            }
            Pending pending;
            while ((pending = inbox.poll()) != null) {
                List<Event0> log = logs.get(pending.partition());
                long seq = firstSequenceNumber + log.size();
                log.add(new Event0(seq, Long.toString(seq * 100), new Date(), pending.body()));
            }
            consumers.keySet().forEach(this::pump);
            if (running) {
                e.getReactor().schedule(10, this);
            }
        }

        @Override
        public void onConnectionBound(Event e) {
            transports.put(e.getConnection(), e.getTransport());
        }

        @Override
        public void onConnectionRemoteOpen(Event e) {
            e.getConnection().setContainer("local-eventhubs");
            e.getConnection().open();
        }

        @Override
        public void onConnectionRemoteClose(Event e) {
            forget(e.getConnection());
            e.getConnection().close();
        }

        @Override
        public void onTransportClosed(Event e) {
            if (e.getConnection() != null) {
                forget(e.getConnection());
            }
        }

        @Override
        public void onSessionRemoteOpen(Event e) {
            e.getSession().setIncomingCapacity(1 << 20);
            e.getSession().open();
        }

        @Override
        public void onSessionRemoteClose(Event e) {
            e.getSession().close();
        }

        @Override
        public void onLinkRemoteOpen(Event e) {
            Link link = e.getLink();
            Source source = (Source) link.getRemoteSource();
            Target target = (Target) link.getRemoteTarget();
            link.setSource(source);
            link.setTarget(target);
            link.setSenderSettleMode(link.getRemoteSenderSettleMode());
            link.setReceiverSettleMode(link.getRemoteReceiverSettleMode());
            if (link instanceof Receiver receiver) {
                link.open();
                receiver.flow(100);
                return;
            }
            Sender sender = (Sender) link;
            String address = source.getAddress();
            if ("$cbs".equals(address) || "$management".equals(address)) {
                replyLinks.computeIfAbsent(link.getSession().getConnection(), k -> new HashMap<>()).put(target.getAddress(), sender);
                link.open();
                return;
            }
            Matcher m = PARTITION_ADDRESS.matcher(address);
            int partition = m.matches() && m.group(1).equalsIgnoreCase(hub) ? Integer.parseInt(m.group(3)) : -1;
            if (partition < 0 || partition >= partitions) {
                link.setSource(null);
                link.open();
                link.setCondition(new ErrorCondition(Symbol.valueOf("amqp:not-found"), "no entity " + address));
                link.close();
                return;
            }
            consumers.put(sender, new Cursor(partition, startIndex(logs.get(partition), source.getFilter())));
            link.open();
        }

        @Override
        public void onLinkFlow(Event e) {
            if (e.getLink() instanceof Sender sender && consumers.containsKey(sender)) {
                pump(sender);
            }
        }

        @Override
        public void onLinkRemoteClose(Event e) {
            consumers.remove(e.getLink());
            e.getLink().close();
        }

        private void pump(Sender sender) {
            Cursor cursor = consumers.get(sender);
            if (cursor == null || sender.getLocalState() != EndpointState.ACTIVE) {
                return;
            }
            List<Event0> log = logs.get(cursor.partition);
            while (sender.getCredit() > 0 && cursor.next < log.size()) {
                Event0 event = log.get(cursor.next++);
                Message message = Proton.message();
                Map<Symbol, Object> annotations = new HashMap<>();
                annotations.put(Symbol.valueOf("x-opt-sequence-number"), event.sequence());
                annotations.put(Symbol.valueOf("x-opt-offset"), event.offset());
                annotations.put(Symbol.valueOf("x-opt-enqueued-time"), event.enqueued());
                message.setMessageAnnotations(new MessageAnnotations(annotations));
                message.setBody(new Data(new Binary(event.body())));
                send(sender, message, false);
                delivered.incrementAndGet();
            }
        }

        private void send(Sender sender, Message message, boolean presettled) {
            byte[] buffer = new byte[4096];
            int length;
            while (true) {
                try {
                    length = message.encode(buffer, 0, buffer.length);
                    break;
                } catch (BufferOverflowException e) {
                    buffer = new byte[buffer.length * 2];
                }
            }
            Delivery delivery = sender.delivery(Long.toString(tags.incrementAndGet()).getBytes(StandardCharsets.US_ASCII));
            sender.send(buffer, 0, length);
            if (presettled) {
                delivery.settle();
            }
            sender.advance();
        }

        @Override
        public void onDelivery(Event e) {
            Delivery delivery = e.getDelivery();
            if (delivery.getLink() instanceof Sender) {
                if (delivery.remotelySettled()) {
                    delivery.settle();
                }
                return;
            }
            if (delivery.isPartial() || !delivery.isReadable()) {
                return;
            }
            Receiver receiver = (Receiver) delivery.getLink();
            byte[] buffer = new byte[delivery.pending()];
            int length = receiver.recv(buffer, 0, buffer.length);
            Message request = Proton.message();
            request.decode(buffer, 0, length);
            delivery.disposition(Accepted.getInstance());
            delivery.settle();
            receiver.advance();
            receiver.flow(1);
            answer(receiver, request);
        }

        private void answer(Receiver receiver, Message request) {
            String node = ((Target) receiver.getRemoteTarget()).getAddress();
            Map<String, Object> properties = request.getApplicationProperties() == null ? Map.of() : request.getApplicationProperties().getValue();
            Message response = Proton.message();
            response.setCorrelationId(request.getMessageId());
            Map<String, Object> status = new HashMap<>();
            if (rejectCredentials) {
                status.put("status-code", 401);
                status.put("status-description", "InvalidSignature: The token has an invalid signature.");
            } else if ("$cbs".equals(node)) {
                putTokens.incrementAndGet();
                tokenTypes.add(String.valueOf(properties.get("type")));
                status.put("status-code", 202);
                status.put("status-description", "Accepted");
            } else if (!hub.equalsIgnoreCase(String.valueOf(properties.get("name")))) {
                status.put("status-code", 404);
                status.put("status-description", "The messaging entity could not be found");
            } else if ("com.microsoft:eventhub".equals(properties.get("type"))) {
                Map<String, Object> body = new HashMap<>();
                String[] ids = new String[partitions];
                for (int i = 0; i < partitions; i++) {
                    ids[i] = Integer.toString(i);
                }
                body.put("name", hub);
                body.put("created_at", new Date(0));
                body.put("partition_ids", ids);
                body.put("partition_count", partitions);
                response.setBody(new AmqpValue(body));
                status.put("status-code", 200);
                status.put("status-description", "OK");
            } else {
                int p = Integer.parseInt(String.valueOf(properties.get("partition")));
                List<Event0> log = logs.get(p);
                Event0 last = log.isEmpty() ? null : log.get(log.size() - 1);
                Map<String, Object> body = new HashMap<>();
                body.put("name", hub);
                body.put("partition", Integer.toString(p));
                body.put("begin_sequence_number", last == null ? -1L : firstSequenceNumber);
                body.put("last_enqueued_sequence_number", last == null ? -1L : last.sequence());
                body.put("last_enqueued_offset", last == null ? "-1" : last.offset());
                body.put("last_enqueued_time_utc", last == null ? new Date(0) : last.enqueued());
                body.put("is_partition_empty", last == null);
                response.setBody(new AmqpValue(body));
                status.put("status-code", 200);
                status.put("status-description", "OK");
            }
            response.setApplicationProperties(new ApplicationProperties(status));
            Sender reply = replyLinks.getOrDefault(receiver.getSession().getConnection(), Map.of()).get(request.getReplyTo());
            if (reply != null) {
                send(reply, response, true);
            }
        }
    }

    private int startIndex(List<Event0> log, Map<Symbol, Object> filter) {
        Object value = filter == null ? null : filter.get(Symbol.valueOf("apache.org:selector-filter:string"));
        if (!(value instanceof DescribedType described)) {
            return log.size();
        }
        Matcher m = FILTER.matcher(String.valueOf(described.getDescribed()));
        if (!m.find()) {
            return log.size();
        }
        String field = m.group(1);
        boolean inclusive = m.group(2).equals(">=");
        String operand = m.group(3);
        switch (field) {
            case "x-opt-offset" -> {
                if (operand.equals("-1")) {
                    return 0;
                }
                long position;
                try {
                    position = Long.parseLong(operand);
                } catch (NumberFormatException latest) {
                    return log.size(); // @latest
                }
                // offsets only grow: the first event after (or at) the position, also when the position is another run's
                for (int i = 0; i < log.size(); i++) {
                    long offset = Long.parseLong(log.get(i).offset());
                    if (offset > position || (inclusive && offset == position)) {
                        return i;
                    }
                }
                return log.size();
            }
            case "x-opt-sequence-number" -> {
                long n = Long.parseLong(operand) - firstSequenceNumber;
                return (int) Math.min(log.size(), Math.max(0, inclusive ? n : n + 1));
            }
            case "x-opt-enqueued-time" -> {
                long t = Long.parseLong(operand);
                for (int i = 0; i < log.size(); i++) {
                    long at = log.get(i).enqueued().getTime();
                    if (at > t || (inclusive && at == t)) {
                        return i;
                    }
                }
                return log.size();
            }
            default -> {
                return log.size();
            }
        }
    }
}
