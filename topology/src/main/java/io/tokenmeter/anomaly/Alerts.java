package io.tokenmeter.anomaly;

import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertStatus;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.event.Severity;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Building blocks for alert records: dedup keys, the firing record, and the matching resolved record. */
public final class Alerts {

    /** Evidence key on a RESOLVED record naming when its incident fired. */
    public static final String FIRED_AT = "firedAt";
    /** Evidence key marking an early warning (topic alerts.early): judged on arrival, before the watermark confirms it. */
    public static final String EARLY = "early";

    private Alerts() {
    }

    /** A deterministic dedup key: the type and the parts that identify one incident. */
    public static String dedupKey(AlertType type, Object... parts) {
        StringBuilder key = new StringBuilder(type.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        for (Object part : parts) {
            key.append('|').append(part);
        }
        return key.toString();
    }

    /** A firing alert with the scope left empty; the caller fills in what applies. */
    public static Alert.Builder firing(String dedupKey, AlertType type, Severity severity, String rule, double observed, double threshold,
                                       Instant windowStart, Instant windowEnd, Instant detectedAt, String message, Map<String, String> evidence) {
        return Alert.newBuilder()
                .setDedupKey(dedupKey).setType(type).setSeverity(severity).setStatus(AlertStatus.FIRING).setRule(rule)
                .setObserved(observed).setThreshold(threshold)
                .setWindowStart(windowStart).setWindowEnd(windowEnd).setDetectedAt(detectedAt)
                .setMessage(message).setEvidence(new LinkedHashMap<>(evidence));
    }

    /** The RESOLVED record of a firing alert: same key and scope, the time it ended and why. */
    public static Alert resolved(Alert fired, Instant resolvedAt, String message, Map<String, String> evidence) {
        Map<String, String> all = new LinkedHashMap<>(evidence);
        all.put(FIRED_AT, fired.getDetectedAt().toString());
        return Alert.newBuilder(fired).setStatus(AlertStatus.RESOLVED).setDetectedAt(resolvedAt).setWindowEnd(resolvedAt.isAfter(fired.getWindowEnd())
                ? resolvedAt : fired.getWindowEnd()).setMessage(message).setEvidence(all).build();
    }

    /**
     * The early warning of {@code alert}: same key and scope, marked {@link #EARLY}, its message saying that the
     * confirmed alert follows when event time has passed the call.
     */
    static Alert early(Alert alert) {
        Map<String, String> evidence = new LinkedHashMap<>(alert.getEvidence());
        evidence.put(EARLY, "true");
        return Alert.newBuilder(alert).setMessage("Early warning (to be confirmed when event time passes it): " + alert.getMessage())
                .setEvidence(evidence).build();
    }

    /** Whether {@code alert} is an early warning rather than a confirmed alert. */
    public static boolean isEarly(Alert alert) {
        return "true".equals(alert.getEvidence().get(EARLY));
    }

    static String usd(long nanos) {
        return "$" + BigDecimal.valueOf(nanos, 9).setScale(nanos >= 100_000_000L ? 2 : 4, RoundingMode.HALF_EVEN).toPlainString();
    }

    static String usdPlain(long nanos) {
        return BigDecimal.valueOf(nanos, 9).toPlainString();
    }

    static String count(long value) {
        return String.format(Locale.ROOT, "%,d", value);
    }

    static String duration(Duration d) {
        return io.tokenmeter.config.Durations.format(d);
    }
}
