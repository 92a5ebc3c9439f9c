package io.tokenmeter.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.serde.AvroSerde;
import io.tokenmeter.serde.AvroSerdeException;
import io.tokenmeter.serde.SchemaEvolutionTestSupport;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The serde and REST client against a real registry: Apicurio Registry 2.6.13.Final (from Maven Central, unpacked by
 * the build) serving the Confluent API at /apis/ccompat/v7.
 */
class ApicurioRegistryIT {

    private static Process apicurio;
    private static String url;

    @BeforeAll
    static void startApicurio() throws Exception {
        Path dir = Path.of(System.getProperty("apicurio.dir", "target/apicurio"));
        Path runner;
        try (Stream<Path> files = Files.list(dir)) {
            runner = files.filter(p -> p.getFileName().toString().endsWith("-runner.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no Apicurio runner jar in " + dir.toAbsolutePath()));
        }
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path log = dir.resolve("apicurio-" + port + ".log");
        apicurio = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:TieredStopAtLevel=1", "-Dquarkus.http.port=" + port, "-Dquarkus.http.host=127.0.0.1",
                "-jar", runner.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Runtime.getRuntime().addShutdownHook(new Thread(apicurio::destroyForcibly));
        url = "http://127.0.0.1:" + port + "/apis/ccompat/v7";
        awaitReady(Duration.ofSeconds(120), log);
    }

    private static void awaitReady(Duration timeout, Path log) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!apicurio.isAlive()) {
                throw new IllegalStateException("Apicurio exited with " + apicurio.exitValue() + "; see " + log);
            }
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url + "/subjects"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("Apicurio not ready within " + timeout + "; see " + log);
    }

    @AfterAll
    static void stopApicurio() throws InterruptedException {
        if (apicurio != null) {
            apicurio.destroy();
            if (!apicurio.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                apicurio.destroyForcibly();
            }
        }
    }

    private static HttpSchemaRegistry client() {
        return new HttpSchemaRegistry(url, RegistrySettings.DEFAULTS);
    }

    @Test
    void registersWritesAndReadsBackThroughTheRealRegistry() {
        AvroSerde<UsageEvent> writer = AvroSerde.specific(UsageEvent.class, client());
        UsageEvent event = UsageEvent.newBuilder()
                .setEventId("e-apicurio").setTimestamp(Instant.parse("2025-06-01T12:00:00Z"))
                .setTenant("contoso").setApplication("app").setUseCase("uc").setCostCenter("cc").setEnvironment("prod")
                .setAgent("agent").setModel("gpt-4o").setDeployment("gpt-4o-global")
                .setInputTokens(100).setOutputTokens(20).build();

        byte[] bytes = writer.serialize("it.usage", event);
        // a fresh client has no cache: it must fetch the writer schema by id from the registry
        UsageEvent back = AvroSerde.specific(UsageEvent.class, client()).deserialize("it.usage", bytes);

        assertThat(back).isEqualTo(event);
        int id = java.nio.ByteBuffer.wrap(bytes, 1, 4).getInt();
        assertThat(client().schemaById(id)).isEqualTo(UsageEvent.getClassSchema());
    }

    @Test
    void registeringTheSameSchemaTwiceGivesTheSameId() {
        int first = client().register("it.same-value", UsageEvent.getClassSchema());
        int second = client().register("it.same-value", UsageEvent.getClassSchema());
        assertThat(second).isEqualTo(first);
        assertThat(client().lookup("it.same-value", UsageEvent.getClassSchema())).isEqualTo(first);
    }

    @Test
    void addingAnOptionalFieldKeepsOldAndNewReadersWorking() {
        SchemaEvolutionTestSupport.assertEvolution(client(), "it.evolving");
    }

    @Test
    void anUnknownSchemaIdIsAClearError() {
        AvroSerde<UsageEvent> reader = AvroSerde.specific(UsageEvent.class, client());
        byte[] unknown = {0, 0x7f, 0x7f, 0x7f, 0x7f, 0};

        assertThatThrownBy(() -> reader.deserialize("it.usage", unknown))
                .isInstanceOf(AvroSerdeException.class)
                .hasMessageContaining("schema id " + 0x7f7f7f7f)
                .hasMessageContaining("not found");
    }
}
