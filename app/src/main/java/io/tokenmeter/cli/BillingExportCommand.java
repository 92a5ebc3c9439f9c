package io.tokenmeter.cli;

import ch.qos.logback.classic.Level;
import io.tokenmeter.bills.AllocatedBill;
import io.tokenmeter.bills.BillingExport;
import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.event.AllocatedCost;
import io.tokenmeter.event.BillingCost;
import io.tokenmeter.prices.PriceValues;
import io.tokenmeter.topics.Topic;
import io.tokenmeter.topics.TopicCatalog;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** {@code tokenmeter billing export}: the allocation of the bill as FOCUS 1.3 files for FinOps hubs and Power BI. */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write the bill, split by who used it, as FOCUS 1.3 cost and usage files.",
            "",
            "One row per bill line and scope: every part on the cost.allocated topic of the days in [--from, --to), joined",
            "with its line on billing.costs (the newest complete export run of each period). A line used by three tenants",
            "becomes three rows, plus one for what nobody measured; the rows of a line add up to its EffectiveCost,",
            "BilledCost, ListCost, ContractedCost and quantities to the nano. The scope is in Tags (tenant, application,",
            "useCase, costCenter, agent, or tokenmeter-unallocated-reason) and in the FOCUS 1.3 allocation columns",
            "(AllocatedMethodId, AllocatedMethodDetails, AllocatedResourceId, AllocatedResourceName, AllocatedTags).",
            "",
            "DIR receives part_0_0001.csv (RFC 4180, UTF-8, header row) or part_0_0001.parquet (DECIMAL money, UTC",
            "TIMESTAMP date-times), more parts past a million rows, and manifest.json with the range, row counts and totals.",
            "Parts and a manifest of an earlier export in DIR are replaced. FinOps hubs ingest the folder as a FOCUS",
            "export; Power BI reads the Parquet or CSV files directly. See docs/billing-export.md."},
        footer = {"", "Examples:",
            "  tokenmeter billing export --from 2026-11-01 --to 2026-12-01 --format parquet --out ./focus/2026-11",
            "  tokenmeter billing export --from 2026-11-02T00:00:00Z --to 2026-11-05T00:00:00Z --format csv --out ./focus/week"})
final class BillingExportCommand implements Callable<Integer>, WallClocked {

    Clock wall = Clock.systemUTC();

    @Option(names = "--from", required = true, paramLabel = "DATE|INSTANT", converter = InstantConverter.class,
            description = "The first day exported: an ISO date (midnight UTC) or instant; a line belongs to the UTC day its charge starts.")
    Instant from;

    @Option(names = "--to", required = true, paramLabel = "DATE|INSTANT", converter = InstantConverter.class,
            description = "The end of the range, exclusive.")
    Instant to;

    @Option(names = "--format", paramLabel = "csv|parquet", defaultValue = "csv", converter = FormatConverter.class,
            description = "The file format (default: ${DEFAULT-VALUE}).")
    BillingExport.Format format;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The folder to write into; created if absent.")
    Path out;

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @Override
    public void wall(Clock wall) {
        this.wall = wall;
    }

    @Override
    public Integer call() throws IOException {
        Logging.toConsole(Level.WARN);
        if (!from.isBefore(to)) {
            throw new IllegalArgumentException("--from " + from + " must be before --to " + to);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        TokenmeterConfig config = kafka.config();
        Topic<String, BillingCost> costs = Wiring.requireTopic(config, TopicCatalog::billingCosts);
        Topic<String, AllocatedCost> allocated = Wiring.requireTopic(config, TopicCatalog::costAllocated);
        AllocatedBill bill = AllocatedBill.read(config.kafkaClientProperties(), costs, allocated, from, to);
        BillingExport.Summary summary = BillingExport.write(bill, from, to, format, this.out, wall, BillingExport.ROWS_PER_PART);
        summary.files().forEach(f -> out.println("wrote " + f));
        out.printf("exported %,d row(s) of %,d bill line(s) from %s to %s; EffectiveCost %s%n", summary.rows(), summary.lines(), from, to,
                summary.effectiveCost().isEmpty() ? "0" : summary.effectiveCost().entrySet().stream()
                        .map(e -> e.getValue().stripTrailingZeros().toPlainString() + " " + e.getKey()).sorted().reduce((a, b) -> a + ", " + b).orElseThrow());
        if (summary.linesWithoutParts() > 0) {
            err.printf("%,d bill line(s) of the range have no allocation (zero-cost purchases, or days not allocated yet) and are not exported%n",
                    summary.linesWithoutParts());
        }
        if (summary.linesNotAddingUp() > 0) {
            err.printf("%,d bill line(s) were being allocated again while read: their rows do not add up to the line; export again later%n",
                    summary.linesNotAddingUp());
        }
        out.flush();
        err.flush();
        return 0;
    }

    /** An ISO date (midnight UTC), date-time (UTC) or instant with offset. */
    static final class InstantConverter implements ITypeConverter<Instant> {
        @Override
        public Instant convert(String value) {
            try {
                return PriceValues.isoInstant(value);
            } catch (DateTimeException e) {
                throw new TypeConversionException("'" + value + "' is not an ISO date (2026-11-01) or instant (2026-11-01T00:00:00Z)");
            }
        }
    }

    /** csv or parquet, in any case. */
    static final class FormatConverter implements ITypeConverter<BillingExport.Format> {
        @Override
        public BillingExport.Format convert(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "csv" -> BillingExport.Format.CSV;
                case "parquet" -> BillingExport.Format.PARQUET;
                default -> throw new TypeConversionException("format must be csv or parquet, got '" + value + "'");
            };
        }
    }
}
