package io.tokenmeter.budget;

import static io.tokenmeter.testing.Events.gpt4o;
import static io.tokenmeter.testing.Events.nanos;
import static io.tokenmeter.testing.Events.usage;
import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertStatus;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.event.Budget;
import io.tokenmeter.event.BudgetAction;
import io.tokenmeter.event.BudgetPeriod;
import io.tokenmeter.event.BudgetStatus;
import io.tokenmeter.event.QuotaAction;
import io.tokenmeter.event.Severity;
import io.tokenmeter.testing.TopologyHarness;
import io.tokenmeter.topics.BudgetScope;
import io.tokenmeter.topics.DeadLetters;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Budget tracking through the whole topology: spend per scope and period, thresholds, forecast, removal, time zones. */
class BudgetTopologyTest {

    /** One call of 1,000 gpt-4o input tokens costs $0.0025: a quarter of a $0.01 budget. */
    private static final long CALL = 2_500_000L;

    private TopologyHarness harness = new TopologyHarness();
    private TestOutputTopic<String, BudgetStatus> statusTopic;
    private TestOutputTopic<String, Alert> alertTopic;
    private final Map<String, BudgetStatus> statuses = new LinkedHashMap<>();
    private final List<Alert> budgetAlerts = new ArrayList<>();
    private int sequence;

    private void start(Map<String, ?> overrides) {
        harness.close();
        harness = new TopologyHarness(overrides);
        harness.prices(gpt4o());
        statusTopic = harness.output(harness.topics.budgetStatus());
        alertTopic = harness.output(harness.topics.alerts());
    }

    {
        start(Map.of());
    }

    @AfterEach
    void close() {
        harness.close();
    }

    private static Budget.Builder budget(String scope, String amount) {
        BudgetScope s = BudgetScope.parse(scope);
        return Budget.newBuilder().setScopeType(s.type()).setScopeValue(s.value()).setPeriod(BudgetPeriod.MONTH).setAmountNanos(nanos(amount))
                .setCurrency("USD").setThresholdsPercent(List.of(50, 80, 100)).setAction(BudgetAction.WARN).setTimeZone("UTC")
                .setUpdatedAt(Instant.parse("2026-11-10T00:00:00Z"));
    }

    private void set(Budget.Builder budget) {
        Budget b = budget.build();
        harness.input(harness.topics.budgets()).pipeInput(new BudgetScope(b.getScopeType(), b.getScopeValue()).key(), b, b.getUpdatedAt());
    }

    /** A call of {@code tokens} input tokens by contoso (cost center cc-support, agent triage-agent) at {@code time}, then a flush. */
    private void call(String time, long tokens) {
        harness.usage(usage("e" + sequence, time).setTaskId("task-" + sequence++).setInputTokens(tokens).build());
        harness.tick();
    }

    private void call(String time) {
        call(time, 1000);
    }

    /** The latest status of each budget (null once removed), and the budget alerts, written since the last read. */
    private void read() {
        for (TestRecord<String, BudgetStatus> record : statusTopic.readRecordsToList()) {
            statuses.put(record.key(), record.value());
        }
        for (Alert alert : alertTopic.readValuesToList()) {
            if (alert.getType() == AlertType.BUDGET_THRESHOLD || alert.getType() == AlertType.BUDGET_FORECAST) {
                budgetAlerts.add(alert);
            }
        }
    }

    private BudgetStatus status(String scope) {
        read();
        return statuses.get(scope);
    }

    private List<Alert> alerts() {
        read();
        return budgetAlerts;
    }

    @Test
    void eachCallCountsInTheBudgetOfEveryScopeItBelongsTo() {
        set(budget("tenant:contoso", "0.01"));
        set(budget("costCenter:cc-support", "1.00"));
        set(budget("agent:some-other-agent", "1.00"));

        call("2026-11-10T10:00:00Z");

        BudgetStatus tenant = status("tenant:contoso");
        assertThat(tenant.getSpentNanos()).isEqualTo(CALL);
        assertThat(tenant.getPercent()).isEqualTo(25.0);
        assertThat(tenant.getAction()).isEqualTo(QuotaAction.ALLOW);
        assertThat(tenant.getPeriodStart()).isEqualTo(Instant.parse("2026-11-01T00:00:00Z"));
        assertThat(tenant.getPeriodEnd()).isEqualTo(Instant.parse("2026-12-01T00:00:00Z"));
        assertThat(status("costCenter:cc-support").getSpentNanos()).isEqualTo(CALL);
        assertThat(status("agent:some-other-agent").getSpentNanos()).isZero();
    }

