package io.tokenmeter.usage;

import io.tokenmeter.http.ClusterQuery;
import io.tokenmeter.http.HttpApi;
import io.tokenmeter.usage.WindowGather.RowKey;
import java.math.BigDecimal;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
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

    private final WindowGather<UsageTotals> windows;
    private final ClusterQuery cluster;
    private final Clock clock;

    public UsageApi(ClusterQuery cluster, Clock clock) {
        this.cluster = cluster;
        this.clock = clock;
        this.windows = new WindowGather<>(cluster, INTERNAL_PATH, UsageTotals::new, UsageTotals::fromArray);
    }

    public HttpApi.Response usage(HttpApi.Request request) {
        UsageQuery query = UsageQuery.parse(request, clock);
        List<Map<String, Object>> rows = new ArrayList<>();
        windows.gather(query.size().storeName(), query, hosted -> local(query, hosted)).forEach((key, totals) -> rows.add(row(query, key, totals)));
        return WindowGather.answer(query, rows);
    }

    /** The part this instance holds, for another instance to merge. */
    public HttpApi.Response internal(HttpApi.Request request) {
        UsageQuery query = UsageQuery.parse(request, clock);
        return windows.internal(hosted -> local(query, hosted));
    }

    Map<RowKey, UsageTotals> local(UsageQuery query, List<Integer> partitions) {
        int[] byIndexes = query.byIndexes();
        Map<RowKey, UsageTotals> rows = new LinkedHashMap<>();
        for (int partition : partitions) {
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
        return rows;
    }

    private static Map<String, Object> row(UsageQuery query, RowKey key, UsageTotals t) {
        Map<String, Object> row = WindowGather.rowStart(query, key);
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
