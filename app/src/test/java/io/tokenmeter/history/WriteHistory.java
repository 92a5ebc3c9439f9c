package io.tokenmeter.history;

import io.tokenmeter.event.Budget;
import io.tokenmeter.topics.BudgetScope;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * Writes a {@link HistoryDataset} as JSON lines for a person to feed by hand, and prints what the service should then
 * report. No JUnit involved. From the repository root:
 *
 * <pre>
 * mvn -B -q -o -pl app -am test-compile
 * mvn -B -q -o -pl app -am dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test.classpath
 * java -cp app/target/test-classes:app/target/classes:$(cat app/target/test.classpath) io.tokenmeter.history.WriteHistory \
 *     history.jsonl [--hours 30] [--calls 24000] [--seed 20260302] [--partitions 3]
 * ./tokenmeter run --embedded &amp;
 * ./tokenmeter produce --key-field eventId history.jsonl
 * </pre>
 *
 * {@code --partitions} is the number of raw partitions (3 unless {@code topic.partitions} says otherwise): the file
 * ends with one {@code zz-tail} call per partition, two days after the last call, whose eventId Kafka's default
 * partitioner sends to that partition when the eventId is the key; without them the last windows and tasks never close.
 * Budgets are printed as {@code tokenmeter budgets set} commands: run them after the history is in, since a budget set
 * before the service has seen any spend starts from the period of the wall clock, not of the data.
 */
public final class WriteHistory {

    private WriteHistory() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0 || args[0].startsWith("-")) {
            System.err.println("usage: WriteHistory FILE [--hours N] [--calls N] [--seed N] [--partitions N]");
            System.exit(2);
        }
        Path file = Path.of(args[0]);
        HistoryDataset.Params params = HistoryDataset.Params.DEFAULTS;
        int partitions = 3;
        for (int i = 1; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--hours" -> params = params.withHours(Integer.parseInt(args[i + 1]));
                case "--calls" -> params = params.withCalls(Integer.parseInt(args[i + 1]));
                case "--seed" -> params = params.withSeed(Long.parseLong(args[i + 1]));
                case "--partitions" -> partitions = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        HistoryDataset dataset = HistoryDataset.generate(params);
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            dataset.writeJsonLines(out, partitions);
        }
        describe(dataset, Truth.of(dataset, partitions), partitions, file, System.out);
    }

    static void describe(HistoryDataset dataset, Truth truth, int partitions, Path file, PrintStream out) {
        out.printf("wrote %,d documents to %s: %,d unique calls (%,d resent duplicates), %s .. %s, tail of %d at %s%n", truth.documents(), file,
                truth.uniqueCalls(), truth.duplicates(), dataset.firstCall(), dataset.lastCall(), partitions, dataset.tailTime());
        out.println("planted incidents (and decoys that must not fire):");
        for (HistoryDataset.Incident incident : truth.incidents(dataset.incidents())) {
            out.printf("  %-8s %-17s %-40s %s%n", incident.decoy() ? "decoy" : "fires", incident.type(), incident.name(), incident.description());
        }
        out.println("budgets (run after producing the history):");
        for (Budget budget : dataset.budgets()) {
            out.printf("  tokenmeter budgets set --scope %s --period %s --amount %s --action %s%n",
                    new BudgetScope(budget.getScopeType(), budget.getScopeValue()).key(), budget.getPeriod().name().toLowerCase(),
                    BigDecimal.valueOf(budget.getAmountNanos(), 9).stripTrailingZeros().toPlainString(), budget.getAction());
        }
        Instant from = dataset.firstCall().truncatedTo(ChronoUnit.DAYS);
        Instant to = dataset.tailTime().truncatedTo(ChronoUnit.DAYS).plus(1, ChronoUnit.DAYS);
        out.printf("expected GET /api/usage?window=1d&by=tenant&from=%s&to=%s (costNanos per day and tenant):%n", from, to);
        truth.usageApi("1d", List.of("tenant"), from, to).rows().forEach((key, row) ->
                out.printf("  %-40s requests %6s  cost %s USD%n", key, row.get("requests"),
                        BigDecimal.valueOf(Long.parseLong(row.get("costNanos")), 9).toPlainString()));
    }
}
