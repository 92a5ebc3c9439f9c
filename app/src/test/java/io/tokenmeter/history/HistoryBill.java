package io.tokenmeter.history;

import io.tokenmeter.event.AllocationBasis;
import io.tokenmeter.event.BillingRule;
import io.tokenmeter.event.BillingRuleMatch;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Azure bill of a history, as Cost Management would export it, and what its allocation must be, computed here from
 * the truth's unique calls with plain arithmetic: per UTC day, account, model and deployment type an input, a cached
 * input and an output line of the billed calls' tokens (on odd days the input line bills 1.5 % more than was measured:
 * traffic around the gateway, within the 2 % drift threshold), plus one shared search line a day split by requests among two use cases. Each line is
 * split among scopes (tenant, application, use case, cost center, agent) by the largest remainder method, the
 * untracked share last, ties to the scope that sorts first.
 */
public final class HistoryBill {

    public static final String SEARCH = "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg-history/providers/"
            + "Microsoft.Search/searchServices/history-search";
    private static final BigDecimal PER_MILLION = new BigDecimal("1.234567891");
    private static final String SEARCH_PER_DAY = "5.000000007";
    private static final char SEP = '\u001F';

    private final List<Map<String, String>> rows = new ArrayList<>();
    private final List<String> sharedUseCases;
    private final Map<String, Long> byTenantAndUseCase = new TreeMap<>();
    private long unallocated;
    private long effective;

    private HistoryBill(Truth truth) {
        // the tail's calls (two days later, to move event time on) name no resource: nothing of theirs is billed here
        List<Truth.Call> billed = truth.calls().stream().filter(Truth.Call::billed).filter(c -> !c.tenant().equals(HistoryDataset.TAIL_TENANT)).toList();
        sharedUseCases = billed.stream().map(Truth.Call::useCase).distinct().sorted().limit(2).toList();
        Map<String, List<Truth.Call>> byMeter = new TreeMap<>();
        Map<String, List<Truth.Call>> byDay = new TreeMap<>();
        for (Truth.Call call : billed) {
            String day = day(call.time());
            byMeter.computeIfAbsent(String.join("|", day, call.region(), call.model(), call.deploymentType()), k -> new ArrayList<>()).add(call);
        }
        truth.calls().forEach(call -> byDay.computeIfAbsent(day(call.time()), k -> new ArrayList<>()).add(call));
        byMeter.forEach((key, calls) -> {
            String[] parts = key.split("\\|");
            String day = parts[0];
            boolean odd = LocalDate.parse(day).getDayOfMonth() % 2 == 1;
            line(day, parts[1], parts[2], parts[3], "Inp", calls, c -> c.input() - Math.min(c.cached(), c.input()), odd);
            line(day, parts[1], parts[2], parts[3], "cached Inp", calls, c -> Math.min(c.cached(), c.input()), false);
            line(day, parts[1], parts[2], parts[3], "Outp", calls, Truth.Call::output, false);
        });
        byDay.forEach((day, calls) -> {
            if (byMeter.keySet().stream().noneMatch(k -> k.startsWith(day + "|"))) {
                return; // the tail's day: nothing billed
            }
            Map<String, Long> requests = new TreeMap<>();
            calls.stream().filter(c -> sharedUseCases.contains(c.useCase())).forEach(c -> requests.merge(scope(c), 1L, Long::sum));
            Map<String, String> row = row(day, SEARCH, "Azure AI Search", "Standard S1 Unit", "1", new BigDecimal(SEARCH_PER_DAY));
            rows.add(row);
            split(nanos(SEARCH_PER_DAY), requests, 0);
        });
    }

    public static HistoryBill of(Truth truth) {
        return new HistoryBill(truth);
    }

    /** The export's rows (FOCUS 1.0r2 columns, as FocusExportWriter takes them). */
    public List<Map<String, String>> rows() {
        return rows;
    }

    /** The sharing rule of the search line. */
    public BillingRule rule(Instant at) {
        return BillingRule.newBuilder().setName("history-search").setMatch(BillingRuleMatch.newBuilder().setResourceId(SEARCH).build())
                .setAllocateBy(AllocationBasis.REQUESTS).setAmong(Map.of("useCase", sharedUseCases)).setUpdatedAt(at).build();
    }

    /** The allocation by tenant and use case, plus the unallocated and the whole bill, as {@code /api/allocation} answers it. */
    public Table expected(String name) {
        Table table = new Table(name);
        byTenantAndUseCase.forEach((key, nanos) -> table.put(key, Map.of("allocatedCostUsd", Table.decimal(BigDecimal.valueOf(nanos, 9)))));
        table.put("(bill)", Map.of("effectiveCostUsd", Table.decimal(BigDecimal.valueOf(effective, 9)),
                "unallocatedCostUsd", Table.decimal(BigDecimal.valueOf(unallocated, 9))));
        return table;
    }

