package io.tokenmeter.prices;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.event.PriceEntry;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class DefaultCatalogTest {

    private static final List<String> CHAT_MODELS = List.of("gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano",
            "o4-mini", "o3", "gpt-5", "gpt-5-mini", "gpt-5-nano");
    private static final List<String> EMBEDDING_MODELS = List.of("text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002");

    private final CatalogRead catalog = PriceCatalogs.defaultCatalog();

    private PriceEntry find(String model, String deploymentType) {
        return catalog.entries().stream()
                .filter(e -> e.getModel().equals(model) && e.getDeploymentType().equals(deploymentType))
                .findFirst().orElseThrow();
    }

    @Test
    void loadsWithoutProblems() {
        assertThat(catalog.problems()).isEmpty();
        assertThat(catalog.entries()).hasSize(CHAT_MODELS.size() * 4 + EMBEDDING_MODELS.size());
        assertThat(catalog.entries()).extracting(PriceCatalogs::key).doesNotHaveDuplicates();
    }

    @Test
    void pricesGpt4oGlobalAtListPrice() {
        PriceEntry gpt4o = find("gpt-4o", "global");

        assertThat(gpt4o.getInputPerMillionNanos()).isEqualTo(2_500_000_000L);
        assertThat(gpt4o.getCachedInputPerMillionNanos()).isEqualTo(1_250_000_000L);
        assertThat(gpt4o.getOutputPerMillionNanos()).isEqualTo(10_000_000_000L);
        assertThat(PriceCatalogs.key(gpt4o)).isEqualTo("gpt-4o|*|global|*|2025-01-01T00:00:00Z");
    }

    @Test
    void pricesDataZoneAtElevenTenthsOfGlobal() {
        PriceEntry mini = find("gpt-4.1-mini", "datazone");

        assertThat(mini.getInputPerMillionNanos()).isEqualTo(440_000_000L);
        assertThat(mini.getCachedInputPerMillionNanos()).isEqualTo(110_000_000L);
        assertThat(mini.getOutputPerMillionNanos()).isEqualTo(1_760_000_000L);
        assertThat(find("gpt-5-nano", "regional").getCachedInputPerMillionNanos()).isEqualTo(5_500_000L);
    }

    @Test
    void pricesBatchAtHalfOfGlobalWithoutCachedInput() {
        PriceEntry batch = find("gpt-5", "batch");

        assertThat(batch.getInputPerMillionNanos()).isEqualTo(625_000_000L);
        assertThat(batch.getCachedInputPerMillionNanos()).isNull();
        assertThat(batch.getOutputPerMillionNanos()).isEqualTo(5_000_000_000L);
    }

    @Test
    void coversEveryChatModelInFourDeploymentTypesAndEmbeddingsGloballyWithoutOutputPrice() {
        for (String model : CHAT_MODELS) {
            assertThat(catalog.entries().stream().filter(e -> e.getModel().equals(model)).map(PriceEntry::getDeploymentType)
                    .collect(Collectors.toSet())).as(model).isEqualTo(Set.of("global", "datazone", "regional", "batch"));
        }
        for (String model : EMBEDDING_MODELS) {
            assertThat(catalog.entries()).filteredOn(e -> e.getModel().equals(model)).singleElement()
                    .satisfies(e -> assertThat(e.getDeploymentType()).isEqualTo("global"))
                    .satisfies(e -> assertThat(e.getOutputPerMillionNanos()).isZero());
        }
        assertThat(catalog.entries()).extracting(PriceEntry::getDeploymentType).doesNotContain("provisioned");
    }

    @Test
    void everyEntryIsAnyRegionUsdFromTheStartOf2025WithItsSource() {
        assertThat(catalog.entries()).allSatisfy(e -> {
            assertThat(e.getRegion()).isEqualTo("*");
            assertThat(e.getCurrency()).isEqualTo("USD");
            assertThat(e.getVersion()).isNull();
            assertThat(e.getEffectiveFrom()).isEqualTo(Instant.parse("2025-01-01T00:00:00Z"));
            assertThat(e.getSource()).contains("https://azure.microsoft.com/pricing/details/cognitive-services/openai-service/")
                    .endsWith("(retrieved 2026-11-22)");
        });
    }
}
