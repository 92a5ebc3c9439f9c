package io.tokenmeter.service;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the instance is restoring from changelogs right now, for the health answer and the log. After a crash under
 * exactly-once every local store is rebuilt from its changelog before the instance serves queries; this says how much
 * is left and how long each store took, so a long REBALANCING has a visible reason.
 */
final class RestoreProgress implements StateRestoreListener {

    private static final Logger LOG = LoggerFactory.getLogger(RestoreProgress.class);
    /** A changelog partition this large gets its own INFO lines; smaller ones are summed into the totals only. */
    private static final long LOUD_RECORDS = 10_000;

    private record Restoring(String store, long total, long startNanos, AtomicLong done) {
    }

    private final Map<TopicPartition, Restoring> active = new ConcurrentHashMap<>();
    private final AtomicLong restoredRecords = new AtomicLong();

    @Override
    public void onRestoreStart(TopicPartition partition, String storeName, long startingOffset, long endingOffset) {
        long total = Math.max(0, endingOffset - startingOffset);
        active.put(partition, new Restoring(storeName, total, System.nanoTime(), new AtomicLong()));
        if (total >= LOUD_RECORDS) {
            LOG.info("restoring store {} from {}: up to {} changelog records", storeName, partition, total);
        }
    }

    @Override
    public void onBatchRestored(TopicPartition partition, String storeName, long batchEndOffset, long numRestored) {
        Restoring restoring = active.get(partition);
        if (restoring != null) {
            restoring.done().addAndGet(numRestored);
        }
        restoredRecords.addAndGet(numRestored);
    }

    @Override
    public void onRestoreEnd(TopicPartition partition, String storeName, long totalRestored) {
        Restoring restoring = active.remove(partition);
        if (restoring != null && totalRestored >= LOUD_RECORDS) {
            long millis = Math.max(1, (System.nanoTime() - restoring.startNanos()) / 1_000_000);
            LOG.info("restored store {} from {}: {} records in {} ms ({} records/s)", storeName, partition, totalRestored, millis,
                    totalRestored * 1000 / millis);
        }
    }

    @Override
    public void onRestoreSuspended(TopicPartition partition, String storeName, long totalRestored) {
        active.remove(partition);
    }

    /** Changelog records still to restore into the stores being restored now (an upper bound: compaction gaps count). */
    long remaining() {
        return active.values().stream().mapToLong(r -> Math.max(0, r.total() - r.done().get())).sum();
    }

    /** Changelog records restored since the service started. */
    long restored() {
        return restoredRecords.get();
    }
}
