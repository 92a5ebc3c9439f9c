package io.tokenmeter.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import io.tokenmeter.bills.FocusExportWriter;
import io.tokenmeter.cli.CliRun;
import io.tokenmeter.embedded.SharedKafka;
import io.tokenmeter.event.BillingCost;
import io.tokenmeter.eventhubs.Azurite;
import io.tokenmeter.service.StreamsService;
import io.tokenmeter.topics.Topic;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * `tokenmeter billing watch` against a real Azurite (blob service, from tools/azurite) and the embedded broker, running
 * and with --once as cron would run it: a run uploaded as Azure writes it is loaded once, a later pass loads nothing, a run whose
 * manifest lists a blob not uploaded yet waits, and once it is complete only that run is loaded; a refused key and a
 * missing container are one line each. Skipped when node and npm are not installed.
 */
@ExtendWith(SharedKafka.class)
class BillingWatchIT {

    private static final String CONTAINER = "cost-exports";
    private static final String PERIOD = "20261101-20261130";
    private static final String NL = System.lineSeparator();

    private static List<Map<String, String>> rows(int count, String cost) {
        List<Map<String, String>> rows = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Map<String, String> row = FocusExportWriter.usageRow();
            row.put("ChargePeriodStart", "2026-11-0" + (i + 1) + "T00:00:00Z");
            row.put("ChargePeriodEnd", "2026-11-0" + (i + 2) + "T00:00:00Z");
            row.put("EffectiveCost", cost);
            rows.add(row);
        }
        return rows;
    }

    /** Uploads the files under {@code folder} as blobs named by their path below {@code local}, manifest.json last as Azure does. */
    private static List<String> upload(BlobContainerClient container, Path local, Path folder, boolean skipLastPart) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(folder)) {
            files = walk.filter(Files::isRegularFile)
                    .sorted(Comparator.comparing((Path p) -> p.getFileName().toString().equals("manifest.json")).thenComparing(Path::toString))
                    .toList();
        }
        List<String> left = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            String name = local.relativize(files.get(i)).toString().replace('\\', '/');
            if (skipLastPart && i == files.size() - 2) {
                left.add(name);
                continue;
            }
            container.getBlobClient(name).uploadFromFile(files.get(i).toString(), true);
        }
        return left;
    }

    private static CliRun watchOnce(ServiceFixture fixture, Azurite azurite) {
        return watchOnce(fixture, azurite.connectionString(), CONTAINER);
    }

    private static CliRun watchOnce(ServiceFixture fixture, String connectionString, String container) {
        return CliRun.onCluster(fixture.cluster, fixture.topics.prefix(), "billing", "watch", "--container", container, "--prefix", "finops/",
                "--storage-connection-string", connectionString, "--once");
    }

    private static List<ConsumerRecord<String, BillingCost>> costs(ServiceFixture fixture, int expected) {
        Topic<String, BillingCost> costs = fixture.topics.billingCosts();
        return fixture.readExactly(costs.name(), costs.keySerde().deserializer(), costs.valueSerde().deserializer(), expected);
    }

    private static String runs(List<ConsumerRecord<String, BillingCost>> records) {
        return records.stream().map(r -> r.value().getRunId() + (r.value().getLine() == null ? " end " + r.value().getIndex() : " line"))
                .reduce((a, b) -> a + ", " + b).orElse("");
    }

    @Test
    void eachRunInTheContainerIsLoadedOnceAndARunWithABlobMissingWaitsUntilItIsThere(SharedKafka.Cluster cluster, @TempDir Path local)
            throws Exception {
        try (Azurite azurite = Azurite.start(); ServiceFixture fixture = new ServiceFixture(cluster, "billing-watch", Map.of())) {
            StreamsService.createTopics(fixture.config, fixture.topics);
            BlobContainerClient container = new BlobContainerClientBuilder().connectionString(azurite.connectionString())
                    .containerName(CONTAINER).buildClient();
            container.create();
            Path first = FocusExportWriter.into(local).rootFolder("finops").export("focus-daily").period(PERIOD).runId("run-1")
                    .submitted(Instant.parse("2026-11-04T06:00:00Z")).format(FocusExportWriter.Format.GZIP_CSV).rowsPerPart(2)
                    .write(rows(3, "1.00"));
            upload(container, local, first, false);
            // an export outside the prefix is not the watcher's
            Path other = FocusExportWriter.into(local).rootFolder("elsewhere").export("other").period(PERIOD).runId("run-x").write(rows(1, "9.00"));
            upload(container, local, other, false);

            // a few passes in one process: the later ones see the run's end record on the topic and load nothing
            CliRun load = CliRun.onCluster(fixture.cluster, fixture.topics.prefix(), "billing", "watch", "--container", CONTAINER,
                    "--prefix", "finops", "--storage-connection-string", azurite.connectionString(), "--interval", "1s", "--for", "5s");

            assertThat(load.exit()).as(load.err()).isZero();
            assertThat(load.err()).isEmpty();
            assertThat(load.out()).isEqualTo("watching Azure Blob container " + CONTAINER + " at " + azurite.blobEndpoint()
                    + " under finops/ -> " + fixture.topics.billingCosts().name() + ", every 1s; stopping after 5 s." + NL
                    + "loaded focus-daily " + PERIOD + " run run-1 (submitted 2026-11-04T06:00:00Z): 3 line(s)" + NL
                    + "pass: 1 run(s) in the container, 1 loaded now, 0 loaded before, 0 waiting for blobs, 0 not loadable" + NL
                    + "loaded 1 run(s) into " + fixture.topics.billingCosts().name() + NL);
            assertThat(runs(costs(fixture, 4))).isEqualTo("run-1 line, run-1 line, run-1 line, run-1 end 3");

            CliRun again = watchOnce(fixture, azurite);

            assertThat(again.exit()).as(again.err()).isZero();
            assertThat(again.out()).endsWith("pass: 1 run(s) in the container, 0 loaded now, 1 loaded before, 0 waiting for blobs, 0 not loadable" + NL);
            assertThat(costs(fixture, 4)).as("nothing new on the topic").hasSize(4);

            Path second = FocusExportWriter.into(local).rootFolder("finops").export("focus-daily").period(PERIOD).runId("run-2")
                    .submitted(Instant.parse("2026-11-05T06:00:00Z")).format(FocusExportWriter.Format.PARQUET).rowsPerPart(2)
                    .write(rows(4, "0.90"));
            List<String> notYet = upload(container, local, second, true);
            assertThat(notYet).singleElement().satisfies(name -> assertThat(name).endsWith("/run-2/part_1_0001.snappy.parquet"));

            CliRun waiting = watchOnce(fixture, azurite);

            assertThat(waiting.exit()).as("a run waiting for its blobs is no failure: " + waiting.err()).isZero();
            assertThat(waiting.err()).isEqualTo("waiting: focus-daily " + PERIOD + " run run-2 (" + notYet.get(0).replace("part_1_0001.snappy.parquet",
                    "manifest.json") + "): blob part_1_0001.snappy.parquet is not in the container yet; tried again next pass" + NL);
            assertThat(waiting.out()).endsWith("pass: 2 run(s) in the container, 0 loaded now, 1 loaded before, 1 waiting for blobs, 0 not loadable" + NL);
            assertThat(costs(fixture, 4)).hasSize(4);

            container.getBlobClient(notYet.get(0)).uploadFromFile(local.resolve(notYet.get(0)).toString());
            CliRun complete = watchOnce(fixture, azurite);

            assertThat(complete.exit()).as(complete.err()).isZero();
            assertThat(complete.err()).isEmpty();
            assertThat(complete.out()).contains("loaded focus-daily " + PERIOD + " run run-2 (submitted 2026-11-05T06:00:00Z): 4 line(s)" + NL)
                    .endsWith("pass: 2 run(s) in the container, 1 loaded now, 1 loaded before, 0 waiting for blobs, 0 not loadable" + NL);
            assertThat(runs(costs(fixture, 9))).as("only the new run")
                    .isEqualTo("run-1 line, run-1 line, run-1 line, run-1 end 3, run-2 line, run-2 line, run-2 line, run-2 line, run-2 end 4");

            String wrongKey = Base64.getEncoder().encodeToString("tokenmeter-wrong-key-0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
            CliRun refused = watchOnce(fixture, azurite.connectionString(wrongKey), CONTAINER);
            assertThat(refused.exit()).isEqualTo(1);
            assertThat(refused.err()).isEqualTo("error: cannot list the container '" + CONTAINER + "': Azure Blob storage " + azurite.blobEndpoint()
                    + " refused the credentials of the connection string (check AccountName and AccountKey, or the SAS)" + NL);
            CliRun noContainer = watchOnce(fixture, azurite.connectionString(), "no-such-container");
            assertThat(noContainer.exit()).isEqualTo(1);
            assertThat(noContainer.err()).isEqualTo("error: there is no container 'no-such-container' at Azure Blob storage " + azurite.blobEndpoint() + NL);

            String all = String.join("", load.out(), load.err(), again.out(), again.err(), waiting.out(), waiting.err(), complete.out(), complete.err(),
                    refused.out(), refused.err(), noContainer.out(), noContainer.err());
            assertThat(all).doesNotContain(Azurite.ACCOUNT_KEY, wrongKey, "\tat ");
        }
    }
}
