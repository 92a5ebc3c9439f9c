package io.tokenmeter.prices;

import io.tokenmeter.azure.AzureMeterName;
import io.tokenmeter.azure.AzureMeterName.Direction;
import io.tokenmeter.event.PriceEntry;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Combines Azure meters into PriceEntry records. Each price is a step function of time per scope, direction and
 * region; regions that agree collapse into '*' (global and data zone meters repeat one price in every region), and a
 * region keeps entries of its own only where it differs from the most common price.
 */
final class AzurePriceSeries {

    private record Scope(String model, String version, String deploymentType, String currency) {

        String describe(String region) {
            return model + " (" + (version == null ? "" : "version " + version + ", ") + deploymentType + ", region " + region
                    + (currency.equals("USD") ? "" : ", " + currency) + ")";
        }
    }

    private final Map<Scope, Map<Direction, Map<String, TreeMap<Instant, Long>>>> prices = new LinkedHashMap<>();
    private final String source;
    private final CatalogCollector out;

    AzurePriceSeries(String source, CatalogCollector out) {
        this.source = source;
        this.out = out;
    }

    void add(String position, AzureMeter meter) {
        AzureMeterName name = meter.name();
        Scope scope = new Scope(name.model(), name.version(), name.deploymentType(), meter.currency());
        TreeMap<Instant, Long> series = prices.computeIfAbsent(scope, s -> new EnumMap<>(Direction.class))
                .computeIfAbsent(name.direction(), d -> new TreeMap<>())
                .computeIfAbsent(meter.region(), r -> new TreeMap<>());
        Long earlier = series.putIfAbsent(meter.effectiveFrom(), meter.perMillionNanos());
        if (earlier != null && earlier != meter.perMillionNanos()) {
            out.problem(position + ": " + name.direction().name().toLowerCase(Locale.ROOT).replace('_', ' ') + " price "
                    + perMillion(meter.perMillionNanos()) + " of " + scope.describe(meter.region()) + " from "
                    + meter.effectiveFrom() + " conflicts with " + perMillion(earlier) + " of an earlier item; the earlier is kept");
        }
    }

    /** Hands every entry, and every scope that cannot become one, to the collector. */
    void emit() {
        prices.forEach((scope, byDirection) -> {
            Map<Direction, TreeMap<Instant, Long>> common = new EnumMap<>(Direction.class);
            TreeSet<String> regions = new TreeSet<>();
            byDirection.forEach((direction, byRegion) -> {
                common.put(direction, mostCommon(byRegion));
                regions.addAll(byRegion.keySet());
            });
            emit(scope, PriceValues.ANY_REGION, common);
            for (String region : regions) {
                if (differs(byDirection, region, common)) {
                    emit(scope, region, overlay(byDirection, region, common));
                }
            }
        });
    }

    /** At each date, the price most regions charge then (ties to the lower), kept only where it changes. */
    private static TreeMap<Instant, Long> mostCommon(Map<String, TreeMap<Instant, Long>> byRegion) {
        TreeSet<Instant> dates = new TreeSet<>();
        byRegion.values().forEach(series -> dates.addAll(series.keySet()));
        TreeMap<Instant, Long> common = new TreeMap<>();
        for (Instant date : dates) {
            Map<Long, Integer> votes = new HashMap<>();
            for (TreeMap<Instant, Long> series : byRegion.values()) {
                Long price = at(series, date);
                if (price != null) {
                    votes.merge(price, 1, Integer::sum);
                }
            }
            Long winner = votes.entrySet().stream()
                    .max(Map.Entry.<Long, Integer>comparingByValue().thenComparing(Map.Entry.comparingByKey((a, b) -> Long.compare(b, a))))
                    .map(Map.Entry::getKey).orElseThrow();
            putIfChanged(common, date, winner);
        }
        return common;
    }

