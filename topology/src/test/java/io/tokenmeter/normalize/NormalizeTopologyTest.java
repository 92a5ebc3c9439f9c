package io.tokenmeter.normalize;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.event.OutcomeStatus;
import io.tokenmeter.event.TaskOutcome;
import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.testing.TopologyHarness;
import io.tokenmeter.topics.DeadLetters;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NormalizeTopologyTest {

    private TopologyHarness harness = new TopologyHarness();

    @AfterEach
    void close() {
        harness.close();
    }

    private static String usage(String eventId, String tenant, String time) {
        return "{\"kind\":\"usage\",\"eventId\":\"" + eventId + "\",\"timestamp\":\"" + time + "\",\"tenant\":\"" + tenant
                + "\",\"model\":\"gpt-4o\",\"inputTokens\":100,\"outputTokens\":10}";
    }

    @Test
    void writesUsageKeyedByTenantWithEventTimeAndOutcomesKeyedByTask() {
        harness.raw(usage("e-1", "contoso", "2025-06-01T10:00:00Z"));
        harness.raw("{\"kind\":\"task-outcome\",\"taskId\":\"task-1\",\"timestamp\":\"2025-06-01T10:05:00Z\",\"status\":\"FAILED\"}");

        List<TestRecord<String, UsageEvent>> usage = harness.records(harness.topics.usage());
        assertThat(usage).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo("contoso");
            assertThat(r.value().getEventId()).isEqualTo("e-1");
            assertThat(r.timestamp()).isEqualTo(java.time.Instant.parse("2025-06-01T10:00:00Z").toEpochMilli());
        });
        List<KeyValue<String, TaskOutcome>> outcomes = harness.records(harness.topics.taskOutcomes()).stream().map(r -> KeyValue.pair(r.key(), r.value())).toList();
        assertThat(outcomes).singleElement().satisfies(kv -> {
            assertThat(kv.key).isEqualTo("task-1");
            assertThat(kv.value.getStatus()).isEqualTo(OutcomeStatus.FAILED);
        });
        assertThat(harness.output(harness.topics.dlq()).isEmpty()).isTrue();
    }

    @Test
    void theDedupRepartitionSendsATenantWhereTheUsageTopicKeepsIt() {
        for (String tenant : List.of("contoso", "fabrikam", "northwind", "tailspin", "adventure-works", "wingtip", "x")) {
            int usagePartition = org.apache.kafka.clients.producer.internals.BuiltInPartitioner.partitionForKey(
                    tenant.getBytes(StandardCharsets.UTF_8), 6);
            assertThat(DedupProcessor.partitionByTenant("t", DedupProcessor.key(tenant, "event-1"), new byte[0], 6))
                    .contains(java.util.Set.of(usagePartition));
            assertThat(DedupProcessor.partitionByTenant("t", DedupProcessor.key(tenant, "another-event"), new byte[0], 6))
                    .contains(java.util.Set.of(usagePartition));
        }
    }

    @Test
    void emitsADuplicateEventIdOnceWithinTheHorizon() {
        harness.raw(usage("dup", "contoso", "2025-06-01T10:00:00Z"));
        harness.raw(usage("dup", "contoso", "2025-06-01T10:00:00Z"));
        harness.raw(usage("other", "contoso", "2025-06-01T10:00:01Z"));
        harness.raw(usage("dup", "contoso", "2025-06-01T21:00:00Z"));

        assertThat(harness.values(harness.topics.usage())).extracting(UsageEvent::getEventId)
                .containsExactly("dup", "other");
    }

    @Test
    void emitsTheSameEventIdAgainOnceTheHorizonHasPassed() {
        harness.close();
        harness = new TopologyHarness(Map.of(TokenmeterConfig.DEDUP_HORIZON, Duration.ofHours(1).toMillis()));

        harness.raw(usage("dup", "contoso", "2025-06-01T10:00:00Z"));
        harness.raw(usage("dup", "contoso", "2025-06-01T10:59:00Z"));
        harness.raw(usage("dup", "contoso", "2025-06-01T11:30:00Z"));

        assertThat(harness.records(harness.topics.usage())).extracting(TestRecord::timestamp)
                .containsExactly(java.time.Instant.parse("2025-06-01T10:00:00Z").toEpochMilli(),
                        java.time.Instant.parse("2025-06-01T11:30:00Z").toEpochMilli());
    }

    @Test
    void dropsACopyInTheNextPeriodOfIdsWithinTheHorizon() {
        harness.close();
        harness = new TopologyHarness(Map.of(TokenmeterConfig.DEDUP_HORIZON, Duration.ofHours(1).toMillis()));

        harness.raw(usage("dup", "contoso", "2025-06-01T11:59:59Z")); // ids are kept per period of two horizons: this one in 10:00-12:00
        harness.raw(usage("dup", "contoso", "2025-06-01T12:00:30Z")); // the next period, 31 s later: a copy
        harness.raw(usage("late", "contoso", "2025-06-01T12:40:00Z"));
        harness.raw(usage("late", "contoso", "2025-06-01T11:45:00Z")); // the previous period, 55 minutes earlier: a copy
        harness.raw(usage("far", "contoso", "2025-06-01T13:59:00Z"));
        harness.raw(usage("far", "contoso", "2025-06-01T12:58:00Z")); // the same period, 61 minutes earlier: not a copy

        assertThat(harness.values(harness.topics.usage())).extracting(UsageEvent::getEventId).containsExactly("dup", "late", "far", "far");
    }

    @Test
    void forgetsTheIdsOfAPeriodOnceTheWatermarkIsAHorizonPastIt() {
        harness.close();
        harness = new TopologyHarness(Map.of(TokenmeterConfig.DEDUP_HORIZON, Duration.ofHours(1).toMillis()));
        java.time.Instant start = java.time.Instant.parse("2025-06-01T10:00:00Z");
        for (int i = 0; i < 10; i++) {
            harness.raw(usage("e-" + i, "contoso", start.plus(Duration.ofMinutes(30L * i)).toString())); // 10:00 .. 14:30
        }

        // the watermark is 14:30 less the 10-minute grace; a horizon before it is 13:20, in the period 12:00-14:00, which stays
        List<Long> kept = new java.util.ArrayList<>();
        try (var all = harness.driver.<org.apache.kafka.common.utils.Bytes, Long>getKeyValueStore(NormalizeTopology.DEDUP_STORE).all()) {
            all.forEachRemaining(entry -> kept.add(entry.value));
        }
        assertThat(kept).map(java.time.Instant::ofEpochMilli).map(java.time.Instant::toString)
                .containsExactly("2025-06-01T12:00:00Z", "2025-06-01T12:30:00Z", "2025-06-01T13:00:00Z",
                        "2025-06-01T13:30:00Z", "2025-06-01T14:00:00Z", "2025-06-01T14:30:00Z");
    }

    @Test
    void sendsBadDocumentsToTheDeadLetterTopicUnchangedWithReasonAndOrigin() {
        RecordHeaders headers = new RecordHeaders();
        headers.add("trace-id", "abc".getBytes(StandardCharsets.UTF_8));
        byte[] bad = "{\"kind\":\"usage\",\"model\":\"m\",\"timestamp\":1735689600000,\"inputTokens\":-1}".getBytes(StandardCharsets.UTF_8);
        harness.raw(usage("ok-1", "contoso", "2025-06-01T10:00:00Z"));
        harness.input(harness.topics.ingestRaw()).pipeInput(new TestRecord<>("k".getBytes(StandardCharsets.UTF_8), bad, headers));
        harness.raw("this is not json");
        harness.raw(usage("ok-2", "contoso", "2025-06-01T10:00:01Z"));

        List<TestRecord<byte[], byte[]>> dead = harness.output(harness.topics.dlq()).readRecordsToList();
        assertThat(dead).hasSize(2);
        TestRecord<byte[], byte[]> first = dead.get(0);
        assertThat(first.value()).isEqualTo(bad);
        assertThat(first.key()).isEqualTo("k".getBytes(StandardCharsets.UTF_8));
        assertThat(DeadLetters.header(first.headers(), DeadLetters.REASON)).isEqualTo(DeadLetters.INVALID_FIELD);
        assertThat(DeadLetters.header(first.headers(), DeadLetters.DETAIL)).contains("inputTokens").contains("negative");
        assertThat(DeadLetters.header(first.headers(), DeadLetters.SOURCE_TOPIC)).isEqualTo("t.ingest.raw");
        assertThat(DeadLetters.header(first.headers(), DeadLetters.SOURCE_PARTITION)).isEqualTo("0");
        assertThat(DeadLetters.header(first.headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo("1");
        assertThat(DeadLetters.header(first.headers(), DeadLetters.REJECTED_AT)).isEqualTo(TopologyHarness.CLOCK_TIME.toString());
        assertThat(DeadLetters.header(first.headers(), "trace-id")).isEqualTo("abc");
        assertThat(DeadLetters.header(dead.get(1).headers(), DeadLetters.REASON)).isEqualTo(DeadLetters.MALFORMED_JSON);
        assertThat(DeadLetters.header(dead.get(1).headers(), DeadLetters.SOURCE_OFFSET)).isEqualTo("2");

        assertThat(harness.values(harness.topics.usage())).extracting(UsageEvent::getEventId)
                .containsExactly("ok-1", "ok-2");
    }

    @Test
    void anAvroRecordThatCannotBeReadInAUsageRepartitionGoesToTheDeadLetterTopic() {
        // bytes that are not Confluent Avro written straight into the internal topic: the deserialization handler catches them.
        // TopologyTestDriver drops handler dead letters under exactly-once, so this runs at-least-once; the
        // integration test covers the same path under exactly-once on a real broker.
        harness.close();
        harness = new TopologyHarness(Map.of(TokenmeterConfig.PROCESSING_GUARANTEE, "at_least_once"));
        String repartition = "tokenmeter-test-" + NormalizeTopology.USAGE_REPARTITION + "-repartition";
        harness.driver.createInputTopic(repartition, org.apache.kafka.common.serialization.Serdes.String().serializer(),
                org.apache.kafka.common.serialization.Serdes.ByteArray().serializer()).pipeInput("contoso", "{oops".getBytes(StandardCharsets.UTF_8));

        List<TestRecord<byte[], byte[]>> dead = harness.output(harness.topics.dlq()).readRecordsToList();
        assertThat(dead).singleElement().satisfies(r -> {
            assertThat(DeadLetters.header(r.headers(), DeadLetters.REASON)).isEqualTo(DeadLetters.DESERIALIZATION);
            assertThat(DeadLetters.header(r.headers(), DeadLetters.DETAIL)).contains("unknown magic byte 0x7b");
            assertThat(DeadLetters.header(r.headers(), DeadLetters.SOURCE_TOPIC)).isEqualTo(repartition);
        });
    }
}
