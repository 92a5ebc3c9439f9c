package io.tokenmeter.cli;

import ch.qos.logback.classic.Level;
import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.event.PriceEntry;
import io.tokenmeter.prices.AzureRetailPrices;
import io.tokenmeter.prices.CatalogRead;
import io.tokenmeter.prices.PriceCatalogs;
import io.tokenmeter.prices.PricePublisher;
import io.tokenmeter.pricing.PriceBook;
import io.tokenmeter.topics.Topic;
import io.tokenmeter.topics.TopicCatalog;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tokenmeter prices}: load and list the price catalog on the compacted prices topic. */
@Command(name = "prices", mixinStandardHelpOptions = true, subcommands = {PricesCommand.Load.class, PricesCommand.ListPrices.class},
        description = {"Load and list model prices (the compacted prices topic).",
            "",
            "Prices are data: each entry is in force from its effectiveFrom, and loading adds entries without erasing",
            "older ones, so late events and replays are priced with the price of their time."})
final class PricesCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The formats {@code prices load} reads. */
    enum Format { tokenmeter, azure_retail }

    @Command(name = "load", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Publish a price catalog to the prices topic.",
                "",
                "tokenmeter format: a JSON array, JSON lines, or {\"source\":..,\"entries\":[..]} of entries like",
                "  {\"model\":\"gpt-4o\",\"deploymentType\":\"global\",\"region\":\"*\",\"inputPerMillion\":\"2.50\",",
                "   \"cachedInputPerMillion\":\"1.25\",\"outputPerMillion\":\"10.00\",\"effectiveFrom\":\"2025-01-01T00:00:00Z\"}",
                "azure-retail format: a saved Azure Retail Prices API response (or its Items); items that cannot be mapped are listed."},
            footer = {"", "Examples:",
                "  tokenmeter prices load my-prices.json",
                "  tokenmeter prices load --default",
                "  curl 'https://prices.azure.com/api/retail/prices?$filter=serviceName eq ''Foundry Models''' > retail.json",
                "  tokenmeter prices load --format azure-retail retail.json"})
    static final class Load implements Callable<Integer> {

        @Parameters(index = "0", arity = "0..1", paramLabel = "FILE", description = "The catalog file.")
        Path file;

        @Option(names = "--default", description = "Load the catalog shipped with tokenmeter (Azure OpenAI list prices; see its source and date).")
        boolean useDefault;

        @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "tokenmeter", converter = FormatConverter.class,
                description = "tokenmeter or azure-retail. Default: ${DEFAULT-VALUE}.")
        Format format;

        @Option(names = "--dry-run", description = "Read and check the file, print what would be loaded, publish nothing.")
        boolean dryRun;

        @Mixin
        KafkaOptions kafka;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            Logging.toConsole(Level.WARN);
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (useDefault == (file != null)) {
                throw new IllegalArgumentException("give either a FILE or --default");
            }
            CatalogRead read = read();
            read.problems().forEach(p -> err.println((file == null ? "default catalog" : file) + ": " + p));
            if (read.entries().isEmpty()) {
                throw new IllegalArgumentException("no price entries could be read" + (read.hasProblems() ? " (see above)" : ""));
            }
            long models = read.entries().stream().map(e -> e.getModel().toLowerCase(Locale.ROOT)).distinct().count();
            if (dryRun) {
                ListPrices.print(out, read.entries());
                out.printf("dry run: %d entries for %d models would be loaded; %d problem(s)%n", read.entries().size(), models, read.problems().size());
                return read.hasProblems() ? 1 : 0;
            }
            TokenmeterConfig config = kafka.config();
            Topic<String, PriceEntry> prices = Wiring.requireTopic(config, TopicCatalog::prices);
            int published = PricePublisher.publish(config.kafkaClientProperties(), prices, read.entries());
            out.printf("loaded %d price entries for %d models into %s%s%n", published, models, prices.name(),
                    read.hasProblems() ? "; " + read.problems().size() + " item(s) could not be loaded (listed above)" : "");
            out.flush();
            return read.hasProblems() ? 1 : 0;
        }

        private CatalogRead read() throws IOException {
            if (useDefault) {
                return PriceCatalogs.defaultCatalog();
            }
            try (InputStream in = Files.newInputStream(file)) {
                return format == Format.azure_retail ? AzureRetailPrices.read(in, file.getFileName().toString())
                        : PriceCatalogs.readTokenmeter(in, file.getFileName().toString());
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException("no such file: " + file);
            }
        }
    }

    /** Accepts azure-retail as well as the enum's own name. */
    static final class FormatConverter implements picocli.CommandLine.ITypeConverter<Format> {
        @Override
        public Format convert(String value) {
            return switch (value.toLowerCase(Locale.ROOT)) {
                case "tokenmeter" -> Format.tokenmeter;
                case "azure-retail", "azure_retail" -> Format.azure_retail;
                default -> throw new picocli.CommandLine.TypeConversionException("format must be tokenmeter or azure-retail, got '" + value + "'");
            };
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Show the price entries on the prices topic, or only those in force at a time."})
    static final class ListPrices implements Callable<Integer> {

        @Option(names = "--model", paramLabel = "MODEL", description = "Only this model (case-insensitive).")
        String model;

        @Option(names = "--at", paramLabel = "ISO-INSTANT", description = "Only the entries in force at this time for each model, type and region.")
        Instant at;

        @Mixin
        KafkaOptions kafka;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Logging.toConsole(Level.WARN);
            TokenmeterConfig config = kafka.config();
            Topic<String, PriceEntry> prices = Wiring.requireTopic(config, TopicCatalog::prices);
            List<PriceEntry> entries = PricePublisher.readAll(config.kafkaClientProperties(), prices).stream()
                    .filter(e -> model == null || e.getModel().equalsIgnoreCase(model))
                    .toList();
            if (at != null) {
                PriceBook book = PriceBook.of(entries);
                entries = entries.stream().filter(e -> book.match(e.getModel(), e.getVersion(), e.getDeploymentType(),
                        e.getRegion(), at).map(e::equals).orElse(false)).toList();
            }
            PrintWriter out = spec.commandLine().getOut();
            print(out, entries);
            out.printf("%d entries%n", entries.size());
            out.flush();
            return 0;
        }

        static void print(PrintWriter out, List<PriceEntry> entries) {
            out.printf("%-24s %-8s %-11s %-14s %-20s %12s %12s %12s %12s %s%n", "model", "version", "type", "region", "effective from",
                    "input/1M", "cached/1M", "output/1M", "reason./1M", "currency");
            entries.stream().sorted(Comparator.comparing((PriceEntry e) -> e.getModel().toLowerCase(Locale.ROOT))
                            .thenComparing(PriceEntry::getDeploymentType).thenComparing(PriceEntry::getRegion)
                            .thenComparing(PriceEntry::getEffectiveFrom))
                    .forEach(e -> out.printf("%-24s %-8s %-11s %-14s %-20s %12s %12s %12s %12s %s%n", e.getModel(),
                            e.getVersion() == null ? "*" : e.getVersion(), e.getDeploymentType(), e.getRegion(),
                            e.getEffectiveFrom().toString().replace(":00Z", "Z"), decimal(e.getInputPerMillionNanos()),
                            decimal(e.getCachedInputPerMillionNanos()), decimal(e.getOutputPerMillionNanos()),
                            decimal(e.getReasoningPerMillionNanos()), e.getCurrency()));
        }

        private static String decimal(Long nanos) {
            return nanos == null ? "-" : BigDecimal.valueOf(nanos, 9).stripTrailingZeros().toPlainString();
        }
    }
}
