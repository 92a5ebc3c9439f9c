package io.tokenmeter.usage;

import com.fasterxml.jackson.databind.JsonNode;
import io.tokenmeter.service.http.ApiException;
import io.tokenmeter.service.http.ClusterQuery;
import io.tokenmeter.service.http.HttpApi;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * {@code GET /api/usage}: windows of usage and cost grouped by any dimensions, for the whole application. Each
 * instance answers from the partitions it hosts (open windows included) and asks every other instance for theirs;
 * an answer is only given when every partition of the usage topic contributed exactly once.
 */
public final class UsageApi {

    /** The internal route instances use to ask each other for their local part. */
    public static final String INTERNAL_PATH = "/api/internal/usage";

    private final ClusterQuery cluster;
    private final Clock clock;

    public UsageApi(ClusterQuery cluster, Clock clock) {
        this.cluster = cluster;
        this.clock = clock;
    }

    /** One group of one window: the window start, the grouped dimension values and the currency. */
    record RowKey(long windowStart, List<String> dims, String currency) {
    }

    /** What one instance holds for a query. */
    record Part(List<Integer> partitions, Map<RowKey, UsageTotals> rows) {
    }

    public HttpApi.Response usage(HttpApi.Request request) {
        UsageQuery query = UsageQuery.parse(request, clock);
        cluster.requireRunning();
        Map<RowKey, UsageTotals> merged = new TreeMap<>(Comparator.comparingLong(RowKey::windowStart)
                .thenComparing(k -> String.join("\u0000", k.dims())).thenComparing(RowKey::currency));
        List<Integer> covered = new ArrayList<>();
        for (StreamsMetadata instance : cluster.streams().streamsMetadataForStore(query.size().storeName())) {
            Part part = cluster.isSelf(instance.hostInfo()) ? local(query) : remote(instance.hostInfo(), query);
            covered.addAll(part.partitions());
            part.rows().forEach((key, totals) -> merged.computeIfAbsent(key, k -> new UsageTotals()).add(totals));
        }
        cluster.checkComplete(covered);
        List<Map<String, Object>> rows = new ArrayList<>();
        merged.forEach((key, totals) -> rows.add(row(query, key, totals)));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("window", query.size().code());
        body.put("by", query.by());
        body.put("from", query.from().toString());
        body.put("to", query.to().toString());
        body.put("rows", rows);
        return HttpApi.Response.ok(body);
    }

    /** The part this instance holds, for another instance to merge. */
    public HttpApi.Response internal(HttpApi.Request request) {
        UsageQuery query = UsageQuery.parse(request, clock);
        cluster.requireRunning();
        Part part = local(query);
        List<Map<String, Object>> rows = new ArrayList<>();
        part.rows().forEach((key, t) -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("windowStart", key.windowStart());
            row.put("dims", key.dims());
            row.put("currency", key.currency());
            row.put("totals", new long[] {t.requests, t.billedRequests, t.inputTokens, t.cachedInputTokens, t.outputTokens,
                t.reasoningTokens, t.costNanos, t.unpricedRequests});
            rows.add(row);
        });
        return HttpApi.Response.ok(Map.of("partitions", part.partitions(), "rows", rows));
    }

    Part local(UsageQuery query) {
        int[] byIndexes = query.byIndexes();
        Map<RowKey, UsageTotals> rows = new LinkedHashMap<>();
        List<Integer> hosted = cluster.localPartitions();
        for (int partition : hosted) {
            ReadOnlyKeyValueStore<Bytes, UsageTotals> store = cluster.store(query.size().storeName(), partition);
            long from = query.from().toEpochMilli();
            long to = query.to().toEpochMilli();
            try (KeyValueIterator<Bytes, UsageTotals> windows = store.range(WindowKey.startingAt(from), WindowKey.startingAt(to))) {
                while (windows.hasNext()) {
                    KeyValue<Bytes, UsageTotals> window = windows.next();
                    long start = WindowKey.start(window.key);
                    if (start < from || start >= to) {
                        continue;
                    }
                    String[] values = Dimensions.values(WindowKey.dimensions(window.key));
                    List<String> dims = new ArrayList<>(byIndexes.length);
                    for (int index : byIndexes) {
                        dims.add(values[index]);
                    }
                    rows.computeIfAbsent(new RowKey(start, dims, values[Dimensions.CURRENCY]), k -> new UsageTotals())
                            .add(window.value);
                }
            }
        }
        return new Part(hosted, rows);
    }

    private Part remote(HostInfo host, UsageQuery query) {
        JsonNode body = cluster.remote(host, INTERNAL_PATH, query.toQueryString());
        try {
            List<Integer> partitions = new ArrayList<>();
            body.get("partitions").forEach(p -> partitions.add(p.asInt()));
            Map<RowKey, UsageTotals> rows = new LinkedHashMap<>();
            for (JsonNode row : body.get("rows")) {
                List<String> dims = new ArrayList<>();
                row.get("dims").forEach(d -> dims.add(d.asText()));
                JsonNode t = row.get("totals");
                UsageTotals totals = new UsageTotals();
                totals.requests = t.get(0).asLong();
                totals.billedRequests = t.get(1).asLong();
                totals.inputTokens = t.get(2).asLong();
                totals.cachedInputTokens = t.get(3).asLong();
                totals.outputTokens = t.get(4).asLong();
                totals.reasoningTokens = t.get(5).asLong();
                totals.costNanos = t.get(6).asLong();
                totals.unpricedRequests = t.get(7).asLong();
                rows.put(new RowKey(row.get("windowStart").asLong(), dims, row.get("currency").asText()), totals);
            }
            return new Part(partitions, rows);
        } catch (RuntimeException e) {
            throw new ApiException(503, "instance " + host.host() + ":" + host.port() + " answered something unreadable: " + e);
        }
    }

    private static Map<String, Object> row(UsageQuery query, RowKey key, UsageTotals t) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("windowStart", Instant.ofEpochMilli(key.windowStart()).toString());
        row.put("windowEnd", Instant.ofEpochMilli(key.windowStart() + query.size().millis()).toString());
        for (int i = 0; i < query.by().size(); i++) {
            row.put(query.by().get(i), key.dims().get(i));
        }
        row.put("requests", t.requests);
        row.put("billedRequests", t.billedRequests);
        row.put("inputTokens", t.inputTokens);
        row.put("cachedInputTokens", t.cachedInputTokens);
        row.put("outputTokens", t.outputTokens);
        row.put("reasoningTokens", t.reasoningTokens);
        row.put("costNanos", t.costNanos);
        String cost = BigDecimal.valueOf(t.costNanos, 9).toPlainString();
        row.put("costUsd", "USD".equals(key.currency()) ? cost : null);
        row.put("cost", cost);
        row.put("currency", key.currency());
        row.put("unpricedRequests", t.unpricedRequests);
        return row;
    }
}
