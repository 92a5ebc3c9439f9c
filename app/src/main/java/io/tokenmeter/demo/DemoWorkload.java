package io.tokenmeter.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokenmeter.budgets.BudgetSpecs;
import io.tokenmeter.event.Budget;
import io.tokenmeter.event.BudgetAction;
import io.tokenmeter.event.BudgetPeriod;
import io.tokenmeter.topics.BudgetScope;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * Synthetic traffic of several tenants, applications, use cases and agents on several models, in event time.
 * Tasks are multi-step agent runs with tool calls, retries, some 429s and 400s, and outcomes (most succeed, some
 * fail, a few are abandoned). Four incidents are scripted: a runaway agent loop, a tenant token spike, a
 * cost-center surge that crosses its budget, and a 429 storm on one deployment. The same seed and start give
 * the same events.
 */
public final class DemoWorkload {

    /** One JSON document for ingest.raw, keyed by tenant, at its event time. */
    public record Event(Instant time, String tenant, byte[] json, Kind kind) {
    }

    /** What a document is, so the view can count what was sent. */
    public enum Kind { USAGE, OUTCOME, DUPLICATE, MALFORMED }

    /**
     * A scripted incident, when it starts relative to the start of the simulated day, the alert that should catch it,
     * and how long after its start the alert counts as catching it.
     */
    public record Incident(String name, Duration offset, String description, String expectedAlert, Duration detectWithin) {
    }

    public static final List<Incident> INCIDENTS = List.of(
            new Incident("runaway-loop", Duration.ofHours(6), "northwind research-agent repeats one prompt for 20 minutes", "RUNAWAY_LOOP",
                    Duration.ofHours(1)),
            new Incident("token-spike", Duration.ofHours(10), "fabrikam bulk-imports 40 long resumes on gpt-4o within a minute", "TOKEN_SPIKE",
                    Duration.ofHours(1)),
            new Incident("budget-surge", Duration.ofHours(14), "cc-legal runs contract review at 4x its peak for 4 hours, past half its budget",
                    "BUDGET_THRESHOLD", Duration.ofHours(4)),
            new Incident("429-storm", Duration.ofHours(15), "wingtip's new batch job floods gpt-41-mini-dz with retries", "RETRY_STORM",
                    Duration.ofHours(1)),
            new Incident("unpriced-model", Duration.ofHours(12), "tailspin tries gpt-5.1-preview before anyone loaded its price", "UNPRICED_MODEL",
                    Duration.ofHours(1)));

    /**
     * The budgets the demo sets when none exist: cc-legal's monthly budget is sized so that a normal day stays under
     * half of it, whatever hour the day starts at, and the surge (about $45 on its own) takes it past 50 %; the others
     * show a tenant and an application budget. They are set at {@code clock}'s now, which decides the period they start
     * in: give the replay's clock, so the periods are those of the replayed day, not of the day the demo runs.
     */
    public static List<Budget> budgets(Clock clock) {
        Instant now = clock.instant();
        return List.of(
                BudgetSpecs.budget(BudgetScope.parse("costCenter:cc-legal"), BudgetPeriod.MONTH, BudgetSpecs.amountNanos(new BigDecimal("70")), "USD",
                        List.of(50, 80, 100), BudgetAction.BLOCK, "UTC", now),
                BudgetSpecs.budget(BudgetScope.parse("tenant:contoso"), BudgetPeriod.MONTH, BudgetSpecs.amountNanos(new BigDecimal("1500")), "USD",
                        List.of(50, 80, 100), BudgetAction.WARN, "UTC", now),
                BudgetSpecs.budget(BudgetScope.parse("application:code-review-bot"), BudgetPeriod.QUARTER,
                        BudgetSpecs.amountNanos(new BigDecimal("2000")), "USD", List.of(50, 80, 100), BudgetAction.WARN, "UTC", now));
    }

    record Model(String name, String deployment, String deploymentType, String region, String version) {
    }

