package io.tokenmeter.history;

import io.tokenmeter.event.PriceEntry;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What one call costs under a price catalog, written from DESIGN.md ("Money and prices") and the provider's billing
 * rule, apart from the pricing topology, so the truth does not inherit its mistakes. Only the catalog's entries are
 * shared with the product (parsed by {@code PriceCatalogs}); the choice of entry and the arithmetic are this class's own.
 */
public final class ListPrices {

    private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000L);

    private final List<PriceEntry> entries;

    public ListPrices(List<PriceEntry> entries) {
        this.entries = List.copyOf(entries);
    }

    /**
     * The entry in force at {@code time}: same model (any case) and deployment type, region '*' or the call's, version
     * unset or the call's; the most specific scope wins, and within it the latest effectiveFrom not after the call.
     */
    public Optional<PriceEntry> find(String model, String version, String deploymentType, String region, Instant time) {
        return entries.stream()
                .filter(e -> e.getModel().equalsIgnoreCase(model) && e.getDeploymentType().equals(deploymentType))
                .filter(e -> "*".equals(e.getRegion()) || e.getRegion().equalsIgnoreCase(region))
                .filter(e -> e.getVersion() == null || e.getVersion().equalsIgnoreCase(version))
                .filter(e -> !e.getEffectiveFrom().isAfter(time))
                .max(Comparator.comparingInt(ListPrices::specificity).thenComparing(PriceEntry::getEffectiveFrom));
    }

    private static int specificity(PriceEntry e) {
        return ("*".equals(e.getRegion()) ? 0 : 2) + (e.getVersion() == null ? 0 : 1);
    }

    /**
     * Azure bills the calls it processed (2xx, 400 content filter, 408 timeout), not the ones it refused (401, 403, 429)
     * or failed on (5xx): the default of {@code pricing.billed.status.codes}.
     */
    public static boolean billed(int statusCode) {
        return (statusCode >= 200 && statusCode < 300) || statusCode == 400 || statusCode == 408;
    }

    /**
     * Nanos of the price's currency: uncached input at the input price, cached input at the cached price (the input
     * price when the entry has none), output less reasoning at the output price, reasoning at the reasoning price (the
     * output price when none); prices are per million tokens, the exact sum is rounded once, half to even.
     */
    public static long costNanos(long input, long cached, long output, long reasoning, PriceEntry price) {
        long inputPrice = price.getInputPerMillionNanos();
        long cachedPrice = price.getCachedInputPerMillionNanos() != null ? price.getCachedInputPerMillionNanos() : inputPrice;
        long outputPrice = price.getOutputPerMillionNanos();
        long reasoningPrice = price.getReasoningPerMillionNanos() != null ? price.getReasoningPerMillionNanos() : outputPrice;
        BigInteger exact = BigInteger.valueOf(input - cached).multiply(BigInteger.valueOf(inputPrice))
                .add(BigInteger.valueOf(cached).multiply(BigInteger.valueOf(cachedPrice)))
                .add(BigInteger.valueOf(output - reasoning).multiply(BigInteger.valueOf(outputPrice)))
                .add(BigInteger.valueOf(reasoning).multiply(BigInteger.valueOf(reasoningPrice)));
        return new BigDecimal(exact).divide(MILLION, 0, RoundingMode.HALF_EVEN).longValueExact();
    }
}
