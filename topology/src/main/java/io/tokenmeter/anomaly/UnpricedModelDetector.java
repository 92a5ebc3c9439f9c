package io.tokenmeter.anomaly;

import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.event.Severity;
import io.tokenmeter.streams.EventTime;
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
 *
 * <p>Unpriced calls come from every partition. A day is over when this task's watermark ({@link EventTime}) has
 * passed its end; an on-time call is never behind the watermark, so it never reaches a day that is over, and the
 * incidents are the (model, day) pairs with an unpriced call: the same in every run. State is kept per model and day.
 */
final class UnpricedModelDetector extends ContextualProcessor<String, CallSignal, String, Alert> {

    static final String STORE = "anomaly-unpriced-day-store";
    static final String STAGE = "anomaly-unpriced";
    private static final long DAY = Duration.ofDays(1).toMillis();
    private static final char SEPARATOR = '\u001F';

    private final PipelineMetrics metrics;
    private final EventTime.Settings eventTimeSettings;
    private EventTime eventTime;
    private long endedBefore = Long.MIN_VALUE;
    private KeyValueStore<String, UnpricedState> models;

    UnpricedModelDetector(PipelineMetrics metrics, EventTime.Settings eventTimeSettings) {
        this.metrics = metrics;
        this.eventTimeSettings = eventTimeSettings;
    }

    @Override
    public void init(ProcessorContext<String, Alert> context) {
        super.init(context);
        models = context.getStateStore(STORE);
        eventTime = EventTime.of(context, STAGE, eventTimeSettings);
    }

    @Override
    public void process(Record<String, CallSignal> record) {
        if (eventTime.absorb(record)) {
            long now = eventTime.watermark();
            if (now != EventTime.UNKNOWN && Math.floorDiv(now, DAY) > endedBefore) {
                endedBefore = Math.floorDiv(now, DAY);
                endFinishedDays(endedBefore);
            }
            return;
        }
        CallSignal call = record.value();
        long day = Math.floorDiv(call.time(), DAY);
        if (day < endedBefore) {
            metrics.behindWatermark("anomaly-unpriced-model"); // that day was reported and is over
            return;
        }
        String key = record.key() + SEPARATOR + day;
        UnpricedState state = models.get(key);
        if (state == null) {
            state = new UnpricedState();
            state.day = day;
        }
        state.calls++;
        if (!state.tenants.contains(call.tenant()) && state.tenants.size() < UnpricedState.MAX_TENANTS) {
            state.tenants.add(call.tenant());
        }
        if (state.firing == null) {
            state.firing = fire(state, call);
            emit(state.firing);
        }
        models.put(key, state);
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

    /** Ends the days before {@code today}: the watermark has passed them. */
    private void endFinishedDays(long today) {
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
