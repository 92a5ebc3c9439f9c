package io.tokenmeter.usage;

import static io.tokenmeter.testing.Events.gpt4o;
import static io.tokenmeter.testing.Events.price;
import static io.tokenmeter.testing.Events.usage;
import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.event.UsageWindow;
import io.tokenmeter.testing.TopologyHarness;
import io.tokenmeter.topics.DeadLetters;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class UsageWindowsTopologyTest {

    private TopologyHarness harness = new TopologyHarness();

    @AfterEach
    void close() {
        harness.close();
    }

    private List<UsageWindow> closed(String size) {
        return harness.output(harness.topics.usageWindows()).readValuesToList().stream().filter(w -> w.getWindowSize().equals(size)).toList();
    }

    @Test
    void emitsEachWindowOnceWithItsFinalValueWhenStreamTimePassesEndPlusGrace() {
        harness.prices(gpt4o());
        harness.usage(
                usage("a", "2025-06-01T10:00:10Z").setInputTokens(100).build(),
                usage("b", "2025-06-01T10:00:50Z").setInputTokens(200).setStatusCode(429).build(),
                usage("c", "2025-06-01T10:00:59.999Z").setDeploymentType("regional").setInputTokens(50).build());
        assertThat(closed("1m")).as("open until 10:11 (end 10:01 + grace 10 min)").isEmpty();

        harness.usage(usage("d", "2025-06-01T10:10:59.999Z").build());
        assertThat(closed("1m")).isEmpty();
        harness.usage(usage("e", "2025-06-01T10:11:00Z").build());

        List<UsageWindow> minutes = closed("1m");
        assertThat(minutes).singleElement().satisfies(w -> {
            assertThat(w.getWindowStart()).isEqualTo(Instant.parse("2025-06-01T10:00:00Z"));
            assertThat(w.getWindowEnd()).isEqualTo(Instant.parse("2025-06-01T10:01:00Z"));
            assertThat(w.getRequests()).isEqualTo(3);
            assertThat(w.getBilledRequests()).isEqualTo(2);
            assertThat(w.getUnpricedRequests()).isEqualTo(1);
            assertThat(w.getInputTokens()).isEqualTo(350);
            assertThat(w.getCostNanos()).isEqualTo(100 * 2_500L);
        });
    }

    @Test
    void anotherInputOfTheTaskRunningAheadDoesNotMakeUsageLate() {
        // the task that windows usage also reads task outcomes (through a repartition) for the runaway detector;
        // an outcome two hours ahead pushes the task's stream time, but usage is judged by its own event time
        harness.prices(gpt4o());
        harness.usage(usage("a", "2025-06-01T10:00:10Z").setInputTokens(100).build());
        harness.input(harness.topics.taskOutcomes()).pipeInput("t", io.tokenmeter.event.TaskOutcome.newBuilder().setTaskId("t")
                .setTimestamp(Instant.parse("2025-06-01T12:00:00Z")).setTenant("contoso").setUseCase("triage")
                .setStatus(io.tokenmeter.event.OutcomeStatus.SUCCEEDED).build(), Instant.parse("2025-06-01T12:00:00Z"));
        harness.usage(usage("b", "2025-06-01T10:01:10Z").setInputTokens(200).build(),
                usage("close", "2025-06-01T10:12:00Z").build());

        assertThat(harness.output(harness.topics.dlq()).readRecordsToList()).isEmpty();
        assertThat(closed("1m")).extracting(UsageWindow::getInputTokens).containsExactly(100L, 200L);
    }

    @Test
    void groupsByEveryDimension() {
        harness.prices(gpt4o());
        harness.usage(
                usage("a", "2025-06-01T10:00:00Z").setAgent("writer").setInputTokens(1).build(),
                usage("b", "2025-06-01T10:00:01Z").setAgent("reader").setInputTokens(2).build(),
                usage("c", "2025-06-01T10:00:02Z").setAgent("reader").setDeployment("other-deployment").setInputTokens(4).build(),
                usage("d", "2025-06-01T12:00:00Z").build());

        assertThat(closed("1m")).extracting(w -> w.getAgent() + "/" + w.getDeployment() + "=" + w.getInputTokens())
                .containsExactlyInAnyOrder("writer/gpt-4o-prod=1", "reader/gpt-4o-prod=2", "reader/other-deployment=4");
    }

    @Test
    void aCallAfterItsWindowWasEmittedRevisesItAndOnlyCallsOlderThanEveryWindowKeptAreDeadLettered() {
        harness.close();
        harness = new TopologyHarness(Map.of(TokenmeterConfig.WINDOW_RETENTION_1M, Duration.ofHours(1).toMillis(),
                TokenmeterConfig.WINDOW_RETENTION_1H, Duration.ofDays(1).toMillis(), TokenmeterConfig.WINDOW_RETENTION_1D, Duration.ofDays(2).toMillis()));
        harness.prices(gpt4o());
        harness.usage(usage("first", "2025-06-03T11:48:10Z").setInputTokens(5).build(), usage("now", "2025-06-03T12:00:00Z").setInputTokens(1000).build());
        assertThat(closed("1m")).as("watermark 11:50 (12:00 less the grace) closed the 11:48 minute")
                .filteredOn(w -> w.getWindowStart().equals(Instant.parse("2025-06-03T11:48:00Z")))
                .singleElement().satisfies(w -> {
                    assertThat(w.getInputTokens()).isEqualTo(5);
                    assertThat(w.getRevision()).isZero();
                });

        harness.usage(usage("late", "2025-06-03T11:48:30Z").setInputTokens(999).build());
        List<TestRecord<String, UsageWindow>> revised = harness.output(harness.topics.usageWindows()).readRecordsToList();
        assertThat(revised).as("the 1-minute window again, same key, next revision; the hour is still open").singleElement().satisfies(r -> {
            assertThat(r.key()).startsWith("1m|2025-06-03T11:48:00Z|contoso|");
            assertThat(r.value().getInputTokens()).isEqualTo(1004);
            assertThat(r.value().getRevision()).isEqualTo(1);
        });
        assertThat(harness.metrics.registry().get("tokenmeter.revisions").tag("kind", "window-1m").counter().count()).isEqualTo(1.0);

        // two hours old: its minute is no longer kept (1 hour), its hour and day are
        harness.usage(usage("old", "2025-06-03T09:30:00Z").setInputTokens(70).build());
        // three days old: older than every window kept
        harness.usage(usage("ancient", "2025-05-31T12:00:00Z").setInputTokens(999_999).build());

        List<TestRecord<byte[], byte[]>> dead = harness.output(harness.topics.dlq()).readRecordsToList();
        assertThat(dead).singleElement().satisfies(r -> {
            assertThat(DeadLetters.header(r.headers(), DeadLetters.REASON)).isEqualTo(DeadLetters.LATE);
            assertThat(DeadLetters.header(r.headers(), DeadLetters.SOURCE_TOPIC)).isEqualTo(harness.topics.usage().name());
            assertThat(DeadLetters.header(r.headers(), DeadLetters.DETAIL)).contains("older than every window kept");
            assertThat(harness.topics.usage().valueSerde().deserializer().deserialize("x", r.value()).getEventId()).isEqualTo("ancient");
        });
        assertThat(harness.metrics.total("tokenmeter.late.records")).isEqualTo(1.0);

        harness.usage(usage("close", "2025-06-04T12:00:00Z").build());
        Map<String, Long> latest = new HashMap<>();
        harness.output(harness.topics.usageWindows()).readRecordsToList()
                .forEach(r -> latest.put(r.key(), r.value().getInputTokens()));
        assertThat(latest).containsEntry(latestKey("1h", "2025-06-03T11:00:00Z"), 1004L)
                .containsEntry(latestKey("1h", "2025-06-03T09:00:00Z"), 70L)
                .containsEntry(latestKey("1d", "2025-06-03T00:00:00Z"), 1004L + 1000 + 70)
                .doesNotContainKey(latestKey("1m", "2025-06-03T09:30:00Z"));
        // every call is still priced: usage.priced is the record of every call
        assertThat(harness.output(harness.topics.pricedUsage()).readValuesToList()).extracting(p -> p.getUsage().getEventId())
                .contains("late", "old", "ancient");
    }

    private static String latestKey(String size, String start) {
        return size + "|" + start + "|contoso|support-copilot|ticket-triage|cc-support|triage-agent|gpt-4o|gpt-4o-prod|USD";
    }

    @Test
    void openWindowsAreInTheStoresBeforeTheyClose() {
        harness.prices(gpt4o());
        harness.usage(usage("a", "2025-06-01T10:00:00Z").setInputTokens(10).build(), usage("b", "2025-06-01T10:30:00Z").setInputTokens(5).build());

        KeyValueStore<Bytes, UsageTotals> hours = harness.driver.getKeyValueStore(WindowSize.ONE_HOUR.storeName());
        try (KeyValueIterator<Bytes, UsageTotals> all = hours.all()) {
            KeyValue<Bytes, UsageTotals> only = all.next();
            assertThat(WindowKey.start(only.key)).isEqualTo(Instant.parse("2025-06-01T10:00:00Z").toEpochMilli());

            assertThat(only.value.inputTokens).isEqualTo(15);
            assertThat(all.hasNext()).isFalse();
        }
        // stream time 10:30 closed the 10:00 minute (end 10:01 + grace), but not the hour
        assertThat(harness.output(harness.topics.usageWindows()).readValuesToList()).extracting(UsageWindow::getWindowSize).containsExactly("1m");
    }

    @Test
    void everyWindowSizeSumsExactlyToThePricedEventsOnALargeDataset() {
        harness.close();
        harness = new TopologyHarness(Map.of(TokenmeterConfig.WINDOW_GRACE, Duration.ofMinutes(2).toMillis()));
        harness.prices(gpt4o(), price("gpt-4.1-mini", "datazone", "*", null, "2025-01-01T00:00:00Z", "0.44", "0.11", "1.76", null),
                price("o4-mini", "global", "*", null, "2025-01-01T00:00:00Z", "1.10", "0.275", "4.40", null),
                price("gpt-4o", "global", "*", null, "2025-06-01T12:00:00Z", "2.00", "1.00", "8.00", null));
        Random random = new Random(7);
        String[] tenants = {"contoso", "fabrikam", "northwind", "tailspin"};
        String[][] models = {{"gpt-4o", "global"}, {"gpt-4.1-mini", "datazone"}, {"o4-mini", "global"}, {"gpt-x", "global"}};
        int[] statuses = {200, 200, 200, 200, 200, 200, 429, 400, 408, 401};
        Instant time = Instant.parse("2025-06-01T00:00:00Z");
        List<UsageEvent> events = new ArrayList<>();
        for (int i = 0; i < 30_000; i++) {
            time = time.plusMillis(random.nextInt(6000));
            // a few arrive out of order, some beyond the grace
            Instant eventTime = random.nextInt(50) == 0 ? time.minusSeconds(random.nextInt(400)) : time;
            String[] model = models[random.nextInt(models.length)];
            long input = random.nextInt(20_000);
            long output = random.nextInt(3_000);
            events.add(usage("e" + i, eventTime.toString()).setTenant(tenants[random.nextInt(tenants.length)])
                    .setAgent("agent-" + random.nextInt(5)).setModel(model[0]).setDeploymentType(model[1])
                    .setInputTokens(input).setCachedInputTokens(random.nextInt((int) input + 1))
                    .setOutputTokens(output).setReasoningTokens(random.nextInt((int) output + 1))
                    .setStatusCode(statuses[random.nextInt(statuses.length)]).build());
        }
        events.forEach(harness::usage);
        harness.usage(usage("closer", "2025-07-01T00:00:00Z").setTenant("closer").build());

        List<PricedUsage> priced = harness.output(harness.topics.pricedUsage()).readValuesToList();
        assertThat(harness.output(harness.topics.dlq()).readRecordsToList()).as("no call is older than every window kept").isEmpty();
        assertThat(harness.metrics.total("tokenmeter.revisions")).as("some calls must come after their window for this test to mean something")
                .isPositive();
        Map<String, long[]> expected = new HashMap<>();
        for (PricedUsage p : priced) {
            if (p.getUsage().getTenant().equals("closer")) {
                continue;
            }
            long[] sums = expected.computeIfAbsent("all", k -> new long[5]);
            sums[0] += p.getCostNanos();
            sums[1] += 1;
            sums[2] += p.getUsage().getInputTokens();
            sums[3] += p.getPriced() ? 0 : 1;
            sums[4] += p.getBilled() ? 1 : 0;
        }
        // a revision replaces the record before it: the latest record of each key is the window
        Map<String, UsageWindow> latest = new HashMap<>();
        harness.output(harness.topics.usageWindows()).readRecordsToList().forEach(r -> latest.put(r.key(), r.value()));
        List<UsageWindow> windows = List.copyOf(latest.values());
        for (String size : List.of("1m", "1h", "1d")) {
            long[] actual = new long[5];
            windows.stream().filter(w -> w.getWindowSize().equals(size) && !w.getTenant().equals("closer")).forEach(w -> {
                actual[0] += w.getCostNanos();
                actual[1] += w.getRequests();
                actual[2] += w.getInputTokens();
                actual[3] += w.getUnpricedRequests();
                actual[4] += w.getBilledRequests();
            });
            assertThat(actual).as("sums of the %s windows", size).containsExactly(expected.get("all"));
        }
        assertThat(expected.get("all")[3]).as("unpriced calls are counted").isPositive();
    }
}