    @Test
    void eachThresholdFiresOncePerPeriodAndBlockComesAtTheLimit() {
        set(budget("tenant:contoso", "0.01").setAction(BudgetAction.BLOCK));

        call("2026-11-28T10:00:00Z");
        assertThat(alerts()).isEmpty();
        call("2026-11-28T10:01:00Z"); // exactly 50 %
        assertThat(alerts()).extracting(Alert::getDedupKey).containsExactly("budget-threshold|tenant:contoso|2026-11|50");
        assertThat(alerts().get(0).getSeverity()).isEqualTo(Severity.INFO);
        assertThat(alerts().get(0).getTenant()).isEqualTo("contoso");
        assertThat(status("tenant:contoso").getAction()).isEqualTo(QuotaAction.WARN);
        call("2026-11-28T10:02:00Z"); // 75 %: no threshold
        assertThat(alerts()).hasSize(1);

        call("2026-11-28T10:03:00Z"); // 100 %: 80 and 100 are both crossed
        call("2026-11-28T10:04:00Z"); // 125 %: nothing new

        assertThat(alerts()).extracting(Alert::getDedupKey).containsExactly("budget-threshold|tenant:contoso|2026-11|50",
                "budget-threshold|tenant:contoso|2026-11|80", "budget-threshold|tenant:contoso|2026-11|100");
        assertThat(alerts()).extracting(Alert::getSeverity).containsExactly(Severity.INFO, Severity.WARNING, Severity.CRITICAL);
        assertThat(alerts()).extracting(Alert::getStatus).containsOnly(AlertStatus.FIRING);
        assertThat(alerts().get(2).getMessage()).contains("tenant:contoso has spent $0.0100 of its $0.0100 monthly budget for 2026-11")
                .contains("BLOCK");
        BudgetStatus status = status("tenant:contoso");
        assertThat(status.getSpentNanos()).isEqualTo(5 * CALL);
        assertThat(status.getAction()).isEqualTo(QuotaAction.BLOCK);
        assertThat(status.getThresholdsCrossed()).containsExactly(50, 80, 100);
    }

    @Test
    void aWarnBudgetAtItsLimitTellsGatewaysWarnNotBlock() {
        set(budget("tenant:contoso", "0.005"));
        call("2026-11-10T10:00:00Z");
        call("2026-11-10T10:01:00Z");

        assertThat(status("tenant:contoso").getPercent()).isEqualTo(100.0);
        assertThat(status("tenant:contoso").getAction()).isEqualTo(QuotaAction.WARN);
    }

    @Test
    void aNewPeriodStartsFromZeroOnceTheOldOneHasEndedByTheLatenessAndLateSpendLandsInItsOwnPeriod() {
        set(budget("tenant:contoso", "0.01"));
        call("2026-11-30T23:00:00Z");
        call("2026-11-30T23:01:00Z"); // 50 % of November
        call("2026-12-01T00:05:00Z"); // December, but November is open for the 10-minute lateness
        assertThat(status("tenant:contoso").getPeriodStart()).isEqualTo(Instant.parse("2026-11-01T00:00:00Z"));
        assertThat(status("tenant:contoso").getSpentNanos()).isEqualTo(2 * CALL);

        call("2026-11-30T23:58:00Z"); // late, within the lateness: still November's
        assertThat(status("tenant:contoso").getSpentNanos()).isEqualTo(3 * CALL);

        call("2026-12-01T00:12:00Z"); // November is over

        BudgetStatus december = status("tenant:contoso");
        assertThat(december.getPeriodStart()).isEqualTo(Instant.parse("2026-12-01T00:00:00Z"));
        assertThat(december.getPeriodEnd()).isEqualTo(Instant.parse("2027-01-01T00:00:00Z"));
        assertThat(december.getSpentNanos()).isEqualTo(2 * CALL); // 00:05 and 00:12
        assertThat(alerts()).extracting(a -> a.getDedupKey() + " " + a.getStatus()).containsExactly(
                "budget-threshold|tenant:contoso|2026-11|50 FIRING",
                "budget-threshold|tenant:contoso|2026-11|50 RESOLVED",
                "budget-threshold|tenant:contoso|2026-12|50 FIRING");
        assertThat(alerts().get(1).getMessage()).contains("period 2026-11 ended with $0.0075 spent of $0.0100 (75.0 %)");
        assertThat(alerts().get(1).getDetectedAt()).isEqualTo(Instant.parse("2026-12-01T00:00:00Z"));

        call("2026-11-30T23:59:00Z"); // too late for November, and not December's
        assertThat(status("tenant:contoso").getSpentNanos()).isEqualTo(2 * CALL);
    }

