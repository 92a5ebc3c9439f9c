package io.tokenmeter.budget;

import io.tokenmeter.anomaly.Alerts;
import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.event.Budget;
import io.tokenmeter.event.BudgetAction;
import io.tokenmeter.event.BudgetScopeType;
import io.tokenmeter.event.BudgetStatus;
import io.tokenmeter.event.QuotaAction;
import io.tokenmeter.event.Severity;
import io.tokenmeter.streams.EventTime;
import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.streams.StoreScan;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Tracks every budget of the scopes this task hosts: spend per period by event time, thresholds, the linear forecast
 * and the gateway action, written to {@code budget-status} on every change, with BUDGET_THRESHOLD and BUDGET_FORECAST
 * alerts. Spend of every scope is also kept per 15-minute bucket, so a budget that is set, or moves to a new period,
 * starts from the spend its period already has.
 *
 * <p>Time is this task's watermark ({@link EventTime}): the low watermark over every upstream partition, which each
 * sends after the spend before it. A budget is evaluated at every 15-minute boundary the watermark passes, in order: its
 * current period is the one that contains the boundary (a period ends there, its alerts resolve, the next one starts
 * from its own spend so far), the forecast is judged on the spend before the boundary, and its status is written. So
 * which periods, forecasts and final statuses a budget has depends on the data, not on which partition ran ahead.
 * Thresholds fire as soon as spend reaches them (spend only grows within a period, so the set is the same in every run).
 */
final class BudgetProcessor extends ContextualProcessor<String, BudgetSignal, String, BudgetProcessor.Output> {

    /** What the processor writes: a budget's status (null: the budget was removed), or an alert. */
    sealed interface Output {
    }

    record StatusOut(BudgetStatus status) implements Output {
    }

    record AlertOut(Alert alert) implements Output {
    }

    static final String STATE_STORE = "budget-state-store";
    static final String HISTORY_STORE = "budget-spend-history-store";
    private static final long DAY = Duration.ofDays(1).toMillis();
    private static final byte SEPARATOR = 0x1F;

    private final BudgetSettings settings;
    private final PipelineMetrics metrics;
    static final String STAGE = "budget";
    private static final long BUCKET = SpendPartials.BUCKET;
    private final EventTime.Settings eventTimeSettings;
    private EventTime eventTime;
    private long evaluatedTo = Long.MIN_VALUE;
    private long purgedDay = Long.MIN_VALUE;
    private KeyValueStore<String, BudgetState> budgets;
    private KeyValueStore<Bytes, Long> history;

    BudgetProcessor(BudgetSettings settings, PipelineMetrics metrics, EventTime.Settings eventTimeSettings) {
        this.settings = settings;
        this.metrics = metrics;
        this.eventTimeSettings = eventTimeSettings;
    }

    @Override
    public void init(ProcessorContext<String, Output> context) {
        super.init(context);
        budgets = context.getStateStore(STATE_STORE);
        history = context.getStateStore(HISTORY_STORE);
        eventTime = EventTime.of(context, STAGE, eventTimeSettings);
        if (eventTime.watermark() != EventTime.UNKNOWN) {
            evaluatedTo = Math.floorDiv(eventTime.watermark(), BUCKET) * BUCKET; // each budget keeps how far it was evaluated
        }
    }

    @Override
    public void process(Record<String, BudgetSignal> record) {
        if (eventTime.absorb(record)) {
            long now = eventTime.watermark();
            if (now != EventTime.UNKNOWN && Math.floorDiv(now, BUCKET) * BUCKET > evaluatedTo) {
                evaluatedTo = Math.floorDiv(now, BUCKET) * BUCKET;
                advance(evaluatedTo);
            }
            return;
        }
        String scope = record.key();
        BudgetSignal signal = record.value();
        if (signal instanceof BudgetSignal.Spend spend) {
            onSpend(scope, spend);
        } else if (signal instanceof BudgetSignal.Defined defined) {
            onDefined(scope, defined.budget(), record.timestamp());
        } else {
            onRemoved(scope, record.timestamp());
        }
    }

