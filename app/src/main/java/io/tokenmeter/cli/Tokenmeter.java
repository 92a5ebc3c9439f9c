package io.tokenmeter.cli;

import java.io.UncheckedIOException;
import java.time.Clock;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code tokenmeter} command. */
@Command(name = "tokenmeter", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"Real-time cost and usage aggregator for AI workloads on Apache Kafka.",
            "Prices every model call, windows usage and cost per tenant, model and agent, and watches for runaway spend."},
        subcommands = {DemoCommand.class, RunCommand.class, ProduceCommand.class, BridgeCommand.class, EventHubsLocalCommand.class,
            PricesCommand.class, BudgetsCommand.class, BillingCommand.class, PagerCommand.class, BenchCommand.class, ConfigCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Start with `tokenmeter demo --for 60s`. Every command has --help.",
            "Settings come from --config FILE, TOKENMETER_* environment variables and flags; see `tokenmeter config`."})
public final class Tokenmeter implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        int code = commandLine().execute(args);
        if (!shutdownInProgress()) {
            System.exit(code);
        }
        // Ctrl-C or SIGTERM: the JVM is already exiting through the shutdown hooks; exiting again would block
    }

    /** The command line with tokenmeter's error handling, also used by tests. */
    public static CommandLine commandLine() {
        return commandLine(Clock.systemUTC());
    }

    /** The command line on another wall clock: tests choose the date that budgets are set at and the demo replays before. */
    public static CommandLine commandLine(Clock wall) {
        CommandLine commandLine = new CommandLine(new Tokenmeter(), new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> type) throws Exception {
                K command = CommandLine.defaultFactory().create(type);
                if (command instanceof WallClocked clocked) {
                    clocked.wall(wall);
                }
                return command;
            }
        });
        commandLine.setUsageHelpWidth(120); // the help texts are written in lines of up to 120 characters
        commandLine.setExecutionExceptionHandler((exception, cmd, parseResult) -> {
            cmd.getErr().println("error: " + explain(exception));
            if (System.getenv("TOKENMETER_DEBUG") != null) {
                exception.printStackTrace(cmd.getErr());
            } else if (!isExpected(exception)) {
                cmd.getErr().println("(set TOKENMETER_DEBUG=1 to see the stack trace)");
            }
            cmd.getErr().flush();
            return 1;
        });
        return commandLine;
    }

    private static String explain(Throwable exception) {
        String message = exception.getMessage();
        return message == null ? exception.getClass().getSimpleName() : message;
    }

    private static boolean isExpected(Throwable exception) {
        return exception instanceof IllegalArgumentException || exception instanceof IllegalStateException
                || exception instanceof ConfigException || exception instanceof UncheckedIOException || exception instanceof KafkaException;
    }

    private static boolean shutdownInProgress() {
        try {
            Thread probe = new Thread(() -> { });
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }
}
