package io.tokenmeter.billing;

import com.fasterxml.jackson.databind.JsonNode;
import io.tokenmeter.event.AllocatedCost;
import io.tokenmeter.event.BillLine;
import io.tokenmeter.http.ApiException;
import io.tokenmeter.http.ClusterQuery;
import io.tokenmeter.http.HttpApi;
import io.tokenmeter.usage.UsageQuery;
import io.tokenmeter.usage.WindowSize;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.StreamsMetadata;

/**
 * {@code GET /api/allocation} (the actual cost of the bill lines whose day is in [from, to), split by who used it, by
 * any of the allocation's dimensions) and {@code GET /api/reconciliation} (billed against measured tokens per
 * resource, model, deployment type, token kind and day, with the lines nothing could be matched to). Days live on the
 * partitions of the billing repartition; every instance answers for the ones it hosts and the answer is complete or a 503.
 * Money is a decimal string; rows of the allocation plus {@code unallocatedCostUsd} add up to {@code effectiveCostUsd}.
 */
public final class BillingApi {

    public static final String INTERNAL_ALLOCATION = "/api/internal/billing/allocation";
    public static final String INTERNAL_RECONCILIATION = "/api/internal/billing/reconciliation";
    static final List<String> ALLOCATION_DIMENSIONS = List.of("tenant", "application", "useCase", "costCenter", "agent", "model", "deploymentType",
            "resourceId", "day", "meterKind", "rule");
    static final List<String> RECONCILIATION_DIMENSIONS = List.of("resourceId", "model", "deploymentType", "tokenKind", "day");
    private static final StringSerializer KEYS = new StringSerializer();

    private final ClusterQuery cluster;
    private final Clock clock;

    public BillingApi(ClusterQuery cluster, Clock clock) {
        this.cluster = cluster;
        this.clock = clock;
    }

    // ---- the answers

    public HttpApi.Response allocation(HttpApi.Request request) {
        UsageQuery query = UsageQuery.parse(request, clock, List.of(WindowSize.ONE_DAY), "1d", ALLOCATION_DIMENSIONS, "tenant");
        Partial all = gather(INTERNAL_ALLOCATION, query, partitions -> localAllocation(query, partitions));
        String currency = all.currency();
        List<Map<String, Object>> rows = new ArrayList<>();
        all.rows.forEach((dims, v) -> {
            Map<String, Object> row = dims(query.by(), dims);
            row.put("allocatedCostUsd", Nanos.decimal(v[0]));
            row.put("estimatedCostUsd", Nanos.decimal(v[1]));
            rows.add(row);
        });
        Map<String, Object> body = head(query, currency);
        body.put("rows", rows);
        long[] totals = all.totals.getOrDefault(currency, new long[3]);
        body.put("effectiveCostUsd", Nanos.decimal(totals[0]));
        body.put("unallocatedCostUsd", Nanos.decimal(totals[2]));
        body.put("billedCostUsd", Nanos.decimal(totals[1]));
        body.put("unallocated", all.reasons.entrySet().stream().map(e -> Map.of("reason", e.getKey(), "costUsd", Nanos.decimal(e.getValue()))).toList());
        body.put("pendingDays", List.copyOf(all.pending));
        return HttpApi.Response.ok(body);
    }

    public HttpApi.Response reconciliation(HttpApi.Request request) {
        UsageQuery query = UsageQuery.parse(request, clock, List.of(WindowSize.ONE_DAY), "1d", RECONCILIATION_DIMENSIONS, "resourceId,model,tokenKind");
        Partial all = gather(INTERNAL_RECONCILIATION, query, partitions -> localReconciliation(query, partitions));
        String currency = all.currency();
        List<Map<String, Object>> rows = new ArrayList<>();
        all.rows.forEach((dims, v) -> {
            Map<String, Object> row = dims(query.by(), dims);
            row.put("meteredTokens", v[0]);
            row.put("billedTokens", v[1]);
            row.put("driftShare", v[1] == 0 ? (v[0] == 0 ? 0.0 : 1.0) : Math.abs(v[1] - v[0]) / (double) v[1]);
            row.put("estimatedCostUsd", Nanos.decimal(v[2]));
            row.put("effectiveCostUsd", Nanos.decimal(v[3]));
            row.put("billedCostUsd", Nanos.decimal(v[4]));
            rows.add(row);
        });
        Map<String, Object> body = head(query, currency);
        body.put("rows", rows);
        body.put("unmatchedLines", all.unmatched);
        body.put("pendingDays", List.copyOf(all.pending));
        return HttpApi.Response.ok(body);
    }

