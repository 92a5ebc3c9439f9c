package io.tokenmeter.anomaly;

import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertStatus;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.http.ApiException;
import io.tokenmeter.http.ClusterQuery;
import io.tokenmeter.http.HttpApi;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * {@code GET /api/alerts?from&to&type&status}: every incident, one entry each with its latest status, whose firing
 * time is in [from, to). Answered from this instance's copy of the alerts (a global store), so any instance answers.
 */
public final class AlertsApi {

    private final Supplier<ReadOnlyKeyValueStore<String, Alert>> store;

    public AlertsApi(KafkaStreams streams) {
        this.store = () -> streams.store(StoreQueryParameters.fromNameAndType(AnomalyTopology.ALERTS_STORE,
                QueryableStoreTypes.<String, Alert>keyValueStore()));
    }

    /** For tests and tools that hold the store directly. */
    public AlertsApi(Supplier<ReadOnlyKeyValueStore<String, Alert>> store) {
        this.store = store;
    }

    public HttpApi.Response alerts(HttpApi.Request request) {
        Instant from = instant(request, "from", Instant.EPOCH);
        Instant to = instant(request, "to", Instant.parse("9999-12-31T23:59:59Z"));
        if (!from.isBefore(to)) {
            throw ApiException.badRequest("from (" + from + ") must be before to (" + to + ")");
        }
        AlertType type = parse(request, "type", AlertType.class);
        AlertStatus status = parse(request, "status", AlertStatus.class);
        List<Map<String, Object>> alerts = new ArrayList<>();
        for (Alert alert : all()) {
            Instant firedAt = firedAt(alert);
            if (firedAt.isBefore(from) || !firedAt.isBefore(to) || (type != null && alert.getType() != type)
                    || (status != null && alert.getStatus() != status)) {
                continue;
            }
            alerts.add(json(alert, firedAt));
        }
        alerts.sort(Comparator.comparing((Map<String, Object> a) -> (String) a.get("firedAt")).thenComparing(a -> (String) a.get("dedupKey")));
        return HttpApi.Response.ok(Map.of("alerts", alerts));
    }

    /** Every incident's latest record. */
    public List<Alert> all() {
        return ClusterQuery.allValues(store, "alerts");
    }

    /** When the incident fired: the record's own time while firing, the remembered one once resolved. */
    public static Instant firedAt(Alert alert) {
        String fired = alert.getEvidence().get(Alerts.FIRED_AT);
        return alert.getStatus() == AlertStatus.RESOLVED && fired != null ? Instant.parse(fired) : alert.getDetectedAt();
    }

    static Map<String, Object> json(Alert alert, Instant firedAt) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("dedupKey", alert.getDedupKey());
        json.put("type", alert.getType().name());
        json.put("severity", alert.getSeverity().name().toLowerCase(Locale.ROOT));
        json.put("status", alert.getStatus().name());
        json.put("rule", alert.getRule());
        json.put("tenant", alert.getTenant());
        json.put("application", alert.getApplication());
        json.put("agent", alert.getAgent());
        json.put("model", alert.getModel());
        json.put("deployment", alert.getDeployment());
        json.put("taskId", alert.getTaskId());
        json.put("observed", alert.getObserved());
        json.put("threshold", alert.getThreshold());
        json.put("windowStart", alert.getWindowStart().toString());
        json.put("windowEnd", alert.getWindowEnd().toString());
        json.put("firedAt", firedAt.toString());
        json.put("resolvedAt", alert.getStatus() == AlertStatus.RESOLVED ? alert.getDetectedAt().toString() : null);
        json.put("message", alert.getMessage());
        json.put("evidence", alert.getEvidence());
        return json;
    }

    private static Instant instant(HttpApi.Request request, String name, Instant fallback) {
        String text = request.query(name, null);
        if (text == null) {
            return fallback;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest(name + " must be an ISO-8601 instant such as 2025-06-01T00:00:00Z, got '" + text + "'");
        }
    }

    private static <E extends Enum<E>> E parse(HttpApi.Request request, String name, Class<E> type) {
        String text = request.query(name, null);
        if (text == null) {
            return null;
        }
        try {
            return Enum.valueOf(type, text.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            List<String> names = new ArrayList<>();
            for (E value : type.getEnumConstants()) {
                names.add(value.name());
            }
            throw ApiException.badRequest(name + " must be one of " + String.join(", ", names) + ", got '" + text + "'");
        }
    }
}