    @Test
    void theForecastFiresOnceWhenTheLinearProjectionCrossesTheLimitWhileSpendIsBelowIt() {
        set(budget("tenant:contoso", "1.00").setThresholdsPercent(List.of(100)));
        call("2026-11-01T00:30:00Z", 4_000); // $0.01 in the first half hour: too early to extrapolate
        assertThat(status("tenant:contoso").getForecastNanos()).isEqualTo(nanos("0.01"));
        assertThat(status("tenant:contoso").getAction()).isEqualTo(QuotaAction.ALLOW);

        call("2026-11-10T23:45:00Z", 196_000); // $0.49 more in the last bucket before November 11 (at most $0.30 projected till then)
        harness.advanceTo(Instant.parse("2026-11-11T00:00:00Z")); // judged at that boundary: $0.50 after 10 of 30 days, on course for $1.50

        BudgetStatus status = status("tenant:contoso");
        assertThat(status.getForecastNanos()).isEqualTo(nanos("1.50"));
        assertThat(status.getAction()).isEqualTo(QuotaAction.WARN);
        assertThat(alerts()).singleElement().satisfies(a -> {
            assertThat(a.getType()).isEqualTo(AlertType.BUDGET_FORECAST);
            assertThat(a.getDedupKey()).isEqualTo("budget-forecast|tenant:contoso|2026-11");
            assertThat(a.getObserved()).isEqualTo(150.0);
            assertThat(a.getSeverity()).isEqualTo(Severity.WARNING);
            assertThat(a.getMessage()).contains("on course to spend $1.50 of its $1.00 monthly budget")
                    .contains("$0.5000 spent in 10.0 days of 30.0 days");
        });

        call("2026-11-12T00:00:00Z", 100_000); // still over: no second forecast alert
        harness.advanceTo(Instant.parse("2026-11-12T00:15:00Z"));
        assertThat(alerts()).hasSize(1);
    }

    @Test
    void theForecastIsJudgedAtEachBoundaryTheWatermarkPassesOnTheSpendBeforeIt() {
        set(budget("tenant:contoso", "1.00").setThresholdsPercent(List.of(100)));
        call("2026-11-01T00:30:00Z", 100_000); // $0.25 in the first half hour
        harness.advanceTo(Instant.parse("2026-11-01T23:45:00Z"));
        assertThat(alerts()).as("less than the minimum elapsed day: no projection yet").isEmpty();

        harness.advanceTo(Instant.parse("2026-11-02T00:00:00Z"));

        assertThat(alerts()).singleElement().satisfies(a -> {
            assertThat(a.getType()).isEqualTo(AlertType.BUDGET_FORECAST);
            assertThat(a.getObserved()).isEqualTo(750.0);
            assertThat(a.getDetectedAt()).isEqualTo(Instant.parse("2026-11-02T00:00:00Z"));
            assertThat(a.getMessage()).contains("on course to spend $7.50 of its $1.00 monthly budget").contains("$0.2500 spent in 1.0 days of 30.0 days");
        });
    }

    @Test
    void noForecastAlertOnceTheLimitIsAlreadyReached() {
        set(budget("tenant:contoso", "0.40").setThresholdsPercent(List.of(100)));
        call("2026-11-01T00:30:00Z", 4_000); // $0.01: projected at most $0.30 until November 11
        call("2026-11-10T23:45:00Z", 196_000); // $0.50 of $0.40 before the boundary that would project past the limit
        harness.advanceTo(Instant.parse("2026-11-11T00:00:00Z")); // the threshold fired, not the forecast

        assertThat(alerts()).extracting(Alert::getType).containsExactly(AlertType.BUDGET_THRESHOLD);
    }

    @Test
    void removingABudgetResolvesItsAlertsAndTombstonesItsStatus() {
        set(budget("tenant:contoso", "0.01"));
        call("2026-11-28T10:00:00Z");
        call("2026-11-28T10:01:00Z");
        assertThat(alerts()).hasSize(1);

        harness.input(harness.topics.budgets()).pipeInput("tenant:contoso", null, Instant.parse("2026-11-28T11:00:00Z"));

        read();
        assertThat(statuses).containsEntry("tenant:contoso", null);
        assertThat(alerts()).extracting(Alert::getStatus).containsExactly(AlertStatus.FIRING, AlertStatus.RESOLVED);
        assertThat(alerts().get(1).getMessage()).isEqualTo("budget for tenant:contoso was removed");

        call("2026-11-28T10:02:00Z");
        assertThat(statusTopic.readRecordsToList()).isEmpty();
    }

    @Test
    void aBudgetSetMidPeriodStartsFromThePeriodsSpendSoFar() {
        call("2026-10-31T23:00:00Z"); // October: not this budget's period
        call("2026-11-02T10:00:00Z"); // (late in the month, so the forecast stays below the limit)
        call("2026-11-28T10:00:00Z");

        set(budget("tenant:contoso", "0.01"));

        assertThat(status("tenant:contoso").getSpentNanos()).isEqualTo(2 * CALL);
        assertThat(alerts()).extracting(Alert::getDedupKey).containsExactly("budget-threshold|tenant:contoso|2026-11|50");
    }