    /** The allocated cost per day and {@code by} (a subset of the allocation's dimensions), for cost per successful task. */
    public Map<List<String>, Long> allocatedByDay(List<String> by, java.time.Instant from, java.time.Instant to) {
        List<String> dims = new ArrayList<>();
        dims.add("day");
        dims.addAll(by);
        UsageQuery query = new UsageQuery(WindowSize.ONE_DAY, List.copyOf(dims), from, to);
        Map<List<String>, Long> byDay = new LinkedHashMap<>();
        gather(INTERNAL_ALLOCATION, query, partitions -> localAllocation(query, partitions)).rows.forEach((key, v) -> byDay.put(key, v[0]));
        return byDay;
    }

    /** This instance's part of an allocation question, for another instance to merge. */
    public HttpApi.Response internalAllocation(HttpApi.Request request) {
        UsageQuery query = UsageQuery.parse(request, clock, List.of(WindowSize.ONE_DAY), "1d", ALLOCATION_DIMENSIONS, "tenant");
        return internal(partitions -> localAllocation(query, partitions));
    }

    public HttpApi.Response internalReconciliation(HttpApi.Request request) {
        UsageQuery query = UsageQuery.parse(request, clock, List.of(WindowSize.ONE_DAY), "1d", RECONCILIATION_DIMENSIONS, "resourceId,model,tokenKind");
        return internal(partitions -> localReconciliation(query, partitions));
    }

