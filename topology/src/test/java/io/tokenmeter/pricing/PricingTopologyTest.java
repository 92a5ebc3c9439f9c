package io.tokenmeter.pricing;

import static io.tokenmeter.testing.Events.gpt4o;
import static io.tokenmeter.testing.Events.price;
import static io.tokenmeter.testing.Events.usage;
import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.testing.TopologyHarness;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PricingTopologyTest {

    private final TopologyHarness harness = new TopologyHarness();

    @AfterEach
    void close() {
        harness.close();
    }

    private List<PricedUsage> priced() {
        return harness.output(harness.topics.pricedUsage()).readValuesToList();
    }

    @Test
    void pricesEachCallWithTheEntryItMatchesAndKeepsTheEvent() {
        harness.prices(gpt4o());
        harness.usage(usage("e-1", "2025-06-01T10:00:00Z").setInputTokens(1000).setCachedInputTokens(400).setOutputTokens(300).build());

        PricedUsage priced = priced().get(0);
        assertThat(priced.getUsage().getEventId()).isEqualTo("e-1");
        assertThat(priced.getPriced()).isTrue();
        assertThat(priced.getBilled()).isTrue();
        assertThat(priced.getCurrency()).isEqualTo("USD");
        assertThat(priced.getCostNanos()).isEqualTo(600 * 2_500L + 400 * 1_250L + 300 * 10_000L);
        assertThat(priced.getPrice()).isEqualTo(gpt4o());
        assertThat(harness.output(harness.topics.pricedUsage()).isEmpty()).isTrue();
    }

    @ParameterizedTest(name = "status {0}: billed {1}")
    @CsvSource({"200,true", "400,true", "408,true", "401,false", "403,false", "429,false"})
    void billsByStatusAndCountsTheTokensEitherWay(int status, boolean billed) {
        harness.prices(gpt4o());
        harness.usage(usage("e", "2025-06-01T10:00:00Z").setStatusCode(status).setInputTokens(1000).build());

        PricedUsage priced = priced().get(0);
        assertThat(priced.getBilled()).isEqualTo(billed);
        assertThat(priced.getPriced()).isTrue();
        assertThat(priced.getCostNanos()).isEqualTo(billed ? 2_500_000L : 0L);
        assertThat(priced.getUsage().getInputTokens()).isEqualTo(1000);
    }

    @Test
    void aModelWithoutAPriceIsUnpricedNotFree() {
        harness.prices(gpt4o());
        harness.usage(usage("e", "2025-06-01T10:00:00Z").setModel("gpt-9-preview").setInputTokens(1000).build());

        PricedUsage priced = priced().get(0);
        assertThat(priced.getPriced()).isFalse();
        assertThat(priced.getPrice()).isNull();
        assertThat(priced.getCostNanos()).isZero();
        assertThat(harness.metrics.registry().get("tokenmeter.requests").tag("priced", "false").counter().count()).isEqualTo(1.0);
    }

    @Test
    void aPriceChangeAppliesFromItsEffectiveTimeAndALateEventGetsTheOlderPrice() {
        harness.prices(gpt4o(), price("gpt-4o", "global", "*", null, "2025-07-01T00:00:00Z", "2.00", "1.00", "8.00", null));

        harness.usage(
                usage("before", "2025-06-30T23:59:59Z").setInputTokens(1_000_000).build(),
                usage("after", "2025-07-01T00:00:00Z").setInputTokens(1_000_000).build(),
                // arrives after the change but happened before it
                usage("late", "2025-06-15T12:00:00Z").setInputTokens(1_000_000).build());

        assertThat(priced()).extracting(p -> p.getUsage().getEventId() + "=" + p.getCostNanos())
                .containsExactly("before=2500000000", "after=2000000000", "late=2500000000");
    }

    @Test
    void aPriceLoadedAfterSomeCallsAppliesToTheCallsAfterIt() {
        harness.usage(usage("unpriced", "2025-06-01T10:00:00Z").setInputTokens(1000).build());
        harness.prices(gpt4o());
        harness.usage(usage("priced", "2025-06-01T10:01:00Z").setInputTokens(1000).build());

        assertThat(priced()).extracting(PricedUsage::getPriced).containsExactly(false, true);
    }

    @Test
    void replayingHistoryRepricesItTheSameWay() {
        harness.prices(gpt4o(), price("gpt-4o", "global", "*", null, "2025-07-01T00:00:00Z", "2.00", "1.00", "8.00", null));
        List<io.tokenmeter.event.UsageEvent> history = List.of(
                usage("a", "2025-06-01T00:00:00Z").setInputTokens(777).setOutputTokens(55).build(),
                usage("b", "2025-08-01T00:00:00Z").setInputTokens(777).setOutputTokens(55).build());

        history.forEach(harness::usage);
        List<Long> first = priced().stream().map(PricedUsage::getCostNanos).toList();
        history.forEach(harness::usage);
        List<Long> replay = priced().stream().map(PricedUsage::getCostNanos).toList();

        assertThat(replay).isEqualTo(first).hasSize(2).doesNotHaveDuplicates();
    }

    @Test
    void aTombstoneRemovesAnEntry() {
        harness.prices(gpt4o());
        harness.input(harness.topics.prices()).pipeInput("gpt-4o|null|global|*|2025-01-01T00:00:00Z", null);
        harness.usage(usage("e", "2025-06-01T10:00:00Z").setInputTokens(1000).build());

        assertThat(priced().get(0).getPriced()).isFalse();
    }

    @Test
    void countsTokensCostAndRequestsForPrometheus() {
        harness.prices(gpt4o());
        harness.usage(usage("e", "2025-06-01T10:00:00Z").setInputTokens(1000).setCachedInputTokens(400).setOutputTokens(300).build());

        var registry = harness.metrics.registry();
        assertThat(registry.get("tokenmeter.tokens").tag("tenant", "contoso").tag("type", "cached_input").counter().count()).isEqualTo(400.0);
        assertThat(registry.get("tokenmeter.tokens").tag("tenant", "contoso").tag("type", "input").counter().count()).isEqualTo(600.0);
        assertThat(registry.get("tokenmeter.cost").tag("model", "gpt-4o").counter().count()).isEqualTo(0.005);
        assertThat(registry.get("tokenmeter.requests").tag("billed", "true").counter().count()).isEqualTo(1.0);
    }
}
