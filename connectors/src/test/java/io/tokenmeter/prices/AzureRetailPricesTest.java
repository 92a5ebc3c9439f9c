package io.tokenmeter.prices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.tokenmeter.event.PriceEntry;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class AzureRetailPricesTest {

    private static final String SOURCE = "Azure Retail Prices API (azure-retail-openai.json)";
    private static final String APRIL = "2025-04-15T00:00:00Z";
    private static final String JUNE = "2025-06-01T00:00:00Z";

    private static CatalogRead fixture() throws Exception {
        try (InputStream in = AzureRetailPricesTest.class.getResourceAsStream("/prices/azure-retail-openai.json")) {
            return AzureRetailPrices.read(in, "azure-retail-openai.json");
        }
    }

    private static List<PriceEntry> entries(CatalogRead read, String model, String deploymentType) {
        return read.entries().stream()
                .filter(e -> e.getModel().equals(model) && e.getDeploymentType().equals(deploymentType))
                .toList();
    }

    @Test
    void mapsTheSavedResponseToEntries() throws Exception {
        CatalogRead read = fixture();

        assertThat(read.entries())
                .extracting(PriceCatalogs::key, PriceEntry::getInputPerMillionNanos, PriceEntry::getCachedInputPerMillionNanos,
                        PriceEntry::getOutputPerMillionNanos)
                .containsExactlyInAnyOrder(
                        tuple("gpt-4.1-mini|*|global|*|" + APRIL, 400_000_000L, null, 1_600_000_000L),
                        tuple("gpt-4.1-mini|*|global|*|" + JUNE, 400_000_000L, 100_000_000L, 1_600_000_000L),
                        tuple("gpt-4.1|*|datazone|*|" + APRIL, 2_200_000_000L, null, 8_800_000_000L),
                        tuple("gpt-4.1|*|datazone|westeurope|" + APRIL, 2_400_000_000L, null, 8_800_000_000L),
                        tuple("gpt-4o|1120|global|*|2024-11-20T00:00:00Z", 2_500_000_000L, 1_250_000_000L, 10_000_000_000L),
                        tuple("text-embedding-3-small|*|global|*|2024-02-01T00:00:00Z", 20_000_000L, null, 0L),
                        tuple("gpt-4o-mini|0718|batch|*|2024-10-01T00:00:00Z", 75_000_000L, null, 300_000_000L));
        assertThat(read.entries()).allSatisfy(e -> {
            assertThat(e.getSource()).isEqualTo(SOURCE);
            assertThat(e.getCurrency()).isEqualTo("USD");
            assertThat(e.getReasoningPerMillionNanos()).isNull();
        });
        assertThat(entries(read, "gpt-4o", "global")).singleElement().extracting(PriceEntry::getVersion).isEqualTo("1120");
    }

    @Test
    void reportsEveryUnmappableItemWithItsNamesAndReason() throws Exception {
        assertThat(fixture().problems()).containsExactly(
                "item 22 (sku 'Provisioned Managed Global', meter 'Provisioned Managed Global Unit'): unit 1 Hour is not a token unit",
                "item 23 (sku 'Provisioned Managed Global', meter 'Provisioned Managed Global Unit'): type Reservation is not pay-as-you-go",
                "item 24 (sku 'Dall-E-3 Standard', meter 'Dall-E-3 Standard Images'): unit 100 is not a token unit");
    }

    @Test
    void convertsThousandAndMillionTokenUnitsToTheSamePricePerMillion() {
        CatalogRead read = AzureRetailPrices.read(page(
                item("gpt 4.1 mini Inp glbl", "0.0004", "1K", "eastus", APRIL),
                item("gpt 4.1 mini Outp glbl", "1.60", "1M", "eastus", APRIL),
                item("gpt 4.1 nano Inp glbl", "0.000025", "1K", "eastus", APRIL),
                item("gpt 4.1 nano Outp glbl", "4.0E-4", "1K", "eastus", APRIL)), "units.json");

        assertThat(read.problems()).isEmpty();
        assertThat(read.entries()).extracting(PriceEntry::getModel, PriceEntry::getInputPerMillionNanos, PriceEntry::getOutputPerMillionNanos)
                .containsExactly(tuple("gpt-4.1-mini", 400_000_000L, 1_600_000_000L), tuple("gpt-4.1-nano", 25_000_000L, 400_000_000L));
    }

    @Test
    void collapsesRegionsThatAgreeIntoTheWildcard() throws Exception {
        assertThat(entries(fixture(), "gpt-4.1-mini", "global")).extracting(PriceEntry::getRegion).containsOnly("*");
    }

    @Test
    void keepsRegionsThatDifferBesideTheMostCommonPrice() {
        CatalogRead read = AzureRetailPrices.read(page(
                item("gpt 4o Inp glbl", "0.0025", "1K", "eastus", APRIL),
                item("gpt 4o Inp glbl", "0.0025", "1K", "westus", APRIL),
                item("gpt 4o Inp glbl", "0.0030", "1K", "brazilsouth", APRIL),
                item("gpt 4o Outp glbl", "0.01", "1K", "eastus", APRIL),
                item("gpt 4o Outp glbl", "0.01", "1K", "westus", APRIL),
                item("gpt 4o Outp glbl", "0.01", "1K", "brazilsouth", APRIL),
                item("gpt 4o Outp glbl", "0.012", "1K", "brazilsouth", JUNE)), "regions.json");

        assertThat(read.problems()).isEmpty();
        assertThat(read.entries()).extracting(PriceCatalogs::key, PriceEntry::getInputPerMillionNanos, PriceEntry::getOutputPerMillionNanos)
                .containsExactly(
                        tuple("gpt-4o|*|global|*|" + APRIL, 2_500_000_000L, 10_000_000_000L),
                        tuple("gpt-4o|*|global|brazilsouth|" + APRIL, 3_000_000_000L, 10_000_000_000L),
                        tuple("gpt-4o|*|global|brazilsouth|" + JUNE, 3_000_000_000L, 12_000_000_000L));
    }

    @Test
    void combinesDirectionsAtEveryDateAnyOfThemChanges() throws Exception {
        List<PriceEntry> mini = entries(fixture(), "gpt-4.1-mini", "global");

        assertThat(mini).extracting(PriceEntry::getEffectiveFrom, PriceEntry::getCachedInputPerMillionNanos)
                .containsExactly(tuple(Instant.parse(APRIL), null), tuple(Instant.parse(JUNE), 100_000_000L));
    }

    @Test
    void usesTheLatestPriceInForceAtEachDate() {
        CatalogRead read = AzureRetailPrices.read(page(
                item("o3 Inp glbl", "0.01", "1K", "eastus", "2025-01-01T00:00:00Z"),
                item("o3 Inp glbl", "0.002", "1K", "eastus", "2025-06-01T00:00:00Z"),
                item("o3 Outp glbl", "0.04", "1K", "eastus", "2025-01-01T00:00:00Z"),
                item("o3 Outp glbl", "0.008", "1K", "eastus", "2025-06-01T00:00:00Z"),
                item("o3 cached Inp glbl", "0.0005", "1K", "eastus", "2025-09-01T00:00:00Z")), "history.json");

        assertThat(read.problems()).isEmpty();
        assertThat(read.entries()).extracting(e -> e.getEffectiveFrom().toString(), PriceEntry::getInputPerMillionNanos,
                        PriceEntry::getCachedInputPerMillionNanos, PriceEntry::getOutputPerMillionNanos)
                .containsExactly(
                        tuple("2025-01-01T00:00:00Z", 10_000_000_000L, null, 40_000_000_000L),
                        tuple("2025-06-01T00:00:00Z", 2_000_000_000L, null, 8_000_000_000L),
                        tuple("2025-09-01T00:00:00Z", 2_000_000_000L, 500_000_000L, 8_000_000_000L));
    }

    @Test
    void skipsDatesWithoutAnInputPriceAndModelsWithoutAnOutputMeter() {
        CatalogRead read = AzureRetailPrices.read(page(
                item("gpt 4o cached Inp glbl", "0.00125", "1K", "eastus", "2024-01-01T00:00:00Z"),
                item("gpt 4o Inp glbl", "0.0025", "1K", "eastus", APRIL),
                item("gpt 4o Outp glbl", "0.01", "1K", "eastus", APRIL),
                item("gpt 5 Inp glbl", "0.00125", "1K", "eastus", APRIL),
                item("gpt 5 cached Inp glbl", "0.000125", "1K", "eastus", APRIL),
                item("gpt 4.1 Outp glbl", "0.008", "1K", "eastus", APRIL)), "partial.json");

        assertThat(read.entries()).extracting(PriceCatalogs::key).containsExactly("gpt-4o|*|global|*|" + APRIL);
        assertThat(read.problems()).containsExactly(
                "gpt-4o (global, region *): no input price in force at 2024-01-01T00:00:00Z, so no entry for it",
                "gpt-5 (global, region *): no output meter, so no entries",
                "gpt-4.1 (global, region *): no input meter, so no entries");
    }

    @Test
    void readsAnArrayOfItems() {
        CatalogRead read = AzureRetailPrices.read("[" + item("o3 0416 Inp glbl", "0.002", "1K", "eastus", APRIL) + ","
                + item("o3 0416 Outp glbl", "0.008", "1K", "eastus", APRIL) + "]", "items.json");

        assertThat(read.problems()).isEmpty();
        assertThat(read.entries()).extracting(PriceCatalogs::key).containsExactly("o3|0416|global|*|" + APRIL);
    }

    @Test
    void readsJsonLinesOfPagesAndItems() {
        String lines = page(item("o4-mini 0416 Inp glbl", "0.0011", "1K", "eastus", APRIL)).replace("\n", " ") + "\n\n"
                + item("o4-mini 0416 Outp glbl", "0.0044", "1K", "eastus", APRIL) + "\n"
                + "{\"Items\": [\n";

        CatalogRead read = AzureRetailPrices.read(lines, "pages.jsonl");

        assertThat(read.entries()).extracting(PriceCatalogs::key, PriceEntry::getOutputPerMillionNanos)
                .containsExactly(tuple("o4-mini|0416|global|*|" + APRIL, 4_400_000_000L));
        assertThat(read.problems()).singleElement().asString().startsWith("line 4: not JSON");
    }

    @Test
    void aDocumentThatIsNotJsonIsOneProblem() {
        CatalogRead read = AzureRetailPrices.read("<html>rate limited</html>", "oops.json");

        assertThat(read.entries()).isEmpty();
        assertThat(read.problems()).singleElement().asString().startsWith("not JSON");
    }

    @Test
    void skipsItemsThatAreNotPayAsYouGoTokenMeters() {
        CatalogRead read = AzureRetailPrices.read(page(
                item("gpt 4o Inp glbl", "0.0025", "1K", "eastus", APRIL).replace("Consumption", "DevTestConsumption"),
                item("gpt 4o rt aud", "0.04", "1K", "eastus", APRIL),
                item("gpt 4o Outp glbl", "-0.01", "1K", "eastus", APRIL),
                item("gpt 4o Outp glbl", "0.01", "1K", "eastus", "someday")), "skip.json");

        assertThat(read.entries()).isEmpty();
        assertThat(read.problems()).containsExactly(
                "item 1 (sku 'gpt 4o Inp glbl', meter 'gpt 4o Inp glbl Tokens'): type DevTestConsumption is not pay-as-you-go",
                "item 2 (sku 'gpt 4o rt aud', meter 'gpt 4o rt aud Tokens'): no input/output direction in 'gpt 4o rt aud Tokens'",
                "item 3 (sku 'gpt 4o Outp glbl', meter 'gpt 4o Outp glbl Tokens'): retailPrice must not be negative, got -0.01",
                "item 4 (sku 'gpt 4o Outp glbl', meter 'gpt 4o Outp glbl Tokens'): effectiveStartDate 'someday' is not an ISO-8601 instant");
    }

    @Test
    void reportsConflictingPricesForOneMeterAndKeepsTheFirst() {
        CatalogRead read = AzureRetailPrices.read(page(
                item("gpt 4o Inp glbl", "0.0025", "1K", "eastus", APRIL),
                item("gpt-4o-Input-global", "0.0026", "1K", "eastus", APRIL),
                item("gpt 4o Inp glbl", "0.0025", "1K", "eastus", APRIL),
                item("gpt 4o Outp glbl", "0.01", "1K", "eastus", APRIL)), "dup.json");

        assertThat(read.entries()).singleElement().extracting(PriceEntry::getInputPerMillionNanos).isEqualTo(2_500_000_000L);
        assertThat(read.problems()).containsExactly("item 2 (sku 'gpt-4o-Input-global', meter 'gpt-4o-Input-global Tokens'):"
                + " input price 2.6 per million of gpt-4o (global, region eastus) from " + APRIL
                + " conflicts with 2.5 per million of an earlier item; the earlier is kept");
    }

    @Test
    void saysWhenTheSavedResponseContinuesOnAnotherPage() {
        String page = page(item("o3 Inp glbl", "0.002", "1K", "eastus", APRIL), item("o3 Outp glbl", "0.008", "1K", "eastus", APRIL))
                .replace("\"NextPageLink\": null", "\"NextPageLink\": \"https://prices.azure.com/api/retail/prices?$skip=100\"");

        CatalogRead read = AzureRetailPrices.read(page, "first-page.json");

        assertThat(read.entries()).hasSize(1);
        assertThat(read.problems()).containsExactly("the last page read has a NextPageLink, so later pages are missing:"
                + " https://prices.azure.com/api/retail/prices?$skip=100");
    }

    private static String page(String... items) {
        return "{\"BillingCurrency\": \"USD\", \"Items\": [\n" + String.join(",\n", items) + "\n], \"NextPageLink\": null, \"Count\": "
                + items.length + "}";
    }

    private static String item(String sku, String price, String unit, String region, String start) {
        return """
                {"currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": %s, "unitPrice": %s, "armRegionName": "%s", \
                "effectiveStartDate": "%s", "meterName": "%s Tokens", "productName": "Azure OpenAI", "skuName": "%s", \
                "serviceName": "Foundry Models", "unitOfMeasure": "%s", "type": "Consumption"}""".formatted(price, price, region, start, sku, sku, unit);
    }
}