    private static Map<String, Object> head(UsageQuery query, String currency) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("from", query.from().toString());
        body.put("to", query.to().toString());
        body.put("by", query.by());
        body.put("currency", currency);
        return body;
    }

    private static Map<String, Object> dims(List<String> by, List<String> values) {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 0; i < by.size(); i++) {
            row.put(by.get(i), values.get(i));
        }
        return row;
    }

    // ---- this instance's part

    /** Sums by group ({@code rows}), per-currency bill totals (effective, billed, unallocated), unallocated by reason, days pending, unmatched lines. */
    static final class Partial {
        final Map<List<String>, long[]> rows = new TreeMap<>(java.util.Comparator.comparing(d -> String.join("\u0000", d)));
        final Map<String, long[]> totals = new TreeMap<>();
        final Map<String, Long> reasons = new TreeMap<>();
        final TreeSet<String> pending = new TreeSet<>();
        final List<Map<String, Object>> unmatched = new ArrayList<>();

        void add(List<String> dims, long... values) {
            long[] sums = rows.computeIfAbsent(dims, d -> new long[values.length]);
            for (int i = 0; i < values.length; i++) {
                sums[i] += values[i];
            }
        }

        void addAll(Partial other) {
            other.rows.forEach(this::add);
            other.totals.forEach((currency, v) -> {
                long[] sums = totals.computeIfAbsent(currency, c -> new long[3]);
                for (int i = 0; i < 3; i++) {
                    sums[i] += v[i];
                }
            });
            other.reasons.forEach((reason, nanos) -> reasons.merge(reason, nanos, Long::sum));
            pending.addAll(other.pending);
            unmatched.addAll(other.unmatched);
        }

        /** The one currency of the bill in range (USD when there is none); bills in several currencies are not added up. */
        String currency() {
            if (totals.size() > 1) {
                throw new ApiException(409, "the bill lines in range are in several currencies " + totals.keySet()
                        + ": tokenmeter does not convert currencies; ask for a range with one");
            }
            return totals.isEmpty() ? "USD" : totals.keySet().iterator().next();
        }

        Map<String, Object> toJson(List<Integer> partitions) {
            List<Map<String, Object>> rowList = new ArrayList<>();
            rows.forEach((dims, v) -> rowList.add(Map.of("dims", dims, "v", v)));
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("partitions", partitions);
            body.put("rows", rowList);
            body.put("totals", totals);
            body.put("reasons", reasons);
            body.put("pending", pending);
            body.put("unmatched", unmatched);
            return body;
        }

        static Partial fromJson(JsonNode body) {
            Partial p = new Partial();
            for (JsonNode row : body.get("rows")) {
                List<String> dims = new ArrayList<>();
                row.get("dims").forEach(d -> dims.add(d.isNull() ? null : d.asText()));
                p.add(dims, longs(row.get("v")));
            }
            body.get("totals").fields().forEachRemaining(e -> p.totals.put(e.getKey(), longs(e.getValue())));
            body.get("reasons").fields().forEachRemaining(e -> p.reasons.put(e.getKey(), e.getValue().asLong()));
            body.get("pending").forEach(d -> p.pending.add(d.asText()));
            body.get("unmatched").forEach(u -> p.unmatched.add(HttpApi.JSON.convertValue(u, Map.class)));
            return p;
        }

        private static long[] longs(JsonNode array) {
            long[] values = new long[array.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = array.get(i).asLong();
            }
            return values;
        }
    }

    private Partial localAllocation(UsageQuery query, List<Integer> partitions) {
        Partial partial = new Partial();
        for (int partition : partitions) {
            for (KeyValue<String, AllocatedCost> kv : BillingApi.<AllocatedCost>range(cluster, BillingTopology.ALLOCATED_STORE, partition, query)) {
                AllocatedCost c = kv.value;
                if (c.getTenant() == null) {
                    partial.reasons.merge(c.getUnallocatedReason(), c.getAllocatedCostNanos(), Long::sum);
                    partial.totals.computeIfAbsent(c.getCurrency(), k -> new long[3])[2] += c.getAllocatedCostNanos();
                    continue;
                }
                List<String> dims = new ArrayList<>();
                for (String name : query.by()) {
                    dims.add(switch (name) {
                        case "model" -> c.getModel();
                        case "deploymentType" -> c.getDeploymentType();
                        case "resourceId" -> c.getResourceId();
                        case "day" -> Days.of(c.getDay());
                        case "meterKind" -> c.getMeterKind() == null ? null : c.getMeterKind().name();
                        case "rule" -> c.getRule();
                        case "tenant" -> c.getTenant();
                        case "application" -> c.getApplication();
                        case "useCase" -> c.getUseCase();
                        case "costCenter" -> c.getCostCenter();
                        default -> c.getAgent();
                    });
                }
                partial.add(dims, c.getAllocatedCostNanos(), c.getEstimatedCostNanos());
            }
            for (KeyValue<String, BillLine> kv : BillingApi.<BillLine>range(cluster, BillingTopology.LINES_STORE, partition, query)) {
                long[] totals = partial.totals.computeIfAbsent(kv.value.getBillingCurrency(), k -> new long[3]);
                totals[0] += kv.value.getEffectiveCostNanos();
                totals[1] += kv.value.getBilledCostNanos();
            }
            pending(partial, partition, query);
        }
        return partial;
    }

    private Partial localReconciliation(UsageQuery query, List<Integer> partitions) {
        Partial partial = new Partial();
        for (int partition : partitions) {
            for (KeyValue<String, DayAllocation.Reconciled> kv : BillingApi.<DayAllocation.Reconciled>range(cluster, BillingTopology.RECONCILED_STORE, partition, query)) {
                DayAllocation.Reconciled r = kv.value;
                String day = kv.key.substring(0, kv.key.indexOf(UseKey.SEPARATOR));
                List<String> dims = new ArrayList<>();
                for (String name : query.by()) {
                    dims.add(switch (name) {
                        case "resourceId" -> r.resourceId() != null ? r.resourceId() : r.account();
                        case "model" -> r.model();
                        case "deploymentType" -> r.deploymentType();
                        case "tokenKind" -> r.kind().name();
                        default -> day;
                    });
                }
                partial.add(dims, r.meteredTokens(), r.billedTokens(), r.estimatedNanos(), r.effectiveNanos(), r.billedNanos());
            }
            for (KeyValue<String, BillLine> kv : BillingApi.<BillLine>range(cluster, BillingTopology.LINES_STORE, partition, query)) {
                partial.totals.computeIfAbsent(kv.value.getBillingCurrency(), k -> new long[3]);
            }
            ReadOnlyKeyValueStore<String, DayState> days = cluster.store(BillingTopology.DAYS_STORE, partition);
            ReadOnlyKeyValueStore<String, BillLine> lines = cluster.store(BillingTopology.LINES_STORE, partition);
            ReadOnlyKeyValueStore<String, AllocatedCost> allocated = cluster.store(BillingTopology.ALLOCATED_STORE, partition);
            try (KeyValueIterator<String, DayState> it = days.range(Days.of(query.from()), Days.of(query.to().minusMillis(1)))) {
                it.forEachRemaining(kv -> {
                    for (String lineId : kv.value.unmatched()) {
                        BillLine line = lines.get(kv.key + UseKey.SEPARATOR + lineId);
                        AllocatedCost rest = allocated.get(kv.key + UseKey.SEPARATOR + lineId + UseKey.SEPARATOR);
                        if (line != null) {
                            partial.unmatched.add(unmatched(kv.key, lineId, line, rest == null ? null : rest.getUnallocatedReason()));
                        }
                    }
                });
            }
            pending(partial, partition, query);
        }
        partial.unmatched.sort(java.util.Comparator.comparing(m -> m.get("day") + "/" + m.get("lineId")));
        return partial;
    }

    private static Map<String, Object> unmatched(String day, String lineId, BillLine line, String reason) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("day", day);
        m.put("lineId", lineId);
        m.put("resourceId", line.getResourceId());
        m.put("serviceName", line.getServiceName());
        m.put("skuMeter", line.getSkuMeter());
        m.put("chargeCategory", line.getChargeCategory());
        m.put("effectiveCostUsd", Nanos.decimal(line.getEffectiveCostNanos()));
        m.put("reason", reason);
        m.put("source", line.getSourceFile() + ":" + line.getSourceLine());
        return m;
    }

    private void pending(Partial partial, int partition, UsageQuery query) {
        ReadOnlyKeyValueStore<String, DayState> days = cluster.store(BillingTopology.DAYS_STORE, partition);
        try (KeyValueIterator<String, DayState> it = days.range(Days.of(query.from()), Days.of(query.to().minusMillis(1)))) {
            it.forEachRemaining(kv -> {
                if (kv.value.dirty() && inRange(kv.key, query)) {
                    partial.pending.add(kv.key);
                }
            });
        }
    }

    /** The entries of a day-keyed store whose day starts in [from, to). */
    private static <V> List<KeyValue<String, V>> range(ClusterQuery cluster, String storeName, int partition, UsageQuery query) {
        ReadOnlyKeyValueStore<String, V> store = cluster.store(storeName, partition);
        List<KeyValue<String, V>> found = new ArrayList<>();
        String first = Days.of(query.from());
        String last = Days.of(query.to().minusMillis(1));
        try (KeyValueIterator<String, V> it = store.range(first, last + '\uffff')) {
            it.forEachRemaining(kv -> {
                if (inRange(kv.key.substring(0, 10), query)) {
                    found.add(kv);
                }
            });
        }
        return found;
    }

    private static boolean inRange(String day, UsageQuery query) {
        long start = Days.start(day);
        return start >= query.from().toEpochMilli() && start < query.to().toEpochMilli();
    }

    // ---- metrics

    /** How many days back (from the clock's day) the per-resource bill gauges add up. */
    static final int GAUGE_DAYS = 31;

    /**
     * Registers {@code tokenmeter_billing_actual_cost_usd{resource}} (the bill's EffectiveCost) and
     * {@code tokenmeter_billing_estimated_cost_usd{resource}} (tokenmeter's estimate of the billed token meters) over the
     * last 31 days, per account, for the days this instance hosts; Prometheus adds the instances up. The returned action
     * refreshes them: run it on every scrape.
     */
    public Runnable gauges(io.micrometer.core.instrument.MeterRegistry registry) {
        Map<String, double[]> values = new java.util.concurrent.ConcurrentHashMap<>();
        return () -> {
            Map<String, double[]> now = new java.util.HashMap<>();
            try {
                if (cluster.streams().state() != org.apache.kafka.streams.KafkaStreams.State.RUNNING) {
                    return;
                }
                java.time.Instant to = java.time.LocalDate.ofInstant(clock.instant(), java.time.ZoneOffset.UTC).plusDays(1)
                        .atStartOfDay(java.time.ZoneOffset.UTC).toInstant();
                UsageQuery query = new UsageQuery(WindowSize.ONE_DAY, List.of(), to.minus(java.time.Duration.ofDays(GAUGE_DAYS + 1)), to);
                for (int partition : cluster.localPartitions()) {
                    for (KeyValue<String, BillLine> kv : BillingApi.<BillLine>range(cluster, BillingTopology.LINES_STORE, partition, query)) {
                        now.computeIfAbsent(ResourceIds.account(kv.value.getResourceId()), r -> new double[2])[0] += kv.value.getEffectiveCostNanos() / 1e9;
                    }
                    for (KeyValue<String, DayAllocation.Reconciled> kv : BillingApi.<DayAllocation.Reconciled>range(cluster,
                            BillingTopology.RECONCILED_STORE, partition, query)) {
                        now.computeIfAbsent(kv.value.account(), r -> new double[2])[1] += kv.value.estimatedNanos() / 1e9;
                    }
                }
            } catch (RuntimeException notQueryable) {
                return; // a rebalance: keep the last values until the next scrape
            }
            values.keySet().forEach(resource -> now.putIfAbsent(resource, new double[2]));
            now.forEach((resource, v) -> {
                double[] held = values.computeIfAbsent(resource, r -> {
                    double[] cell = new double[2];
                    io.micrometer.core.instrument.Gauge.builder("tokenmeter.billing.actual.cost.usd", cell, c -> c[0])
                            .description("The bill's EffectiveCost of the last 31 days per Azure resource (account), from the FOCUS exports loaded")
                            .tag("resource", resource.isEmpty() ? "unknown" : resource).register(registry);
                    io.micrometer.core.instrument.Gauge.builder("tokenmeter.billing.estimated.cost.usd", cell, c -> c[1])
                            .description("tokenmeter's estimate (list price x measured tokens) of the billed token meters of the last 31 days per resource")
                            .tag("resource", resource.isEmpty() ? "unknown" : resource).register(registry);
                    return cell;
                });
                held[0] = v[0];
                held[1] = v[1];
            });
        };
    }

    // ---- gathering every instance's part

    private Partial gather(String internalPath, UsageQuery query, Function<List<Integer>, Partial> local) {
        cluster.requireRunning();
        Partial merged = new Partial();
        List<Integer> covered = new ArrayList<>();
        for (StreamsMetadata instance : cluster.streams().streamsMetadataForStore(BillingTopology.ALLOCATED_STORE)) {
            if (cluster.isSelf(instance.hostInfo())) {
                List<Integer> hosted = cluster.localPartitions();
                covered.addAll(hosted);
                merged.addAll(local.apply(hosted));
            } else {
                JsonNode body = cluster.remote(instance.hostInfo(), internalPath, query.toQueryString());
                try {
                    body.get("partitions").forEach(p -> covered.add(p.asInt()));
                    merged.addAll(Partial.fromJson(body));
                } catch (RuntimeException e) {
                    throw new ApiException(503, "instance " + instance.hostInfo().host() + ":" + instance.hostInfo().port()
                            + " answered something unreadable: " + e);
                }
            }
        }
        cluster.checkComplete(covered);
        merged.unmatched.sort(java.util.Comparator.comparing(m -> m.get("day") + "/" + m.get("lineId")));
        return merged;
    }

    private HttpApi.Response internal(Function<List<Integer>, Partial> local) {
        cluster.requireRunning();
        List<Integer> hosted = cluster.localPartitions();
        return HttpApi.Response.ok(local.apply(hosted).toJson(hosted));
    }
}