    @Test
    void periodsAreCalendarPeriodsInTheBudgetsTimeZone() {
        set(budget("tenant:contoso", "0.01").setTimeZone("Europe/Berlin").setUpdatedAt(Instant.parse("2026-11-01T00:00:00Z")));
        call("2026-10-31T22:30:00Z"); // 23:30 on October 31 in Berlin
        call("2026-10-31T23:30:00Z"); // 00:30 on November 1 in Berlin

        BudgetStatus status = status("tenant:contoso");
        assertThat(status.getPeriodStart()).isEqualTo(Instant.parse("2026-10-31T23:00:00Z"));
        assertThat(status.getSpentNanos()).isEqualTo(CALL);
    }

    @Test
    void quarterAndYearPeriods() {
        set(budget("tenant:contoso", "0.01").setPeriod(BudgetPeriod.QUARTER));
        set(budget("costCenter:cc-support", "0.01").setPeriod(BudgetPeriod.YEAR));
        call("2026-11-10T10:00:00Z");

        assertThat(status("tenant:contoso").getPeriodStart()).isEqualTo(Instant.parse("2026-10-01T00:00:00Z"));
        assertThat(status("tenant:contoso").getPeriodEnd()).isEqualTo(Instant.parse("2027-01-01T00:00:00Z"));
        assertThat(status("costCenter:cc-support").getPeriodStart()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
    }

    @Test
    void aRecordThatIsNotAUsableBudgetIsDeadLetteredWithItsReasonAndTrackingGoesOn() {
        Budget wrongZone = budget("tenant:contoso", "0.01").setTimeZone("Mars/Olympus").build();
        harness.input(harness.topics.budgets()).pipeInput("tenant:contoso", wrongZone);
        harness.input(harness.topics.budgets()).pipeInput("tenant:fabrikam", budget("tenant:contoso", "0.01").build());

        List<TestRecord<byte[], byte[]>> dead = harness.output(harness.topics.dlq()).readRecordsToList();
        assertThat(dead).hasSize(2);
        assertThat(detail(dead.get(0))).contains("timeZone 'Mars/Olympus' is not an IANA time zone");
        assertThat(detail(dead.get(1))).contains("budget key 'tenant:fabrikam' is not the budget's scope 'tenant:contoso'");
        assertThat(new String(dead.get(0).headers().lastHeader(DeadLetters.REASON).value(), StandardCharsets.UTF_8))
                .isEqualTo(DeadLetters.PROCESSING);

        set(budget("tenant:contoso", "0.01"));
        call("2026-11-10T10:00:00Z");
        assertThat(status("tenant:contoso").getSpentNanos()).isEqualTo(CALL);
    }

    @Test
    void changingTheAmountKeepsThePeriodAndItsSpendAndFiresWhatTheNewAmountCrosses() {
        set(budget("tenant:contoso", "1.00"));
        call("2026-11-28T10:00:00Z");
        assertThat(alerts()).isEmpty();

        set(budget("tenant:contoso", "0.004").setUpdatedAt(Instant.parse("2026-11-28T10:30:00Z")));

        BudgetStatus status = status("tenant:contoso");
        assertThat(status.getSpentNanos()).isEqualTo(CALL);
        assertThat(status.getAmountNanos()).isEqualTo(nanos("0.004"));
        assertThat(alerts()).extracting(Alert::getDedupKey).containsExactly("budget-threshold|tenant:contoso|2026-11|50");
    }

    @Test
    void spendInAnotherCurrencyDoesNotCountAgainstTheBudget() {
        set(budget("tenant:contoso", "0.01").setCurrency("EUR"));
        call("2026-11-10T10:00:00Z");

        assertThat(status("tenant:contoso").getSpentNanos()).isZero();
    }

    @Test
    void spendIsSentOnWhenTheFlushIntervalHasPassed() {
        start(Map.of(TokenmeterConfig.BUDGET_FLUSH_INTERVAL, 5_000L)); // a tick is a second
        set(budget("tenant:contoso", "0.01"));
        read();
        harness.usage(usage("e1", "2026-11-10T10:00:00Z").setInputTokens(1000).build());
        harness.tick();
        assertThat(status("tenant:contoso").getSpentNanos()).isZero();

        for (int i = 0; i < 4; i++) {
            harness.tick();
        }
        assertThat(status("tenant:contoso").getSpentNanos()).isEqualTo(CALL);
    }

    private static String detail(TestRecord<byte[], byte[]> record) {
        return new String(record.headers().lastHeader(DeadLetters.DETAIL).value(), StandardCharsets.UTF_8);
    }

}
