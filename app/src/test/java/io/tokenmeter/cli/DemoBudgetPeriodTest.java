package io.tokenmeter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.tokenmeter.budget.BudgetTopology;
import io.tokenmeter.budget.BudgetsApi;
import io.tokenmeter.budgets.BudgetSpecs;
import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.demo.DemoWorkload;
import io.tokenmeter.demo.ManualClock;
import io.tokenmeter.demo.ReplayClock;
import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertStatus;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.event.Budget;
import io.tokenmeter.event.BudgetStatus;
import io.tokenmeter.event.PriceEntry;
import io.tokenmeter.prices.PriceCatalogs;
import io.tokenmeter.registry.InMemorySchemaRegistry;
import io.tokenmeter.service.DeadLetterHandler;
import io.tokenmeter.service.StreamsDefaults;
import io.tokenmeter.service.TokenmeterTopology;
import io.tokenmeter.http.HttpApi;
import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.topics.TopicCatalog;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The demo's budgets live in the replayed day, whatever day the demo runs on: the demo is set up with its wall clock
 * fixed at a chosen date, and its budgets and a day of its workload go through the whole topology (prices, usage,
 * budgets) with the clock the demo gives the service. cc-legal's spend must count in the period of the replayed time,
 * its surge must cross 50 % of that period's budget, and the API must answer for that period.
 */
class DemoBudgetPeriodTest {

    private static final String LEGAL = "costCenter:cc-legal";
    private static final String LEGAL_TENANT = "tailspin";
    private static final double SPEED = 1440;
    private static final Duration TICK = Duration.ofSeconds(1);

    @TempDir
    Path stateDir;

