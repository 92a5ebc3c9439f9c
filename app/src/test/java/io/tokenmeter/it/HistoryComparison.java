package io.tokenmeter.it;

import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertStatus;
import io.tokenmeter.history.HistoryDataset.Incident;
import io.tokenmeter.history.Table;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compares a run with the truth (every table, the incidents, the dead letters) and runs with each other, and says
 * what differs in a form a person can act on: counts first, then the first differing rows.
 */
final class HistoryComparison {

    /** Differing rows shown per kind (missing, extra, changed) and table. */
    static final int SHOWN = 6;

    private HistoryComparison() {
    }

    /** The alerts of one incident's scope in one run: their dedup keys and FIRING/RESOLVED records. */
    record IncidentResult(Incident incident, List<String> keys, long firing, long resolved) {

        /** An incident fires exactly once (one dedup key, one FIRING) and resolves at most once; a decoy never fires. */
        boolean ok() {
            return incident.decoy() ? keys.isEmpty() : keys.size() == 1 && firing == 1 && resolved <= 1;
        }

        String line() {
            return String.format("%-4s %-6s %-40s %d dedup key(s), %d FIRING, %d RESOLVED %s", ok() ? "ok" : "BAD", incident.decoy() ? "decoy" : "fires",
                    incident.name(), keys.size(), firing, resolved, keys.isEmpty() ? "" : keys);
        }
    }

    /** One run against the truth. */
    record Verdict(RunResults run, List<Table.Diff> diffs, List<IncidentResult> incidents, List<String> unexpectedAlerts) {

        boolean ok() {
            return run.complete() && diffs.stream().allMatch(Table.Diff::none) && incidents.stream().allMatch(IncidentResult::ok)
                    && unexpectedAlerts.isEmpty() && run.deadLetters().isEmpty();
        }

        long rowsDiffering() {
            return diffs.stream().mapToLong(Table.Diff::differing).sum();
        }

        /** A few lines: the numbers to quote. */
        String summary() {
            StringBuilder out = new StringBuilder();
            out.append(String.format("run %s (%s): %s; late dead letters %d; dead letters by reason %s; %d rows differ from the truth; incidents: ",
                    run.name(), run.feed().name(), run.complete() ? "complete" : "NOT COMPLETE", run.lateDeadLetters(), run.deadLetters(),
                    rowsDiffering()));
            List<String> parts = new ArrayList<>();
            for (IncidentResult result : incidents) {
                if (!result.incident().decoy() || !result.keys().isEmpty()) {
                    parts.add(result.incident().name() + " " + result.firing() + "F/" + result.resolved() + "R" + (result.keys().size() > 1
                            ? " over " + result.keys().size() + " keys" : "") + (result.ok() ? "" : " BAD"));
                }
            }
            out.append(String.join(", ", parts)).append("; unexpected alert keys ").append(unexpectedAlerts.size());
            return out.toString();
        }

        String describe() {
            StringBuilder out = new StringBuilder("==== run ").append(run.name()).append(": ").append(run.feed().description).append('\n');
            run.notes().forEach(note -> out.append("  ").append(note).append('\n'));
            out.append("  dead letters by reason: ").append(run.deadLetters()).append("; service counters (since its last start): ")
                    .append(run.metrics()).append('\n');
            for (Table.Diff diff : diffs) {
                out.append("  ").append(diff.none() ? diff.summary() + '\n' : diff.describe(SHOWN).replace("\n    ", "\n      "));
            }
            out.append("  incidents (each must fire once and resolve at most once; decoys never):\n");
            incidents.forEach(result -> out.append("    ").append(result.line()).append('\n'));
            out.append("  alert keys no incident accounts for: ").append(unexpectedAlerts.size()).append('\n');
            unexpectedAlerts.stream().limit(SHOWN * 2L).forEach(key -> out.append("    ").append(key).append('\n'));
            out.append("  => ").append(ok() ? "EQUAL TO THE TRUTH" : "DIFFERS FROM THE TRUTH").append('\n');
            return out.toString();
        }
    }

    static Verdict againstTruth(RunResults run, Map<String, Table> expected, List<Incident> incidents) {
        List<Table.Diff> diffs = new ArrayList<>();
        expected.forEach((name, table) -> diffs.add(table.diff(run.tables().getOrDefault(name, new Table(name)))));
        Map<String, List<Alert>> byKey = run.alertsByKey();
        List<IncidentResult> results = new ArrayList<>();
        Set<String> accounted = new HashSet<>();
        for (Incident incident : incidents) {
            List<String> keys = new ArrayList<>();
            long firing = 0;
            long resolved = 0;
            for (Map.Entry<String, List<Alert>> entry : byKey.entrySet()) {
                if (entry.getValue().stream().anyMatch(alert -> matches(alert, incident))) {
                    keys.add(entry.getKey());
                    firing += entry.getValue().stream().filter(a -> a.getStatus() == AlertStatus.FIRING).count();
                    resolved += entry.getValue().stream().filter(a -> a.getStatus() == AlertStatus.RESOLVED).count();
                    if (!incident.decoy()) {
                        accounted.add(entry.getKey());
                    }
                }
            }
            results.add(new IncidentResult(incident, keys, firing, resolved));
        }
        List<String> unexpected = new ArrayList<>();
        byKey.forEach((key, records) -> {
            if (!accounted.contains(key)) {
                unexpected.add(key + " " + records.stream().map(a -> a.getStatus().name()).toList());
            }
        });
        return new Verdict(run, diffs, results, unexpected);
    }

    /** An alert of the incident's type whose scope fields (tenant, taskId, model, deployment, evidence.X, threshold) all match. */
    static boolean matches(Alert alert, Incident incident) {
        if (alert.getType() != incident.type()) {
            return false;
        }
        return incident.scope().entrySet().stream().allMatch(e -> e.getValue().equals(field(alert, e.getKey())));
    }

    private static String field(Alert alert, String name) {
        if (name.startsWith("evidence.")) {
            return alert.getEvidence().get(name.substring("evidence.".length()));
        }
        return switch (name) {
            case "tenant" -> alert.getTenant();
            case "taskId" -> alert.getTaskId();
            case "model" -> alert.getModel();
            case "deployment" -> alert.getDeployment();
            case "application" -> alert.getApplication();
            case "agent" -> alert.getAgent();
            case "threshold" -> Long.toString(Math.round(alert.getThreshold()));
            default -> throw new IllegalArgumentException("no alert field " + name);
        };
    }

    /** Every table two runs both have, and their alerts per dedup key, compared (the first run as the expected one). */
    static List<Table.Diff> between(RunResults a, RunResults b) {
        List<Table.Diff> diffs = new ArrayList<>();
        a.tables().forEach((name, table) -> diffs.add(relabel(table.diff(b.tables().getOrDefault(name, new Table(name))), a, b)));
        diffs.add(relabel(a.alertTable().diff(b.alertTable()), a, b));
        return diffs;
    }

    private static Table.Diff relabel(Table.Diff diff, RunResults a, RunResults b) {
        return new Table.Diff(diff.table() + " " + a.name() + "->" + b.name(), diff.expectedRows(), diff.actualRows(), diff.missing(), diff.extra(),
                diff.changed());
    }
}
