package io.tokenmeter.task;

import io.tokenmeter.event.TaskCost;
import io.tokenmeter.http.ApiException;
import io.tokenmeter.http.ClusterQuery;
import io.tokenmeter.http.HttpApi;
import io.tokenmeter.usage.UsageQuery;
import io.tokenmeter.usage.WindowGather;
import io.tokenmeter.usage.WindowGather.RowKey;
import io.tokenmeter.usage.WindowKey;
import io.tokenmeter.usage.WindowSize;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * {@code GET /api/tasks/{taskId}} (a closed task from the global store, else an open one hosted here) and
 * {@code GET /api/tasks/cost-per-success} (closed tasks per use case [and tenant] and window, from every instance).
 */
public final class TaskApi {

    public static final String INTERNAL_PATH = "/api/internal/tasks/cost-per-success";
    static final List<String> DIMENSIONS = List.of("useCase", "tenant");
    private static final List<WindowSize> SIZES = List.of(TaskCostProcessor.SIZES);

    /**
     * The actual cost (the bill, allocated by measured use) per UTC day and the grouped dimensions, for
     * {@code cost=allocated}: keys are the day ({@code 2026-11-03}) followed by the values of {@code by}, values nanos.
     */
    @FunctionalInterface
    public interface ActualCosts {
        Map<List<String>, Long> byDay(List<String> by, java.time.Instant from, java.time.Instant to);
    }

    private final ClusterQuery cluster;
    private final Clock clock;
    private final WindowGather<TaskTotals> windows;
    private final ActualCosts actual;

    public TaskApi(ClusterQuery cluster, Clock clock) {
        this(cluster, clock, null);
    }

    public TaskApi(ClusterQuery cluster, Clock clock, ActualCosts actual) {
        this.cluster = cluster;
        this.clock = clock;
        this.windows = new WindowGather<>(cluster, INTERNAL_PATH, TaskTotals::new, TaskTotals::fromArray);
        this.actual = actual;
    }

    public HttpApi.Response task(HttpApi.Request request) {
        String taskId = request.pathParam("taskId");
        cluster.requireRunning();
        TaskCost closed;
        try {
            ReadOnlyKeyValueStore<String, TaskCost> store = cluster.streams().store(
                    StoreQueryParameters.fromNameAndType(TaskTopology.CLOSED_STORE, QueryableStoreTypes.keyValueStore()));
            closed = store.get(taskId);
        } catch (InvalidStateStoreException e) {
            throw new ApiException(503, "closed tasks are not queryable right now (" + e.getMessage() + "); retry shortly");
        }
        if (closed != null) {
            return HttpApi.Response.ok(closedTask(closed));
        }
        for (int partition : cluster.localPartitions()) {
            ReadOnlyKeyValueStore<String, TaskState> open = cluster.store(TaskTopology.OPEN_STORE, partition);
            try (KeyValueIterator<String, TaskState> found = open.prefixScan(taskId + TaskTopology.SEPARATOR, new StringSerializer())) {
                if (found.hasNext()) {
                    TaskState state = found.next().value;
                    if (!state.closed()) {
                        return HttpApi.Response.ok(openTask(state));
                    }
                }
            }
        }
        throw new ApiException(404, "unknown task '" + taskId + "': no closed task has this id, and no open task on this instance");
    }