    private void onSpend(String scope, BudgetSignal.Spend spend) {
        Bytes key = historyKey(scope, spend.currency(), spend.bucket());
        Long before = history.get(key);
        history.put(key, (before == null ? 0L : before) + spend.nanos());
        BudgetState state = budgets.get(scope);
        if (state == null || !state.budget.getCurrency().equals(spend.currency())) {
            return; // kept in the history for a budget set later
        }
        if (spend.bucket() >= state.periodStart && spend.bucket() < state.periodEnd) {
            state.spent += spend.nanos();
            if (state.evaluatedTo != Long.MIN_VALUE && spend.bucket() < state.evaluatedTo) {
                state.spentBefore += spend.nanos(); // late spend, behind a boundary already evaluated
            }
            evaluate(scope, state, Math.max(spend.latest(), state.evaluatedTo));
            budgets.put(scope, state);
        }
        // spend of a later period is counted when that period starts; spend of an earlier one stays in the history only
    }

    private void onDefined(String scope, Budget budget, long recordTime) {
        long at = now(recordTime);
        BudgetState state = budgets.get(scope);
        boolean samePeriods = state != null && state.budget.getPeriod() == budget.getPeriod()
                && state.budget.getTimeZone().equals(budget.getTimeZone()) && state.budget.getCurrency().equals(budget.getCurrency());
        if (samePeriods) {
            state.budget = budget; // amount, thresholds or action changed: the period, its spend and its fired alerts stay
        } else {
            if (state != null) {
                resolveAll(scope, state, at, "budget for " + scope + " was changed to " + describe(budget) + "; it starts over");
            } else {
                state = new BudgetState();
            }
            state.budget = budget;
            // before any spend the budget's own time places it; the data's time moves it at the first boundary
            long reference = evaluatedTo == Long.MIN_VALUE ? budget.getUpdatedAt().toEpochMilli() : evaluatedTo;
            startPeriod(scope, state, BudgetPeriods.of(budget.getPeriod(), BudgetPeriods.zone(budget.getTimeZone()), reference));
            state.evaluatedTo = evaluatedTo;
            state.spentBefore = evaluatedTo == Long.MIN_VALUE ? 0 : spentIn(scope, budget.getCurrency(), state.periodStart, evaluatedTo);
        }
        evaluate(scope, state, at);
        budgets.put(scope, state);
    }

    private void onRemoved(String scope, long recordTime) {
        BudgetState state = budgets.get(scope);
        if (state != null) {
            resolveAll(scope, state, now(recordTime), "budget for " + scope + " was removed");
            budgets.delete(scope);
        }
        context().forward(new Record<>(scope, new StatusOut(null), now(recordTime)));
    }

    /** Evaluates every budget at each boundary up to {@code target}, in order; forgets history past its retention (daily). */
    private void advance(long target) {
        for (KeyValue<String, BudgetState> entry : StoreScan.matching(budgets, state -> state.evaluatedTo < target)) {
            String scope = entry.key;
            BudgetState state = entry.value;
            if (state.evaluatedTo == Long.MIN_VALUE) {
                // first boundary: the period the data is in, whatever time the budget was set at, judged from its start
                BudgetPeriods.Period period = periodAt(state, target);
                if (period.start() != state.periodStart) {
                    resolveAll(scope, state, target, "budget for " + scope + " follows the data's time: period " + period.label());
                    startPeriod(scope, state, period);
                }
                state.evaluatedTo = state.periodStart;
                state.spentBefore = 0;
            }
            for (long boundary = state.evaluatedTo + BUCKET; boundary <= target; boundary += BUCKET) {
                if (boundary >= state.periodEnd) {
                    resolveAll(scope, state, state.periodEnd, "period " + state.periodLabel + " ended with " + Money.of(state.spent, state.budget)
                            + " spent of " + Money.of(state.budget.getAmountNanos(), state.budget) + " (" + Money.percent(percent(state)) + ")");
                    startPeriod(scope, state, periodAt(state, boundary));
                    state.spentBefore = spentIn(scope, state.budget.getCurrency(), state.periodStart, boundary);
                } else if (boundary - BUCKET >= state.periodStart) {
                    Long bucket = history.get(historyKey(scope, state.budget.getCurrency(), boundary - BUCKET));
                    state.spentBefore += bucket == null ? 0 : bucket;
                }
                judgeForecast(scope, state, boundary);
            }
            state.evaluatedTo = target;
            evaluate(scope, state, target);
            budgets.put(scope, state);
        }
        long day = Math.floorDiv(target, DAY);
        if (day > purgedDay) {
            purgedDay = day;
            purgeHistory(target - settings.historyRetention().toMillis());
        }
    }

