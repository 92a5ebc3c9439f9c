package io.tokenmeter.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.cli.CliRun;
import io.tokenmeter.embedded.SharedKafka;
import io.tokenmeter.event.Budget;
import io.tokenmeter.event.BudgetAction;
import io.tokenmeter.event.BudgetPeriod;
import io.tokenmeter.event.BudgetScopeType;
import io.tokenmeter.service.StreamsService;
import io.tokenmeter.topics.Topic;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** `tokenmeter budgets set`, `load`, `remove` and `list` against the embedded broker and registry, as a user runs them. */
@ExtendWith(SharedKafka.class)
class BudgetsCommandIT {

    private static CliRun run(ServiceFixture fixture, String... args) {
        return CliRun.onCluster(fixture.cluster, fixture.topics.prefix(), args);
    }

    /** The topics of a fresh prefix, created as `tokenmeter run` creates them; the service itself is not started. */
    private static ServiceFixture prepare(SharedKafka.Cluster cluster, String name) {
        ServiceFixture fixture = new ServiceFixture(cluster, name, Map.of());
        StreamsService.createTopics(fixture.config, fixture.topics);
        return fixture;
    }

    private static List<ConsumerRecord<String, Budget>> records(ServiceFixture fixture, int expected) {
        Topic<String, Budget> budgets = fixture.topics.budgets();
        return fixture.readExactly(budgets.name(), budgets.keySerde().deserializer(), budgets.valueSerde().deserializer(), expected);
    }

    @Test
    void setLoadRemoveAndListWorkOnTheCompactedTopic(SharedKafka.Cluster cluster, @TempDir Path dir) throws Exception {
        try (ServiceFixture fixture = prepare(cluster, "budgets-cli")) {
            String topic = fixture.topics.budgets().name();
            CliRun empty = run(fixture, "budgets", "list");
            assertThat(empty.exit()).as(empty.err()).isZero();
            assertThat(empty.out()).isEqualTo("no budgets on " + topic + System.lineSeparator());

            Instant before = Instant.now().minusMillis(1);
            CliRun set = run(fixture, "budgets", "set", "--scope", "tenant:contoso", "--period", "month", "--amount", "1000",
                    "--time-zone", "Europe/Berlin");
            assertThat(set.exit()).as(set.err()).isZero();
            assertThat(set.out()).isEqualTo("budget tenant:contoso: 1,000.00 USD per month (Europe/Berlin), warn at 50/80/100 %, "
                    + "WARN at 100 % -> topic " + topic + System.lineSeparator());

            Path file = Files.writeString(dir.resolve("budgets.jsonl"), """
                    {"scope":"costCenter:cc-legal","period":"quarter","amount":"12500.50","currency":"EUR","thresholds":[90,75],"action":"BLOCK"}
                    {"scope":"agent:planner","period":"year","amount":250}
                    """);
            CliRun load = run(fixture, "budgets", "load", file.toString());
            assertThat(load.exit()).as(load.err()).isZero();
            assertThat(load.out()).contains("budget costCenter:cc-legal: 12,500.50 EUR per quarter (UTC), warn at 75/90 %, BLOCK at 100 %")
                    .contains("budget agent:planner: 250.00 USD per year (UTC), warn at 50/80/100 %, WARN at 100 %")
                    .endsWith("loaded 2 budget(s) into " + topic + System.lineSeparator());

            CliRun replace = run(fixture, "budgets", "set", "--scope", "tenant:contoso", "--period", "month", "--amount", "1500",
                    "--action", "block", "--thresholds", "100,90");
            assertThat(replace.exit()).as(replace.err()).isZero();

            CliRun remove = run(fixture, "budgets", "remove", "--scope", "costCenter:cc-legal");
            assertThat(remove.exit()).as(remove.err()).isZero();
            assertThat(remove.out()).isEqualTo("removed budget costCenter:cc-legal: 12,500.50 EUR per quarter (UTC), warn at 75/90 %, "
                    + "BLOCK at 100 % -> tombstone on topic " + topic + System.lineSeparator());

            List<ConsumerRecord<String, Budget>> records = records(fixture, 5);
            assertThat(records).extracting(ConsumerRecord::key)
                    .containsExactly("tenant:contoso", "costCenter:cc-legal", "agent:planner", "tenant:contoso", "costCenter:cc-legal");
            Budget first = records.get(0).value();
            assertThat(first.getScopeType()).isEqualTo(BudgetScopeType.TENANT);
            assertThat(first.getScopeValue()).isEqualTo("contoso");
            assertThat(first.getPeriod()).isEqualTo(BudgetPeriod.MONTH);
            assertThat(first.getAmountNanos()).isEqualTo(1_000_000_000_000L);
            assertThat(first.getCurrency()).isEqualTo("USD");
            assertThat(first.getThresholdsPercent()).containsExactly(50, 80, 100);
            assertThat(first.getAction()).isEqualTo(BudgetAction.WARN);
            assertThat(first.getTimeZone()).isEqualTo("Europe/Berlin");
            assertThat(first.getUpdatedAt()).isAfter(before).isBeforeOrEqualTo(Instant.now());
            Budget legal = records.get(1).value();
            assertThat(legal.getScopeType()).isEqualTo(BudgetScopeType.COST_CENTER);
            assertThat(legal.getAmountNanos()).isEqualTo(12_500_500_000_000L);
            assertThat(legal.getCurrency()).isEqualTo("EUR");
            assertThat(legal.getThresholdsPercent()).containsExactly(75, 90);
            assertThat(records.get(2).value().getAmountNanos()).isEqualTo(250_000_000_000L);
            Budget replaced = records.get(3).value();
            assertThat(replaced.getAmountNanos()).isEqualTo(1_500_000_000_000L);
            assertThat(replaced.getAction()).isEqualTo(BudgetAction.BLOCK);
            assertThat(replaced.getThresholdsPercent()).containsExactly(90, 100);
            assertThat(replaced.getTimeZone()).as("a set replaces the whole budget").isEqualTo("UTC");
            assertThat(records.get(4).value()).as("removal is a tombstone").isNull();

            CliRun list = run(fixture, "budgets", "list");
            assertThat(list.exit()).as(list.err()).isZero();
            List<String> lines = list.out().lines().toList();
            assertThat(lines).hasSize(4);
            assertThat(lines.get(0)).matches("scope\\s+period\\s+amount\\s+currency\\s+thresholds %\\s+action\\s+time zone\\s+updated");
            assertThat(lines.get(1)).matches("agent:planner\\s+year\\s+250\\.00\\s+USD\\s+50/80/100\\s+WARN\\s+UTC\\s+\\d{4}-\\d\\d-\\d\\dT[\\d:]{8}Z");
            assertThat(lines.get(2)).matches("tenant:contoso\\s+month\\s+1,500\\.00\\s+USD\\s+90/100\\s+BLOCK\\s+UTC\\s+\\d{4}-\\d\\d-\\d\\dT[\\d:]{8}Z");
            assertThat(lines.get(3)).isEqualTo("2 budget(s)");
            assertThat(lines.get(1).indexOf("250.00") + "250.00".length()).as("amounts are right-aligned")
                    .isEqualTo(lines.get(2).indexOf("1,500.00") + "1,500.00".length());

            CliRun again = run(fixture, "budgets", "remove", "--scope", "costCenter:cc-legal");
            assertThat(again.exit()).isEqualTo(1);
            assertThat(again.err()).contains("error: no budget for costCenter:cc-legal on " + topic + "; nothing removed");
            assertThat(records(fixture, 5)).as("nothing more was written").hasSize(5);
        }
    }

