package io.tokenmeter.anomaly;

import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.event.Severity;
import io.tokenmeter.streams.EventClock;
import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.streams.StoreScan;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * UNPRICED_MODEL, per model, deployment type and region: calls that no price entry covers. It fires with the first
 * such call of a UTC day and resolves when that day is over; if the calls go on, the next day fires again, so the
 * gap is raised once a day while it lasts rather than once per call.
 */
final class UnpricedModelDetector extends ContextualProcessor<String, CallSignal, String, Alert> {

    static final String STORE = "anomaly-unpriced-store";
    private static final long DAY = Duration.ofDays(1).toMillis();

    private final PipelineMetrics metrics;
    private final Duration lateness;
    private final EventClock clock = new EventClock(Duration.ofMinutes(1).toMillis());
    private KeyValueStore<String, UnpricedState> models;

    UnpricedModelDetector(AnomalySettings settings, PipelineMetrics metrics) {
        this.metrics = metrics;
        this.lateness = settings.lateness();
    }

    @Override
    public void init(ProcessorContext<String, Alert> context) {
        super.init(context);
        models = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<String, CallSignal> record) {
        CallSignal call = record.value();
        if (clock.observe(call.time())) {
            endFinishedDays(clock.now());
        }
        long day = Math.floorDiv(call.time(), DAY);
        UnpricedState state = models.get(record.key());
        if (state == null) {
            state = new UnpricedState();
            state.day = day;
        }
        if (day < state.day) {
            return; // a day already reported
        }
        if (day > state.day) {
            endDay(state);
            state.day = day;
            state.calls = 0;
            state.tenants.clear();
        }
        state.calls++;
        if (!state.tenants.contains(call.tenant()) && state.tenants.size() < UnpricedState.MAX_TENANTS) {
            state.tenants.add(call.tenant());
        }
        if (state.firing == null) {
            state.firing = fire(state, call);
            emit(state.firing);
        }
        models.put(record.key(), state);
    }

    private Alert fire(UnpricedState state, CallSignal call) {
        LocalDate date = LocalDate.ofEpochDay(state.day);
        Map<String, String> evidence = new LinkedHashMap<>();
        evidence.put("deploymentType", call.deploymentType());
        evidence.put("region", call.region());
        evidence.put("date", date.toString());
        String message = "No price covers " + call.model() + " (" + call.deploymentType() + ", " + call.region() + "): calls by "
                + call.tenant() + " on " + call.deployment() + " have unknown cost; load a price entry with `tokenmeter prices load`";
        return Alerts.firing(Alerts.dedupKey(AlertType.UNPRICED_MODEL, call.model(), call.deploymentType(), call.region(), date),
                        AlertType.UNPRICED_MODEL, Severity.WARNING, "no-price", 1, 0, Instant.ofEpochMilli(state.day * DAY),
                        Instant.ofEpochMilli((state.day + 1) * DAY), Instant.ofEpochMilli(call.time()), message, evidence)
                .setModel(call.model()).setTenant(call.tenant()).setDeployment(call.deployment()).setApplication(call.application())
                .build();
    }

    private void endDay(UnpricedState state) {
        if (state.firing == null) {
            return;
        }
        Map<String, String> evidence = new LinkedHashMap<>();
        evidence.put("unpricedCalls", Long.toString(state.calls));
        evidence.put("tenants", String.join(",", state.tenants));
        Alert fired = state.firing;
        emit(Alerts.resolved(Alert.newBuilder(fired).setObserved(state.calls).build(), Instant.ofEpochMilli((state.day + 1) * DAY),
                "Unpriced " + fired.getModel() + " on " + LocalDate.ofEpochDay(state.day) + ": " + Alerts.count(state.calls)
                        + " calls without a price that day", evidence));
        state.firing = null;
    }

    /** Ends the days that this detector's event time has passed by more than the lateness (calls come from every partition). */
    private void endFinishedDays(long now) {
        long today = Math.floorDiv(now - lateness.toMillis(), DAY);
        for (KeyValue<String, UnpricedState> entry : StoreScan.matching(models, state -> state.day < today)) {
            endDay(entry.value);
            models.delete(entry.key);
        }
    }

    private void emit(Alert alert) {
        metrics.alert(alert);
        context().forward(new Record<>(alert.getDedupKey(), alert, alert.getDetectedAt().toEpochMilli()));
    }
}
