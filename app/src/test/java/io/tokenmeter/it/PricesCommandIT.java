package io.tokenmeter.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.cli.CliRun;
import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.embedded.SharedKafka;
import io.tokenmeter.registry.HttpSchemaRegistry;
import io.tokenmeter.registry.RegistrySettings;
import io.tokenmeter.service.StreamsService;
import io.tokenmeter.topics.TopicCatalog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** `tokenmeter prices load` and `prices list` against the embedded broker and registry, as a user runs them. */
@ExtendWith(SharedKafka.class)
class PricesCommandIT {

    private static CliRun run(SharedKafka.Cluster cluster, String prefix, String... args) {
        return CliRun.onCluster(cluster, prefix, args);
    }

    private static String prepare(SharedKafka.Cluster cluster, String name) {
        String prefix = cluster.uniquePrefix(name);
        TokenmeterConfig config = TokenmeterConfig.of(Map.of(TokenmeterConfig.BOOTSTRAP_SERVERS, cluster.bootstrapServers(),
                TokenmeterConfig.TOPIC_PREFIX, prefix, TokenmeterConfig.TOPIC_REPLICATION, "1"));
        StreamsService.createTopics(config, new TopicCatalog(prefix, new HttpSchemaRegistry(cluster.registryUrl(), RegistrySettings.DEFAULTS), 1));
        return prefix;
    }

    @Test
    void loadsTheDefaultCatalogAndListsWhatIsInForce(SharedKafka.Cluster cluster) {
        String prefix = prepare(cluster, "prices-default");

        CliRun load = run(cluster, prefix, "prices", "load", "--default");
        assertThat(load.exit()).as(load.err()).isZero();
        assertThat(load.out()).containsPattern("loaded \\d+ price entries for \\d+ models into " + prefix + "prices");

        CliRun list = run(cluster, prefix, "prices", "list", "--model", "GPT-4O");
        assertThat(list.exit()).isZero();
        assertThat(list.out()).containsPattern("gpt-4o\\s+\\*\\s+global\\s+\\*\\s+2025-01-01T00:00Z\\s+2.5\\s+1.25\\s+10\\s+-\\s+USD")
                .contains("4 entries");
    }

    @Test
    void aNewerEntryAddsToHistoryAndListAtShowsWhichIsInForce(SharedKafka.Cluster cluster, @TempDir Path dir) throws Exception {
        String prefix = prepare(cluster, "prices-history");
        Path catalog = Files.writeString(dir.resolve("prices.json"), """
                [{"model":"gpt-4o","deploymentType":"global","inputPerMillion":"2.50","outputPerMillion":"10.00","effectiveFrom":"2025-01-01T00:00:00Z"},
                 {"model":"gpt-4o","deploymentType":"global","inputPerMillion":"2.00","outputPerMillion":"8.00","effectiveFrom":"2025-07-01T00:00:00Z"}]
                """);
        assertThat(run(cluster, prefix, "prices", "load", catalog.toString()).exit()).isZero();

        assertThat(run(cluster, prefix, "prices", "list").out()).contains("2 entries");
        assertThat(run(cluster, prefix, "prices", "list", "--at", "2025-03-01T00:00:00Z").out()).contains("2.5 ").contains("1 entries");
        assertThat(run(cluster, prefix, "prices", "list", "--at", "2025-08-01T00:00:00Z").out()).containsPattern("\\s2\\s").contains("1 entries");
    }

    @Test
    void reportsWhatItCouldNotReadAndStillLoadsTheRest(SharedKafka.Cluster cluster, @TempDir Path dir) throws Exception {
        String prefix = prepare(cluster, "prices-bad");
        Path catalog = Files.writeString(dir.resolve("prices.jsonl"), """
                {"model":"gpt-4o","deploymentType":"global","inputPerMillion":"2.50","outputPerMillion":"10.00","effectiveFrom":"2025-01-01T00:00:00Z"}
                {"model":"gpt-4o","deploymentType":"global","inputPerMillion":"ten","outputPerMillion":"10.00","effectiveFrom":"2025-02-01T00:00:00Z"}
                """);

        CliRun load = run(cluster, prefix, "prices", "load", catalog.toString());

        assertThat(load.exit()).isEqualTo(1);
        assertThat(load.err()).contains("prices.jsonl: line 2").contains("inputPerMillion");
        assertThat(load.out()).contains("loaded 1 price entries").contains("1 item(s) could not be loaded");
    }

    @Test
    void mapsASavedAzureRetailPricesResponse(SharedKafka.Cluster cluster, @TempDir Path dir) throws Exception {
        String prefix = prepare(cluster, "prices-retail");
        Path retail = Files.writeString(dir.resolve("retail.json"), """
                {"BillingCurrency":"USD","Items":[
                 {"currencyCode":"USD","retailPrice":0.0004,"unitPrice":0.0004,"unitOfMeasure":"1K","armRegionName":"eastus",
                  "effectiveStartDate":"2025-04-14T00:00:00Z","meterName":"gpt 4.1 mini Inp glbl Tokens","productName":"Azure OpenAI",
                  "skuName":"gpt 4.1 mini Inp glbl","serviceName":"Foundry Models","type":"Consumption"},
                 {"currencyCode":"USD","retailPrice":1.6,"unitPrice":1.6,"unitOfMeasure":"1M","armRegionName":"eastus",
                  "effectiveStartDate":"2025-04-14T00:00:00Z","meterName":"gpt 4.1 mini Outp glbl Tokens","productName":"Azure OpenAI",
                  "skuName":"gpt 4.1 mini Outp glbl","serviceName":"Foundry Models","type":"Consumption"},
                 {"currencyCode":"USD","retailPrice":1.0,"unitPrice":1.0,"unitOfMeasure":"1 Hour","armRegionName":"eastus",
                  "effectiveStartDate":"2025-04-14T00:00:00Z","meterName":"Provisioned Managed Throughput Unit","productName":"Azure OpenAI",
                  "skuName":"Provisioned Managed","serviceName":"Foundry Models","type":"Consumption"}],"NextPageLink":null,"Count":3}
                """);

        CliRun load = run(cluster, prefix, "prices", "load", "--format", "azure-retail", retail.toString());

        assertThat(load.err()).contains("1 Hour");
        assertThat(load.out()).contains("loaded 1 price entries for 1 models");
        assertThat(run(cluster, prefix, "prices", "list").out()).containsPattern("gpt-4.1-mini\\s+\\*\\s+global\\s+\\*\\s+2025-04-14T00:00Z\\s+0.4\\s+-\\s+1.6");
    }

    @Test
    void aDryRunPublishesNothing(SharedKafka.Cluster cluster) {
        String prefix = prepare(cluster, "prices-dry");
        CliRun dry = run(cluster, prefix, "prices", "load", "--default", "--dry-run");
        assertThat(dry.exit()).isZero();
        assertThat(dry.out()).contains("dry run:");
        assertThat(run(cluster, prefix, "prices", "list").out()).contains("0 entries");
    }
}
