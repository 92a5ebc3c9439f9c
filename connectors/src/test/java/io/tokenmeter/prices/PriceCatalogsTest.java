package io.tokenmeter.prices;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.event.PriceEntry;
import java.io.ByteArrayInputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PriceCatalogsTest {

    private static final String GPT_4O = """
            {"model":"gpt-4o","version":null,"deploymentType":"global","region":"*","currency":"USD","inputPerMillion":"2.50",\
            "cachedInputPerMillion":"1.25","outputPerMillion":"10.00","reasoningPerMillion":null,"effectiveFrom":"2025-01-01T00:00:00Z"}""";
    private static final String NANO = """
            {"model":"gpt-4.1-nano","deploymentType":"global","inputPerMillion":"0.10","cachedInputPerMillion":"0.025",\
            "outputPerMillion":"0.40","effectiveFrom":"2025-01-01"}""";

    @Test
    void readsAnArrayOfEntriesToExactNanos() {
        CatalogRead read = PriceCatalogs.readTokenmeter("[" + GPT_4O + ",\n" + NANO + "]", "prices.json");

        assertThat(read.problems()).isEmpty();
        PriceEntry gpt4o = read.entries().get(0);
        assertThat(gpt4o.getModel()).isEqualTo("gpt-4o");
        assertThat(gpt4o.getInputPerMillionNanos()).isEqualTo(2_500_000_000L);
        assertThat(gpt4o.getCachedInputPerMillionNanos()).isEqualTo(1_250_000_000L);
        assertThat(gpt4o.getOutputPerMillionNanos()).isEqualTo(10_000_000_000L);
        assertThat(gpt4o.getReasoningPerMillionNanos()).isNull();
        assertThat(gpt4o.getEffectiveFrom()).isEqualTo(Instant.parse("2025-01-01T00:00:00Z"));
        assertThat(gpt4o.getSource()).isEqualTo("prices.json");
        PriceEntry nano = read.entries().get(1);
        assertThat(nano.getCachedInputPerMillionNanos()).isEqualTo(25_000_000L);
        assertThat(nano.getInputPerMillionNanos()).isEqualTo(100_000_000L);
        assertThat(nano.getEffectiveFrom()).as("a plain date is midnight UTC").isEqualTo(Instant.parse("2025-01-01T00:00:00Z"));
    }

    @Test
    void readsJsonLinesSkippingBlankLinesAndNamingBadLinesByNumber() {
        CatalogRead read = PriceCatalogs.readTokenmeter(GPT_4O + "\n\n" + NANO + "\nnot json\n" + entry("\"outputPerMillion\":\"ten\"") + "\n", "prices.jsonl");

        assertThat(read.entries()).extracting(PriceEntry::getModel).containsExactly("gpt-4o", "gpt-4.1-nano");
        assertThat(read.problems()).hasSize(2);
        assertThat(read.problems().get(0)).startsWith("line 4: not JSON");
        assertThat(read.problems().get(1)).isEqualTo("line 5: field 'outputPerMillion': must be a decimal amount, got \"ten\"");
    }

    @Test
    void readsAnObjectWithSourceRetrievedAndEntries() {
        String doc = """
                {"source": "Azure OpenAI pricing page", "retrieved": "2026-11-22", "notes": "list prices",
                 "entries": [%s, {"model":"o3","deploymentType":"GlobalStandard","inputPerMillion":"2.00","outputPerMillion":"8.00",
                                  "effectiveFrom":"2025-01-01T00:00:00Z","source":"our contract"}]}
                """.formatted(GPT_4O);

        CatalogRead read = PriceCatalogs.readTokenmeter(doc, "catalog.json");

        assertThat(read.problems()).isEmpty();
        assertThat(read.entries()).extracting(PriceEntry::getSource)
                .containsExactly("Azure OpenAI pricing page (retrieved 2026-11-22)", "our contract");
    }

    @Test
    void readsReadersAndUtf8StreamsWithAByteOrderMark() throws Exception {
        byte[] bytes = ("\uFEFF[" + GPT_4O + "]").getBytes(StandardCharsets.UTF_8);

        assertThat(PriceCatalogs.readTokenmeter(new ByteArrayInputStream(bytes), "bom.json").entries()).hasSize(1);
        assertThat(PriceCatalogs.readTokenmeter(new StringReader("[" + GPT_4O + "]"), "reader.json").entries()).hasSize(1);
    }

    @Test
    void fillsDefaultsForOptionalFields() {
        CatalogRead read = PriceCatalogs.readTokenmeter(entry(""), "minimal.json");

        assertThat(read.problems()).isEmpty();
        PriceEntry entry = read.entries().get(0);
        assertThat(entry.getVersion()).isNull();
        assertThat(entry.getRegion()).isEqualTo("*");
        assertThat(entry.getCurrency()).isEqualTo("USD");
        assertThat(entry.getCachedInputPerMillionNanos()).isNull();
        assertThat(entry.getReasoningPerMillionNanos()).isNull();
    }

    @Test
    void readsJsonNumbersExactlyNeverThroughADouble() {
        CatalogRead read = PriceCatalogs.readTokenmeter(
                "[" + entry("\"inputPerMillion\":12345678.123456789,\"outputPerMillion\":0.025,\"reasoningPerMillion\":3") + "]", "n.json");

        assertThat(read.problems()).isEmpty();
        assertThat(read.entries().get(0).getInputPerMillionNanos()).isEqualTo(12_345_678_123_456_789L);
        assertThat(read.entries().get(0).getOutputPerMillionNanos()).isEqualTo(25_000_000L);
        assertThat(read.entries().get(0).getReasoningPerMillionNanos()).isEqualTo(3_000_000_000L);
    }

    @Test
    void roundsBeyondNanosOnceHalfEven() {
        CatalogRead read = PriceCatalogs.readTokenmeter(
                entry("\"inputPerMillion\":\"0.0000000005\",\"outputPerMillion\":\"0.0000000015\""), "r.json");

        assertThat(read.entries().get(0).getInputPerMillionNanos()).isZero();
        assertThat(read.entries().get(0).getOutputPerMillionNanos()).isEqualTo(2);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "GlobalStandard     | global",
            "DataZoneStandard   | datazone",
            "Standard           | regional",
            "ProvisionedManaged | provisioned",
            "GlobalBatch        | batch",
            "DataZoneBatch      | batch",
            "Regional           | regional"})
    void normalisesDeploymentTypes(String given, String canonical) {
        CatalogRead read = PriceCatalogs.readTokenmeter(entry("\"deploymentType\":\"" + given + "\""), "t.json");

        assertThat(read.problems()).isEmpty();
        assertThat(read.entries().get(0).getDeploymentType()).isEqualTo(canonical);
    }

    @Test
    void writesRegionsAsArmDoesAndKeepsTheWildcard() {
        CatalogRead read = PriceCatalogs.readTokenmeter(entry("\"region\":\"East US 2\"") + "\n" + entry("\"region\":\"*\",\"model\":\"o3\""), "r.jsonl");

        assertThat(read.problems()).isEmpty();
        assertThat(read.entries()).extracting(PriceEntry::getRegion).containsExactly("eastus2", "*");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "`\"outputPerMillion\":\"ten\"`             | field 'outputPerMillion': must be a decimal amount, got \"ten\"",
            "`\"inputPerMillion\":\"-1.00\"`            | field 'inputPerMillion': must not be negative, got -1.00",
            "`\"cachedInputPerMillion\":-0.5`           | field 'cachedInputPerMillion': must not be negative, got -0.5",
            "`\"reasoningPerMillion\":true`             | field 'reasoningPerMillion': must be a decimal amount, got true",
            "`\"inputPerMillion\":\"1e400\"`            | field 'inputPerMillion': must be a decimal amount, got \"1e400\"",
            "`\"outputPerMillion\":99999999999`         | field 'outputPerMillion': is too large, got 99999999999",
            "`\"model\":null`                           | field 'model': is required",
            "`\"model\":\"  \"`                         | field 'model': is required",
            "`\"model\":42`                             | field 'model': must be a string, got 42",
            "`\"model\":\"a|b\"`                        | `field 'model': must not contain '|', got \"a|b\"`",
            "`\"inputPerMillion\":null`                 | field 'inputPerMillion': is required",
            "`\"deploymentType\":\"serverless\"`        | field 'deploymentType': must be one of global, datazone, regional, provisioned, batch, got \"serverless\"",
            "`\"region\":\"east-us\"`                   | field 'region': must be an Azure region such as eastus2, or '*' for any, got \"east-us\"",
            "`\"currency\":\"usd\"`                     | field 'currency': must be an ISO 4217 code of 3 upper-case letters, got \"usd\"",
            "`\"currency\":\"EURO\"`                    | field 'currency': must be an ISO 4217 code of 3 upper-case letters, got \"EURO\"",
            "`\"effectiveFrom\":\"yesterday\"`          | field 'effectiveFrom': must be an ISO-8601 instant such as 2025-01-01T00:00:00Z or a date such as 2025-01-01, got \"yesterday\"",
            "`\"effectiveFrom\":\"2025-01-01T00:00:00.0000001Z\"` | field 'effectiveFrom': must not be more precise than milliseconds, got \"2025-01-01T00:00:00.0000001Z\"",
            "`\"cachedInputPerMilion\":\"1.00\"`        | field 'cachedInputPerMilion': unknown field"})
    void reportsEachInvalidFieldWithItsPosition(String field, String message) {
        CatalogRead read = PriceCatalogs.readTokenmeter("[" + GPT_4O + "," + NANO + "," + entry(field) + "]", "bad.json");

        assertThat(read.problems()).containsExactly("entry 3: " + message);
        assertThat(read.entries()).as("good entries are still returned").hasSize(2);
    }

    @Test
    void namesEveryMissingRequiredFieldOfAnEntryInOneProblem() {
        CatalogRead read = PriceCatalogs.readTokenmeter("[{\"region\":\"eastus\"}, 7]", "empty.json");

        assertThat(read.entries()).isEmpty();
        assertThat(read.problems()).containsExactly(
                "entry 1: field 'model': is required; field 'deploymentType': is required; field 'inputPerMillion': is required;"
                        + " field 'outputPerMillion': is required; field 'effectiveFrom': is required",
                "entry 2: must be a JSON object, got 7");
    }

    @Test
    void aDocumentThatIsNotJsonIsOneProblemAndNoEntries() {
        CatalogRead read = PriceCatalogs.readTokenmeter("model,input,output\ngpt-4o,2.50,10.00\n", "prices.csv");

        assertThat(read.entries()).isEmpty();
        assertThat(read.problems()).singleElement().asString().startsWith("not JSON");
    }

    @Test
    void anEmptyDocumentIsAProblem() {
        assertThat(PriceCatalogs.readTokenmeter("  \n", "empty.json").problems()).containsExactly("empty document");
    }

    @Test
    void reportsAMalformedWrapper() {
        CatalogRead read = PriceCatalogs.readTokenmeter("{\"retrieved\":\"22.11.2026\",\"entries\":[" + GPT_4O + "]}", "w.json");

        assertThat(read.problems()).containsExactly("field 'retrieved': must be a date such as 2026-11-22, got \"22.11.2026\"");
        assertThat(read.entries()).singleElement().extracting(PriceEntry::getSource).isEqualTo("w.json");
        assertThat(PriceCatalogs.readTokenmeter("{\"entries\":{}}", "w.json").problems())
                .containsExactly("field 'entries': must be an array of entries, got {}");
    }

    @Test
    void keysJoinModelVersionTypeRegionAndEffectiveDate() {
        CatalogRead read = PriceCatalogs.readTokenmeter(
                "[" + GPT_4O + "," + entry("\"model\":\"GPT-4o\",\"version\":\"2024-11-20\",\"region\":\"Sweden Central\"") + "]", "k.json");

        assertThat(read.entries()).extracting(PriceCatalogs::key).containsExactly(
                "gpt-4o|*|global|*|2025-01-01T00:00:00Z",
                "gpt-4o|2024-11-20|global|swedencentral|2025-01-01T00:00:00Z");
    }

    @Test
    void keysDifferPerEffectiveDateSoCompactionKeepsHistory() {
        CatalogRead read = PriceCatalogs.readTokenmeter(String.join("\n",
                entry("\"effectiveFrom\":\"2025-01-01\""),
                entry("\"effectiveFrom\":\"2025-06-01\",\"inputPerMillion\":\"1.00\""),
                entry("\"effectiveFrom\":\"2025-06-01T00:00:00.500Z\"")), "history.jsonl");

        assertThat(read.problems()).isEmpty();
        assertThat(read.entries()).extracting(PriceCatalogs::key).doesNotHaveDuplicates().containsExactly(
                "gpt-4o|*|global|*|2025-01-01T00:00:00Z",
                "gpt-4o|*|global|*|2025-06-01T00:00:00Z",
                "gpt-4o|*|global|*|2025-06-01T00:00:00.500Z");
    }

    @Test
    void refusesASecondEntryForTheSameKey() {
        CatalogRead read = PriceCatalogs.readTokenmeter("[" + GPT_4O + "," + NANO + "," + entry("\"model\":\"GPT-4O\",\"version\":\"*\"") + "]", "dup.json");

        assertThat(read.entries()).hasSize(2);
        assertThat(read.entries().get(0).getInputPerMillionNanos()).isEqualTo(2_500_000_000L);
        assertThat(read.problems()).containsExactly("entry 3: same model, version, deploymentType, region and effectiveFrom as entry 1"
                + " (key gpt-4o|*|global|*|2025-01-01T00:00:00Z); only the first is kept");
    }

    /** A minimal valid gpt-4o entry, with the given fields ("name":value,...) replacing or adding to its own. */
    private static String entry(String fields) {
        StringBuilder json = new StringBuilder("{");
        String[][] base = {{"model", "\"gpt-4o\""}, {"deploymentType", "\"global\""}, {"inputPerMillion", "\"2.50\""},
                {"outputPerMillion", "\"10.00\""}, {"effectiveFrom", "\"2025-01-01T00:00:00Z\""}};
        for (String[] field : base) {
            if (!fields.contains("\"" + field[0] + "\":")) {
                json.append('"').append(field[0]).append("\":").append(field[1]).append(',');
            }
        }
        json.append(fields);
        if (json.charAt(json.length() - 1) == ',') {
            json.setLength(json.length() - 1);
        }
        return json.append('}').toString();
    }
}
