package io.tokenmeter.history;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.event.Budget;
import io.tokenmeter.event.BudgetAction;
import io.tokenmeter.event.PriceEntry;
import io.tokenmeter.prices.PriceCatalogs;
import io.tokenmeter.topics.BudgetScope;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What tokenmeter should report for a set of raw documents, computed here from the documents alone: calls deduplicated
 * by eventId, priced with {@link ListPrices}, summed per 1-minute, 1-hour and 1-day window and per attribution; tasks
 * with their calls, cost and final status; cost per successful task; budget spend; and the incidents that must fire
 * (and the decoys that must not). No topology class is called: the rules are those of DESIGN.md and the config
 * defaults, written again, so a run that agrees with this agrees with the specification, not with itself.
 *
 * <p>"Now" at the end is the latest event time of all documents (the tail): windows, tasks and periods count as
 * closed when their end plus the grace (or the inactivity gap plus the grace) is not after it.
 */
public final class Truth {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String UNATTRIBUTED = "unattributed";
    private static final String USD = "USD";
    static final Map<String, Long> SIZES = sizes();

    /** The product settings the truth depends on, at their defaults unless a run overrides them. */
    public record Settings(Duration grace, Duration inactivityGap, Duration forecastMinElapsed, ListPrices prices) {

        public static Settings defaults() {
            return new Settings(Duration.ofMinutes(10), Duration.ofMinutes(15), Duration.ofDays(1),
                    new ListPrices(PriceCatalogs.defaultCatalog().entries()));
        }
    }

    /** One unique call as the truth reads it from its document. */
    record Call(String eventId, long time, String tenant, String application, String useCase, String costCenter, String agent, String taskId,
                Integer agentStep, long retryAttempt, long toolCalls, String model, String modelVersion, String deployment, String deploymentType,
                String region, long input, long cached, long output, long reasoning, int status, boolean priced, boolean billed, long cost,
                String promptHash) {

        String dims() {
            return String.join("|", tenant, application, useCase, costCenter, agent, model, deployment, USD);
        }

        String dim(String name) {
            return switch (name) {
                case "tenant" -> tenant;
                case "application" -> application;
                case "useCase" -> useCase;
                case "costCenter" -> costCenter;
                case "agent" -> agent;
                case "model" -> model;
                case "deployment" -> deployment;
                default -> throw new IllegalArgumentException("unknown dimension " + name);
            };
        }

        boolean refusedOrRetried() {
            return status == 429 || retryAttempt > 0;
        }
    }

    record Outcome(String taskId, long time, String tenant, String useCase, String status, Long valueNanos) {
    }

    /** One task as it closes: its calls and how it ended. */
    record Task(String taskId, String tenant, List<Call> calls, Outcome outcome, long closedAt) {

        String status() {
            return outcome == null ? "ABANDONED" : outcome.status();
        }

        long cost() {
            return calls.stream().filter(Call::priced).mapToLong(Call::cost).sum();
        }

        Long businessValue() {
            return outcome == null ? null : outcome.valueNanos();
        }
    }

    private final Settings settings;
    private final List<Budget> budgets;
    private final List<Call> calls = new ArrayList<>();
    private final Map<String, Outcome> outcomes = new LinkedHashMap<>();
    private final long endOfData;
    private int documents;
    private int duplicates;

    private Truth(List<String> documents, List<Budget> budgets, Settings settings) {
        this.settings = settings;
        this.budgets = List.copyOf(budgets);
        Set<String> seen = new HashSet<>();
        long latest = Long.MIN_VALUE;
        for (String document : documents) {
            this.documents++;
            JsonNode doc = read(document);
            String kind = doc.path("kind").asText();
            if ("usage".equals(kind)) {
                Call call = call(doc);
                latest = Math.max(latest, call.time());
                if (!seen.add(call.eventId())) {
                    duplicates++;
                    continue;
                }
                calls.add(call);
            } else if ("task-outcome".equals(kind)) {
                Outcome outcome = outcome(doc);
                latest = Math.max(latest, outcome.time());
                outcomes.put(outcome.tenant() + '|' + outcome.taskId(), outcome);
            } else {
                throw new IllegalArgumentException("the truth reads canonical usage and task-outcome documents only, got kind '" + kind + "'");
            }
        }
        this.endOfData = latest;
    }