    static final Model GPT_4O = new Model("gpt-4o", "gpt-4o-prod", "global", "eastus2", "2024-11-20");
    static final Model GPT_41 = new Model("gpt-4.1", "gpt-41-prod", "global", "eastus2", "2025-04-14");
    static final Model GPT_41_MINI = new Model("gpt-4.1-mini", "gpt-41-mini-dz", "datazone", "swedencentral", "2025-04-14");
    static final Model O4_MINI = new Model("o4-mini", "o4-mini-prod", "global", "eastus2", "2025-04-16");
    static final Model EMBED = new Model("text-embedding-3-small", "embed-small", "global", "eastus2", "1");
    static final Model PREVIEW = new Model("gpt-5.1-preview", "gpt51-preview", "global", "eastus2", "2025-11-13");

    /** Token ranges of one kind of call: uniform, so normal traffic has no heavy tail that looks like a spike. */
    record Tokens(int minInput, int maxInput, double maxCachedShare, int minOutput, int maxOutput, double reasoningShare) {
    }

    static final Tokens EMBEDDING = new Tokens(500, 2000, 0, 0, 0, 0);

    /** A kind of task: its model, steps, tokens, an optional retrieval step first, and what success is worth. */
    record UseCase(String name, Model model, int minSteps, int maxSteps, Tokens tokens, String[] agents, Model retrievalModel,
                   String businessValue) {
    }

    record Tenant(String name, String application, String costCenter, double peakTasksPerHour, UseCase[] useCases) {
    }

    static final List<Tenant> TENANTS = List.of(
            new Tenant("contoso", "support-copilot", "cc-support", 90, new UseCase[] {
                new UseCase("ticket-triage", GPT_41_MINI, 2, 4, new Tokens(800, 2500, 0.5, 50, 300, 0), new String[] {"triage-agent", "kb-retriever"}, null, "0.40"),
                new UseCase("answer-drafting", GPT_4O, 2, 5, new Tokens(2000, 6000, 0.6, 200, 800, 0), new String[] {"kb-retriever", "writer-agent"}, null, "2.50")}),
            new Tenant("fabrikam", "hr-assistant", "cc-hr", 50, new UseCase[] {
                new UseCase("policy-qa", GPT_41_MINI, 1, 3, new Tokens(1500, 4000, 0.4, 100, 400, 0), new String[] {"policy-agent"}, null, null),
                new UseCase("resume-screening", GPT_4O, 1, 3, new Tokens(3000, 8000, 0.2, 200, 600, 0), new String[] {"screening-agent"}, null, "3.00")}),
            new Tenant("northwind", "sales-insights", "cc-sales", 40, new UseCase[] {
                new UseCase("account-research", O4_MINI, 3, 6, new Tokens(2000, 5000, 0.3, 800, 3000, 0.7), new String[] {"research-agent", "crm-tool-agent"}, null, null),
                new UseCase("email-drafting", GPT_41_MINI, 1, 2, new Tokens(600, 1500, 0.2, 150, 500, 0), new String[] {"email-agent"}, null, null)}),
            new Tenant("adventure-works", "code-review-bot", "cc-engineering", 40, new UseCase[] {
                new UseCase("pr-review", GPT_41, 2, 5, new Tokens(4000, 12000, 0.5, 300, 1200, 0), new String[] {"review-agent", "test-agent"}, null, "5.00")}),
            new Tenant("tailspin", "contract-rag", "cc-legal", 50, new UseCase[] {
                new UseCase("contract-qa", GPT_4O, 2, 4, new Tokens(3000, 9000, 0.5, 200, 700, 0), new String[] {"clause-extractor", "qa-agent"}, EMBED, "12.00")}));

    /** Not part of normal traffic: only the 429 storm's batch job. */
    static final Tenant STORM_TENANT = new Tenant("wingtip", "invoice-batch", "cc-finance", 0, new UseCase[] {
        new UseCase("invoice-classification", GPT_41_MINI, 1, 1, new Tokens(150, 300, 0, 5, 20, 0), new String[] {"batch-classifier"}, null, null)});

    private static final ObjectMapper JSON = new ObjectMapper();

    private final SplittableRandom random;
    private final Instant start;
    /** Events in time order; the sequence keeps events of the same instant in the order they were made. */
    private record Scheduled(Event event, long sequence) {
    }

    private final PriorityQueue<Scheduled> scheduled = new PriorityQueue<>((a, b) -> {
        int byTime = a.event().time().compareTo(b.event().time());
        return byTime != 0 ? byTime : Long.compare(a.sequence(), b.sequence());
    });
    private long nextSequence;
    private long generatedUntil;
    private long taskCounter;
    private long emitted;

