package io.tokenmeter.cli;

import io.tokenmeter.bills.BillPublisher;
import io.tokenmeter.bills.ExportRun;
import io.tokenmeter.bills.RowProblem;
import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.event.BillingCost;
import io.tokenmeter.topics.Topic;
import io.tokenmeter.topics.TopicCatalog;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.List;

/**
 * Loading export runs onto billing.costs as {@code billing load} and {@code billing watch} both do it: each run in its
 * own transaction, with progress on large runs, one line per run and the first problems of its rows.
 */
final class BillRunLoads {

    private static final int SHOWN_PROBLEMS = 20;

    private final TokenmeterConfig config;
    private final Topic<String, BillingCost> costs;
    private final Topic<byte[], byte[]> dlq;
    private final Clock wall;
    private final PrintWriter out;
    private final PrintWriter err;
    private long runs;
    private long deadLetters;

    private BillRunLoads(TokenmeterConfig config, Clock wall, PrintWriter out, PrintWriter err) {
        this.config = config;
        this.costs = Wiring.requireTopic(config, TopicCatalog::billingCosts);
        this.dlq = Wiring.requireTopic(config, TopicCatalog::dlq);
        this.wall = wall;
        this.out = out;
        this.err = err;
    }

    /** Once the cluster has answered and both topics are there; otherwise a clear error. */
    static BillRunLoads open(TokenmeterConfig config, Clock wall, PrintWriter out, PrintWriter err) {
        return new BillRunLoads(config, wall, out, err);
    }

    Topic<String, BillingCost> costs() {
        return costs;
    }

    /** Publishes the run in one transaction and prints what it came to; an exception leaves nothing of the run on the topic. */
    BillPublisher.Loaded load(ExportRun run) {
        BillPublisher.Loaded loaded = BillPublisher.load(config.kafkaClientProperties(), costs, dlq, List.of(run), wall, lines -> {
            err.printf("  ... %,d lines of run %s%n", lines, run.runId());
            err.flush();
        }).get(0);
        report(out, err, run, loaded.lines(), loaded.problems(), "loaded");
        runs++;
        deadLetters += loaded.deadLetters();
        return loaded;
    }

    /** The runs loaded so far, and where unreadable rows went if there were any. */
    String summary() {
        return String.format("loaded %d run(s) into %s%s", runs, costs.name(),
                deadLetters == 0 ? "" : String.format("; %,d row(s) could not be read and went to %s", deadLetters, dlq.name()));
    }

    /** One line for a run, and its first problems on stderr. */
    static void report(PrintWriter out, PrintWriter err, ExportRun run, long lines, List<RowProblem> problems, String verb) {
        out.printf("%s %s %s run %s (submitted %s): %,d line(s)%s%n", verb, run.export(), run.billingPeriod(), run.runId(), run.runSubmittedTime(),
                lines, problems.isEmpty() ? "" : String.format(", %,d problem(s)", problems.size()));
        problems.stream().limit(SHOWN_PROBLEMS).forEach(p -> err.println("  " + p));
        if (problems.size() > SHOWN_PROBLEMS) {
            err.printf("  ... and %,d more%n", problems.size() - SHOWN_PROBLEMS);
        }
        out.flush();
        err.flush();
    }
}
