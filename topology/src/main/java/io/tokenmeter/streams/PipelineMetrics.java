package io.tokenmeter.streams;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tokenmeter.event.Alert;
import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.UsageEvent;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the pipeline counts for Prometheus: tokens, cost and requests by tenant, model and agent, plus dead letters,
 * late records and dropped duplicates. Label values are capped per label so a flood of tenant names cannot blow
 * up the series count; values past the cap are reported as {@code other}. Counters count processing: a
 * transaction that is retried counts again, while the windows and topics stay exact.
 */
public final class PipelineMetrics {

    public static final String OTHER = "other";

    private final MeterRegistry registry;
    private final int labelCap;
    private final Map<String, Set<String>> admitted = new ConcurrentHashMap<>();
    private final Map<Series, UsageMeters> usageMeters = new ConcurrentHashMap<>();
    private final Map<String, Counter> deadLetters = new ConcurrentHashMap<>();
    private final Map<String, Counter> alerts = new ConcurrentHashMap<>();
    private final Counter late;
    private final Counter duplicates;
    private final Counter taskLate;
    private final Map<String, Counter> taskMeters = new ConcurrentHashMap<>();
    private final Map<String, Counter> azureRequests = new ConcurrentHashMap<>();
    private final Map<String, Counter> revisions = new ConcurrentHashMap<>();
    private final Map<String, Counter> behindWatermark = new ConcurrentHashMap<>();
    private final Map<String, Counter> billing = new ConcurrentHashMap<>();

    public PipelineMetrics(MeterRegistry registry, int labelCap) {
        this.registry = registry;
        this.labelCap = labelCap;
        this.late = Counter.builder("tokenmeter.late.records")
                .description("Usage events older than every window kept (the 1-day retention), sent to the dead-letter topic")
                .register(registry);
        this.duplicates = Counter.builder("tokenmeter.duplicates.dropped").description("Usage events dropped because their eventId was already seen")
                .register(registry);
        this.taskLate = Counter.builder("tokenmeter.task.late.records")
                .description("A second outcome of a task (the first stands); calls after their task closed revise it instead").register(registry);
    }

    /** Metrics that go nowhere in particular: for tests and tools that do not serve /metrics. */
    public static PipelineMetrics standalone() {
        return new PipelineMetrics(new SimpleMeterRegistry(), 50);
    }

    public MeterRegistry registry() {
        return registry;
    }

    public void deadLetter(String reason) {
        deadLetters.computeIfAbsent(reason, r -> Counter.builder("tokenmeter.dead.letters")
                .description("Records sent to the dead-letter topic, by reason").tag("reason", r).register(registry)).increment();
    }

    /** Counts one alert record by type, severity and status. */
    public void alert(Alert alert) {
        alerts.computeIfAbsent(alert.getType() + "/" + alert.getSeverity() + "/" + alert.getStatus(), k -> Counter.builder("tokenmeter.alerts")
                .description("Alert records raised by the detectors, by type, severity and status")
                .tags("type", alert.getType().name(), "severity", alert.getSeverity().name().toLowerCase(java.util.Locale.ROOT),
                        "status", alert.getStatus().name())
                .register(registry)).increment();
    }

    /** Counts one early warning (topic alerts.early) by type. */
    public void earlyWarning(Alert alert) {
        alerts.computeIfAbsent("early/" + alert.getType(), k -> Counter.builder("tokenmeter.early.warnings")
                .description("Early warnings: incidents seen on arrival, before event time confirms them as alerts, by type")
                .tags("type", alert.getType().name())
                .register(registry)).increment();
    }

    /** Counts one closed task by use case, tenant and status, with its cost (for cost per successful task in PromQL). */
    public void taskClosed(io.tokenmeter.event.TaskCost task) {
        String useCase = capped("use_case", task.getUseCase());
        String tenant = capped("tenant", task.getTenant());
        String status = task.getStatus().name();
        taskMeters.computeIfAbsent("tasks/" + useCase + "/" + tenant + "/" + status, k -> Counter.builder("tokenmeter.tasks")
                .description("Closed tasks, by use case, tenant and status (SUCCEEDED, FAILED, ABANDONED)")
                .tags("use_case", useCase, "tenant", tenant, "status", status).register(registry)).increment();
        taskMeters.computeIfAbsent("cost/" + useCase + "/" + tenant + "/" + task.getCurrency(), k -> Counter.builder("tokenmeter.task.cost")
                .description("Cost of closed tasks in currency units, by use case and tenant; divided by the SUCCEEDED tasks it is the cost per "
                        + "successful task").baseUnit(task.getCurrency().toLowerCase(java.util.Locale.ROOT))
                .tags("use_case", useCase, "tenant", tenant, "currency", task.getCurrency()).register(registry))
                .increment(task.getCostNanos() / 1e9);
    }

