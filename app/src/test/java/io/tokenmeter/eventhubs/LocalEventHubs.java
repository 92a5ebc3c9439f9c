package io.tokenmeter.eventhubs;

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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
import org.apache.qpid.proton.message.Message;
import org.apache.qpid.proton.reactor.Reactor;
import org.apache.qpid.proton.reactor.impl.AcceptorImpl;

/**
 * A local AMQP 1.0 peer that speaks enough of the Event Hubs protocol for {@code EventProcessorClient} in
 * development-emulator mode: SASL ANONYMOUS, $cbs put-token, $management READ, and partition receive links with
 * offset / sequence-number filters (docs/design/eventhubs-amqp-peer.md). Events are put in with {@link #publish}.
 * All proton state is touched only on the reactor thread; other threads hand over through a queue and wakeup().
 */
public final class LocalEventHubs implements AutoCloseable {

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
    private final Map<Sender, Cursor> consumers = new IdentityHashMap<>();
    private final Map<Connection, Map<String, Sender>> replyLinks = new IdentityHashMap<>();
    private final CountDownLatch started = new CountDownLatch(1);
    private final AtomicLong tags = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong putTokens = new AtomicLong();
    private volatile boolean running = true;
    private volatile boolean rejectCredentials;
    private volatile int port;
    private final Reactor reactor;
    private final Thread thread;

    private LocalEventHubs(String hub, int partitions) throws IOException {
        this.hub = hub;
        this.partitions = partitions;
        for (int i = 0; i < partitions; i++) {
            logs.add(new ArrayList<>());
        }
        reactor = Proton.reactor(new Handler());
        reactor.setTimeout(50);
        thread = new Thread(() -> {
            reactor.start();
            while (running && reactor.process()) {
                // the reactor runs the handler
            }
            reactor.stop();
        }, "local-eventhubs");
        thread.setDaemon(true);
    }

    /** A peer with hub {@code hub} of {@code partitions} partitions, listening on an ephemeral loopback port. */
    public static LocalEventHubs start(String hub, int partitions) {
        try {
            LocalEventHubs peer = new LocalEventHubs(hub, partitions);
            peer.thread.start();
            if (!peer.started.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the local Event Hubs peer did not start");
            }
            return peer;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        return port;
    }

    /** A connection string for this peer, without EntityPath (the bridge passes the hub name). */
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
            inbox.add(new Pending(partition, body.clone()));
        }
        reactor.wakeup();
    }

    public void publish(int partition, String... bodies) {
        for (String body : bodies) {
            publish(partition, body.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** From now on answer every token and management request with 401, as the service does for a wrong key. */
    public void rejectCredentials() {
        rejectCredentials = true;
    }

    /** Event transfers sent to clients so far. */
    public long delivered() {
        return delivered.get();
    }

    public long putTokens() {
        return putTokens.get();
    }

    @Override
    public void close() {
        running = false;
        reactor.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private final class Handler extends BaseHandler {

        @Override
        public void onReactorInit(Event e) {
            try {
                port = ((AcceptorImpl) e.getReactor().acceptor("127.0.0.1", 0)).getPortNumber();
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
            e.getReactor().schedule(10, this);
            started.countDown();
        }

        @Override
        public void onTimerTask(Event e) {
            Pending pending;
            while ((pending = inbox.poll()) != null) {
                List<Event0> log = logs.get(pending.partition());
                long seq = log.size();
                log.add(new Event0(seq, Long.toString(seq * 100), new Date(), pending.body()));
            }
            consumers.keySet().forEach(this::pump);
            if (running) {
                e.getReactor().schedule(10, this);
            }
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

        private void forget(Connection connection) {
            replyLinks.remove(connection);
            consumers.keySet().removeIf(s -> s.getSession().getConnection() == connection);
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
                body.put("begin_sequence_number", last == null ? -1L : 0L);
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

    private static int startIndex(List<Event0> log, Map<Symbol, Object> filter) {
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
                for (int i = 0; i < log.size(); i++) {
                    if (log.get(i).offset().equals(operand)) {
                        return inclusive ? i : i + 1;
                    }
                }
                return log.size(); // @latest, or an offset not (yet) in the log
            }
            case "x-opt-sequence-number" -> {
                long n = Long.parseLong(operand);
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
