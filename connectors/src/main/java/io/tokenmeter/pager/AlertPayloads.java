package io.tokenmeter.pager;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertStatus;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The JSON body each kind of target receives for one alert. */
public final class AlertPayloads {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** PagerDuty's limits: dedup_key up to 255 characters, summary up to 1024. */
    private static final int PAGERDUTY_KEY_MAX = 255;
    private static final int PAGERDUTY_SUMMARY_MAX = 1024;

    private AlertPayloads() {
    }

    /**
     * Alertmanager API v2: one alert whose labels are tokenmeter's identity (the dedup key is a label, so both agree on
     * what one incident is). FIRING ends at {@code now + ttl}, past Alertmanager's resolve_timeout; RESOLVED ends now.
     */
    public static String alertmanager(Alert alert, Instant now, Duration ttl) {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode labels = body.putObject("labels");
        labels.put("alertname", alertName(alert));
        labels.put("severity", alert.getSeverity().name().toLowerCase(Locale.ROOT));
        labels.put("dedup_key", alert.getDedupKey());
        scope(alert).forEach(labels::put);
        labels.put("source", "tokenmeter");
        ObjectNode annotations = body.putObject("annotations");
        annotations.put("summary", alert.getMessage());
        annotations.put("description", description(alert));
        if (alert.getRule() != null) {
            annotations.put("rule", alert.getRule());
        }
        annotations.put("observed", number(alert.getObserved()));
        annotations.put("threshold", number(alert.getThreshold()));
        new TreeMap<>(alert.getEvidence()).forEach((k, v) -> annotations.put("evidence_" + k.replaceAll("[^A-Za-z0-9_]", "_"), v));
        if (alert.getStatus() == AlertStatus.FIRING) {
            Instant startsAt = alert.getDetectedAt().isAfter(now) ? now : alert.getDetectedAt();
            body.put("startsAt", startsAt.toString());
            body.put("endsAt", now.plus(ttl).toString());
        } else {
            // no startsAt: Alertmanager keeps the firing one, and endsAt can never fall before it
            body.put("endsAt", now.toString());
        }
        ArrayNode array = JSON.createArrayNode();
        array.add(body);
        return array.toString();
    }

    /** PagerDuty Events API v2: trigger or resolve under the alert's dedup key. */
    public static String pagerDuty(Alert alert, String routingKey) {
        ObjectNode body = JSON.createObjectNode();
        body.put("routing_key", routingKey);
        boolean firing = alert.getStatus() == AlertStatus.FIRING;
        body.put("event_action", firing ? "trigger" : "resolve");
        body.put("dedup_key", pagerDutyKey(alert.getDedupKey()));
        if (firing) {
            body.put("client", "tokenmeter");
            ObjectNode payload = body.putObject("payload");
            String summary = alert.getMessage();
            payload.put("summary", summary.length() <= PAGERDUTY_SUMMARY_MAX ? summary : summary.substring(0, PAGERDUTY_SUMMARY_MAX - 3) + "...");
            payload.put("source", alert.getTenant() == null ? "tokenmeter" : "tokenmeter/" + alert.getTenant());
            payload.put("severity", alert.getSeverity().name().toLowerCase(Locale.ROOT)); // critical, warning, info are PagerDuty's too
            String component = alert.getAgent() != null ? "agent " + alert.getAgent()
                    : alert.getDeployment() != null ? "deployment " + alert.getDeployment()
                    : alert.getModel() != null ? "model " + alert.getModel() : null;
            if (component != null) {
                payload.put("component", component);
            }
            if (alert.getTenant() != null) {
                payload.put("group", alert.getTenant());
            }
            payload.put("class", alert.getType().name());
            payload.put("timestamp", alert.getDetectedAt().toString());
            ObjectNode details = payload.putObject("custom_details");
            scope(alert).forEach(details::put);
            if (alert.getRule() != null) {
                details.put("rule", alert.getRule());
            }
            details.put("observed", alert.getObserved());
            details.put("threshold", alert.getThreshold());
            details.put("window_start", alert.getWindowStart().toString());
            details.put("window_end", alert.getWindowEnd().toString());
            details.put("tokenmeter_dedup_key", alert.getDedupKey());
            new TreeMap<>(alert.getEvidence()).forEach(details::put);
        }
        return body.toString();
    }

    /** A Slack incoming webhook message: {@code {"text"}} in Slack's mrkdwn. */
    public static String slack(Alert alert) {
        ObjectNode body = JSON.createObjectNode();
        body.put("text", (alert.getStatus() == AlertStatus.FIRING ? ":rotating_light: " : ":white_check_mark: ") + "*" + title(alert) + "*\n"
                + alert.getMessage() + "\n" + scopeLine(alert) + "\n`" + alert.getDedupKey() + "`");
        return body.toString();
    }

