package io.tokenmeter.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.deploy.DeployFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** The command line as a user meets it: help, version, and clear errors for bad input. */
class TokenmeterCommandTest {

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Tokenmeter.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    static Stream<String> subcommands() {
        return Tokenmeter.commandLine().getSubcommands().keySet().stream().filter(name -> !name.equals("help"));
    }

    /** Every command a user can run, nested ones included, as the words to type ("prices load"). */
    static Stream<String> commands() {
        return commands(Tokenmeter.commandLine(), "").stream();
    }

    private static List<String> commands(CommandLine parent, String prefix) {
        List<String> all = new java.util.ArrayList<>();
        parent.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help")) {
                all.add(prefix + name);
                all.addAll(commands(sub, prefix + name + " "));
            }
        });
        return all;
    }

    /**
     * The commands that do work (no subcommands of their own), but bench and bench http, which bring their own embedded broker, and
     * eventhubs-local, which plays Azure and never talks to Kafka.
     */
    static Stream<String> kafkaCommands() {
        return commands().filter(c -> !c.startsWith("bench") && !c.equals("eventhubs-local") && isLeaf(c));
    }

    private static boolean isLeaf(String command) {
        CommandLine cli = Tokenmeter.commandLine();
        for (String word : command.split(" ")) {
            cli = cli.getSubcommands().get(word);
        }
        return cli.getSubcommands().isEmpty();
    }

    @ParameterizedTest
    @MethodSource("commands")
    void everyCommandExplainsItselfWithHelp(String command) {
        List<String> args = new java.util.ArrayList<>(List.of(command.split(" ")));
        args.add("--help");
        Run run = run(args.toArray(String[]::new));
        assertThat(run.exit()).isZero();
        assertThat(run.out()).startsWith("Usage: tokenmeter " + command).contains("--help");
    }

    @ParameterizedTest
    @MethodSource("kafkaCommands")
    void everyCommandThatTalksToKafkaTakesTheClusterOptions(String command) {
        List<String> args = new java.util.ArrayList<>(List.of(command.split(" ")));
        args.add("--help");
        assertThat(run(args.toArray(String[]::new)).out()).contains("--bootstrap-servers").contains("--schema-registry").contains("--topic-prefix");
    }

    @Test
    void topLevelHelpListsTheCommands() {
        Run run = run("--help");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("demo").contains("run").contains("produce").contains("config");
    }

    @Test
    void withoutArgumentsItShowsUsage() {
        assertThat(run().out()).startsWith("Usage: tokenmeter");
    }

    @Test
    void versionNamesTheBuildAndKafka() {
        Run run = run("--version");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).startsWith("tokenmeter ").contains("Kafka 4.3.1");
    }

    @Test
    void anUnknownOptionIsAUsageError() {
        Run run = run("produce", "--no-such-option", "x");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("Unknown option: '--no-such-option'");
    }

    @Test
    void produceOfAMissingFileSaysSo() {
        Run run = run("produce", "--schema-registry", "mock://cli", "/no/such/file.jsonl");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("error: no such file: /no/such/file.jsonl").doesNotContain("Exception");
    }

    @Test
    void produceRefusesJsonIntoAnAvroTopic(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("x.jsonl"), "{}\n");
        Run run = run("produce", "--schema-registry", "mock://cli", "--topic", "usage", file.toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("tokenmeter.usage holds Avro records, not JSON").contains("tokenmeter.ingest.raw");
    }

    @Test
    void produceToAnUnreachableClusterSaysWhereItLooked(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("x.jsonl"), "{}\n");
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Run run = run("produce", "--bootstrap-servers", "127.0.0.1:" + port, "--schema-registry", "mock://cli",
                "--connect-timeout", "2s", file.toString());
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("cannot reach Kafka at 127.0.0.1:" + port).contains("--bootstrap-servers");
    }

    @Test
    void configShowsEffectiveValuesAndHidesSecrets() {
        Run run = run("config", "--bootstrap-servers", "kafka:9093", "--set", "schema.registry.basic.auth.user.info=me:secret",
                "--set", "kafka.sasl.jaas.config=password=hunter2");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).contains("bootstrap.servers=kafka:9093").contains("TOKENMETER_BOOTSTRAP_SERVERS")
                .doesNotContain("secret").doesNotContain("hunter2").contains("schema.registry.basic.auth.user.info=[hidden]");
    }

    @Test
    void anInvalidSettingIsAClearError() {
        Run run = run("config", "--set", "num.stream.threads=lots");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("num.stream.threads");
    }

    @Test
    void demoRejectsANonPositiveSpeed() {
        Run run = run("demo", "--speed", "0");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("--speed must be positive");
    }

    @Test
    void demoRejectsAnUnreadableDuration() {
        Run run = run("demo", "--for", "a while");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("cannot read duration 'a while'");
    }

    @Test
    void theWallClockOfTheCommandLineIsTheOneBudgetsAreSetAtAndTheDemoReplaysBefore() {
        Instant now = Instant.parse("2027-03-01T10:30:00Z");
        CommandLine cli = Tokenmeter.commandLine(Clock.fixed(now, ZoneOffset.UTC));
        cli.parseArgs("demo"); // the demo's defaults (--speed) are set by parsing
        CommandLine budgets = cli.getSubcommands().get("budgets");
        BudgetsCommand.SetBudget set = budgets.getSubcommands().get("set").getCommand();
        BudgetsCommand.LoadBudgets load = budgets.getSubcommands().get("load").getCommand();
        DemoCommand demo = cli.getSubcommands().get("demo").getCommand();

        assertThat(set.wall.instant()).isEqualTo(now);
        assertThat(load.wall.instant()).isEqualTo(now);
        assertThat(demo.replayClock().start()).isEqualTo("2027-02-28T10:00:00Z");
    }

    @Test
    void subcommandListIsWhatTheReadmeTours() throws IOException {
        // the README's tour lists each command as "tokenmeter NAME [SUBCOMMAND]  description" in the text block under "### Commands"
        List<String> readme = Files.readAllLines(DeployFiles.path("README.md"));
        List<String> tour = readme.subList(readme.indexOf("### Commands"), readme.size());
        tour = tour.subList(tour.indexOf("```text") + 1, tour.size());
        List<String> toured = tour.subList(0, tour.indexOf("```")).stream()
                .map(line -> line.split("\\s+")[1])
                .distinct()
                .toList();
        assertThat(subcommands().toList()).containsExactlyInAnyOrderElementsOf(toured);
    }

    @Test
    void bridgeEventhubsWithoutAConnectionStringSaysHowToGiveOne() {
        Run run = run("bridge", "eventhubs", "--eventhub", "hub", "--schema-registry", "mock://cli");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("error: no Event Hubs connection string: pass --connection-string or set EVENTHUBS_CONNECTION_STRING"
                + System.lineSeparator());
    }

    @ParameterizedTest
    @MethodSource("badSignIns")
    void bridgeEventhubsSignInMistakesAreOneLine(List<String> args, String error) {
        List<String> all = new java.util.ArrayList<>(List.of("bridge", "eventhubs", "--schema-registry", "mock://cli"));
        all.addAll(args);
        Run run = run(all.toArray(String[]::new));
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("error: " + error + System.lineSeparator());
    }

    static Stream<org.junit.jupiter.params.provider.Arguments> badSignIns() {
        String cs = "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=topsecret";
        return Stream.of(
                org.junit.jupiter.params.provider.Arguments.of(List.of("--namespace", "myns", "--connection-string", cs, "--eventhub", "hub"),
                        "--namespace and --connection-string exclude each other: sign in with Microsoft Entra ID or with the connection string's key"),
                org.junit.jupiter.params.provider.Arguments.of(List.of("--namespace", "myns"), "--eventhub is required with --namespace"),
                org.junit.jupiter.params.provider.Arguments.of(List.of("--namespace", "my ns!", "--eventhub", "hub"),
                        "--namespace needs an Event Hubs namespace such as myns or myns.servicebus.windows.net, not 'my ns!'"),
                org.junit.jupiter.params.provider.Arguments.of(List.of("--namespace", "myns", "--eventhub", "hub", "--credential", "password"),
                        "--credential must be one of default, environment, managed-identity, azure-cli, not password"),
                org.junit.jupiter.params.provider.Arguments.of(List.of("--connection-string", cs, "--eventhub", "hub", "--credential", "azure-cli"),
                        "--credential goes with --namespace (a connection string carries its own key)"));
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"myns, myns.servicebus.windows.net", "MyNs.servicebus.windows.net, myns.servicebus.windows.net",
        "sb://myns.servicebus.windows.net/, myns.servicebus.windows.net", "localhost, localhost.servicebus.windows.net"})
    void aNamespaceIsReadAsItsFullyQualifiedHost(String given, String host) {
        assertThat(io.tokenmeter.eventhubs.EventHubsBridge.SignIn.fullyQualified(given)).isEqualTo(host);
    }

    @Test
    void bridgeEventhubsRejectsAnUnknownStartPositionWithoutShowingTheKey() {
        Run run = run("bridge", "eventhubs", "--connection-string", "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=k;"
                + "SharedAccessKey=topsecret", "--eventhub", "hub", "--start", "yesterday");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("--start must be earliest or latest, not yesterday").doesNotContain("topsecret");
    }
}
