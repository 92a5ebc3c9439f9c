package io.tokenmeter.topics;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a topic is created: partitions, cleanup policy and retention (null retention: keep forever).
 */
public record TopicSettings(int partitions, CleanupPolicy cleanupPolicy, Duration retention) {

    /** Kafka's {@code cleanup.policy}. */
    public enum CleanupPolicy {
        DELETE("delete"), COMPACT("compact");

        private final String config;

        CleanupPolicy(String config) {
            this.config = config;
        }

        public String config() {
            return config;
        }
    }

    public TopicSettings {
        if (partitions < 1) {
            throw new IllegalArgumentException("a topic needs at least one partition, got " + partitions);
        }
    }

    public static TopicSettings deleteAfter(int partitions, Duration retention) {
        return new TopicSettings(partitions, CleanupPolicy.DELETE, retention);
    }

    public static TopicSettings compacted(int partitions) {
        return new TopicSettings(partitions, CleanupPolicy.COMPACT, null);
    }

    /** The topic-level configs to create the topic with. */
    public Map<String, String> configs() {
        Map<String, String> configs = new LinkedHashMap<>();
        configs.put("cleanup.policy", cleanupPolicy.config());
        configs.put("retention.ms", retention == null ? "-1" : Long.toString(retention.toMillis()));
        // retention counts from when a record arrived, not from its timestamp: tokenmeter writes event times as timestamps,
        // and a replay of last quarter's logs must not be deleted by the broker before it is processed
        configs.put("message.timestamp.type", "LogAppendTime");
        return configs;
    }
}