    /** Two step functions can only start to differ where one of them changes, so those dates are enough to compare. */
    private static boolean differs(Map<Direction, Map<String, TreeMap<Instant, Long>>> byDirection, String region,
                                   Map<Direction, TreeMap<Instant, Long>> common) {
        for (Map.Entry<Direction, Map<String, TreeMap<Instant, Long>>> direction : byDirection.entrySet()) {
            TreeMap<Instant, Long> own = direction.getValue().get(region);
            if (own == null) {
                continue;
            }
            TreeSet<Instant> dates = new TreeSet<>(own.keySet());
            dates.addAll(common.get(direction.getKey()).keySet());
            for (Instant date : dates) {
                Long price = at(own, date);
                if (price != null && !price.equals(at(common.get(direction.getKey()), date))) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A region's own prices where it has a meter in force, the common ones elsewhere, so its entries are complete. */
    private static Map<Direction, TreeMap<Instant, Long>> overlay(Map<Direction, Map<String, TreeMap<Instant, Long>>> byDirection,
                                                                String region, Map<Direction, TreeMap<Instant, Long>> common) {
        Map<Direction, TreeMap<Instant, Long>> series = new EnumMap<>(Direction.class);
        common.forEach((direction, shared) -> {
            TreeMap<Instant, Long> own = byDirection.get(direction).getOrDefault(region, new TreeMap<>());
            TreeSet<Instant> dates = new TreeSet<>(shared.keySet());
            dates.addAll(own.keySet());
            TreeMap<Instant, Long> merged = new TreeMap<>();
            for (Instant date : dates) {
                Long price = at(own, date);
                Long value = price != null ? price : at(shared, date);
                if (value != null) {
                    putIfChanged(merged, date, value);
                }
            }
            series.put(direction, merged);
        });
        return series;
    }

    /** One entry per date at which any direction changes, with the prices in force at that date. */
    private void emit(Scope scope, String region, Map<Direction, TreeMap<Instant, Long>> series) {
        String label = scope.describe(region);
        TreeMap<Instant, Long> input = series.get(Direction.INPUT);
        TreeMap<Instant, Long> cached = series.getOrDefault(Direction.CACHED_INPUT, new TreeMap<>());
        TreeMap<Instant, Long> output = series.get(Direction.OUTPUT);
        if (input == null) {
            out.problem(label + ": no input meter, so no entries");
            return;
        }
        // Embeddings charge input tokens only; any other model without an output meter would be priced as free output.
        boolean inputOnly = output == null && scope.model().contains("embedding");
        if (output == null && !inputOnly) {
            out.problem(label + ": no output meter, so no entries");
            return;
        }
        TreeSet<Instant> dates = new TreeSet<>();
        series.values().forEach(s -> dates.addAll(s.keySet()));
        List<Instant> withoutInput = new ArrayList<>();
        List<Instant> withoutOutput = new ArrayList<>();
        for (Instant date : dates) {
            Long inputPrice = at(input, date);
            Long outputPrice = inputOnly ? Long.valueOf(0) : at(output, date);
            if (inputPrice == null || outputPrice == null) {
                (inputPrice == null ? withoutInput : withoutOutput).add(date);
                continue;
            }
            out.entry(label + " from " + date, PriceEntry.newBuilder()
                    .setModel(scope.model())
                    .setVersion(scope.version())
                    .setDeploymentType(scope.deploymentType())
                    .setRegion(region)
                    .setCurrency(scope.currency())
                    .setInputPerMillionNanos(inputPrice)
                    .setCachedInputPerMillionNanos(at(cached, date))
                    .setOutputPerMillionNanos(outputPrice)
                    .setReasoningPerMillionNanos(null)
                    .setEffectiveFrom(date)
                    .setSource(source)
                    .build());
        }
        if (!withoutInput.isEmpty()) {
            out.problem(label + ": no input price in force at " + dateList(withoutInput) + ", so no entry for it");
        }
        if (!withoutOutput.isEmpty()) {
            out.problem(label + ": no output price in force at " + dateList(withoutOutput) + ", so no entry for it");
        }
    }

    private static Long at(TreeMap<Instant, Long> series, Instant date) {
        Map.Entry<Instant, Long> inForce = series.floorEntry(date);
        return inForce == null ? null : inForce.getValue();
    }

    private static void putIfChanged(TreeMap<Instant, Long> series, Instant date, long price) {
        Map.Entry<Instant, Long> last = series.lastEntry();
        if (last == null || last.getValue() != price) {
            series.put(date, price);
        }
    }

    private static String dateList(List<Instant> dates) {
        return String.join(", ", dates.stream().map(Instant::toString).toList());
    }

    private static String perMillion(long nanos) {
        return BigDecimal.valueOf(nanos, 9).stripTrailingZeros().toPlainString() + " per million";
    }
}
