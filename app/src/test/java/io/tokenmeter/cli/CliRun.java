package io.tokenmeter.cli;

import io.tokenmeter.embedded.SharedKafka;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** One run of the tokenmeter command line as a user types it, with what it printed and its exit code. */
public record CliRun(int exit, String out, String err) {

    public static CliRun run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Tokenmeter.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new CliRun(exit, out.toString(), err.toString());
    }

    /** {@code args} against the shared embedded cluster, on the topics of {@code prefix}. */
    public static CliRun onCluster(SharedKafka.Cluster cluster, String prefix, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--bootstrap-servers", cluster.bootstrapServers(), "--schema-registry", cluster.registryUrl(),
                "--topic-prefix", prefix));
        return run(all.toArray(String[]::new));
    }
}