    private void line(String day, String region, String model, String deploymentType, String kind, List<Truth.Call> calls,
                      java.util.function.ToLongFunction<Truth.Call> tokensOf, boolean untracked) {
        Map<String, Long> weights = new TreeMap<>();
        calls.forEach(c -> weights.merge(scope(c), tokensOf.applyAsLong(c), Long::sum));
        weights.values().removeIf(w -> w == 0);
        long measured = weights.values().stream().mapToLong(Long::longValue).sum();
        if (measured == 0) {
            return;
        }
        long tokens = untracked ? measured + measured * 15 / 1000 : measured;
        BigDecimal cost = PER_MILLION.multiply(BigDecimal.valueOf(tokens)).movePointLeft(6).setScale(9, RoundingMode.HALF_EVEN);
        String type = deploymentType.equals("datazone") ? "Dz" : deploymentType.equals("regional") ? "regnl" : "glbl";
        Map<String, String> row = row(day, HistoryDataset.account(region), "Foundry Models",
                model.replace('-', ' ') + " " + kind + " " + type + " 1M Tokens", Long.toString(tokens), cost);
        row.put("PricingQuantity", BigDecimal.valueOf(tokens).movePointLeft(6).toPlainString());
        row.put("PricingUnit", "1M Tokens");
        row.put("x_PricingBlockSize", "1000000");
        row.put("x_PricingUnitDescription", "1M Tokens");
        rows.add(row);
        split(cost.movePointRight(9).longValueExact(), weights, tokens - measured);
    }

    /** The largest remainder split of {@code nanos} by {@code weights} (sorted by scope), the rest of the basis unallocated. */
    private void split(long nanos, Map<String, Long> weights, long rest) {
        effective += nanos;
        List<String> scopes = new ArrayList<>(weights.keySet());
        List<Long> w = new ArrayList<>(weights.values());
        if (rest > 0) {
            w.add(rest);
        }
        BigInteger total = BigInteger.valueOf(w.stream().mapToLong(Long::longValue).sum());
        if (total.signum() == 0) {
            unallocated += nanos;
            return;
        }
        long[] parts = new long[w.size()];
        BigInteger[] remainders = new BigInteger[w.size()];
        long given = 0;
        for (int i = 0; i < w.size(); i++) {
            BigInteger[] qr = BigInteger.valueOf(nanos).multiply(BigInteger.valueOf(w.get(i))).divideAndRemainder(total);
            parts[i] = qr[0].longValueExact();
            remainders[i] = qr[1];
            given += parts[i];
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < w.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparing((Integer i) -> remainders[i]).reversed().thenComparing(i -> i));
        for (int k = 0; k < nanos - given; k++) {
            parts[order.get(k)]++;
        }
        for (int i = 0; i < scopes.size(); i++) {
            String[] s = scopes.get(i).split(String.valueOf(SEP));
            byTenantAndUseCase.merge(s[0] + "|" + s[2], parts[i], Long::sum);
        }
        if (rest > 0) {
            unallocated += parts[w.size() - 1];
        }
    }

    private static String scope(Truth.Call c) {
        return String.join(String.valueOf(SEP), c.tenant(), c.application(), c.useCase(), c.costCenter(), c.agent());
    }

    private static Map<String, String> row(String day, String resourceId, String service, String meter, String quantity, BigDecimal cost) {
        LocalDate date = LocalDate.parse(day);
        Map<String, String> row = new LinkedHashMap<>();
        String money = cost.toPlainString();
        for (String column : List.of("BilledCost", "EffectiveCost", "ListCost", "ContractedCost")) {
            row.put(column, money);
        }
        row.put("BillingCurrency", "USD");
        row.put("BillingPeriodStart", date.withDayOfMonth(1) + "T00:00:00Z");
        row.put("BillingPeriodEnd", date.withDayOfMonth(1).plusMonths(1) + "T00:00:00Z");
        row.put("ChargeCategory", "Usage");
        row.put("ChargePeriodStart", day + "T00:00:00Z");
        row.put("ChargePeriodEnd", date.plusDays(1) + "T00:00:00Z");
        row.put("ConsumedQuantity", quantity);
        row.put("ConsumedUnit", "Units");
        row.put("PricingQuantity", quantity);
        row.put("PricingUnit", "Units");
        row.put("x_PricingBlockSize", "1");
        row.put("ResourceId", resourceId);
        row.put("ResourceName", resourceId.substring(resourceId.lastIndexOf('/') + 1));
        row.put("ServiceName", service);
        row.put("x_SkuMeterCategory", service);
        row.put("x_SkuMeterSubcategory", service.equals("Foundry Models") ? "Azure OpenAI" : service);
        row.put("x_SkuMeterName", meter);
        return row;
    }

    private static String day(long time) {
        return LocalDate.ofInstant(Instant.ofEpochMilli(time), ZoneOffset.UTC).toString();
    }

    private static long nanos(String decimal) {
        return new BigDecimal(decimal).movePointRight(9).longValueExact();
    }

    /** The billing period folder of the bill (the month of its first day). */
    public String period() {
        LocalDate first = LocalDate.parse(rows.get(0).get("ChargePeriodStart").substring(0, 10)).withDayOfMonth(1);
        return first.toString().replace("-", "") + "-" + first.plusMonths(1).minusDays(1).toString().replace("-", "");
    }
}
