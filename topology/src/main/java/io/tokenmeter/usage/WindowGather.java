package io.tokenmeter.usage;

import com.fasterxml.jackson.databind.JsonNode;
import io.tokenmeter.http.ApiException;
import io.tokenmeter.http.ClusterQuery;
import io.tokenmeter.http.HttpApi;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.streams.StreamsMetadata;

/**
 * One windowed question answered by the whole application: every instance adds up the rows of the partitions it
 * hosts (window start, grouped dimension values, currency → totals), other instances send theirs over an internal
 * route, and the merged answer is given only when every partition contributed exactly once. The usage windows and the
 * task windows both answer this way; they differ only in their totals and how they read their own stores.
 */
public final class WindowGather<T extends WindowGather.Totals<T>> {

    /** Totals that add up and travel as a fixed array of longs between instances. */
    public interface Totals<T> {
        T add(T other);

        long[] toArray();
    }

    /** One group of one window: the window start, the grouped dimension values and the currency. */
    public record RowKey(long windowStart, List<String> dims, String currency) {
    }

    private final ClusterQuery cluster;
    private final String internalPath;
    private final Supplier<T> empty;
    private final Function<long[], T> fromArray;

    public WindowGather(ClusterQuery cluster, String internalPath, Supplier<T> empty, Function<long[], T> fromArray) {
        this.cluster = cluster;
        this.internalPath = internalPath;
        this.empty = empty;
        this.fromArray = fromArray;
    }

    /** Every instance's rows for {@code query}, merged and sorted; {@code local} reads this instance's partitions. */
    public Map<RowKey, T> gather(String storeName, UsageQuery query, Function<List<Integer>, Map<RowKey, T>> local) {
        cluster.requireRunning();
        Map<RowKey, T> merged = new TreeMap<>(Comparator.comparingLong(RowKey::windowStart)
                .thenComparing(k -> String.join("\u0000", k.dims())).thenComparing(RowKey::currency));
        List<Integer> covered = new ArrayList<>();
        for (StreamsMetadata instance : cluster.streams().streamsMetadataForStore(storeName)) {
            Map<RowKey, T> part;
            if (cluster.isSelf(instance.hostInfo())) {
                List<Integer> hosted = cluster.localPartitions();
                covered.addAll(hosted);
                part = local.apply(hosted);
            } else {
                JsonNode body = cluster.remote(instance.hostInfo(), internalPath, query.toQueryString());
                try {
                    body.get("partitions").forEach(p -> covered.add(p.asInt()));
                    part = rows(body.get("rows"));
                } catch (RuntimeException e) {
                    throw new ApiException(503, "instance " + instance.hostInfo().host() + ":" + instance.hostInfo().port()
                            + " answered something unreadable: " + e);
                }
            }
            part.forEach((key, totals) -> merged.computeIfAbsent(key, k -> empty.get()).add(totals));
        }
        cluster.checkComplete(covered);
        return merged;
    }

    /** This instance's part, for another instance's {@link #gather}. */
    public HttpApi.Response internal(Function<List<Integer>, Map<RowKey, T>> local) {
        cluster.requireRunning();
        List<Integer> hosted = cluster.localPartitions();
        List<Map<String, Object>> rows = new ArrayList<>();
        local.apply(hosted).forEach((key, totals) -> {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("windowStart", key.windowStart());
            row.put("dims", key.dims());
            row.put("currency", key.currency());
            row.put("totals", totals.toArray());
            rows.add(row);
        });
        return HttpApi.Response.ok(Map.of("partitions", hosted, "rows", rows));
    }

    private Map<RowKey, T> rows(JsonNode rows) {
        Map<RowKey, T> part = new LinkedHashMap<>();
        for (JsonNode row : rows) {
            List<String> dims = new ArrayList<>();
            row.get("dims").forEach(d -> dims.add(d.asText()));
            JsonNode totals = row.get("totals");
            long[] values = new long[totals.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = totals.get(i).asLong();
            }
            part.put(new RowKey(row.get("windowStart").asLong(), dims, row.get("currency").asText()), fromArray.apply(values));
        }
        return part;
    }

    /** The answer: the question, then one row per group and window. */
    public static HttpApi.Response answer(UsageQuery query, List<Map<String, Object>> rows) {
        return HttpApi.Response.ok(body(query, rows));
    }

    /** The answer's body, for an API that adds to it. */
    public static Map<String, Object> body(UsageQuery query, List<Map<String, Object>> rows) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("window", query.size().code());
        body.put("by", query.by());
        body.put("from", query.from().toString());
        body.put("to", query.to().toString());
        body.put("rows", rows);
        return body;
    }

    /** A row's window and grouped dimensions, to which each API adds its figures. */
    public static Map<String, Object> rowStart(UsageQuery query, RowKey key) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("windowStart", java.time.Instant.ofEpochMilli(key.windowStart()).toString());
        row.put("windowEnd", java.time.Instant.ofEpochMilli(key.windowStart() + query.size().millis()).toString());
        for (int i = 0; i < query.by().size(); i++) {
            row.put(query.by().get(i), key.dims().get(i));
        }
        return row;
    }
}