    @ParameterizedTest(name = "run on {0}, --start {1}")
    @CsvSource(nullValues = "default", value = {
        // the day of the run (a replay of Dec 5-6) and DemoCommandIT's pinned November day, replayed in December
        "2026-12-06T09:41:00Z, default",
        "2026-12-06T09:41:00Z, 2026-11-14T16:00:00Z",
        // the last day of a month: the replay starts the day before
        "2027-01-31T23:30:00Z, default",
        // the first day of a month: the replay starts in February and the surge begins at midnight on March 1
        "2027-03-01T10:30:00Z, default"})
    void ccLegalSpendsItsSurgeInTheBudgetPeriodOfTheReplayedDay(Instant runOn, Instant start) throws Exception {
        ManualClock wall = new ManualClock(runOn);
        DemoCommand demo = new DemoCommand();
        demo.speed = SPEED;
        demo.start = start;
        demo.wall = wall;
        ReplayClock replay = demo.replayClock();
        List<Budget> budgets = DemoWorkload.budgets(replay);
        Instant surge = replay.start().plus(DemoWorkload.INCIDENTS.get(2).offset());

        assertThat(budgets).allSatisfy(b -> assertThat(b.getUpdatedAt()).isEqualTo(replay.start()));

        TokenmeterConfig config = TokenmeterConfig.of(Map.of(TokenmeterConfig.APPLICATION_ID, "demo-budget-period",
                TokenmeterConfig.STATE_DIR, stateDir.toString(),
                TokenmeterConfig.TOPIC_PARTITIONS, 1)); // the driver has one partition per topic: one task per stage
        TopicCatalog topics = new TopicCatalog("demo.", new InMemorySchemaRegistry("demo"), 1);
        Properties props = StreamsDefaults.properties(config, topics);
        PipelineMetrics metrics = PipelineMetrics.standalone();
        props.put(DeadLetterHandler.METRICS_CONFIG, metrics);
        try (TopologyTestDriver driver = new TopologyTestDriver(TokenmeterTopology.build(topics, config, props, replay, metrics), props, runOn)) {
            TestInputTopic<String, PriceEntry> prices = driver.createInputTopic(topics.prices().name(),
                    topics.prices().keySerde().serializer(), topics.prices().valueSerde().serializer());
            PriceCatalogs.defaultCatalog().entries().forEach(e -> prices.pipeInput(PriceCatalogs.key(e), e, runOn));
            // published as the demo publishes them: the record's time is the producer's, the wall clock's
            TestInputTopic<String, Budget> budgetTopic = driver.createInputTopic(topics.budgets().name(),
                    topics.budgets().keySerde().serializer(), topics.budgets().valueSerde().serializer());
            budgets.forEach(b -> budgetTopic.pipeInput(BudgetSpecs.scopeOf(b).key(), b, runOn));

            // the workload as WorkloadRunner plays it, a wall second (24 replayed minutes) at a time; only
            // cc-legal's tenant, whose calls are all its spend (the other tenants' would only make the test slower)
            TestInputTopic<byte[], byte[]> raw = driver.createInputTopic(topics.ingestRaw().name(),
                    topics.ingestRaw().keySerde().serializer(), topics.ingestRaw().valueSerde().serializer());
            DemoWorkload workload = new DemoWorkload(42, replay.start()); // the default --seed
            replay.play();
            while (replay.instant().isBefore(replay.end())) {
                wall.advance(TICK);
                for (DemoWorkload.Event event : workload.advanceTo(replay.instant())) {
                    if (event.tenant().equals(LEGAL_TENANT)) {
                        raw.pipeInput(event.tenant().getBytes(StandardCharsets.UTF_8), event.json(), event.time());
                    }
                }
                driver.advanceWallClockTime(TICK);
            }
            driver.advanceWallClockTime(Duration.ofSeconds(1));

            List<BudgetStatus> statuses = driver.createOutputTopic(topics.budgetStatus().name(), topics.budgetStatus().keySerde().deserializer(),
                            topics.budgetStatus().valueSerde().deserializer()).readRecordsToList().stream()
                    .filter(r -> LEGAL.equals(r.key()) && r.value() != null).map(TestRecord::value).toList();
            List<BudgetStatus> spending = statuses.stream().filter(s -> s.getSpentNanos() > 0).toList();
            assertThat(spending).as("cc-legal's statuses with spend").isNotEmpty();
            // from the first call on, every status is of a period that contains the replayed time it was judged at
            assertThat(spending).allSatisfy(s -> {
                assertThat(s.getUpdatedAt()).isBetween(replay.start(), replay.end());
                assertThat(s.getUpdatedAt()).isAfterOrEqualTo(s.getPeriodStart()).isBefore(s.getPeriodEnd());
            });
            assertThat(month(spending.get(0).getPeriodStart())).isEqualTo(month(replay.start()));
            BudgetStatus last = statuses.get(statuses.size() - 1);
            assertThat(month(last.getPeriodStart())).isEqualTo(month(surge));
            assertThat(last.getSpentNanos()).as("the surge alone is about $45 of the $70").isGreaterThan(last.getAmountNanos() / 2);

            List<Alert> alerts = driver.createOutputTopic(topics.alerts().name(), topics.alerts().keySerde().deserializer(),
                    topics.alerts().valueSerde().deserializer()).readValuesToList();
            // what the demo's scripted incident looks for: the threshold alert within four hours of the surge's start
            assertThat(alerts).filteredOn(a -> a.getType() == AlertType.BUDGET_THRESHOLD && a.getStatus() == AlertStatus.FIRING)
                    .filteredOn(a -> a.getDedupKey().equals("budget-threshold|" + LEGAL + "|" + month(surge) + "|50"))
                    .singleElement()
                    .satisfies(a -> assertThat(a.getDetectedAt()).isAfterOrEqualTo(surge).isBefore(surge.plus(Duration.ofHours(4))));

            // the service's API asks the same clock: at the end of the replay, it answers for the replayed period, spend counted
            KeyValueStore<String, BudgetStatus> store = driver.getKeyValueStore(BudgetTopology.STATUS_STORE);
            BudgetsApi api = new BudgetsApi(() -> store, replay, () -> true);
            JsonNode legal = HttpApi.JSON.readTree(api.quota(new HttpApi.Request("GET", "/api/quota/costCenter/cc-legal",
                    Map.of("scopeType", "costCenter", "scopeValue", "cc-legal"), Map.of())).body());
            assertThat(legal.get("periodStart").asText()).isEqualTo(month(surge).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant().toString());
            assertThat(legal.get("updatedAt").isNull()).as("counted").isFalse();
            assertThat(new BigDecimal(legal.get("spentUsd").asText())).isGreaterThan(new BigDecimal("35"));
        }
    }

    private static YearMonth month(Instant time) {
        return YearMonth.from(time.atZone(ZoneOffset.UTC));
    }
}
