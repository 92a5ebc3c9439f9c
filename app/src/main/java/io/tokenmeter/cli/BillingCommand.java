package io.tokenmeter.cli;

import ch.qos.logback.classic.Level;
import io.tokenmeter.bills.RuleFiles;
import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.event.BillingRule;
import io.tokenmeter.ingest.CompactedTopics;
import io.tokenmeter.topics.Topic;
import io.tokenmeter.topics.TopicCatalog;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tokenmeter billing}: load the Azure bill (FOCUS exports) and the rules that share what no meter says. */
@Command(name = "billing", mixinStandardHelpOptions = true,
        subcommands = {BillingLoadCommand.class, BillingWatchCommand.class, BillingCommand.Rules.class, BillingExportCommand.class},
        description = {"Load the actual Azure bill and split it by who used it.",
            "",
            "tokenmeter knows three costs of every call: the list price, its own estimate (list price x measured tokens,",
            "in seconds) and the actual bill, which Azure Cost Management exports a day later in the FinOps FOCUS format,",
            "per resource, meter and day, with discounts, reservations (PTU) and shared services. `billing load` reads",
            "those exports onto the billing.costs topic, and `billing watch` loads each new one from the storage container",
            "Azure writes them to. The running service (tokenmeter run) splits every bill line by the measured use of each",
            "tenant, application, use case and agent, to the nano:",
            "  token meters by token share (billed tokens nobody measured stay unallocated as untracked use),",
            "  provisioned throughput by tokens on the resource's provisioned deployments (unused: idle capacity),",
            "  other services (AI Search, API Management, ...) by sharing rules (`billing rules load`).",
            "The split is on the cost.allocated topic, at GET /api/allocation and GET /api/reconciliation, and",
            "BILL_DRIFT alerts when billed and measured tokens of a resource, model and day differ by more than 2 %%.",
            "`billing export` writes it as FOCUS 1.3 files (CSV or Parquet) for FinOps hubs and Power BI."},
        footer = {"", "Examples:",
            "  tokenmeter billing rules load rules.json",
            "  tokenmeter billing load ./exports/daily-focus",
            "  tokenmeter billing watch --container cost-exports --prefix exports/focus",
            "  tokenmeter billing export --from 2026-11-01 --to 2026-12-01 --format parquet --out ./focus/2026-11",
            "  curl 'localhost:8080/api/allocation?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z&by=tenant'"})
final class BillingCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "rules", mixinStandardHelpOptions = true, subcommands = {Rules.Load.class, Rules.ListRules.class},
            description = {"Sharing rules: how bill lines that are not model token or provisioned meters are split.",
                "",
                "A rule claims the lines it matches (by resourceId, serviceName, resourceGroup or tags, ignoring case) and",
                "splits each by the day's measured use it selects: allocateBy requests (every call), tokens (input + output of",
                "billed calls) or estimatedCost; among filters on tenant, application, useCase, costCenter, agent, model,",
                "deploymentType or resourceId. Rules are tried in name order; the first that matches claims a line. Lines",
                "no rule claims stay unallocated and are listed at GET /api/reconciliation."})
    static final class Rules implements Runnable {

        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }

        @Command(name = "load", mixinStandardHelpOptions = true, sortOptions = false,
                description = {"Publish the sharing rules of a file to the compacted billing.rules topic.",
                    "",
                    "A JSON array like",
                    "  [{\"name\":\"rag-search\",",
                    "    \"match\":{\"resourceId\":\"/subscriptions/.../searchServices/srch-rag\"},",
                    "    \"allocateBy\":\"requests\",",
                    "    \"among\":{\"useCase\":[\"policy-qa\",\"case-summary\"]}}]",
                    "Every rule is checked first: if any is bad, each problem is listed and nothing is published (exit code 1).",
                    "A rule with the name of one on the topic replaces it; the allocation of every billed day is recomputed."},
                footer = {"", "Examples:", "  tokenmeter billing rules load rules.json"})
        static final class Load implements Callable<Integer>, WallClocked {

            Clock wall = Clock.systemUTC();

            @Parameters(index = "0", paramLabel = "FILE|-", description = "The rules file, or - for standard input.")
            String input;

            @Mixin
            KafkaOptions kafka;

            @Spec
            CommandSpec spec;

            @Override
            public void wall(Clock wall) {
                this.wall = wall;
            }

            @Override
            public Integer call() {
                Logging.toConsole(Level.WARN);
                PrintWriter out = spec.commandLine().getOut();
                PrintWriter err = spec.commandLine().getErr();
                String name = input.equals("-") ? "standard input" : input;
                RuleFiles.Read read = RuleFiles.read(text(), wall.instant());
                read.problems().forEach(p -> err.println(name + ": " + p));
                err.flush();
                if (!read.problems().isEmpty()) {
                    throw new IllegalArgumentException(read.problems().size() + " problem(s) in " + name + " (listed above); no rules were published");
                }
                if (read.rules().isEmpty()) {
                    throw new IllegalArgumentException("no rules in " + name);
                }
                TokenmeterConfig config = kafka.config();
                Topic<String, BillingRule> topic = Wiring.requireTopic(config, TopicCatalog::billingRules);
                int published = CompactedTopics.publish(config.kafkaClientProperties(), topic,
                        read.rules().stream().map(r -> CompactedTopics.Update.put(r.getName(), r)).toList(), "sharing rules");
                read.rules().forEach(r -> out.println("rule " + describe(r)));
                out.printf("loaded %d rule(s) into %s%n", published, topic.name());
                out.flush();
                return 0;
            }

            private String text() {
                try {
                    return input.equals("-") ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8) : Files.readString(Path.of(input));
                } catch (NoSuchFileException e) {
                    throw new IllegalArgumentException("no such file: " + input);
                } catch (IOException e) {
                    throw new IllegalArgumentException("cannot read " + input + ": " + e.getMessage());
                }
            }
        }

        @Command(name = "list", mixinStandardHelpOptions = true, description = "List the sharing rules on the billing.rules topic.")
        static final class ListRules implements Callable<Integer> {

            @Mixin
            KafkaOptions kafka;

            @Spec
            CommandSpec spec;

            @Override
            public Integer call() {
                Logging.toConsole(Level.WARN);
                TokenmeterConfig config = kafka.config();
                Topic<String, BillingRule> topic = Wiring.requireTopic(config, TopicCatalog::billingRules);
                List<BillingRule> rules = CompactedTopics.latest(config.kafkaClientProperties(), topic).values().stream()
                        .sorted(Comparator.comparing(BillingRule::getName)).toList();
                PrintWriter out = spec.commandLine().getOut();
                rules.forEach(r -> out.println(describe(r)));
                out.printf("%d rule(s) in %s%n", rules.size(), topic.name());
                out.flush();
                return 0;
            }
        }

        static String describe(BillingRule r) {
            StringBuilder match = new StringBuilder();
            if (r.getMatch().getResourceId() != null) {
                match.append(" resourceId=").append(r.getMatch().getResourceId());
            }
            if (r.getMatch().getServiceName() != null) {
                match.append(" serviceName=").append(r.getMatch().getServiceName());
            }
            if (r.getMatch().getResourceGroup() != null) {
                match.append(" resourceGroup=").append(r.getMatch().getResourceGroup());
            }
            if (!r.getMatch().getTags().isEmpty()) {
                match.append(" tags=").append(r.getMatch().getTags());
            }
            return r.getName() + ": lines with" + match + " split by " + r.getAllocateBy().name().toLowerCase(java.util.Locale.ROOT)
                    + (r.getAmong().isEmpty() ? " among all use" : " among " + r.getAmong());
        }
    }
}
