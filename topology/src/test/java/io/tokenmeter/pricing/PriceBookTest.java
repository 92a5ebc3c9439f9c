package io.tokenmeter.pricing;

import static io.tokenmeter.testing.Events.nanos;
import static io.tokenmeter.testing.Events.price;
import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.event.PriceEntry;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PriceBookTest {

    private static final PriceEntry GLOBAL_2025 = price("gpt-4o", "global", "*", null, "2025-01-01T00:00:00Z", "2.50", "1.25", "10.00", null);
    private static final PriceEntry GLOBAL_CUT = price("gpt-4o", "global", "*", null, "2025-07-01T00:00:00Z", "2.00", "1.00", "8.00", null);
    private static final PriceEntry DATAZONE = price("gpt-4o", "datazone", "*", null, "2025-01-01T00:00:00Z", "2.75", "1.375", "11.00", null);
    private static final PriceEntry SWEDEN = price("gpt-4o", "global", "swedencentral", null, "2025-01-01T00:00:00Z", "3.00", null, "12.00", null);
    private static final PriceEntry VERSION_0513 = price("gpt-4o", "global", "*", "0513", "2025-01-01T00:00:00Z", "5.00", null, "15.00", null);

    private final PriceBook book = PriceBook.of(List.of(GLOBAL_2025, GLOBAL_CUT, DATAZONE, SWEDEN, VERSION_0513));

    private Optional<PriceEntry> match(String model, String version, String type, String region, String time) {
        return book.match(model, version, type, region, Instant.parse(time));
    }

    @Test
    void matchesTheModelIgnoringCaseAndTheDeploymentTypeExactly() {
        assertThat(match("GPT-4o", null, "global", "eastus2", "2025-03-01T00:00:00Z")).contains(GLOBAL_2025);
        assertThat(match("gpt-4o", null, "datazone", "eastus2", "2025-03-01T00:00:00Z")).contains(DATAZONE);
        assertThat(match("gpt-4o", null, "regional", "eastus2", "2025-03-01T00:00:00Z")).isEmpty();
        assertThat(match("gpt-4o", null, "Global", "eastus2", "2025-03-01T00:00:00Z")).isEmpty();
    }

    @ParameterizedTest(name = "a call at {0} is priced by the entry from {1}")
    @CsvSource({
        "2025-06-30T23:59:59.999Z, 2025-01-01T00:00:00Z",
        "2025-07-01T00:00:00Z,     2025-07-01T00:00:00Z",
        "2026-01-01T00:00:00Z,     2025-07-01T00:00:00Z"})
    void usesTheLatestEntryNotAfterTheCall(String time, String effectiveFrom) {
        assertThat(match("gpt-4o", null, "global", "eastus2", time)).get()
                .extracting(PriceEntry::getEffectiveFrom).isEqualTo(Instant.parse(effectiveFrom));
    }

    @Test
    void aCallBeforeEveryEntryHasNoPrice() {
        assertThat(match("gpt-4o", null, "global", "eastus2", "2024-12-31T23:59:59Z")).isEmpty();
    }

    @Test
    void aSpecificRegionWinsOverAnyRegion() {
        assertThat(match("gpt-4o", null, "global", "swedencentral", "2025-03-01T00:00:00Z")).contains(SWEDEN);
        // the region's own entry stays in force even after a later price change for any region
        assertThat(match("gpt-4o", null, "global", "swedencentral", "2025-09-01T00:00:00Z")).contains(SWEDEN);
    }

    @Test
    void aSpecificVersionWinsOverAnyVersionAndMeterCodesMatchDatedVersions() {
        assertThat(match("gpt-4o", "2024-05-13", "global", "eastus2", "2025-03-01T00:00:00Z")).contains(VERSION_0513);
        assertThat(match("gpt-4o", "0513", "global", "eastus2", "2025-03-01T00:00:00Z")).contains(VERSION_0513);
        assertThat(match("gpt-4o", "2024-11-20", "global", "eastus2", "2025-03-01T00:00:00Z")).contains(GLOBAL_2025);
        assertThat(match("gpt-4o", null, "global", "eastus2", "2025-03-01T00:00:00Z")).contains(GLOBAL_2025);
    }

    @Test
    void regionAndVersionTogetherBeatEitherAlone() {
        PriceEntry both = price("gpt-4o", "global", "swedencentral", "0513", "2025-01-01T00:00:00Z", "9.00", null, "9.00", null);
        PriceBook withBoth = PriceBook.of(List.of(GLOBAL_2025, SWEDEN, VERSION_0513, both));
        assertThat(withBoth.match("gpt-4o", "2024-05-13", "global", "swedencentral", Instant.parse("2025-03-01T00:00:00Z"))).contains(both);
        assertThat(withBoth.match("gpt-4o", "2024-05-13", "global", "eastus2", Instant.parse("2025-03-01T00:00:00Z"))).contains(VERSION_0513);
    }

    @Test
    void anUnknownModelHasNoPrice() {
        assertThat(match("gpt-9", null, "global", "eastus2", "2025-03-01T00:00:00Z")).isEmpty();
        assertThat(nanos("2.50")).isEqualTo(2_500_000_000L);
    }
}
