package io.tokenmeter.demo;

import io.tokenmeter.budget.BudgetPeriods;
import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertStatus;
import io.tokenmeter.event.BudgetStatus;
import io.tokenmeter.task.TaskTotals;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's live view: what was sent, what came out of the pipeline, and the busiest tenants, models and agents.
 * On a terminal it redraws in place; otherwise (a pipe, CI) it prints one status line per refresh.
 */
public final class ConsoleView {

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneOffset.UTC);
    private static final int TOP = 6;

    /** What the view shows besides the monitor's totals. */
    public record Frame(Duration elapsed, Duration total, Instant simulatedNow, long sent, long sentDuplicates, long sentMalformed,
                        long duplicatesDropped, FlowMonitor.Snapshot flow, List<String> header, List<String> incidents) {
    }

    private final PrintWriter out;
    private final boolean live;
    private int alertsPrinted;

    public ConsoleView(PrintWriter out, boolean live) {
        this.out = out;
        this.live = live;
    }

    public boolean live() {
        return live;
    }

    public void render(Frame frame) {
        if (!live) {
            // off a terminal: one status line per refresh, and each alert as it arrives
            List<Alert> alerts = frame.flow().alerts();
            for (int i = alertsPrinted; i < alerts.size(); i++) {
                out.println("alert: " + alertLine(alerts.get(i)).strip());
            }
            alertsPrinted = alerts.size();
            out.println(statusLine(frame));
            out.flush();
            return;
        }
        StringBuilder screen = new StringBuilder("\033[H\033[2J");
        lines(frame).forEach(line -> screen.append(line).append('\n'));
        out.print(screen);
        out.flush();
    }

    static String statusLine(Frame f) {
        return String.format(Locale.ROOT, "[%s] sim %s UTC | sent %s | usage %s | cost %s | outcomes %s | dead letters %s | duplicates dropped %s"
                        + " | alerts %d", clock(f.elapsed()), TIME.format(f.simulatedNow()), n(f.sent()), n(f.flow().usage()), usd(f.flow().costNanos()),
                n(f.flow().outcomes()), n(f.flow().deadLetters()), n(f.duplicatesDropped()), f.flow().alerts().size());
    }

    /** The full view as lines: used live and for the final summary. */
    public static List<String> lines(Frame f) {
        List<String> lines = new ArrayList<>(f.header());
        String progress = f.total() == null ? clock(f.elapsed()) : clock(f.elapsed()) + " / " + clock(f.total());
        lines.add(String.format(Locale.ROOT, "elapsed %s   simulated time %s UTC", progress, TIME.format(f.simulatedNow())));
        lines.add("");
        lines.add(String.format(Locale.ROOT, "%-22s %12s %12s %12s %14s %12s", "flow", "sent", "usage", "outcomes", "dead letters", "dup dropped"));
        lines.add(String.format(Locale.ROOT, "%-22s %12s %12s %12s %14s %12s", "", n(f.sent()), n(f.flow().usage()),
                n(f.flow().outcomes()), n(f.flow().deadLetters()), n(f.duplicatesDropped())));
        lines.add(String.format(Locale.ROOT, "%-22s %12s", "  of which duplicates", n(f.sentDuplicates())));
        lines.add(String.format(Locale.ROOT, "%-22s %12s", "  of which malformed", n(f.sentMalformed())));
        lines.add(String.format(Locale.ROOT, "tasks: %s succeeded, %s failed", n(f.flow().succeeded()), n(f.flow().failed())));
        lines.add(String.format(Locale.ROOT, "cost so far: %s over %s priced calls; %s calls had no price (unknown cost, not zero)",
                usd(f.flow().costNanos()), n(f.flow().priced() - f.flow().unpriced()), n(f.flow().unpriced())));
        lines.add("");
        lines.add(String.format(Locale.ROOT, "%-38s %-38s %-38s", "top tenants by cost (calls / tokens / $)", "top models", "top agents"));
        for (int i = 0; i < TOP; i++) {
            lines.add(String.format(Locale.ROOT, "%-38s %-38s %-38s", cell(f.flow().tenants(), i), cell(f.flow().models(), i), cell(f.flow().agents(), i)));
        }
        lines.add("");
        lines.addAll(useCases(f.flow().useCases()));
        lines.add("");
        lines.addAll(budgets(f.flow().budgets()));
        lines.add("");
        Map<String, Long> reasons = f.flow().deadLettersByReason();
        lines.add("dead letters by reason: " + (reasons.isEmpty() ? "none" : reasons.entrySet().stream()
                .map(e -> e.getKey() + " " + n(e.getValue())).reduce((a, b) -> a + ", " + b).orElse("")));
        List<Alert> alerts = f.flow().alerts();
        lines.add("");
        lines.add("alerts (" + alerts.stream().filter(a -> a.getStatus() == AlertStatus.FIRING).count() + " fired, "
                + alerts.stream().filter(a -> a.getStatus() == AlertStatus.RESOLVED).count() + " resolved; latest last):");
        if (alerts.isEmpty()) {
            lines.add("  none yet");
        }
        alerts.subList(Math.max(0, alerts.size() - MAX_ALERTS), alerts.size()).forEach(a -> lines.add(alertLine(a)));
        if (!f.incidents().isEmpty()) {
            lines.add("");
            lines.add("scripted incidents:");
            f.incidents().forEach(i -> lines.add("  " + i));
        }
        return lines;
    }

    static List<String> useCases(Map<String, TaskTotals> useCases) {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "%-22s %7s %9s %7s %9s %8s %11s %12s", "cost per task by use case", "tasks", "succeeded", "failed",
                "abandoned", "success", "total cost", "per success"));
        if (useCases.isEmpty()) {
            lines.add("  no task closed yet (a task closes a grace after its outcome, or after 15 minutes without calls)");
        }
        useCases.forEach((useCase, t) -> lines.add(String.format(Locale.ROOT, "%-22s %7s %9s %7s %9s %8s %11s %12s", "  " + useCase, n(t.tasks()),
                n(t.succeeded()), n(t.failed()), n(t.abandoned()),
                t.successRate() == null ? "-" : String.format(Locale.ROOT, "%.1f%%", t.successRate() * 100), usd(t.costNanos()),
                t.costPerSuccess() == null ? "undefined" : String.format(Locale.ROOT, "$%.4f", t.costPerSuccess()))));
        return lines;
    }

    static List<String> budgets(Map<String, BudgetStatus> budgets) {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "%-28s %-10s %10s %10s %8s %10s  %s", "budgets (by event time)", "period", "spent", "limit", "used",
                "forecast", "gateway action"));
        if (budgets.isEmpty()) {
            lines.add("  none (set one with `tokenmeter budgets set`)");
        }
        budgets.forEach((scope, b) -> lines.add(String.format(Locale.ROOT, "%-28s %-10s %10s %10s %7.1f%% %10s  %s", "  " + scope,
                BudgetPeriods.of(b.getPeriod(), BudgetPeriods.zone(b.getTimeZone()), b.getPeriodStart().toEpochMilli()).label(),
                usd(b.getSpentNanos()), usd(b.getAmountNanos()), b.getPercent(), usd(b.getForecastNanos()), b.getAction())));
        return lines;
    }

    private static final int MAX_ALERTS = 8;
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm").withZone(ZoneOffset.UTC);

    static String alertLine(Alert alert) {
        String line = String.format(Locale.ROOT, "  %s %-8s %-14s %-8s %s", CLOCK.format(alert.getDetectedAt()), alert.getStatus(), alert.getType(),
                alert.getSeverity().name().toLowerCase(Locale.ROOT), alert.getMessage());
        return line.length() > 150 ? line.substring(0, 149) + "~" : line;
    }

    private static String cell(List<FlowMonitor.Row> rows, int index) {
        if (index >= rows.size()) {
            return "";
        }
        FlowMonitor.Row row = rows.get(index);
        String name = row.name().length() > 17 ? row.name().substring(0, 16) + "~" : row.name();
        return String.format(Locale.ROOT, "%-17s %6s %6s %7s", name, n(row.calls()), tokens(row.tokens()), usd(row.costNanos()));
    }

    static String n(long value) {
        return String.format(Locale.ROOT, "%,d", value);
    }

    static String usd(long nanos) {
        double dollars = nanos / 1e9;
        return dollars >= 1000 ? String.format(Locale.ROOT, "$%,.0f", dollars) : String.format(Locale.ROOT, "$%.2f", dollars);
    }

    static String tokens(long value) {
        if (value >= 1_000_000) {
            return String.format(Locale.ROOT, "%.1fM", value / 1e6);
        }
        if (value >= 1_000) {
            return String.format(Locale.ROOT, "%.1fk", value / 1e3);
        }
        return Long.toString(value);
    }

    static String clock(Duration d) {
        long s = d.toSeconds();
        return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