    @Test
    void aLoadWithABadEntryPublishesNothing(SharedKafka.Cluster cluster, @TempDir Path dir) throws Exception {
        try (ServiceFixture fixture = prepare(cluster, "budgets-bad")) {
            Path file = Files.writeString(dir.resolve("budgets.json"), """
                    [{"scope":"tenant:contoso","period":"month","amount":"1000"},
                     {"scope":"tenant:fabrikam","period":"monthly","amount":"100"}]
                    """);

            CliRun load = run(fixture, "budgets", "load", file.toString());

            assertThat(load.exit()).isEqualTo(1);
            assertThat(load.err()).contains(file + ": entry 2: field 'period': must be month, quarter or year, got \"monthly\"")
                    .contains("no budgets were published");
            Topic<String, Budget> budgets = fixture.topics.budgets();
            assertThat(fixture.read(budgets.name(), budgets.keySerde().deserializer(), budgets.valueSerde().deserializer(),
                    r -> false, Duration.ofSeconds(3))).isEmpty();
            assertThat(run(fixture, "budgets", "list").out()).startsWith("no budgets on ");
        }
    }

    @Test
    void commandsOnAClusterWithoutTheTopicSayHowToCreateIt(SharedKafka.Cluster cluster) {
        try (ServiceFixture fixture = new ServiceFixture(cluster, "budgets-none", Map.of())) {
            CliRun list = run(fixture, "budgets", "list");

            assertThat(list.exit()).isEqualTo(1);
            assertThat(list.err()).contains("topic " + fixture.topics.budgets().name() + " does not exist").contains("tokenmeter run");
        }
    }
}