    private static BudgetPeriods.Period periodAt(BudgetState state, long time) {
        return BudgetPeriods.of(state.budget.getPeriod(), BudgetPeriods.zone(state.budget.getTimeZone()), time);
    }

    /** The forecast at {@code boundary}, from the spend before it: fires once a period when it reaches the amount. */
    private void judgeForecast(String scope, BudgetState state, long boundary) {
        Budget budget = state.budget;
        long forecast = forecast(state.spentBefore, state.periodStart, state.periodEnd, boundary, settings.forecastMinElapsed());
        long elapsed = boundary - state.periodStart;
        boolean extrapolates = elapsed > 0 && elapsed >= settings.forecastMinElapsed().toMillis();
        if (state.forecast == null && extrapolates && forecast >= budget.getAmountNanos() && state.spentBefore < budget.getAmountNanos()) {
            state.forecast = forecastAlert(scope, state, forecast, state.spentBefore, boundary);
            emit(state.forecast);
        }
    }

    private void startPeriod(String scope, BudgetState state, BudgetPeriods.Period period) {
        state.periodStart = period.start();
        state.periodEnd = period.end();
        state.periodLabel = period.label();
        state.spent = spentIn(scope, state.budget.getCurrency(), period);
        state.thresholds.clear();
        state.forecast = null;
    }

    /** Fires what the spend has newly reached, and writes the status. */
    private void evaluate(String scope, BudgetState state, long now) {
        Budget budget = state.budget;
        long at = Math.max(state.periodStart, Math.min(now, state.periodEnd));
        long forecast = forecast(state, at);
        for (int threshold : budget.getThresholdsPercent()) {
            if (!state.thresholds.containsKey(threshold) && reached(state.spent, budget.getAmountNanos(), threshold)) {
                Alert alert = thresholdAlert(scope, state, threshold, forecast, at);
                state.thresholds.put(threshold, alert);
                emit(alert);
            }
        }
        context().forward(new Record<>(scope, new StatusOut(status(scope, state, forecast, at)), at));
    }

    private BudgetStatus status(String scope, BudgetState state, long forecast, long at) {
        Budget budget = state.budget;
        List<Integer> crossed = new ArrayList<>();
        for (int threshold : budget.getThresholdsPercent()) {
            if (reached(state.spent, budget.getAmountNanos(), threshold)) {
                crossed.add(threshold);
            }
        }
        QuotaAction action;
        if (state.spent >= budget.getAmountNanos()) {
            action = budget.getAction() == BudgetAction.BLOCK ? QuotaAction.BLOCK : QuotaAction.WARN;
        } else if (!crossed.isEmpty() || (extrapolates(state, at) && forecast >= budget.getAmountNanos())) {
            action = QuotaAction.WARN;
        } else {
            action = QuotaAction.ALLOW;
        }
        return BudgetStatus.newBuilder()
                .setScopeType(budget.getScopeType()).setScopeValue(budget.getScopeValue()).setPeriod(budget.getPeriod())
                .setPeriodStart(Instant.ofEpochMilli(state.periodStart)).setPeriodEnd(Instant.ofEpochMilli(state.periodEnd))
                .setCurrency(budget.getCurrency()).setAmountNanos(budget.getAmountNanos()).setSpentNanos(state.spent)
                .setPercent(percent(state)).setForecastNanos(forecast).setAction(action).setUpdatedAt(Instant.ofEpochMilli(at))
                .setTimeZone(budget.getTimeZone()).setActionAtLimit(budget.getAction())
                .setThresholdsPercent(new ArrayList<>(budget.getThresholdsPercent())).setThresholdsCrossed(crossed)
                .build();
    }

