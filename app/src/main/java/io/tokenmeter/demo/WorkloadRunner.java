package io.tokenmeter.demo;

import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plays a {@link DemoWorkload} into a topic in the replayed time of a {@link ReplayClock}: accelerated until the end of
 * the replay, then in real time.
 */
public final class WorkloadRunner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WorkloadRunner.class);
    private static final long TICK_MS = 50;

    private final DemoWorkload workload;
    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final ReplayClock replay;
    private final Map<DemoWorkload.Kind, AtomicLong> sent = new EnumMap<>(DemoWorkload.Kind.class);
    private final AtomicReference<Instant> simNow;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean stopping;
    private Thread thread;

    public WorkloadRunner(DemoWorkload workload, Producer<byte[], byte[]> producer, String topic, ReplayClock replay) {
        this.workload = workload;
        this.producer = producer;
        this.topic = topic;
        this.replay = replay;
        this.simNow = new AtomicReference<>(workload.start());
        for (DemoWorkload.Kind kind : DemoWorkload.Kind.values()) {
            sent.put(kind, new AtomicLong());
        }
    }

    /** Starts the replay clock, if nothing has yet, and plays the workload along with it. */
    public WorkloadRunner start() {
        replay.play();
        thread = new Thread(this::run, "demo-workload");
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    private void run() {
        try {
            while (!stopping) {
                Instant target = replay.instant();
                List<DemoWorkload.Event> due = workload.advanceTo(target);
                for (DemoWorkload.Event event : due) {
                    producer.send(new ProducerRecord<>(topic, null, event.time().toEpochMilli(),
                            event.tenant().getBytes(java.nio.charset.StandardCharsets.UTF_8), event.json()), (metadata, error) -> {
                                if (error != null) {
                                    failure.compareAndSet(null, error);
                                }
                            });
                    sent.get(event.kind()).incrementAndGet();
                }
                simNow.set(target);
                Thread.sleep(TICK_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failure.compareAndSet(null, e);
            LOG.error("demo workload stopped: {}", e.toString(), e);
        }
    }

    /** Where the simulated clock stands. */
    public Instant simulatedNow() {
        return simNow.get();
    }

    public long sent(DemoWorkload.Kind kind) {
        return sent.get(kind).get();
    }

    public long sentTotal() {
        return sent.values().stream().mapToLong(AtomicLong::get).sum();
    }

    /** The first send that failed, if any. */
    public Throwable failure() {
        return failure.get();
    }

    /** Stops generating and waits until everything sent so far is acknowledged. */
    @Override
    public void close() {
        stopping = true;
        if (thread != null) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        producer.flush();
    }
}
