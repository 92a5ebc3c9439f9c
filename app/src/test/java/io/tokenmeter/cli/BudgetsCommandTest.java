package io.tokenmeter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.budgets.BudgetSpecs;
import io.tokenmeter.event.Budget;
import io.tokenmeter.event.BudgetAction;
import io.tokenmeter.event.BudgetPeriod;
import io.tokenmeter.event.BudgetScopeType;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** `tokenmeter budgets` without a cluster: reading the options and files, and refusing bad input before any Kafka. */
class BudgetsCommandTest {

    private static final Instant NOW = Instant.parse("2026-11-22T09:00:00Z");

    /**
     * A port nothing listens on: a command that got as far as Kafka would add "cannot reach Kafka" to its errors, so
     * the exact error output below shows that bad input stops it before any connection.
     */
    private static String nowhere;

    @BeforeAll
    static void findAClosedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            nowhere = "127.0.0.1:" + socket.getLocalPort();
        }
    }

    private static CliRun run(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--bootstrap-servers", nowhere, "--schema-registry", "mock://budgets-test"));
        return CliRun.run(all.toArray(String[]::new));
    }

    private static BudgetSpecs.Parsed parseSet(String... args) {
        BudgetsCommand.SetBudget set = new BudgetsCommand.SetBudget();
        new CommandLine(set).parseArgs(args);
        return set.parse(NOW);
    }

    @Test
    void setReadsItsOptionsIntoABudgetWithTheDefaults() {
        BudgetSpecs.Parsed parsed = parseSet("--scope", "tenant:contoso", "--period", "month", "--amount", "1000");

        assertThat(parsed.problems()).isEmpty();
        Budget budget = parsed.budget();
        assertThat(budget.getScopeType()).isEqualTo(BudgetScopeType.TENANT);
        assertThat(budget.getScopeValue()).isEqualTo("contoso");
        assertThat(budget.getPeriod()).isEqualTo(BudgetPeriod.MONTH);
        assertThat(budget.getAmountNanos()).isEqualTo(1_000_000_000_000L);
        assertThat(budget.getCurrency()).isEqualTo("USD");
        assertThat(budget.getThresholdsPercent()).containsExactly(50, 80, 100);
        assertThat(budget.getAction()).isEqualTo(BudgetAction.WARN);
        assertThat(budget.getTimeZone()).isEqualTo("UTC");
        assertThat(budget.getUpdatedAt()).isEqualTo(NOW);
    }

    @Test
    void setReadsEveryOption() {
        BudgetSpecs.Parsed parsed = parseSet("--scope", "agent:planner", "--period", "YEAR", "--amount", "12.50", "--currency", "EUR",
                "--thresholds", "100,75,75", "--action", "block", "--time-zone", "Europe/Berlin");

        assertThat(parsed.problems()).isEmpty();
        Budget budget = parsed.budget();
        assertThat(BudgetSpecs.scopeOf(budget).key()).isEqualTo("agent:planner");
        assertThat(budget.getPeriod()).isEqualTo(BudgetPeriod.YEAR);
        assertThat(budget.getAmountNanos()).isEqualTo(12_500_000_000L);
        assertThat(budget.getCurrency()).isEqualTo("EUR");
        assertThat(budget.getThresholdsPercent()).containsExactly(75, 100);
        assertThat(budget.getAction()).isEqualTo(BudgetAction.BLOCK);
        assertThat(budget.getTimeZone()).isEqualTo("Europe/Berlin");
    }

    @Test
    void setNamesEveryBadOptionAndSendsNothing() {
        CliRun run = run("budgets", "set", "--scope", "tenant", "--period", "weekly", "--amount", "0", "--currency", "usd",
                "--thresholds", "0,80", "--action", "stop", "--time-zone", "Mars/Base");

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err().lines().toList()).containsExactly(
                "error: --scope: scope 'tenant' is not TYPE:VALUE, as in tenant:contoso (types: tenant, costCenter, application, agent)",
                "error: --period: must be month, quarter or year, got \"weekly\"",
                "error: --amount: must be greater than 0, got 0",
                "error: --currency: must be an ISO 4217 code of 3 upper-case letters, got \"usd\"",
                "error: --thresholds: must each be between 1 and 1000 %, got 0",
                "error: --action: must be WARN or BLOCK, got \"stop\"",
                "error: --time-zone: must be a time zone such as UTC or Europe/Berlin, got \"Mars/Base\"");
        assertThat(run.out()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"12.0000000001", "1,000", "ten", "-3"})
    void setRefusesAnAmountItCannotKeepExactly(String amount) {
        CliRun run = run("budgets", "set", "--scope", "tenant:contoso", "--period", "month", "--amount", amount);

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err().lines().toList()).singleElement().asString().startsWith("error: --amount: ").doesNotContain("Exception");
    }

    @Test
    void aMissingRequiredOptionIsAUsageError() {
        CliRun run = run("budgets", "set", "--scope", "tenant:contoso", "--period", "month");

        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).startsWith("Missing required option: '--amount=DECIMAL'");
    }

    @Test
    void loadWithABadEntryReportsItsIndexAndPublishesNothing(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("budgets.json"), """
                [{"scope":"tenant:contoso","period":"month","amount":"1000"},
                 {"scope":"tenant:fabrikam","period":"month","amount":"0"},
                 {"scope":"agent:planner","period":"quarter","amount":"50","action":"halt"}]
                """);

        CliRun run = run("budgets", "load", file.toString());

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err().lines().toList()).containsExactly(
                file + ": entry 2: field 'amount': must be greater than 0, got 0",
                file + ": entry 3: field 'action': must be WARN or BLOCK, got \"halt\"",
                "error: 2 problem(s) in " + file + " (listed above); no budgets were published");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void loadNamesABadLineOfJsonLines(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("budgets.jsonl"), """
                {"scope":"tenant:contoso","period":"month","amount":"1000"}
                {"scope":"tenant:fabrikam","period":"month","amount":"100","timeZone":"Berlin"}
                """);

        CliRun run = run("budgets", "load", file.toString());

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err().lines().toList()).containsExactly(
                file + ": line 2: field 'timeZone': must be a time zone such as UTC or Europe/Berlin, got \"Berlin\"",
                "error: 1 problem(s) in " + file + " (listed above); no budgets were published");
    }

    @Test
    void loadOfAMissingOrEmptyFileSaysSo(@TempDir Path dir) throws IOException {
        CliRun missing = run("budgets", "load", dir.resolve("nope.json").toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).isEqualTo("error: no such file: " + dir.resolve("nope.json") + System.lineSeparator());

        Path empty = Files.writeString(dir.resolve("empty.json"), "[]");
        CliRun none = run("budgets", "load", empty.toString());
        assertThat(none.exit()).isEqualTo(1);
        assertThat(none.err()).contains("error: no budgets in " + empty);
    }

    @Test
    void removeRefusesABadScopeBeforeKafka() {
        CliRun run = run("budgets", "remove", "--scope", "team:red");

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("error: --scope: unknown scope type 'team': one of tenant, costCenter, application, agent"
                + System.lineSeparator());
    }

    @ParameterizedTest
    @ValueSource(strings = {"set", "load", "remove", "list"})
    void everySubcommandShowsExamples(String subcommand) {
        CliRun help = CliRun.run("budgets", subcommand, "--help");

        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("Examples:").contains("  tokenmeter budgets " + subcommand + " ");
        assertThat(help.out().lines()).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(120));
    }
}
