package io.tokenmeter.anomaly;

import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.Severity;
import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.streams.TaskSignal;
import io.tokenmeter.streams.Watermarks;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * TOKEN_SPIKE, per tenant and model: a minute's tokens at least {@code z} standard deviations above the series'
 * own EWMA baseline, once the series has a warm-up's worth of history and the minute has the minimum volume. It
 * fires as soon as the running minute crosses (tokens only grow within a minute, so the verdict cannot change) and
 * resolves when a minute is back to normal.
 * <p>The baseline is the EWMA mean and variance of the logarithm of tokens per active minute. Token counts are
 * multiplicative and heavy-tailed (a minute is a sum of a few calls of very different sizes): on the raw scale an
 * ordinary busy minute is routinely four deviations out, on the log scale only real jumps are. Empty minutes are
 * judged (they end a spike) but not learned, or a small tenant's quiet spells would shrink the variance until its
 * next ordinary task looked like a spike. Learning takes the minute capped at the alert line, so a spike does not
 * teach the baseline that spikes are normal. The deviation is floored at 0.1 (about 10 %), so a very steady series
 * does not alert on ordinary wobble.
 * <p>Calls come in event-time order ({@link io.tokenmeter.streams.InEventTimeOrder}): every minute is complete when it
 * is judged, and every run learns the same baseline. Calls that were late where they entered are not judged.
 */
final class TokenSpikeDetector extends ContextualProcessor<String, TaskSignal, String, Alert> {

    static final String STORE = "anomaly-spike-store";
    private static final long MINUTE = 60_000L;
    /** Silent minutes taught to the baseline at most: after a day without traffic the series is almost new anyway. */
    private static final int MAX_GAP_MINUTES = 1440;
    private static final double SIGMA_FLOOR = 0.10;
    /** Active minutes a baseline needs, besides the warm-up time, before its variance means anything. */
    static final int MIN_ACTIVE_MINUTES = 10;
    private static final char SEPARATOR = '\u001F';

    private final AnomalySettings settings;
    private final PipelineMetrics metrics;
    private long closedMinute = Long.MIN_VALUE;
    private KeyValueStore<String, SpikeState> series;

    TokenSpikeDetector(AnomalySettings settings, PipelineMetrics metrics) {
        this.settings = settings;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, Alert> context) {
        super.init(context);
        series = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<String, TaskSignal> record) {
        if (record.value() instanceof TaskSignal.Tick tick) {
            if (Math.floorDiv(tick.watermark(), MINUTE) > closedMinute) {
                closedMinute = Math.floorDiv(tick.watermark(), MINUTE);
                closeElapsedMinutes(tick.watermark());
            }
            return;
        }
        if (!(record.value() instanceof TaskSignal.Call call)) {
            return;
        }
        if (Watermarks.isLate(record.headers())) {
            metrics.behindWatermark("anomaly-token-spike");
            return;
        }
        UsageEvent usage = call.priced().getUsage();
        long time = usage.getTimestamp().toEpochMilli();
        long minute = Math.floorDiv(time, MINUTE) * MINUTE;
        String key = usage.getTenant() + SEPARATOR + usage.getModel();
        SpikeState state = series.get(key);
        if (state == null) {
            state = new SpikeState();
            state.firstMinute = minute;
            state.minute = minute;
        }
        if (minute < state.minute) {
            return; // a minute already judged: too late to change its verdict or the baseline
        }
        if (minute > state.minute) {
            closeUntil(state, minute, usage.getTenant(), usage.getModel());
        }
        state.tokens += usage.getInputTokens() + usage.getOutputTokens();
        if (state.firing == null && isSpike(state, state.tokens)) {
            state.firing = fire(state, usage, time);
            emit(state.firing);
        }
        series.put(key, state);
    }

    /** Judges and learns every minute before {@code minute}, then starts filling {@code minute}. */
    private void closeUntil(SpikeState state, long minute, String tenant, String model) {
        long closed = state.minute;
        judgeAndLearn(state, state.tokens, closed, tenant, model);
        long gap = (minute - closed) / MINUTE - 1;
        for (long i = 1; i <= Math.min(gap, MAX_GAP_MINUTES); i++) {
            judgeAndLearn(state, 0, closed + i * MINUTE, tenant, model);
        }
        state.minute = minute;
        state.tokens = 0;
    }

    private void judgeAndLearn(SpikeState state, long tokens, long minute, String tenant, String model) {
        boolean spike = isSpike(state, tokens);
        if (state.firing != null && !spike) {
            Alert fired = state.firing;
            Map<String, String> evidence = baseline(state);
            evidence.put("normalMinute", Instant.ofEpochMilli(minute).toString());
            evidence.put("normalMinuteTokens", Long.toString(tokens));
            emit(Alerts.resolved(fired, Instant.ofEpochMilli(minute + MINUTE), "Token spike of " + tenant + " on " + model
                    + " is over: " + Alerts.count(tokens) + " tokens in the minute from " + Instant.ofEpochMilli(minute), evidence));
            state.firing = null;
        }
        if (tokens > 0) {
            learn(state, Math.min(Math.log(tokens), logAlertLine(state)));
        }
    }

