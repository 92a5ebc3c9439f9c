package io.tokenmeter.pricing;

import io.tokenmeter.event.PriceEntry;
import io.tokenmeter.event.UsageEvent;
import java.math.BigInteger;

/**
 * Cost of one call in nano-units: uncached input × input price + cached input × cached price + (output − reasoning)
 * × output price + reasoning × reasoning price, each price per token (the entry's per-million price / 10^6). The sum
 * is computed exactly and rounded once, half-even, to a whole nano; each part is also reported, rounded on its own.
 */
public final class CostCalculator {

    private static final long MILLION = 1_000_000L;

    private CostCalculator() {
    }

    /** The total and its parts. */
    public record Cost(long total, long input, long cachedInput, long output, long reasoning) {
        public static final Cost ZERO = new Cost(0, 0, 0, 0, 0);
    }

    public static Cost cost(UsageEvent usage, PriceEntry price) {
        long inputPrice = price.getInputPerMillionNanos();
        long cachedPrice = price.getCachedInputPerMillionNanos() == null ? inputPrice : price.getCachedInputPerMillionNanos();
        long outputPrice = price.getOutputPerMillionNanos();
        long reasoningPrice = price.getReasoningPerMillionNanos() == null ? outputPrice : price.getReasoningPerMillionNanos();
        long cached = usage.getCachedInputTokens();
        long reasoning = usage.getReasoningTokens();
        BigInteger[] parts = {
            product(usage.getInputTokens() - cached, inputPrice),
            product(cached, cachedPrice),
            product(usage.getOutputTokens() - reasoning, outputPrice),
            product(reasoning, reasoningPrice)
        };
        BigInteger sum = parts[0].add(parts[1]).add(parts[2]).add(parts[3]);
        return new Cost(perMillion(sum), perMillion(parts[0]), perMillion(parts[1]), perMillion(parts[2]), perMillion(parts[3]));
    }

    private static BigInteger product(long tokens, long pricePerMillion) {
        long high = Math.multiplyHigh(tokens, pricePerMillion);
        long low = tokens * pricePerMillion;
        if ((high == 0 && low >= 0) || (high == -1 && low < 0)) {
            return BigInteger.valueOf(low);
        }
        return BigInteger.valueOf(tokens).multiply(BigInteger.valueOf(pricePerMillion));
    }

    /** numerator / 10^6 rounded half-even. */
    static long perMillion(BigInteger numerator) {
        BigInteger[] qr = numerator.divideAndRemainder(BigInteger.valueOf(MILLION));
        long quotient = qr[0].longValueExact();
        long remainder = qr[1].longValueExact();
        long twice = 2 * Math.abs(remainder);
        if (twice > MILLION || (twice == MILLION && (quotient & 1) == 1)) {
            quotient += Long.signum(remainder);
        }
        return quotient;
    }
}