    public DemoWorkload(long seed, Instant start) {
        this.random = new SplittableRandom(seed);
        this.start = start;
        this.generatedUntil = start.getEpochSecond();
    }

    public Instant start() {
        return start;
    }

    /** The events with event time up to {@code until}, in time order. */
    public List<Event> advanceTo(Instant until) {
        long target = until.getEpochSecond();
        while (generatedUntil < target) {
            generateSecond(generatedUntil);
            generatedUntil++;
        }
        List<Event> due = new ArrayList<>();
        while (!scheduled.isEmpty() && !scheduled.peek().event().time().isAfter(until)) {
            due.add(scheduled.poll().event());
        }
        return due;
    }

    private void schedule(Event event) {
        scheduled.add(new Scheduled(event, nextSequence++));
    }

    private void generateSecond(long epochSecond) {
        Instant now = Instant.ofEpochSecond(epochSecond);
        long offset = epochSecond - start.getEpochSecond();
        double hourOfDay = now.atZone(ZoneOffset.UTC).getHour() + now.atZone(ZoneOffset.UTC).getMinute() / 60.0;
        double diurnal = 0.3 + 0.7 * Math.exp(-Math.pow(hourOfDay - 14, 2) / (2 * 3.5 * 3.5));
        for (Tenant tenant : TENANTS) {
            double perHour = inBudgetSurge(tenant, offset) ? tenant.peakTasksPerHour() * BUDGET_SURGE : tenant.peakTasksPerHour() * diurnal;
            if (random.nextDouble() < perHour / 3600.0) {
                UseCase useCase = tenant.useCases()[random.nextInt(tenant.useCases().length)];
                task(tenant, useCase, now);
            }
        }
        scriptedIncidents(offset, now);
    }

    /** During the budget surge cc-legal runs at this multiple of its peak rate, whatever the hour of day. */
    static final double BUDGET_SURGE = 4.0;

    private static boolean inBudgetSurge(Tenant tenant, long offset) {
        Duration budgetSurge = INCIDENTS.get(2).offset();
        return tenant.costCenter().equals("cc-legal") && offset >= budgetSurge.toSeconds() && offset < budgetSurge.plusHours(4).toSeconds();
    }

    private void task(Tenant tenant, UseCase useCase, Instant begin) {
        String taskId = tenant.name() + "-t" + String.format("%06d", ++taskCounter);
        int steps = useCase.minSteps() + random.nextInt(useCase.maxSteps() - useCase.minSteps() + 1);
        Instant time = begin;
        boolean contentFiltered = false;
        int step = 0;
        if (useCase.retrievalModel() != null) {
            call(tenant, useCase.name(), useCase.retrievalModel(), EMBEDDING, taskId, ++step, useCase.agents()[0], time, 0, 200, uniqueHash());
            time = time.plusMillis(300 + random.nextInt(700));
        }
        for (int i = 0; i < steps; i++) {
            step++;
            String agent = useCase.agents()[Math.min(i, useCase.agents().length - 1)];
            String promptHash = uniqueHash();
            int status = status();
            int attempt = 0;
            while (status == 429 || status == 408) {
                call(tenant, useCase.name(), useCase.model(), useCase.tokens(), taskId, step, agent, time, attempt, status, promptHash);
                time = time.plusSeconds(1 + random.nextInt(5));
                attempt++;
                status = attempt >= 3 ? 200 : status();
            }
            call(tenant, useCase.name(), useCase.model(), useCase.tokens(), taskId, step, agent, time, attempt, status, promptHash);
            if (status == 400) {
                contentFiltered = true;
                break;
            }
            time = time.plusSeconds(2 + random.nextInt(18));
        }
        double roll = random.nextDouble();
        if (roll < 0.03) {
            return; // abandoned: the application never reports an outcome
        }
        boolean succeeded = !contentFiltered && roll < 0.93;
        outcome(tenant, useCase, taskId, time.plusMillis(200), succeeded);
    }

    private int status() {
        double roll = random.nextDouble();
        if (roll < 0.015) {
            return 429;
        }
        if (roll < 0.018) {
            return 408;
        }
        if (roll < 0.023) {
            return 400;
        }
        return 200;
    }