    private void learn(SpikeState state, double x) {
        if (state.minutesLearned == 0) {
            state.mean = x;
            state.variance = 0;
        } else {
            double diff = x - state.mean;
            double increment = settings.spikeAlpha() * diff;
            state.mean += increment;
            state.variance = (1 - settings.spikeAlpha()) * (state.variance + diff * increment);
        }
        state.minutesLearned++;
    }

    private boolean isSpike(SpikeState state, long tokens) {
        boolean warm = state.minute - state.firstMinute >= settings.spikeWarmup().toMillis() && state.minutesLearned >= MIN_ACTIVE_MINUTES;
        return warm && tokens > 0 && tokens >= settings.spikeMinTokens() && z(state, tokens) >= settings.spikeZ();
    }

    private double sigma(SpikeState state) {
        return Math.max(Math.sqrt(state.variance), SIGMA_FLOOR);
    }

    /** Deviations above the baseline, on the log scale. */
    private double z(SpikeState state, long tokens) {
        return (Math.log(tokens) - state.mean) / sigma(state);
    }

    /** The log of the token count at which a minute becomes a spike: where learning is capped. */
    private double logAlertLine(SpikeState state) {
        if (state.minutesLearned == 0) {
            return Double.MAX_VALUE;
        }
        return state.mean + settings.spikeZ() * sigma(state);
    }

    /** The typical active minute, in tokens. */
    private static double typical(SpikeState state) {
        return Math.exp(state.mean);
    }

    private Alert fire(SpikeState state, UsageEvent usage, long time) {
        double z = z(state, state.tokens);
        Map<String, String> evidence = baseline(state);
        evidence.put("z", String.format(Locale.ROOT, "%.1f", z));
        String message = String.format(Locale.ROOT, "Token spike: %s on %s used %s tokens in the minute from %s, %.0fx its typical busy minute "
                        + "of %s (%.1f standard deviations above its baseline)", usage.getTenant(), usage.getModel(), Alerts.count(state.tokens),
                Instant.ofEpochMilli(state.minute), state.tokens / typical(state), Alerts.count(Math.round(typical(state))), z);
        return Alerts.firing(Alerts.dedupKey(AlertType.TOKEN_SPIKE, usage.getTenant(), usage.getModel(), Instant.ofEpochMilli(state.minute)),
                        AlertType.TOKEN_SPIKE, Severity.WARNING, "z-score", state.tokens, Math.ceil(Math.exp(logAlertLine(state))),
                        Instant.ofEpochMilli(state.minute), Instant.ofEpochMilli(state.minute + MINUTE), Instant.ofEpochMilli(time), message, evidence)
                .setTenant(usage.getTenant()).setApplication(usage.getApplication()).setAgent(usage.getAgent()).setModel(usage.getModel())
                .setDeployment(usage.getDeployment())
                .build();
    }

    private Map<String, String> baseline(SpikeState state) {
        Map<String, String> evidence = new LinkedHashMap<>();
        evidence.put("typicalMinuteTokens", String.format(Locale.ROOT, "%.0f", typical(state)));
        evidence.put("baselineLogMean", String.format(Locale.ROOT, "%.3f", state.mean));
        evidence.put("baselineLogStdDev", String.format(Locale.ROOT, "%.3f", sigma(state)));
        evidence.put("activeMinutesLearned", Long.toString(state.minutesLearned));
        evidence.put("minVolume", Long.toString(settings.spikeMinTokens()));
        return evidence;
    }

    /** Ends spikes whose series went silent, as this detector's event time passes their minute. */
    private void closeElapsedMinutes(long now) {
        long current = Math.floorDiv(now, MINUTE) * MINUTE;
        List<KeyValue<String, SpikeState>> changed = new ArrayList<>();
        try (KeyValueIterator<String, SpikeState> all = series.all()) {
            while (all.hasNext()) {
                KeyValue<String, SpikeState> entry = all.next();
                if (entry.value.firing != null && entry.value.minute < current) {
                    changed.add(entry);
                }
            }
        }
        for (KeyValue<String, SpikeState> entry : changed) {
            String[] parts = entry.key.split(String.valueOf(SEPARATOR), 2);
            closeUntil(entry.value, current, parts[0], parts[1]);
            series.put(entry.key, entry.value);
        }
    }

    private void emit(Alert alert) {
        metrics.alert(alert);
        context().forward(new Record<>(alert.getDedupKey(), alert, alert.getDetectedAt().toEpochMilli()));
    }
}
