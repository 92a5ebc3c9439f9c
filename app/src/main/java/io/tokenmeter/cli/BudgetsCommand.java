package io.tokenmeter.cli;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokenmeter.budgets.BudgetFiles;
import io.tokenmeter.budgets.BudgetPublisher;
import io.tokenmeter.budgets.BudgetSpecs;
import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.event.Budget;
import io.tokenmeter.topics.BudgetScope;
import io.tokenmeter.topics.Topic;
import io.tokenmeter.topics.TopicCatalog;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tokenmeter budgets}: set, load, remove and list the budgets on the compacted budgets topic. */
@Command(name = "budgets", mixinStandardHelpOptions = true,
        subcommands = {BudgetsCommand.SetBudget.class, BudgetsCommand.LoadBudgets.class, BudgetsCommand.RemoveBudget.class,
            BudgetsCommand.ListBudgets.class},
        description = {"Set, load, remove and list spending budgets (the compacted budgets topic).",
            "",
            "A budget limits what one scope may spend per calendar month, quarter or year, counted in its time zone.",
            "A scope is TYPE:VALUE with TYPE one of tenant, costCenter, application, agent: tenant:contoso,",
            "costCenter:cc-legal. A scope has one budget: setting it again replaces it. Thresholds are percents of the",
            "amount; the action is what gateways are told at 100 %% (WARN or BLOCK).",
            "",
            "The running service (tokenmeter run) tracks spend against each budget: its status is on the budget-status",
            "topic and at GET /api/budgets, gateways ask GET /api/quota/TYPE/VALUE (ALLOW, WARN or BLOCK), and each",
            "threshold crossed fires a BUDGET_THRESHOLD alert once per period."},
        footer = {"", "Examples:",
            "  tokenmeter budgets set --scope tenant:contoso --period month --amount 1000",
            "  tokenmeter budgets load budgets.json",
            "  tokenmeter budgets list",
            "  tokenmeter budgets remove --scope tenant:contoso"})
final class BudgetsCommand implements Runnable {