    /** A Teams Workflows ("post to a channel when a webhook request is received") message: an Adaptive Card envelope. */
    public static String teams(Alert alert) {
        ObjectNode body = JSON.createObjectNode();
        body.put("type", "message");
        ObjectNode attachment = body.putArray("attachments").addObject();
        attachment.put("contentType", "application/vnd.microsoft.card.adaptive");
        attachment.putNull("contentUrl");
        ObjectNode card = attachment.putObject("content");
        card.put("$schema", "http://adaptivecards.io/schemas/adaptive-card.json");
        card.put("type", "AdaptiveCard");
        card.put("version", "1.2");
        ArrayNode blocks = card.putArray("body");
        ObjectNode heading = blocks.addObject();
        heading.put("type", "TextBlock");
        heading.put("text", title(alert));
        heading.put("weight", "Bolder");
        heading.put("size", "Medium");
        heading.put("wrap", true);
        heading.put("color", alert.getStatus() == AlertStatus.RESOLVED ? "Good" : switch (alert.getSeverity()) {
            case CRITICAL -> "Attention";
            case WARNING -> "Warning";
            case INFO -> "Default";
        });
        ObjectNode text = blocks.addObject();
        text.put("type", "TextBlock");
        text.put("text", alert.getMessage());
        text.put("wrap", true);
        ArrayNode facts = blocks.addObject().put("type", "FactSet").putArray("facts");
        Map<String, String> shown = new LinkedHashMap<>(scope(alert));
        shown.put("dedup_key", alert.getDedupKey());
        shown.forEach((k, v) -> facts.addObject().put("title", k).put("value", v));
        card.putObject("msteams").put("width", "full");
        return body.toString();
    }

    /** tokenmeter's own JSON: the alert's fields, for receivers that want all of it. */
    public static String generic(Alert alert) {
        ObjectNode body = JSON.createObjectNode();
        body.put("source", "tokenmeter");
        body.put("status", alert.getStatus().name());
        body.put("dedupKey", alert.getDedupKey());
        body.put("type", alert.getType().name());
        body.put("severity", alert.getSeverity().name());
        body.put("rule", alert.getRule());
        ObjectNode scope = body.putObject("scope");
        scope.put("tenant", alert.getTenant());
        scope.put("application", alert.getApplication());
        scope.put("agent", alert.getAgent());
        scope.put("model", alert.getModel());
        scope.put("deployment", alert.getDeployment());
        scope.put("taskId", alert.getTaskId());
        body.put("observed", alert.getObserved());
        body.put("threshold", alert.getThreshold());
        body.put("windowStart", alert.getWindowStart().toString());
        body.put("windowEnd", alert.getWindowEnd().toString());
        body.put("detectedAt", alert.getDetectedAt().toString());
        body.put("message", alert.getMessage());
        ObjectNode evidence = body.putObject("evidence");
        new TreeMap<>(alert.getEvidence()).forEach(evidence::put);
        return body.toString();
    }

    /** RUNAWAY_LOOP becomes RunawayLoop, the usual shape of an Alertmanager alertname. */
    public static String alertName(Alert alert) {
        StringBuilder name = new StringBuilder();
        for (String word : alert.getType().name().split("_")) {
            name.append(word.charAt(0)).append(word.substring(1).toLowerCase(Locale.ROOT));
        }
        return name.toString();
    }

    /** The dedup key, or its SHA-256 when longer than PagerDuty's 255 characters (same key, same hash). */
    static String pagerDutyKey(String dedupKey) {
        if (dedupKey.length() <= PAGERDUTY_KEY_MAX) {
            return dedupKey;
        }
        try {
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(dedupKey.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String title(Alert alert) {
        return "[" + alert.getStatus() + "] " + alert.getSeverity() + " " + alertName(alert);
    }

    private static Map<String, String> scope(Alert alert) {
        Map<String, String> scope = new LinkedHashMap<>();
        putIfSet(scope, "tenant", alert.getTenant());
        putIfSet(scope, "application", alert.getApplication());
        putIfSet(scope, "agent", alert.getAgent());
        putIfSet(scope, "model", alert.getModel());
        putIfSet(scope, "deployment", alert.getDeployment());
        putIfSet(scope, "task_id", alert.getTaskId());
        return scope;
    }

    private static String scopeLine(Alert alert) {
        StringBuilder line = new StringBuilder();
        scope(alert).forEach((k, v) -> line.append(line.length() == 0 ? "" : ", ").append(k).append('=').append(v));
        return line.toString();
    }

    private static String description(Alert alert) {
        StringBuilder text = new StringBuilder("observed " + number(alert.getObserved()) + ", threshold " + number(alert.getThreshold())
                + ", window " + alert.getWindowStart() + " to " + alert.getWindowEnd());
        new TreeMap<>(alert.getEvidence()).forEach((k, v) -> text.append("; ").append(k).append('=').append(v));
        return text.toString();
    }

    private static String number(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) : Double.toString(value);
    }

    private static void putIfSet(Map<String, String> map, String key, String value) {
        if (value != null && !value.isBlank()) {
            map.put(key, value);
        }
    }
}