    /** The truth of {@code documents} (feed and tail), with {@code budgets} set before any of them. */
    public static Truth of(List<String> documents, List<Budget> budgets, Settings settings) {
        return new Truth(documents, budgets, settings);
    }

    public static Truth of(HistoryDataset dataset, int partitions) {
        return of(dataset.documents(partitions), dataset.budgets(), Settings.defaults());
    }

    public Instant endOfData() {
        return Instant.ofEpochMilli(endOfData);
    }

    public int uniqueCalls() {
        return calls.size();
    }

    public int duplicates() {
        return duplicates;
    }

    public int documents() {
        return documents;
    }

    List<Call> calls() {
        return List.copyOf(calls);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // usage

    /**
     * The usage.windows topic once every window the data has closed was emitted: one row per window size, start and
     * attribution (tenant, application, use case, cost center, agent, model, deployment, currency).
     */
    public Table usageWindows() {
        Map<String, Totals> windows = new TreeMap<>();
        for (Call call : calls) {
            SIZES.forEach((code, size) -> {
                long start = Math.floorDiv(call.time(), size) * size;
                if (start + size + settings.grace().toMillis() <= endOfData) {
                    windows.computeIfAbsent(code + '|' + Instant.ofEpochMilli(start) + '|' + call.dims(), k -> new Totals()).add(call);
                }
            });
        }
        Table table = new Table("usage.windows (latest per key)");
        windows.forEach((key, totals) -> table.put(key, totals.fields()));
        return table;
    }

    /** {@code GET /api/usage?window=SIZE&by=BY} over [from, to): every window, closed or open. Key: start|dims...|currency. */
    public Table usageApi(String size, List<String> by, Instant from, Instant to) {
        long millis = SIZES.get(size);
        Map<String, Totals> rows = new TreeMap<>();
        for (Call call : calls) {
            long start = Math.floorDiv(call.time(), millis) * millis;
            if (start < from.toEpochMilli() || start >= to.toEpochMilli()) {
                continue;
            }
            List<String> key = new ArrayList<>();
            key.add(Instant.ofEpochMilli(start).toString());
            by.forEach(name -> key.add(call.dim(name)));
            key.add(USD);
            rows.computeIfAbsent(String.join("|", key), k -> new Totals()).add(call);
        }
        Table table = new Table("api usage " + size + " by " + String.join(",", by));
        rows.forEach((key, totals) -> table.put(key, totals.fields()));
        return table;
    }

    /** Sums of one window or row, by the names the usage API and usage.windows use. */
    static final class Totals {
        long requests;
        long billedRequests;
        long inputTokens;
        long cachedInputTokens;
        long outputTokens;
        long reasoningTokens;
        long costNanos;
        long unpricedRequests;

        void add(Call call) {
            requests++;
            billedRequests += call.billed() ? 1 : 0;
            inputTokens += call.input();
            cachedInputTokens += call.cached();
            outputTokens += call.output();
            reasoningTokens += call.reasoning();
            costNanos += call.cost();
            unpricedRequests += call.priced() ? 0 : 1;
        }

        Map<String, Object> fields() {
            return usageFields(requests, billedRequests, inputTokens, cachedInputTokens, outputTokens, reasoningTokens, costNanos, unpricedRequests);
        }
    }

    /** The field names of a usage row, shared by the truth and the readers of a run. */
    public static Map<String, Object> usageFields(long requests, long billedRequests, long input, long cached, long output, long reasoning,
                                                  long costNanos, long unpriced) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("requests", requests);
        fields.put("billedRequests", billedRequests);
        fields.put("inputTokens", input);
        fields.put("cachedInputTokens", cached);
        fields.put("outputTokens", output);
        fields.put("reasoningTokens", reasoning);
        fields.put("costNanos", costNanos);
        fields.put("unpricedRequests", unpriced);
        return fields;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // tasks

    /**
     * Every task with calls, keyed tenant|taskId: its calls in event-time order, its outcome, and when it closes (the
     * outcome's time, or the last call plus the inactivity gap: ABANDONED).
     */
    Map<String, Task> tasks() {
        Map<String, List<Call>> byTask = new TreeMap<>();
        for (Call call : calls) {
            if (call.taskId() != null) {
                byTask.computeIfAbsent(call.tenant() + '|' + call.taskId(), k -> new ArrayList<>()).add(call);
            }
        }
        Map<String, Task> tasks = new TreeMap<>();
        byTask.forEach((key, taskCalls) -> {
            taskCalls.sort(Comparator.comparingLong(Call::time));
            Outcome outcome = outcomes.get(key);
            long last = taskCalls.get(taskCalls.size() - 1).time();
            long closedAt = outcome != null ? outcome.time() : last + settings.inactivityGap().toMillis();
            tasks.put(key, new Task(taskCalls.get(0).taskId(), taskCalls.get(0).tenant(), taskCalls, outcome, closedAt));
        });
        return tasks;
    }

    /** The tasks the data has closed: their close time plus the grace is not after the end of the data. */
    List<Task> closedTasks() {
        return tasks().values().stream().filter(t -> t.closedAt() + settings.grace().toMillis() <= endOfData).toList();
    }

    /** The task-costs topic, latest record per task id. */
    public Table taskCosts() {
        Table table = new Table("task-costs (latest per taskId)");
        for (Task task : closedTasks()) {
            Call first = task.calls().get(0);
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("tenant", task.tenant());
            fields.put("application", first.application());
            fields.put("useCase", first.useCase());
            fields.put("costCenter", first.costCenter());
            fields.put("status", task.status());
            fields.put("calls", task.calls().size());
            fields.put("retries", task.calls().stream().filter(c -> c.retryAttempt() > 0).count());
            fields.put("agentSteps", task.calls().stream().filter(c -> c.retryAttempt() == 0 && c.agentStep() != null).count());
            fields.put("toolCalls", task.calls().stream().mapToLong(Call::toolCalls).sum());
            fields.put("inputTokens", task.calls().stream().mapToLong(Call::input).sum());
            fields.put("cachedInputTokens", task.calls().stream().mapToLong(Call::cached).sum());
            fields.put("outputTokens", task.calls().stream().mapToLong(Call::output).sum());
            fields.put("reasoningTokens", task.calls().stream().mapToLong(Call::reasoning).sum());
            fields.put("costNanos", task.cost());
            fields.put("unpricedCalls", task.calls().stream().filter(c -> !c.priced()).count());
            fields.put("currency", USD);
            fields.put("models", String.join(",", new TreeSet<>(task.calls().stream().map(Call::model).toList())));
            fields.put("agents", String.join(",", new TreeSet<>(task.calls().stream().map(Call::agent).toList())));
            fields.put("firstEventTime", Instant.ofEpochMilli(first.time()));
            fields.put("lastEventTime", Instant.ofEpochMilli(task.calls().get(task.calls().size() - 1).time()));
            fields.put("closedAt", Instant.ofEpochMilli(task.closedAt()));
            fields.put("businessValueNanos", task.businessValue());
            table.put(task.taskId(), fields);
        }
        return table;
    }

    /**
     * {@code GET /api/tasks/cost-per-success?window=SIZE&by=BY}: closed tasks by the window of their close time and by
     * use case (and tenant): how many, how they ended, what they all cost, that cost over the successful ones (9
     * decimals, half even) and business value per unit of cost (over the tasks that reported a value; 4 decimals).
     */
    public Table costPerSuccess(String size, List<String> by, Instant from, Instant to) {
        long millis = SIZES.get(size);
        Map<String, List<Task>> groups = new TreeMap<>();
        for (Task task : closedTasks()) {
            long start = Math.floorDiv(task.closedAt(), millis) * millis;
            if (start < from.toEpochMilli() || start >= to.toEpochMilli()) {
                continue;
            }
            List<String> key = new ArrayList<>();
            key.add(Instant.ofEpochMilli(start).toString());
            Call first = task.calls().get(0);
            for (String name : by) {
                key.add("tenant".equals(name) ? task.tenant() : first.useCase());
            }
            key.add(USD);
            groups.computeIfAbsent(String.join("|", key), k -> new ArrayList<>()).add(task);
        }
        Table table = new Table("api cost-per-success " + size + " by " + String.join(",", by));
        groups.forEach((key, tasks) -> {
            long succeeded = tasks.stream().filter(t -> "SUCCEEDED".equals(t.status())).count();
            long failed = tasks.stream().filter(t -> "FAILED".equals(t.status())).count();
            long abandoned = tasks.stream().filter(t -> "ABANDONED".equals(t.status())).count();
            long cost = tasks.stream().mapToLong(Task::cost).sum();
            long value = tasks.stream().filter(t -> t.businessValue() != null).mapToLong(Task::businessValue).sum();
            long valuedCost = tasks.stream().filter(t -> t.businessValue() != null).mapToLong(Task::cost).sum();
            BigDecimal perSuccess = succeeded == 0 ? null
                    : BigDecimal.valueOf(cost).divide(BigDecimal.valueOf(1_000_000_000L).multiply(BigDecimal.valueOf(succeeded)), 9, RoundingMode.HALF_EVEN);
            BigDecimal valuePerCost = valuedCost == 0 ? null : BigDecimal.valueOf(value).divide(BigDecimal.valueOf(valuedCost), 4, RoundingMode.HALF_EVEN);
            table.put(key, costPerSuccessFields(tasks.size(), succeeded, failed, abandoned, cost, perSuccess, valuePerCost,
                    BigDecimal.valueOf(succeeded).divide(BigDecimal.valueOf(tasks.size()), 4, RoundingMode.HALF_UP)));
        });
        return table;
    }

    /** The field names of a cost-per-success row; decimals in one spelling ({@link Table#decimal}). */
    public static Map<String, Object> costPerSuccessFields(long tasks, long succeeded, long failed, long abandoned, long costNanos,
                                                           Object perSuccess, Object valuePerCost, Object successRate) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("tasks", tasks);
        fields.put("succeeded", succeeded);
        fields.put("failed", failed);
        fields.put("abandoned", abandoned);
        fields.put("totalCostNanos", costNanos);
        fields.put("costPerSuccessfulTask", Table.decimal(perSuccess));
        fields.put("businessValuePerCost", Table.decimal(valuePerCost));
        fields.put("successRate", Table.decimal(successRate));
        return fields;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // budgets

    /** A budget's calendar period containing {@code time}, in its time zone: [start, end) and the label (2026-03). */
    record Period(long start, long end, String label) {
    }

    static Period period(Budget budget, long time) {
        ZoneId zone = ZoneId.of(budget.getTimeZone());
        LocalDate day = Instant.ofEpochMilli(time).atZone(zone).toLocalDate();
        LocalDate first;
        LocalDate next;
        String label;
        switch (budget.getPeriod()) {
            case MONTH -> {
                first = day.withDayOfMonth(1);
                next = first.plusMonths(1);
                label = String.format(Locale.ROOT, "%d-%02d", first.getYear(), first.getMonthValue());
            }
            case QUARTER -> {
                first = LocalDate.of(day.getYear(), (day.getMonthValue() - 1) / 3 * 3 + 1, 1);
                next = first.plusMonths(3);
                label = first.getYear() + "-Q" + ((first.getMonthValue() - 1) / 3 + 1);
            }
            default -> {
                first = LocalDate.of(day.getYear(), 1, 1);
                next = first.plusYears(1);
                label = Integer.toString(first.getYear());
            }
        }
        return new Period(first.atStartOfDay(zone).toInstant().toEpochMilli(), next.atStartOfDay(zone).toInstant().toEpochMilli(), label);
    }

    /** The calls a budget limits in its period (the one containing its updatedAt), in event-time order. */
    List<Call> budgetCalls(Budget budget) {
        Period period = period(budget, budget.getUpdatedAt().toEpochMilli());
        BudgetScope scope = new BudgetScope(budget.getScopeType(), budget.getScopeValue());
        return calls.stream()
                .filter(c -> c.time() >= period.start() && c.time() < period.end() && c.priced() && c.cost() > 0)
                .filter(c -> budget.getScopeValue().equals(switch (scope.type()) {
                    case TENANT -> c.tenant();
                    case COST_CENTER -> c.costCenter();
                    case APPLICATION -> c.application();
                    case AGENT -> c.agent();
                }))
                .sorted(Comparator.comparingLong(Call::time))
                .toList();
    }

    /**
     * The budget-status topic, latest per scope: period, limit, spend, percent, thresholds crossed and the gateway
     * action (BLOCK or WARN at the limit; WARN past a threshold or on a forecast over the limit; else ALLOW). The
     * forecast and updatedAt are left out: they depend on the instant a status is judged at, which the design does not
     * pin; runs are compared with each other on them.
     */
    public Table budgetStatus() {
        Table table = new Table("budget-status (latest per scope)");
        for (Budget budget : budgets) {
            Period period = period(budget, budget.getUpdatedAt().toEpochMilli());
            List<Call> spend = budgetCalls(budget);
            long spent = spend.stream().mapToLong(Call::cost).sum();
            List<Integer> crossed = budget.getThresholdsPercent().stream().sorted().filter(t -> reached(spent, budget.getAmountNanos(), t)).toList();
            String action;
            if (spent >= budget.getAmountNanos()) {
                action = budget.getAction() == BudgetAction.BLOCK ? "BLOCK" : "WARN";
            } else if (!crossed.isEmpty() || forecastAtEnd(budget, spend, period) >= budget.getAmountNanos()) {
                action = "WARN";
            } else {
                action = "ALLOW";
            }
            table.put(new BudgetScope(budget.getScopeType(), budget.getScopeValue()).key(),
                    budgetFields(period.start(), period.end(), budget.getAmountNanos(), spent, spent * 100.0 / budget.getAmountNanos(), crossed,
                            action, budget.getAction().name(), budget.getCurrency()));
        }
        return table;
    }

    public static Map<String, Object> budgetFields(long periodStart, long periodEnd, long amount, long spent, double percent, List<Integer> crossed,
                                                   String action, String actionAtLimit, String currency) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("periodStart", Instant.ofEpochMilli(periodStart));
        fields.put("periodEnd", Instant.ofEpochMilli(periodEnd));
        fields.put("amountNanos", amount);
        fields.put("spentNanos", spent);
        fields.put("percent", percent);
        fields.put("thresholdsCrossed", crossed);
        fields.put("action", action);
        fields.put("actionAtLimit", actionAtLimit);
        fields.put("currency", currency);
        return fields;
    }