    /** Names a field in messages by the option that gives it: timeZone is --time-zone. */
    private static final Function<String, String> OPTION =
            field -> "--" + field.replaceAll("([A-Z])", "-$1").toLowerCase(Locale.ROOT);

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "set", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Set the budget of one scope, replacing any it had.",
                "",
                "Amounts are decimals in the currency (1000, 12.50; at most 9 decimals). Everything is checked before",
                "anything is sent; the budget is written with acks=all."},
            footer = {"", "Examples:",
                "  tokenmeter budgets set --scope tenant:contoso --period month --amount 1000",
                "  tokenmeter budgets set --scope costCenter:cc-legal --period quarter --amount 12500.50 --currency EUR \\",
                "      --thresholds 80,100 --action BLOCK --time-zone Europe/Berlin"})
    static final class SetBudget implements Callable<Integer>, WallClocked {

        /** The budget's updatedAt, which also places the period it starts in until spend moves event time on. */
        Clock wall = Clock.systemUTC();

        @Option(names = "--scope", required = true, paramLabel = "TYPE:VALUE",
                description = "What the budget limits: tenant:ID, costCenter:ID, application:ID or agent:ID.")
        String scope;

        @Option(names = "--period", required = true, paramLabel = "PERIOD", description = "month, quarter or year (calendar).")
        String period;

        @Option(names = "--amount", required = true, paramLabel = "DECIMAL", description = "The limit per period, above 0, e.g. 1000 or 12.50.")
        String amount;

        @Option(names = "--currency", paramLabel = "CODE", defaultValue = BudgetSpecs.DEFAULT_CURRENCY,
                description = "ISO 4217 code of the amount; it should be the currency of your prices. Default: ${DEFAULT-VALUE}.")
        String currency;

        @Option(names = "--thresholds", paramLabel = "PERCENT[,...]", defaultValue = "50,80,100",
                description = "Alert at these percentages of the amount (1 to 1000). Default: ${DEFAULT-VALUE}.")
        String thresholds;

        @Option(names = "--action", paramLabel = "WARN|BLOCK", defaultValue = "WARN",
                description = "What gateways are told once the budget is spent. Default: ${DEFAULT-VALUE}.")
        String action;

        @Option(names = "--time-zone", paramLabel = "ZONE", defaultValue = BudgetSpecs.DEFAULT_TIME_ZONE,
                description = "Time zone in which periods start, e.g. Europe/Berlin. Default: ${DEFAULT-VALUE}.")
        String timeZone;

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
            BudgetSpecs.Parsed parsed = parse(wall.instant());
            if (parsed.budget() == null) {
                PrintWriter err = spec.commandLine().getErr();
                parsed.problems().forEach(p -> err.println("error: " + p));
                err.flush();
                return 1;
            }
            TokenmeterConfig config = kafka.config();
            Topic<String, Budget> topic = Wiring.requireTopic(config, TopicCatalog::budgets);
            BudgetPublisher.publish(config.kafkaClientProperties(), topic, List.of(parsed.budget()));
            PrintWriter out = spec.commandLine().getOut();
            out.printf("budget %s -> topic %s%n", BudgetSpecs.describe(parsed.budget()), topic.name());
            out.flush();
            return 0;
        }

        /** The options read as a budget entry, so that they follow exactly the rules of a budget file. */
        BudgetSpecs.Parsed parse(Instant updatedAt) {
            ObjectNode entry = JsonNodeFactory.instance.objectNode()
                    .put("scope", scope).put("period", period).put("amount", amount).put("currency", currency)
                    .put("thresholds", thresholds).put("action", action).put("timeZone", timeZone);
            return BudgetSpecs.read(entry, OPTION, updatedAt);
        }
    }

    @Command(name = "load", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Publish the budgets of a file to the budgets topic.",
                "",
                "A JSON array or JSON lines of entries like",
                "  {\"scope\":\"tenant:contoso\",\"period\":\"month\",\"amount\":\"1000\",\"currency\":\"USD\",",
                "   \"thresholds\":[50,80,100],\"action\":\"BLOCK\",\"timeZone\":\"UTC\"}",
                "amount is a string or a number; currency, thresholds, action and timeZone may be left out (USD,",
                "[50,80,100], WARN, UTC). Every entry is checked first: if any is bad, each bad one is listed with its",
                "position and nothing is published (exit code 1). Budgets of other scopes on the topic stay as they are."},
            footer = {"", "Examples:",
                "  tokenmeter budgets load budgets.json",
                "  cat budgets.jsonl | tokenmeter budgets load --bootstrap-servers kafka:9092 -"})
    static final class LoadBudgets implements Callable<Integer>, WallClocked {

        /** The budgets' updatedAt, as for {@code set}. */
        Clock wall = Clock.systemUTC();

        @Parameters(index = "0", paramLabel = "FILE|-", description = "The budget file, or - for standard input.")
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
            BudgetFiles.Read read = read(wall.instant());
            read.problems().forEach(p -> err.println(name + ": " + p));
            if (read.hasProblems()) {
                throw new IllegalArgumentException(read.problems().size() + " problem(s) in " + name
                        + " (listed above); no budgets were published");
            }
            if (read.budgets().isEmpty()) {
                throw new IllegalArgumentException("no budgets in " + name);
            }
            TokenmeterConfig config = kafka.config();
            Topic<String, Budget> topic = Wiring.requireTopic(config, TopicCatalog::budgets);
            int published = BudgetPublisher.publish(config.kafkaClientProperties(), topic, read.budgets());
            read.budgets().forEach(b -> out.println("budget " + BudgetSpecs.describe(b)));
            out.printf("loaded %d budget(s) into %s%n", published, topic.name());
            out.flush();
            return 0;
        }

        private BudgetFiles.Read read(Instant updatedAt) {
            if (input.equals("-")) {
                return read(System.in, updatedAt);
            }
            try (InputStream in = Files.newInputStream(Path.of(input))) {
                return read(in, updatedAt);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException("no such file: " + input);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read " + input + ": " + e.getMessage());
            }
        }

        private BudgetFiles.Read read(InputStream in, Instant updatedAt) {
            try {
                return BudgetFiles.read(in, updatedAt);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read " + input + ": " + e.getMessage());
            }
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Remove the budget of one scope (a tombstone on the budgets topic).",
                "",
                "Its spending is no longer limited; an error if the scope has no budget."},
            footer = {"", "Examples:",
                "  tokenmeter budgets remove --scope tenant:contoso",
                "  tokenmeter budgets remove --scope costCenter:cc-legal --bootstrap-servers kafka:9092"})
    static final class RemoveBudget implements Callable<Integer> {

        @Option(names = "--scope", required = true, paramLabel = "TYPE:VALUE", description = "The scope whose budget to remove.")
        String scope;

        @Mixin
        KafkaOptions kafka;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Logging.toConsole(Level.WARN);
            BudgetScope target;
            try {
                target = BudgetSpecs.scope(scope);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(OPTION.apply("scope") + ": " + e.getMessage());
            }
            TokenmeterConfig config = kafka.config();
            Topic<String, Budget> topic = Wiring.requireTopic(config, TopicCatalog::budgets);
            Budget current = BudgetPublisher.readAll(config.kafkaClientProperties(), topic).stream()
                    .filter(b -> BudgetSpecs.scopeOf(b).equals(target))
                    .findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no budget for " + target.key() + " on " + topic.name()
                            + "; nothing removed (see `tokenmeter budgets list`)"));
            BudgetPublisher.remove(config.kafkaClientProperties(), topic, target);
            PrintWriter out = spec.commandLine().getOut();
            out.printf("removed budget %s -> tombstone on topic %s%n", BudgetSpecs.describe(current), topic.name());
            out.flush();
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Show the budgets on the budgets topic, one per scope."},
            footer = {"", "Examples:",
                "  tokenmeter budgets list",
                "  tokenmeter budgets list --bootstrap-servers kafka:9092 --schema-registry http://registry:8081"})
    static final class ListBudgets implements Callable<Integer> {

        private static final String[] HEADER = {"scope", "period", "amount", "currency", "thresholds %", "action", "time zone", "updated"};
        private static final int AMOUNT_COLUMN = 2;

        @Mixin
        KafkaOptions kafka;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Logging.toConsole(Level.WARN);
            TokenmeterConfig config = kafka.config();
            Topic<String, Budget> topic = Wiring.requireTopic(config, TopicCatalog::budgets);
            List<Budget> budgets = BudgetPublisher.readAll(config.kafkaClientProperties(), topic);
            PrintWriter out = spec.commandLine().getOut();
            if (budgets.isEmpty()) {
                out.printf("no budgets on %s%n", topic.name());
            } else {
                print(out, budgets);
                out.printf("%d budget(s)%n", budgets.size());
            }
            out.flush();
            return 0;
        }

        static void print(PrintWriter out, List<Budget> budgets) {
            List<String[]> rows = new ArrayList<>();
            rows.add(HEADER);
            budgets.forEach(b -> rows.add(new String[] {BudgetSpecs.scopeOf(b).key(), BudgetSpecs.period(b.getPeriod()),
                BudgetSpecs.amount(b.getAmountNanos()), b.getCurrency(), BudgetSpecs.thresholds(b), b.getAction().name(),
                b.getTimeZone(), b.getUpdatedAt().truncatedTo(ChronoUnit.SECONDS).toString()}));
            int[] widths = new int[HEADER.length];
            rows.forEach(row -> {
                for (int i = 0; i < row.length; i++) {
                    widths[i] = Math.max(widths[i], row[i].length());
                }
            });
            for (String[] row : rows) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < row.length; i++) {
                    String format = i == AMOUNT_COLUMN ? "%" + widths[i] + "s" : "%-" + widths[i] + "s";
                    line.append(i == 0 ? "" : "  ").append(String.format(Locale.ROOT, format, row[i]));
                }
                out.println(line.toString().stripTrailing());
            }
        }
    }
}
