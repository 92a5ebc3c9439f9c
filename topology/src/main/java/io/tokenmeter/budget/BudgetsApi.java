package io.tokenmeter.budget;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.tokenmeter.event.BudgetStatus;
import io.tokenmeter.event.QuotaAction;
import io.tokenmeter.http.ApiException;
import io.tokenmeter.http.ClusterQuery;
import io.tokenmeter.http.HttpApi;
import io.tokenmeter.topics.BudgetScope;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * {@code GET /api/budgets} (every budget where it stands now) and {@code GET /api/quota/{scopeType}/{scopeValue}}
 * (what a gateway should do with the next call of a scope). Both answer for the period that contains the current
 * wall-clock time, from this instance's copy of {@code budget-status} (a global store), so any instance answers.
 */
public final class BudgetsApi {

    private final Supplier<ReadOnlyKeyValueStore<String, BudgetStatus>> store;
    private final Clock clock;
    private final Supplier<Boolean> running;

    public BudgetsApi(KafkaStreams streams, Clock clock) {
        this(() -> streams.store(StoreQueryParameters.fromNameAndType(BudgetTopology.STATUS_STORE, QueryableStoreTypes.keyValueStore())),
                clock, () -> streams.state() == KafkaStreams.State.RUNNING);
    }

    /** For tests and tools that hold the store directly. */
    public BudgetsApi(Supplier<ReadOnlyKeyValueStore<String, BudgetStatus>> store, Clock clock, Supplier<Boolean> running) {
        this.store = store;
        this.clock = clock;
        this.running = running;
    }

    public HttpApi.Response budgets(HttpApi.Request request) {
        Instant now = clock.instant();
        List<Map<String, Object>> budgets = new ArrayList<>();
        for (BudgetStatus status : all()) {
            budgets.add(json(Current.of(status, now)));
        }
        budgets.sort(Comparator.comparing(b -> (String) b.get("scope")));
        return HttpApi.Response.ok(Map.of("budgets", budgets));
    }

    public HttpApi.Response quota(HttpApi.Request request) {
        BudgetScope scope;
        try {
            scope = new BudgetScope(BudgetScope.type(request.pathParam("scopeType")), request.pathParam("scopeValue"));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        BudgetStatus status;
        try {
            status = store.get().get(scope.key());
        } catch (InvalidStateStoreException e) {
            throw new ApiException(503, "budgets are not queryable yet (" + e.getMessage() + "); retry shortly");
        }
        if (status == null) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("scope", scope.key());
            body.put("action", QuotaAction.ALLOW.name());
            body.put("spentUsd", null);
            body.put("limitUsd", null);
            body.put("forecastUsd", null);
            body.put("periodEnd", null);
            body.put("budget", false);
            body.put("reason", "no budget for " + scope.key());
            return HttpApi.Response.ok(body);
        }
        return HttpApi.Response.ok(json(Current.of(status, clock.instant())));
    }

    /** Every budget's latest status. */
    public List<BudgetStatus> all() {
        return ClusterQuery.allValues(store, "budgets");
    }

    /**
     * A status as of {@code now}: the stored one while its period contains now; otherwise the period that does, with no
     * spend counted yet (the processor moves a budget to its next period once the event time has passed the lateness).
     */
    record Current(BudgetStatus status, boolean counted) {

        static Current of(BudgetStatus status, Instant now) {
            if (!now.isBefore(status.getPeriodStart()) && now.isBefore(status.getPeriodEnd())) {
                return new Current(status, true);
            }
            BudgetPeriods.Period period = BudgetPeriods.of(status.getPeriod(), BudgetPeriods.zone(status.getTimeZone()), now.toEpochMilli());
            return new Current(BudgetStatus.newBuilder(status).setPeriodStart(Instant.ofEpochMilli(period.start()))
                    .setPeriodEnd(Instant.ofEpochMilli(period.end())).setSpentNanos(0).setForecastNanos(0).setPercent(0)
                    .setAction(QuotaAction.ALLOW).setThresholdsCrossed(new ArrayList<>()).build(), false);
        }
    }

    static Map<String, Object> json(Current current) {
        BudgetStatus s = current.status();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("scope", new BudgetScope(s.getScopeType(), s.getScopeValue()).key());
        body.put("action", s.getAction().name());
        body.put("spentUsd", Money.plain(s.getSpentNanos()));
        body.put("limitUsd", Money.plain(s.getAmountNanos()));
        body.put("forecastUsd", Money.plain(s.getForecastNanos()));
        body.put("periodEnd", s.getPeriodEnd().toString());
        body.put("currency", s.getCurrency());
        body.put("percent", BigDecimal.valueOf(s.getPercent()).setScale(2, RoundingMode.HALF_EVEN));
        body.put("scopeType", BudgetScope.name(s.getScopeType()));
        body.put("scopeValue", s.getScopeValue());
        body.put("period", s.getPeriod().name().toLowerCase(java.util.Locale.ROOT));
        body.put("periodStart", s.getPeriodStart().toString());
        body.put("timeZone", s.getTimeZone());
        body.put("actionAtLimit", s.getActionAtLimit().name());
        body.put("thresholdsPercent", s.getThresholdsPercent());
        body.put("thresholdsCrossed", s.getThresholdsCrossed());
        body.put("updatedAt", current.counted() ? s.getUpdatedAt().toString() : null);
        return body;
    }

    /**
     * {@code tokenmeter_budget_spent_usd}, {@code _limit_usd}, {@code _forecast_usd} and {@code _used_ratio} per budget
     * (labels scope_type, scope, currency): refreshed from the statuses before each scrape.
     */
    public Runnable gauges(MeterRegistry registry) {
        MultiGauge spent = MultiGauge.builder("tokenmeter.budget.spent").description("Spend of each budget's current period, in its currency")
                .baseUnit("usd").register(registry);
        MultiGauge limit = MultiGauge.builder("tokenmeter.budget.limit").description("Amount of each budget per period, in its currency")
                .baseUnit("usd").register(registry);
        MultiGauge forecast = MultiGauge.builder("tokenmeter.budget.forecast")
                .description("Linear forecast of each budget's spend at the end of its period, in its currency").baseUnit("usd").register(registry);
        MultiGauge used = MultiGauge.builder("tokenmeter.budget.used.ratio").description("Spent / limit of each budget's current period")
                .register(registry);
        return () -> {
            if (!running.get()) {
                return;
            }
            List<MultiGauge.Row<?>> spentRows = new ArrayList<>();
            List<MultiGauge.Row<?>> limitRows = new ArrayList<>();
            List<MultiGauge.Row<?>> forecastRows = new ArrayList<>();
            List<MultiGauge.Row<?>> usedRows = new ArrayList<>();
            Instant now = clock.instant();
            try {
                for (BudgetStatus stored : all()) {
                    BudgetStatus s = Current.of(stored, now).status();
                    Tags tags = Tags.of("scope_type", BudgetScope.name(s.getScopeType()), "scope", s.getScopeValue(), "currency", s.getCurrency());
                    spentRows.add(MultiGauge.Row.of(tags, s.getSpentNanos() / 1e9));
                    limitRows.add(MultiGauge.Row.of(tags, s.getAmountNanos() / 1e9));
                    forecastRows.add(MultiGauge.Row.of(tags, s.getForecastNanos() / 1e9));
                    usedRows.add(MultiGauge.Row.of(tags, s.getPercent() / 100));
                }
            } catch (ApiException e) {
                return; // not queryable right now: keep the last values
            }
            spent.register(spentRows, true);
            limit.register(limitRows, true);
            forecast.register(forecastRows, true);
            used.register(usedRows, true);
        };
    }
}