    private Alert thresholdAlert(String scope, BudgetState state, int threshold, long forecast, long at) {
        Budget budget = state.budget;
        Severity severity = threshold >= 100 ? Severity.CRITICAL : threshold >= 80 ? Severity.WARNING : Severity.INFO;
        String consequence = threshold < 100 ? ""
                : budget.getAction() == BudgetAction.BLOCK ? "; gateways are now told BLOCK" : "; gateways are now told WARN";
        String message = scope + " has spent " + Money.of(state.spent, budget) + " of its " + Money.of(budget.getAmountNanos(), budget) + " "
                + periodName(budget) + " budget for " + state.periodLabel + " (" + Money.percent(percent(state)) + ", threshold " + threshold
                + " %)" + consequence;
        return fire(Alerts.dedupKey(AlertType.BUDGET_THRESHOLD, scope, state.periodLabel, threshold), AlertType.BUDGET_THRESHOLD, severity,
                "threshold-" + threshold, percent(state), threshold, scope, state, forecast, at, message);
    }

    private Alert forecastAlert(String scope, BudgetState state, long forecast, long spent, long at) {
        Budget budget = state.budget;
        double forecastPercent = percentOf(forecast, budget.getAmountNanos());
        String message = scope + " is on course to spend " + Money.of(forecast, budget) + " of its " + Money.of(budget.getAmountNanos(), budget)
                + " " + periodName(budget) + " budget for " + state.periodLabel + " (" + Money.percent(forecastPercent) + "): "
                + Money.of(spent, budget) + " spent in " + Money.days(at - state.periodStart) + " of "
                + Money.days(state.periodEnd - state.periodStart);
        return fire(Alerts.dedupKey(AlertType.BUDGET_FORECAST, scope, state.periodLabel), AlertType.BUDGET_FORECAST, Severity.WARNING,
                "linear-forecast", forecastPercent, 100, scope, state, forecast, at, message);
    }

    private void resolveAll(String scope, BudgetState state, long at, String why) {
        Map<String, String> evidence = evidence(state, forecast(state, Math.min(at, state.periodEnd)));
        for (Alert fired : state.thresholds.values()) {
            emit(Alerts.resolved(fired, Instant.ofEpochMilli(Math.max(at, fired.getDetectedAt().toEpochMilli())),
                    why, evidence));
        }
        if (state.forecast != null) {
            emit(Alerts.resolved(state.forecast,
                    Instant.ofEpochMilli(Math.max(at, state.forecast.getDetectedAt().toEpochMilli())), why, evidence));
        }
        state.thresholds.clear();
        state.forecast = null;
    }

    private Map<String, String> evidence(BudgetState state, long forecast) {
        Budget budget = state.budget;
        Map<String, String> evidence = new LinkedHashMap<>();
        evidence.put("period", state.periodLabel);
        evidence.put("currency", budget.getCurrency());
        evidence.put("spent", Money.plain(state.spent));
        evidence.put("limit", Money.plain(budget.getAmountNanos()));
        evidence.put("forecast", Money.plain(forecast));
        evidence.put("percent", Money.percent(percent(state)));
        evidence.put("actionAtLimit", budget.getAction().name());
        return evidence;
    }

    /** A firing budget alert, its scope filled in from the budget's scope (a cost center has no field: it is in the evidence). */
    private Alert fire(String dedupKey, AlertType type, Severity severity, String rule, double observed, double threshold, String scope,
                       BudgetState state, long forecast, long at, String message) {
        Map<String, String> evidence = evidence(state, forecast);
        evidence.put("scope", scope);
        String value = state.budget.getScopeValue();
        if (state.budget.getScopeType() == BudgetScopeType.COST_CENTER) {
            evidence.put("costCenter", value);
        }
        Alert.Builder alert = Alerts.firing(dedupKey, type, severity, rule, observed, threshold, Instant.ofEpochMilli(state.periodStart),
                Instant.ofEpochMilli(state.periodEnd), Instant.ofEpochMilli(at), message, evidence);
        switch (state.budget.getScopeType()) {
            case TENANT -> alert.setTenant(value);
            case APPLICATION -> alert.setApplication(value);
            case AGENT -> alert.setAgent(value);
            default -> { }
        }
        return alert.build();
    }