    /** One model call with tokens drawn from {@code tokens}; a refused call (429) carries the gateway's prompt estimate and no output. */
    private void call(Tenant tenant, String useCase, Model model, Tokens tokens, String taskId, int step, String agent, Instant time,
                      int retryAttempt, int status, String promptHash) {
        long input = between(tokens.minInput(), tokens.maxInput());
        long cached = status == 429 ? 0 : (long) (input * tokens.maxCachedShare() * random.nextDouble());
        boolean answered = status == 200;
        long output = answered ? between(tokens.minOutput(), tokens.maxOutput()) : 0;
        long reasoning = (long) (output * tokens.reasoningShare());
        ObjectNode doc = usage(tenant, useCase, model, taskId, step, agent, time, retryAttempt, status, promptHash);
        doc.put("inputTokens", input).put("cachedInputTokens", cached).put("outputTokens", output).put("reasoningTokens", reasoning);
        doc.put("toolCalls", answered && model != EMBED ? random.nextInt(4) : 0);
        doc.put("latencyMs", status == 429 ? 20 + random.nextInt(30) : 300 + output * 8 + random.nextInt(400));
        emit(time, tenant.name(), doc, Kind.USAGE);
    }

    private ObjectNode usage(Tenant tenant, String useCase, Model model, String taskId, int step, String agent, Instant time,
                             int retryAttempt, int status, String promptHash) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("kind", "usage").put("eventId", eventId()).put("timestamp", time.toString())
                .put("tenant", tenant.name()).put("application", tenant.application()).put("useCase", useCase)
                .put("costCenter", tenant.costCenter()).put("environment", "prod").put("agent", agent)
                .put("taskId", taskId).put("agentStep", step).put("retryAttempt", retryAttempt)
                .put("provider", "azure-openai").put("model", model.name()).put("modelVersion", model.version())
                .put("deployment", model.deployment()).put("deploymentType", model.deploymentType()).put("region", model.region())
                .put("statusCode", status).put("promptHash", promptHash).put("source", "demo");
        return doc;
    }

    private void outcome(Tenant tenant, UseCase useCase, String taskId, Instant time, boolean succeeded) {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("kind", "task-outcome").put("taskId", taskId).put("timestamp", time.toString())
                .put("tenant", tenant.name()).put("useCase", useCase.name()).put("status", succeeded ? "SUCCEEDED" : "FAILED");
        if (succeeded && useCase.businessValue() != null) {
            doc.put("businessValue", useCase.businessValue());
        }
        emit(time, tenant.name(), doc, Kind.OUTCOME);
    }

    private void emit(Instant time, String tenant, ObjectNode doc, Kind kind) {
        byte[] bytes = doc.toString().getBytes(StandardCharsets.UTF_8);
        schedule(new Event(time, tenant, bytes, kind));
        emitted++;
        if (kind == Kind.USAGE && random.nextDouble() < 0.003) {
            // an at-least-once log shipper sends the same event again a little later
            schedule(new Event(time.plusSeconds(1 + random.nextInt(30)), tenant, bytes, Kind.DUPLICATE));
        }
        if (emitted % 2500 == 0) {
            schedule(new Event(time, tenant, malformed(), Kind.MALFORMED));
        }
    }

    private byte[] malformed() {
        String[] samples = {
            "{\"kind\":\"usage\",\"eventId\":\"" + eventId() + "\",\"timestamp\":\"2025-13-45T99:00:00Z\",\"model\":\"gpt-4o\"}",
            "{\"kind\":\"usage\",\"eventId\":\"" + eventId() + "\",\"timestamp\":1735689600000,\"model\":\"gpt-4o\",\"inputTokens\":-12}",
            "{\"kind\":\"usage\",\"tenant\":\"contoso\",\"model\":\"gpt-4o\",\"inputTokens\":12",
            "{\"records\":\"not what a diagnostic setting sends\"}"};
        return samples[random.nextInt(samples.length)].getBytes(StandardCharsets.UTF_8);
    }

    private void scriptedIncidents(long offset, Instant now) {
        Tenant northwind = TENANTS.get(2);
        Tenant fabrikam = TENANTS.get(1);
        long loopStart = INCIDENTS.get(0).offset().toSeconds();
        if (offset == loopStart) {
            runawayLoop(northwind, northwind.useCases()[0], now);
        }
        if (offset == INCIDENTS.get(1).offset().toSeconds()) {
            tokenSpike(fabrikam, fabrikam.useCases()[1], now);
        }
        long storm = INCIDENTS.get(3).offset().toSeconds();
        if (offset >= storm && offset < storm + 7 * 60) {
            stormSecond(now);
        }
        if (offset == INCIDENTS.get(4).offset().toSeconds()) {
            previewTrial(TENANTS.get(4), now);
        }
    }

    /** A team tries a model nobody has priced yet: a handful of calls over five minutes. */
    private void previewTrial(Tenant tenant, Instant begin) {
        UseCase useCase = tenant.useCases()[0];
        for (int i = 0; i < 8; i++) {
            String taskId = tenant.name() + "-preview-" + i;
            Instant time = begin.plusSeconds(40L * i);
            call(tenant, useCase.name(), PREVIEW, useCase.tokens(), taskId, 1, "qa-agent", time, 0, 200, uniqueHash());
            outcome(tenant, useCase, taskId, time.plusSeconds(5), true);
        }
    }

    /** One task whose agent repeats the same prompt every 20 s for 20 minutes, then is killed. */
    private void runawayLoop(Tenant tenant, UseCase useCase, Instant begin) {
        String taskId = tenant.name() + "-loop-" + String.format("%04d", random.nextInt(10_000));
        String promptHash = uniqueHash();
        Instant time = begin;
        for (int i = 0; i < 60; i++) {
            ObjectNode doc = usage(tenant, useCase.name(), O4_MINI, taskId, 3, "research-agent", time, 0, 200, promptHash);
            doc.put("inputTokens", 1200).put("cachedInputTokens", 1024).put("outputTokens", 150).put("reasoningTokens", 100)
                    .put("toolCalls", 1).put("latencyMs", 900 + random.nextInt(300));
            emit(time, tenant.name(), doc, Kind.USAGE);
            time = time.plusSeconds(20);
        }
        outcome(tenant, useCase, taskId, time, false);
    }

    /** Forty one-call tasks with very long prompts inside one minute. */
    private void tokenSpike(Tenant tenant, UseCase useCase, Instant begin) {
        for (int i = 0; i < 40; i++) {
            String taskId = tenant.name() + "-bulk-" + String.format("%03d", i);
            Instant time = begin.plusMillis(i * 1400L);
            ObjectNode doc = usage(tenant, useCase.name(), GPT_4O, taskId, 1, "screening-agent", time, 0, 200, uniqueHash());
            doc.put("inputTokens", between(9000, 11000)).put("cachedInputTokens", 0).put("outputTokens", between(500, 800))
                    .put("reasoningTokens", 0).put("toolCalls", 0).put("latencyMs", 4000 + random.nextInt(2000));
            emit(time, tenant.name(), doc, Kind.USAGE);
            outcome(tenant, useCase, taskId, time.plusSeconds(5), true);
        }
    }

    /** A new tenant's batch job: about 150 calls a minute on one deployment, almost half refused with 429 and retried. */
    private void stormSecond(Instant now) {
        Tenant wingtip = STORM_TENANT;
        UseCase classify = wingtip.useCases()[0];
        for (int i = 0; i < 2 + (random.nextDouble() < 0.5 ? 1 : 0); i++) {
            String taskId = "wingtip-inv-" + String.format("%06d", ++taskCounter);
            Instant time = now.plusMillis(random.nextInt(1000));
            String hash = uniqueHash();
            int attempt = 0;
            while (random.nextDouble() < 0.45 && attempt < 4) {
                call(wingtip, classify.name(), GPT_41_MINI, classify.tokens(), taskId, 1, "batch-classifier", time, attempt, 429, hash);
                time = time.plusMillis(500 + random.nextInt(1500));
                attempt++;
            }
            call(wingtip, classify.name(), GPT_41_MINI, classify.tokens(), taskId, 1, "batch-classifier", time, attempt, 200, hash);
            outcome(wingtip, classify, taskId, time.plusMillis(100), true);
        }
    }

    private long between(int min, int max) {
        return min + random.nextInt(max - min + 1);
    }

    private String uniqueHash() {
        return String.format("%016x", random.nextLong());
    }

    private String eventId() {
        return String.format("%016x%016x", random.nextLong(), random.nextLong());
    }
}
