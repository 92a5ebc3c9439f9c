package io.tokenmeter.pricing;

import static io.tokenmeter.testing.Events.price;
import static io.tokenmeter.testing.Events.usage;
import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.event.PriceEntry;
import io.tokenmeter.event.UsageEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CostCalculatorTest {

    private static final PriceEntry GPT_4O = price("gpt-4o", "global", "*", null, "2025-01-01T00:00:00Z", "2.50", "1.25", "10.00", null);

    @Test
    void appliesEachPriceToItsTokens() {
        // 1000 input of which 400 cached, 300 output of which 100 reasoning (reasoning at the output price)
        UsageEvent call = usage("e", "2025-06-01T00:00:00Z").setInputTokens(1000).setCachedInputTokens(400)
                .setOutputTokens(300).setReasoningTokens(100).build();

        CostCalculator.Cost cost = CostCalculator.cost(call, GPT_4O);

        assertThat(cost.input()).isEqualTo(600 * 2_500L);        // 600 × $2.50/M = 1,500,000 nanos
        assertThat(cost.cachedInput()).isEqualTo(400 * 1_250L);  // 400 × $1.25/M
        assertThat(cost.output()).isEqualTo(200 * 10_000L);      // 200 × $10/M
        assertThat(cost.reasoning()).isEqualTo(100 * 10_000L);
        assertThat(cost.total()).isEqualTo(1_500_000L + 500_000L + 2_000_000L + 1_000_000L);
    }

    @Test
    void missingCachedAndReasoningPricesFallBackToInputAndOutput() {
        PriceEntry noCache = price("m", "global", "*", null, "2025-01-01T00:00:00Z", "2.00", null, "8.00", null);
        UsageEvent call = usage("e", "2025-06-01T00:00:00Z").setInputTokens(10).setCachedInputTokens(10).setOutputTokens(5).setReasoningTokens(5).build();

        CostCalculator.Cost cost = CostCalculator.cost(call, noCache);

        assertThat(cost.cachedInput()).isEqualTo(10 * 2_000L);
        assertThat(cost.reasoning()).isEqualTo(5 * 8_000L);
    }

    @Test
    void aSeparateReasoningPriceIsUsedForReasoningTokens() {
        PriceEntry reasoningPrice = price("o", "global", "*", null, "2025-01-01T00:00:00Z", "1.00", null, "4.00", "6.00");
        UsageEvent call = usage("e", "2025-06-01T00:00:00Z").setOutputTokens(10).setReasoningTokens(4).build();

        CostCalculator.Cost cost = CostCalculator.cost(call, reasoningPrice);

        assertThat(cost.output()).isEqualTo(6 * 4_000L);
        assertThat(cost.reasoning()).isEqualTo(4 * 6_000L);
        assertThat(cost.total()).isEqualTo(48_000L);
    }

    @ParameterizedTest(name = "{0} input tokens at ${1}/M cost {2} nanos")
    @CsvSource({
        "1, 0.0025, 2",        // 2.5 nanos: half-even rounds to 2
        "3, 0.0025, 8",        // 7.5 nanos: half-even rounds to 8
        "1, 0.0015, 2",        // 1.5 → 2
        "1, 0.0035, 4",        // 3.5 → 4
        "1, 0.0045, 4",        // 4.5 → 4
        "1, 0.0026, 3",        // 2.6 → 3
        "7, 0.025, 175",       // exact
        "1, 0.000001, 0"       // 0.001 nanos → 0
    })
    void roundsTheSumOnceHalfEven(long tokens, String pricePerMillion, long expectedNanos) {
        PriceEntry cheap = price("m", "global", "*", null, "2025-01-01T00:00:00Z", pricePerMillion, null, "0", null);
        UsageEvent call = usage("e", "2025-06-01T00:00:00Z").setInputTokens(tokens).build();
        assertThat(CostCalculator.cost(call, cheap).total()).isEqualTo(expectedNanos);
    }

    @Test
    void roundsOnceForTheSumNotPerPart() {
        // each part is 0.5 nanos: rounded separately they would be 0 + 0 = 0, the sum is exactly 1
        PriceEntry half = price("m", "global", "*", null, "2025-01-01T00:00:00Z", "0.0005", "0.0005", "0", null);
        UsageEvent call = usage("e", "2025-06-01T00:00:00Z").setInputTokens(2).setCachedInputTokens(1).build();

        CostCalculator.Cost cost = CostCalculator.cost(call, half);

        assertThat(cost.input()).isEqualTo(0);
        assertThat(cost.cachedInput()).isEqualTo(0);
        assertThat(cost.total()).isEqualTo(1);
    }

    @Test
    void productsBeyondALongAreStillExact() {
        // 5e9 tokens at $1,000,000/M: the product 5e9 × 1e15 overflows a long; the cost, $5e9 = 5e18 nanos, does not
        PriceEntry expensive = price("m", "global", "*", null, "2025-01-01T00:00:00Z", "1000000", null, "0", null);
        UsageEvent call = usage("e", "2025-06-01T00:00:00Z").setInputTokens(5_000_000_000L).build();

        assertThat(CostCalculator.cost(call, expensive).total()).isEqualTo(5_000_000_000_000_000_000L);
    }
}
