package io.tokenmeter.anomaly;

import static io.tokenmeter.testing.Events.gpt4o;
import static io.tokenmeter.testing.Events.price;
import static io.tokenmeter.testing.Events.usage;
import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertStatus;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.testing.TopologyHarness;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class UnpricedModelDetectorTest {

    private final TopologyHarness harness = new TopologyHarness();

    @AfterEach
    void close() {
        harness.close();
    }

    private List<Alert> unpriced() {
        return harness.values(harness.topics.alerts()).stream().filter(a -> a.getType() == AlertType.UNPRICED_MODEL).toList();
    }

    @Test
    void firesOncePerModelAndDayWhileItLastsAndResolvesWhenTheDayIsOver() {
        harness.prices(gpt4o());
        harness.usage(
                usage("a", "2025-06-01T10:00:00Z").setModel("gpt-5.1-preview").build(),
                usage("b", "2025-06-01T11:00:00Z").setModel("gpt-5.1-preview").setTenant("fabrikam").build(),
                usage("c", "2025-06-01T12:00:00Z").setModel("gpt-5.1-preview").build());
        assertThat(unpriced()).as("fires with the first call of the day, once").singleElement().satisfies(fired -> {
            assertThat(fired.getStatus() + " " + fired.getDedupKey()).isEqualTo("FIRING unpriced-model|gpt-5.1-preview|global|eastus2|2025-06-01");
            assertThat(fired.getDetectedAt()).isEqualTo(Instant.parse("2025-06-01T10:00:00Z"));
            assertThat(fired.getMessage()).contains("No price covers gpt-5.1-preview (global, eastus2)");
        });

        harness.advanceTo(Instant.parse("2025-06-02T00:00:00Z")); // the watermark reaches the end of the day
        harness.usage(usage("d", "2025-06-02T09:00:00Z").setModel("gpt-5.1-preview").build());

        List<Alert> alerts = unpriced();
        assertThat(alerts).extracting(a -> a.getStatus() + " " + a.getDedupKey()).containsExactly(
                "RESOLVED unpriced-model|gpt-5.1-preview|global|eastus2|2025-06-01",
                "FIRING unpriced-model|gpt-5.1-preview|global|eastus2|2025-06-02");
        assertThat(alerts.get(0).getEvidence()).containsEntry("unpricedCalls", "3").containsEntry("tenants", "contoso,fabrikam");
        assertThat(alerts.get(0).getDetectedAt()).isEqualTo(Instant.parse("2025-06-02T00:00:00Z"));
        assertThat(alerts.get(0).getMessage()).contains("gpt-5.1-preview on 2025-06-01: 3 calls without a price that day");
    }

    @Test
    void pricedCallsNeverFire() {
        harness.prices(gpt4o());
        harness.usage(usage("a", "2025-06-01T10:00:00Z").build(), usage("b", "2025-06-02T10:00:00Z").build());
        harness.advanceTo(Instant.parse("2025-06-03T00:00:00Z"));

        assertThat(unpriced()).isEmpty();
    }

    @Test
    void aCallJustBeforeThePriceTakesEffectIsUnpricedAndOneAtItIsNot() {
        harness.prices(price("gpt-4o", "global", "*", null, "2025-06-01T12:00:00Z", "2.50", null, "10.00", null));
        harness.usage(usage("at", "2025-06-01T12:00:00Z").build());
        assertThat(unpriced()).isEmpty();

        harness.usage(usage("before", "2025-06-01T11:59:59.999Z").build());
        assertThat(unpriced()).hasSize(1);
    }
}
