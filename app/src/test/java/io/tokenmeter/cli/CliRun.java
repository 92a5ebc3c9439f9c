package io.tokenmeter.cli;

import io.tokenmeter.embedded.SharedKafka;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** One run of the tokenmeter command line as a user types it, with what it printed and its exit code. */
public record CliRun(int exit, String out, String err) {

    public static CliRun run(String... args) {
        return run(Clock.systemUTC(), args);
    }

    /** {@code args} on a wall clock of the test's choosing (budgets are set at its now). */
    public static CliRun run(Clock wall, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Tokenmeter.commandLine(wall);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new CliRun(exit, out.toString(), err.toString());
    }

    /** {@code args} against the shared embedded cluster, on the topics of {@code prefix}. */
    public static CliRun onCluster(SharedKafka.Cluster cluster, String prefix, String... args) {
        return onCluster(Clock.systemUTC(), cluster, prefix, args);
    }

    /** {@code args} against the shared embedded cluster, on the topics of {@code prefix}, on a wall clock of the test's choosing. */
    public static CliRun onCluster(Clock wall, SharedKafka.Cluster cluster, String prefix, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--bootstrap-servers", cluster.bootstrapServers(), "--schema-registry", cluster.registryUrl(),
                "--topic-prefix", prefix));
        return run(wall, all.toArray(String[]::new));
    }
}
