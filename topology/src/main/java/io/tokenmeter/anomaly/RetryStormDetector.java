package io.tokenmeter.anomaly;

import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.event.Severity;
import io.tokenmeter.streams.EventTime;
import io.tokenmeter.streams.PipelineMetrics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * RETRY_STORM, per deployment: a minute with at least {@code stormMinRequests} requests of which at least
 * {@code stormShare} were answered 429 or were retries. Unlike a token count, a share can fall again before the
 * minute is over (a burst of 429s in its first seconds is not a storm), so a minute is judged when it is complete.
 *
 * <p>Calls of one deployment come from every partition, as partial counts per minute. A minute is complete when this
 * task's watermark ({@link EventTime}: the low watermark over every upstream partition, which each sends after the
 * partial counts before it) has passed its end: then every on-time count of it has arrived, and the minutes are judged
 * in order, so the verdicts depend on the data alone. Storm minutes are one incident until {@code stormQuiet} passes
 * without one, so a storm that pauses for a minute is still the same storm for on-call.
 *
 * <p>Early warnings: the partial counts come every {@link StormPartials#FLUSH}, so this detector also knows the minute
 * as it fills. When the counts so far already make a storm, and the deployment has neither a firing alert nor a warning
 * out, it sends an early warning (marked {@link Alerts#EARLY}, for {@code alerts.early}) at once, for live minutes only
 * (less than the allowed lateness behind the wall clock). The warning is provisional: more successful calls in the same
 * minute can still bring the share under the line; the minute's verdict, as the watermark passes it, decides.
 */
final class RetryStormDetector extends ContextualProcessor<String, StormCounts, String, Alert> {

    static final String STORE = "anomaly-storm-store";
    static final String STAGE = "anomaly-storm";
    private static final long MINUTE = 60_000L;

    private final AnomalySettings settings;
    private final PipelineMetrics metrics;
    private final EventTime.Settings eventTimeSettings;
    private final boolean earlyWarnings;
    private EventTime eventTime;
    private long judgedMinute = Long.MIN_VALUE;
    private KeyValueStore<String, StormState> deployments;

    RetryStormDetector(AnomalySettings settings, PipelineMetrics metrics, EventTime.Settings eventTimeSettings) {
        this.settings = settings;
        this.metrics = metrics;
        this.eventTimeSettings = eventTimeSettings;
        this.earlyWarnings = settings.earlyWarnings();
    }

    @Override
    public void init(ProcessorContext<String, Alert> context) {
        super.init(context);
        deployments = context.getStateStore(STORE);
        eventTime = EventTime.of(context, STAGE, eventTimeSettings);
    }

    @Override
    public void process(Record<String, StormCounts> record) {
        if (eventTime.absorb(record)) {
            long now = eventTime.watermark();
            if (now != EventTime.UNKNOWN && Math.floorDiv(now, MINUTE) > judgedMinute) {
                judgedMinute = Math.floorDiv(now, MINUTE);
                closeElapsedMinutes(judgedMinute * MINUTE);
            }
            return;
        }
        StormCounts counts = record.value();
        String deployment = record.key();
        StormState state = deployments.get(deployment);
        if (state == null) {
            state = new StormState();
            state.judgedBefore = counts.minute;
        }
        StormCounts minute = state.minutes.get(counts.minute);
        if (counts.minute < state.judgedBefore) {
            metrics.behindWatermark("anomaly-retry-storm"); // a minute already judged: its verdict stands
            return;
        }
        if (minute == null) {
            minute = new StormCounts();
            minute.minute = counts.minute;
            state.minutes.put(minute.minute, minute);
        }
        minute.add(counts);
        if (earlyWarnings && state.firing == null && state.earlyMinute == StormState.NONE && isStorm(minute) && isLive(minute)) {
            state.earlyMinute = minute.minute;
            Alert early = Alerts.early(fire(minute, deployment, minute.latest));
            metrics.earlyWarning(early);
            context().forward(new Record<>(early.getDedupKey(), early, early.getDetectedAt().toEpochMilli()));
        }
        deployments.put(deployment, state);
    }

    private boolean isLive(StormCounts minute) {
        return context().currentSystemTimeMs() - (minute.minute + MINUTE) <= eventTimeSettings.lateness().toMillis();
    }

    private boolean isStorm(StormCounts minute) {
        return minute.requests >= settings.stormMinRequests() && share(minute) >= settings.stormShare();
    }

    private static double share(StormCounts minute) {
        return minute.requests == 0 ? 0 : (double) minute.refusedOrRetried / minute.requests;
    }

    /**
     * Judges, in order, every minute before {@code current} not judged yet; before each, ends an incident that has been
     * quiet for long enough by that minute; then forgets the judged minutes.
     */
    private void advance(StormState state, String deployment, long current) {
        if (current > state.judgedBefore) {
            for (StormCounts minute : state.minutes.subMap(state.judgedBefore, current).values()) {
                resolveIfQuiet(state, deployment, minute.minute);
                judge(state, deployment, minute, minute.minute + MINUTE); // judged as the minute ends
            }
            state.judgedBefore = current;
        }
        if (state.earlyMinute != StormState.NONE && state.earlyMinute < state.judgedBefore) {
            state.earlyMinute = StormState.NONE; // the warned minute has its verdict: a firing alert, or none and a later minute may warn again
        }
        resolveIfQuiet(state, deployment, current);
        state.minutes.headMap(state.judgedBefore).clear();
    }

    private void judge(StormState state, String deployment, StormCounts minute, long now) {
        if (!isStorm(minute) || minute.minute < state.resolvedBefore) {
            return;
        }
        state.lastStormMinute = Math.max(state.lastStormMinute, minute.minute);
        if (state.firing == null) {
            state.firing = fire(minute, deployment, now);
            emit(state.firing);
        }
    }

    private void resolveIfQuiet(StormState state, String deployment, long now) {
        long quietSince = state.lastStormMinute + MINUTE;
        if (state.firing == null || now < quietSince + settings.stormQuiet().toMillis()) {
            return;
        }
        Map<String, String> evidence = new LinkedHashMap<>();
        evidence.put("lastStormMinute", Instant.ofEpochMilli(state.lastStormMinute).toString());
        emit(Alerts.resolved(state.firing, Instant.ofEpochMilli(quietSince + settings.stormQuiet().toMillis()), "Retry storm on " + deployment
                + " is over: no storm minute since " + Instant.ofEpochMilli(quietSince) + " (" + Alerts.duration(settings.stormQuiet()) + ")",
                evidence));
        state.firing = null;
        state.resolvedBefore = now;
    }

    private Alert fire(StormCounts minute, String deployment, long now) {
        double share = share(minute);
        String culprits = minute.tenants.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(3)
                .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
        Map<String, String> evidence = new LinkedHashMap<>();
        evidence.put("requests", Long.toString(minute.requests));
        evidence.put("refusedOrRetried", Long.toString(minute.refusedOrRetried));
        evidence.put("share", String.format(Locale.ROOT, "%.3f", share));
        evidence.put("tenants", culprits);
        String message = String.format(Locale.ROOT, "Retry storm on deployment %s (%s): %.0f %% of %s requests in the minute from %s were "
                        + "429s or retries (line: %.0f %% of at least %d); most from %s", deployment, minute.model, 100 * share,
                Alerts.count(minute.requests), Instant.ofEpochMilli(minute.minute), 100 * settings.stormShare(), settings.stormMinRequests(), culprits);
        String topTenant = minute.tenants.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(null);
        return Alerts.firing(Alerts.dedupKey(AlertType.RETRY_STORM, deployment, Instant.ofEpochMilli(minute.minute)), AlertType.RETRY_STORM,
                        Severity.WARNING, "refused-or-retried-share", share, settings.stormShare(), Instant.ofEpochMilli(minute.minute),
                        Instant.ofEpochMilli(minute.minute + MINUTE), Instant.ofEpochMilli(now), message, evidence)
                .setDeployment(deployment).setModel(minute.model).setTenant(topTenant)
                .build();
    }

    /** Judges the minutes that the watermark has passed, of every deployment. */
    private void closeElapsedMinutes(long current) {
        List<KeyValue<String, StormState>> changed = new ArrayList<>();
        try (KeyValueIterator<String, StormState> all = deployments.all()) {
            while (all.hasNext()) {
                KeyValue<String, StormState> entry = all.next();
                if (entry.value.firing != null || entry.value.judgedBefore < current) {
                    changed.add(entry);
                }
            }
        }
        for (KeyValue<String, StormState> entry : changed) {
            advance(entry.value, entry.key, current);
            deployments.put(entry.key, entry.value);
        }
    }

    private void emit(Alert alert) {
        metrics.alert(alert);
        context().forward(new Record<>(alert.getDedupKey(), alert, alert.getDetectedAt().toEpochMilli()));
    }
}
