package io.tokenmeter.service;

import io.tokenmeter.streams.CaughtUp;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.processor.TaskId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How far this instance's stream tasks are behind the end of their input partitions, by the group's committed offsets
 * against the partitions' last committed records, refreshed in the background once a second. It tells event time
 * ({@link CaughtUp}) whether a silent input is idle or only stalled: a task is caught up when every input partition is
 * at most one offset short of its end (a transaction marker), by a reading not older than a few seconds.
 */
final class InputLag implements CaughtUp, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(InputLag.class);
    private static final Duration REFRESH = Duration.ofSeconds(1);
    private static final Duration STALE = Duration.ofSeconds(5);

    private final Map<String, Object> clientProperties;
    private final String groupId;
    private final Supplier<KafkaStreams> streams;
    private final Thread thread;
    private volatile Map<TopicPartition, Long> lag = Map.of();
    private volatile long readAtMs = Long.MIN_VALUE;
    private volatile boolean running = true;

    InputLag(Map<String, Object> clientProperties, String groupId, Supplier<KafkaStreams> streams) {
        this.clientProperties = clientProperties;
        this.groupId = groupId;
        this.streams = streams;
        this.thread = new Thread(this::run, "tokenmeter-input-lag");
        thread.setDaemon(true);
    }

    InputLag start() {
        thread.start();
        return this;
    }

    @Override
    public boolean caughtUp(TaskId task) {
        if (System.currentTimeMillis() - readAtMs > STALE.toMillis()) {
            return false;
        }
        Set<TopicPartition> inputs = inputsOf(task);
        if (inputs == null) {
            return false;
        }
        Map<TopicPartition, Long> known = lag;
        for (TopicPartition partition : inputs) {
            Long behind = known.get(partition);
            if (behind == null || behind > 1) {
                return false;
            }
        }
        return true;
    }

    private Set<TopicPartition> inputsOf(TaskId task) {
        KafkaStreams current = streams.get();
        if (current == null) {
            return null;
        }
        for (ThreadMetadata thread : current.metadataForLocalThreads()) {
            for (TaskMetadata metadata : thread.activeTasks()) {
                if (metadata.taskId().equals(task)) {
                    return metadata.topicPartitions();
                }
            }
        }
        return null;
    }

    private void run() {
        try (Admin admin = Admin.create(clientProperties)) {
            while (running) {
                try {
                    refresh(admin);
                } catch (Exception e) {
                    if (!running) {
                        return;
                    }
                    LOG.debug("cannot read the input lag now: {}", e.toString());
                }
                try {
                    Thread.sleep(REFRESH.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private void refresh(Admin admin) throws Exception {
        KafkaStreams current = streams.get();
        if (current == null) {
            return;
        }
        Set<TopicPartition> inputs = new HashSet<>();
        for (ThreadMetadata thread : current.metadataForLocalThreads()) {
            for (TaskMetadata task : thread.activeTasks()) {
                inputs.addAll(task.topicPartitions());
            }
        }
        if (inputs.isEmpty()) {
            return;
        }
        long started = System.currentTimeMillis();
        lag = lags(admin, groupId, inputs);
        readAtMs = started;
    }

    /** How many records each partition holds past the group's committed offset (a partition never committed: all of them). */
    static Map<TopicPartition, Long> lags(Admin admin, String groupId, Set<TopicPartition> partitions) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata()
                .get(10, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        partitions.forEach(p -> latest.put(p, OffsetSpec.latest()));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest,
                new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get(10, TimeUnit.SECONDS);
        Map<TopicPartition, Long> behind = new HashMap<>();
        ends.forEach((partition, end) -> {
            OffsetAndMetadata at = committed.get(partition);
            behind.put(partition, Math.max(0, end.offset() - (at == null ? 0 : at.offset())));
        });
        return behind;
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