    private static Map<String, Object> closedTask(TaskCost t) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("taskId", t.getTaskId());
        body.put("status", t.getStatus().name());
        body.put("tenant", t.getTenant());
        body.put("application", t.getApplication());
        body.put("useCase", t.getUseCase());
        body.put("costCenter", t.getCostCenter());
        totals(body, t.getCalls(), t.getRetries(), t.getAgentSteps(), t.getToolCalls(), t.getInputTokens(), t.getCachedInputTokens(),
                t.getOutputTokens(), t.getReasoningTokens(), t.getCostNanos(), t.getUnpricedCalls(), t.getCurrency());
        body.put("models", t.getModels());
        body.put("agents", t.getAgents());
        body.put("firstEventTime", t.getFirstEventTime().toString());
        body.put("lastEventTime", t.getLastEventTime().toString());
        body.put("closedAt", t.getClosedAt().toString());
        body.put("businessValue", t.getBusinessValueNanos() == null ? null : BigDecimal.valueOf(t.getBusinessValueNanos(), 9).toPlainString());
        return body;
    }

    private static Map<String, Object> openTask(TaskState s) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("taskId", s.taskId);
        body.put("status", "OPEN");
        body.put("outcome", s.outcome == null ? null : s.outcome.name());
        body.put("tenant", s.tenant);
        body.put("application", s.application);
        body.put("useCase", s.useCase);
        body.put("costCenter", s.costCenter);
        totals(body, s.calls, s.retries, s.agentSteps, s.toolCalls, s.inputTokens, s.cachedInputTokens, s.outputTokens, s.reasoningTokens,
                s.costNanos, s.unpricedCalls, s.currency);
        body.put("models", List.copyOf(s.models));
        body.put("agents", List.copyOf(s.agents));
        body.put("firstEventTime", s.firstEventTime == Long.MAX_VALUE ? null : Instant.ofEpochMilli(s.firstEventTime).toString());
        body.put("lastEventTime", s.lastEventTime == Long.MIN_VALUE ? null : Instant.ofEpochMilli(s.lastEventTime).toString());
        return body;
    }

    private static void totals(Map<String, Object> body, long calls, long retries, long agentSteps, long toolCalls, long input, long cached,
                               long output, long reasoning, long costNanos, long unpriced, String currency) {
        body.put("calls", calls);
        body.put("retries", retries);
        body.put("agentSteps", agentSteps);
        body.put("toolCalls", toolCalls);
        body.put("inputTokens", input);
        body.put("cachedInputTokens", cached);
        body.put("outputTokens", output);
        body.put("reasoningTokens", reasoning);
        body.put("costNanos", costNanos);
        body.put("cost", BigDecimal.valueOf(costNanos, 9).toPlainString());
        body.put("currency", currency);
        body.put("unpricedCalls", unpriced);
    }

    public HttpApi.Response costPerSuccess(HttpApi.Request request) {
        UsageQuery query = parse(request);
        String cost = request.query("cost", "estimated");
        if (!cost.equals("estimated") && !cost.equals("allocated")) {
            throw ApiException.badRequest("cost must be estimated (list price x measured tokens) or allocated (the bill split by use), got '" + cost + "'");
        }
        boolean allocated = cost.equals("allocated");
        if (allocated && (actual == null || query.size() != WindowSize.ONE_DAY)) {
            throw ApiException.badRequest("cost=allocated needs window=1d: the bill is per day");
        }
        Map<List<String>, Long> actualByDay = allocated ? actual.byDay(query.by(), query.from(), query.to()) : Map.of();
        List<Map<String, Object>> rows = new ArrayList<>();
        windows.gather(TaskTopology.WINDOWS_STORE, query, hosted -> local(query, hosted)).forEach((key, totals) -> {
            Map<String, Object> row = row(query, key, totals);
            if (allocated) {
                List<String> dayAndDims = new ArrayList<>();
                dayAndDims.add(java.time.LocalDate.ofEpochDay(Math.floorDiv(key.windowStart(), 86_400_000L)).toString());
                dayAndDims.addAll(key.dims());
                Long nanos = actualByDay.get(dayAndDims);
                row.put("allocatedCostUsd", nanos == null ? null : BigDecimal.valueOf(nanos, 9).toPlainString());
                row.put("allocatedCostPerSuccessfulTaskUsd", nanos == null || totals.succeeded() == 0 ? null
                        : BigDecimal.valueOf(nanos, 9).divide(BigDecimal.valueOf(totals.succeeded()), 9, java.math.RoundingMode.HALF_EVEN)
                                .stripTrailingZeros().toPlainString());
            }
            rows.add(row);
        });
        Map<String, Object> body = WindowGather.body(query, rows);
        body.put("cost", cost);
        return HttpApi.Response.ok(body);
    }

    /** This instance's part of a cost-per-success question, for another instance to merge. */
    public HttpApi.Response internal(HttpApi.Request request) {
        UsageQuery query = parse(request);
        return windows.internal(hosted -> local(query, hosted));
    }

    private UsageQuery parse(HttpApi.Request request) {
        UsageQuery query = UsageQuery.parse(request, clock, SIZES, "1d", DIMENSIONS, "useCase");
        if (!query.by().contains("useCase")) {
            throw ApiException.badRequest("by must include useCase (by=useCase or by=useCase,tenant)");
        }
        return query;
    }

    private Map<RowKey, TaskTotals> local(UsageQuery query, List<Integer> partitions) {
        Map<RowKey, TaskTotals> rows = new LinkedHashMap<>();
        long from = query.from().toEpochMilli();
        long to = query.to().toEpochMilli();
        for (int partition : partitions) {
            ReadOnlyKeyValueStore<Bytes, TaskTotals> store = cluster.store(TaskTopology.WINDOWS_STORE, partition);
            try (KeyValueIterator<Bytes, TaskTotals> windows = store.range(WindowKey.startingAt(from), WindowKey.startingAt(to))) {
                while (windows.hasNext()) {
                    KeyValue<Bytes, TaskTotals> window = windows.next();
                    long start = WindowKey.start(window.key);
                    String[] values = WindowKey.dimensions(window.key).split(String.valueOf(TaskTopology.SEPARATOR), -1);
                    if (start < from || start >= to || !values[0].equals(query.size().code())) {
                        continue;
                    }
                    List<String> dims = new ArrayList<>();
                    for (String name : query.by()) {
                        dims.add(values[1 + DIMENSIONS.indexOf(name)]);
                    }
                    rows.computeIfAbsent(new RowKey(start, dims, values[3]), k -> new TaskTotals()).add(window.value);
                }
            }
        }
        return rows;
    }

    private static Map<String, Object> row(UsageQuery query, RowKey key, TaskTotals t) {
        Map<String, Object> row = WindowGather.rowStart(query, key);
        row.put("tasks", t.tasks);
        row.put("succeeded", t.succeeded);
        row.put("failed", t.failed);
        row.put("abandoned", t.abandoned);
        row.put("successRate", t.successRate());
        row.put("totalCostNanos", t.costNanos);
        BigDecimal perSuccess = t.costPerSuccess();
        String perSuccessText = perSuccess == null ? null : perSuccess.toPlainString();
        row.put("costPerSuccessfulTaskUsd", "USD".equals(key.currency()) ? perSuccessText : null);
        row.put("costPerSuccessfulTask", perSuccessText);
        row.put("currency", key.currency());
        BigDecimal valuePerCost = t.valuePerCost();
        row.put("businessValuePerCost", valuePerCost == null ? null : valuePerCost.toPlainString());
        return row;
    }
}