    /** Counts one request an Azure OpenAI resource reported in its RequestResponse log (no tokens: not usage). */
    public void azureOpenAiRequest(String deployment, String model, int statusCode) {
        String d = capped("deployment", deployment);
        String m = capped("model", model);
        String status = Integer.toString(statusCode);
        azureRequests.computeIfAbsent(d + "/" + m + "/" + status, k -> Counter.builder("tokenmeter.azure.openai.requests")
                .description("Requests Azure OpenAI resources logged (RequestResponse), by deployment, model and status: what reached the "
                        + "model, through the gateway or around it")
                .tags("deployment", d, "model", m, "status", status).register(registry)).increment();
    }

    /** Counts a second outcome of a task: the first one stands. */
    public void taskLate() {
        taskLate.increment();
    }

    /** Counts a revised record: a window, task cost or budget status emitted again because a late call changed it. */
    public void revised(String what) {
        revisions.computeIfAbsent(what, w -> Counter.builder("tokenmeter.revisions")
                .description("Records emitted again with a revision because calls came after their first emission, by what (usage window size, task)")
                .tag("kind", w).register(registry)).increment();
    }

    /** Counts a record that came late into its own input partition: counted in every total, but not judged by the detectors. */
    public void behindWatermark(String where) {
        behindWatermark.computeIfAbsent(where, w -> Counter.builder("tokenmeter.late.at.source")
                .description("Records later than the allowed lateness in their own input partition (or from an idle one that woke up): counted "
                        + "in windows, tasks and budgets, not seen by the detectors").tag("stage", w).register(registry)).increment();
    }

    /** Counts what happened to the bill: export runs that became a period's bill or were superseded, day allocations recomputed. */
    public void billing(String event) {
        billing.computeIfAbsent(event, e -> Counter.builder("tokenmeter.billing.events")
                .description("Bill processing: export runs activated or superseded (a newer run of the period was in force), allocations recomputed")
                .tag("event", e).register(registry)).increment();
    }

    public void late() {
        late.increment();
    }

    public void duplicateDropped() {
        duplicates.increment();
    }

    /** Counts one priced call. */
    public void priced(PricedUsage priced) {
        UsageEvent usage = priced.getUsage();
        String tenant = capped("tenant", usage.getTenant());
        String model = capped("model", usage.getModel());
        String agent = capped("agent", usage.getAgent());
        UsageMeters meters = usageMeters.computeIfAbsent(new Series(tenant, model, agent, priced.getCurrency()),
                k -> new UsageMeters(tenant, model, agent, priced.getCurrency()));
        meters.input.increment(usage.getInputTokens() - usage.getCachedInputTokens());
        meters.cached.increment(usage.getCachedInputTokens());
        meters.output.increment(usage.getOutputTokens() - usage.getReasoningTokens());
        meters.reasoning.increment(usage.getReasoningTokens());
        meters.cost.increment(priced.getCostNanos() / 1e9);
        meters.requests(priced.getBilled(), priced.getPriced()).increment();
    }

    /** The current value of a counter, summed over all its label values (0 when it does not exist yet). */
    public double total(String name) {
        return registry.find(name).counters().stream().mapToDouble(Counter::count).sum();
    }

    private String capped(String label, String value) {
        Set<String> values = admitted.computeIfAbsent(label, l -> ConcurrentHashMap.newKeySet());
        if (values.contains(value)) {
            return value;
        }
        synchronized (values) {
            if (values.size() < labelCap) {
                values.add(value);
                return value;
            }
        }
        return OTHER;
    }

    /** One label combination; a record key avoids building a string per call. */
    private record Series(String tenant, String model, String agent, String currency) {
    }

    private final class UsageMeters {
        final Counter input;
        final Counter cached;
        final Counter output;
        final Counter reasoning;
        final Counter cost;
        private final Map<String, Counter> requests = new ConcurrentHashMap<>();
        private final String tenant;
        private final String model;
        private final String agent;

        UsageMeters(String tenant, String model, String agent, String currency) {
            this.tenant = tenant;
            this.model = model;
            this.agent = agent;
            input = tokens("input");
            cached = tokens("cached_input");
            output = tokens("output");
            reasoning = tokens("reasoning");
            cost = Counter.builder("tokenmeter.cost").description("Cost of priced calls in units of the currency")
                    .tags("tenant", tenant, "model", model, "agent", agent, "currency", currency).register(registry);
        }

        private Counter tokens(String type) {
            return Counter.builder("tokenmeter.tokens").description("Tokens by type (input excludes cached; output excludes reasoning)")
                    .tags("tenant", tenant, "model", model, "agent", agent, "type", type).register(registry);
        }

        Counter requests(boolean billed, boolean priced) {
            return requests.computeIfAbsent(billed + "/" + priced, k -> Counter.builder("tokenmeter.requests")
                    .description("Model calls; billed=false for refused calls, priced=false when no price matched")
                    .tags("tenant", tenant, "model", model, "agent", agent, "billed", Boolean.toString(billed), "priced", Boolean.toString(priced))
                    .register(registry));
        }
    }
}
