package io.tokenmeter.it;

import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertStatus;
import io.tokenmeter.history.Table;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one run of the history reported: tables by name (API answers, latest records of the output topics), every alert
 * record in topic order, dead letters by reason, the service's lateness counters, and notes on how the run went.
 */
record RunResults(String name, HistoryRun.Feed feed, boolean complete, Map<String, Table> tables, List<Alert> alerts,
                  Map<String, Long> deadLetters, Map<String, String> metrics, List<String> notes) {

    RunResults withNotes(List<String> more) {
        return new RunResults(name, feed, complete, tables, alerts, deadLetters, metrics, List.copyOf(more));
    }

    long lateDeadLetters() {
        return deadLetters.getOrDefault("late", 0L);
    }

    /** The alert records of each dedup key, in topic order. */
    Map<String, List<Alert>> alertsByKey() {
        Map<String, List<Alert>> byKey = new TreeMap<>();
        alerts.forEach(alert -> byKey.computeIfAbsent(alert.getDedupKey(), k -> new java.util.ArrayList<>()).add(alert));
        return byKey;
    }

    /** One row per dedup key: type, scope, and how many FIRING and RESOLVED records it has. */
    Table alertTable() {
        Table table = new Table("alerts (per dedup key)");
        alertsByKey().forEach((key, records) -> {
            Alert first = records.get(0);
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("type", first.getType());
            fields.put("firing", records.stream().filter(a -> a.getStatus() == AlertStatus.FIRING).count());
            fields.put("resolved", records.stream().filter(a -> a.getStatus() == AlertStatus.RESOLVED).count());
            fields.put("tenant", first.getTenant());
            fields.put("taskId", first.getTaskId());
            fields.put("model", first.getModel());
            fields.put("deployment", first.getDeployment());
            table.put(key, fields);
        });
        return table;
    }
}