    private long forecastAtEnd(Budget budget, List<Call> spend, Period period) {
        if (spend.isEmpty()) {
            return 0;
        }
        long spent = spend.stream().mapToLong(Call::cost).sum();
        return forecast(spent, period, spend.get(spend.size() - 1).time());
    }

    /** Linear extrapolation of {@code spent} at {@code at} to the period's end, once the minimum part of it has passed. */
    private long forecast(long spent, Period period, long at) {
        long elapsed = Math.min(at, period.end()) - period.start();
        if (elapsed <= 0 || elapsed < settings.forecastMinElapsed().toMillis()) {
            return spent;
        }
        return Math.max(spent, BigInteger.valueOf(spent).multiply(BigInteger.valueOf(period.end() - period.start()))
                .divide(BigInteger.valueOf(elapsed)).longValueExact());
    }

    private static boolean reached(long spent, long amount, int percent) {
        return BigInteger.valueOf(spent).multiply(BigInteger.valueOf(100)).compareTo(BigInteger.valueOf(amount).multiply(BigInteger.valueOf(percent))) >= 0;
    }

    /**
     * The highest forecast over the limit, as a share of it, at any call of a budget's scope while its spend was still
     * under the limit: at least 1 means a BUDGET_FORECAST alert is due. The dataset keeps it far from 1 either way.
     */
    double peakForecastShare(Budget budget) {
        Period period = period(budget, budget.getUpdatedAt().toEpochMilli());
        long spent = 0;
        double peak = 0;
        for (Call call : budgetCalls(budget)) {
            spent += call.cost();
            if (spent < budget.getAmountNanos() && call.time() - period.start() >= settings.forecastMinElapsed().toMillis()) {
                peak = Math.max(peak, forecast(spent, period, call.time()) / (double) budget.getAmountNanos());
            }
        }
        return peak;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // incidents

    /**
     * The incidents that must fire, once each, and the decoys that must not: the dataset's planted ones plus, for each
     * budget, a BUDGET_THRESHOLD per threshold its spend reaches and a BUDGET_FORECAST when its forecast crosses the
     * limit before its spend does; the thresholds and forecasts that are not reached are decoys.
     */
    public List<HistoryDataset.Incident> incidents(List<HistoryDataset.Incident> planted) {
        List<HistoryDataset.Incident> all = new ArrayList<>(planted);
        for (Budget budget : budgets) {
            String scope = new BudgetScope(budget.getScopeType(), budget.getScopeValue()).key();
            long spent = budgetCalls(budget).stream().mapToLong(Call::cost).sum();
            for (int threshold : new TreeSet<>(budget.getThresholdsPercent())) {
                boolean due = reached(spent, budget.getAmountNanos(), threshold);
                all.add(new HistoryDataset.Incident("budget " + scope + " " + threshold + " %", AlertType.BUDGET_THRESHOLD,
                        Map.of("evidence.scope", scope, "threshold", Integer.toString(threshold)), !due,
                        String.format(Locale.ROOT, "%s spends %.1f %% of its limit", scope, spent * 100.0 / budget.getAmountNanos())));
            }
            double peak = peakForecastShare(budget);
            all.add(new HistoryDataset.Incident("budget " + scope + " forecast", AlertType.BUDGET_FORECAST, Map.of("evidence.scope", scope), peak < 1,
                    String.format(Locale.ROOT, "the forecast of %s peaks at %.0f %% of its limit while under it", scope, peak * 100)));
        }
        return all;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // reading documents

    private static JsonNode read(String document) {
        try {
            return JSON.readTree(document);
        } catch (IOException e) {
            throw new UncheckedIOException("the truth reads well-formed documents only: " + document, e);
        }
    }

    private Call call(JsonNode doc) {
        long time = time(doc.get("timestamp"));
        String model = doc.get("model").asText();
        String version = text(doc, "modelVersion", null);
        String type = text(doc, "deploymentType", "global").toLowerCase(Locale.ROOT);
        String region = text(doc, "region", "unknown").toLowerCase(Locale.ROOT).replace(" ", "");
        long input = count(doc, "inputTokens");
        long cached = count(doc, "cachedInputTokens");
        long output = count(doc, "outputTokens");
        long reasoning = count(doc, "reasoningTokens");
        int status = (int) (doc.hasNonNull("statusCode") ? count(doc, "statusCode") : 200);
        Optional<PriceEntry> price = settings.prices().find(model, version, type, region, Instant.ofEpochMilli(time));
        boolean billed = ListPrices.billed(status);
        long cost = price.isPresent() && billed ? ListPrices.costNanos(input, cached, output, reasoning, price.get()) : 0;
        return new Call(doc.get("eventId").asText(), time, text(doc, "tenant", UNATTRIBUTED), text(doc, "application", UNATTRIBUTED),
                text(doc, "useCase", UNATTRIBUTED), text(doc, "costCenter", UNATTRIBUTED), text(doc, "agent", UNATTRIBUTED),
                text(doc, "taskId", null), doc.hasNonNull("agentStep") ? (int) count(doc, "agentStep") : null, count(doc, "retryAttempt"),
                count(doc, "toolCalls"), model, version, text(doc, "deployment", "unknown"), type, region, input, cached, output, reasoning,
                status, price.isPresent(), billed, cost, text(doc, "promptHash", null));
    }

    private static Outcome outcome(JsonNode doc) {
        Long value = null;
        if (doc.hasNonNull("businessValue")) {
            value = new BigDecimal(doc.get("businessValue").asText()).movePointRight(9).setScale(0, RoundingMode.HALF_EVEN).longValueExact();
        }
        return new Outcome(doc.get("taskId").asText(), time(doc.get("timestamp")), text(doc, "tenant", UNATTRIBUTED),
                text(doc, "useCase", UNATTRIBUTED), doc.get("status").asText().toUpperCase(Locale.ROOT), value);
    }

    /** ISO-8601 with an offset (or without: UTC), or epoch milliseconds as a number or as digits. */
    static long time(JsonNode node) {
        String text = node.asText().strip();
        if (node.isNumber() || text.matches("\\d+")) {
            return Long.parseLong(text);
        }
        try {
            return OffsetDateTime.parse(text).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            return java.time.LocalDateTime.parse(text).toInstant(java.time.ZoneOffset.UTC).toEpochMilli();
        }
    }

    private static String text(JsonNode doc, String field, String fallback) {
        JsonNode node = doc.get(field);
        return node == null || node.isNull() || node.asText().isBlank() ? fallback : node.asText().strip();
    }

    private static long count(JsonNode doc, String field) {
        JsonNode node = doc.get(field);
        return node == null || node.isNull() ? 0 : Long.parseLong(node.asText().strip());
    }

    private static Map<String, Long> sizes() {
        Map<String, Long> sizes = new LinkedHashMap<>();
        sizes.put("1m", 60_000L);
        sizes.put("1h", 3_600_000L);
        sizes.put("1d", 86_400_000L);
        return sizes;
    }
}