    private void emit(Alert alert) {
        metrics.alert(alert);
        context().forward(new Record<>(alert.getDedupKey(), new AlertOut(alert), alert.getDetectedAt().toEpochMilli()));
    }

    /** Linear forecast of the period's spend at its end; the spend itself until the minimum elapsed time has passed. */
    static long forecast(long spent, long periodStart, long periodEnd, long at, Duration minElapsed) {
        long elapsed = at - periodStart;
        if (elapsed <= 0 || elapsed < minElapsed.toMillis()) {
            return spent;
        }
        BigInteger projected = BigInteger.valueOf(spent).multiply(BigInteger.valueOf(periodEnd - periodStart))
                .divide(BigInteger.valueOf(elapsed));
        return projected.bitLength() < 63 ? Math.max(spent, projected.longValue()) : Long.MAX_VALUE;
    }

    private long forecast(BudgetState state, long at) {
        return forecast(state.spent, state.periodStart, state.periodEnd, at, settings.forecastMinElapsed());
    }

    private boolean extrapolates(BudgetState state, long at) {
        long elapsed = at - state.periodStart;
        return elapsed > 0 && elapsed >= settings.forecastMinElapsed().toMillis();
    }

    /** spent ≥ threshold % of amount, exactly (no floating point at the boundary). */
    static boolean reached(long spent, long amount, int thresholdPercent) {
        return BigInteger.valueOf(spent).multiply(BigInteger.valueOf(100))
                .compareTo(BigInteger.valueOf(amount).multiply(BigInteger.valueOf(thresholdPercent))) >= 0;
    }

    private static double percent(BudgetState state) {
        return percentOf(state.spent, state.budget.getAmountNanos());
    }

    private static double percentOf(long nanos, long amount) {
        return amount <= 0 ? 0 : nanos * 100.0 / amount;
    }

    private long spentIn(String scope, String currency, BudgetPeriods.Period period) {
        return spentIn(scope, currency, period.start(), period.end());
    }

    /** Spend of the buckets that start in [from, to). */
    private long spentIn(String scope, String currency, long from, long to) {
        if (to <= from) {
            return 0;
        }
        long sum = 0;
        try (KeyValueIterator<Bytes, Long> buckets = history.range(historyKey(scope, currency, from), historyKey(scope, currency, to - 1))) {
            while (buckets.hasNext()) {
                sum += buckets.next().value;
            }
        }
        return sum;
    }

    private void purgeHistory(long before) {
        List<Bytes> old = new ArrayList<>();
        try (KeyValueIterator<Bytes, Long> all = history.all()) {
            while (all.hasNext()) {
                Bytes key = all.next().key;
                if (ByteBuffer.wrap(key.get(), key.get().length - Long.BYTES, Long.BYTES).getLong() < before) {
                    old.add(key);
                }
            }
        }
        old.forEach(history::delete);
    }

    /** scope, currency, then the bucket start big-endian: one scope's buckets are contiguous and in time order. */
    static Bytes historyKey(String scope, String currency, long bucket) {
        byte[] s = scope.getBytes(StandardCharsets.UTF_8);
        byte[] c = currency.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(s.length + c.length + 2 + Long.BYTES).put(s).put(SEPARATOR).put(c).put(SEPARATOR).putLong(bucket)
                .array());
    }

    /** The boundary evaluated last, or {@code fallback} (a budget record's time) before the watermark is known. */
    private long now(long fallback) {
        return evaluatedTo == Long.MIN_VALUE ? fallback : evaluatedTo;
    }

    private static String periodName(Budget budget) {
        return switch (budget.getPeriod()) {
            case MONTH -> "monthly";
            case QUARTER -> "quarterly";
            case YEAR -> "yearly";
        };
    }

    private static String describe(Budget budget) {
        return Money.of(budget.getAmountNanos(), budget) + " " + periodName(budget) + " in " + budget.getTimeZone();
    }
}
