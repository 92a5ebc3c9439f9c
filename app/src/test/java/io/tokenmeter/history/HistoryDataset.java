package io.tokenmeter.history;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokenmeter.budgets.BudgetSpecs;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.event.Budget;
import io.tokenmeter.event.BudgetAction;
import io.tokenmeter.event.BudgetPeriod;
import io.tokenmeter.event.PriceEntry;
import io.tokenmeter.prices.PriceCatalogs;
import io.tokenmeter.topics.BudgetScope;
import java.io.IOException;
import java.io.Writer;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.apache.kafka.common.utils.Utils;

/**
 * A deterministic 30-hour history of model calls and task outcomes for {@code tokenmeter.ingest.raw}, in the canonical
 * JSON of DESIGN.md: seven tenants with applications, use cases, cost centers and agents on priced models; multi-step
 * tasks with SUCCEEDED/FAILED outcomes and some without (ABANDONED after the inactivity gap); 429, 408, 500, 400 and 403
 * answers; about 2 % exact duplicates resent up to a minute after the original; up to 3 minutes of disorder; ISO-8601
 * (UTC and with offsets) and epoch-millisecond timestamps. Planted incidents: a runaway loop, a token spike, a retry
 * storm and an unpriced model, and two decoys that must not fire (a busy task just under the call limit, and a
 * deployment with mostly 429s but fewer requests than a storm needs). Three monthly budgets are sized from the
 * history's own spend so that each lands well clear of its thresholds.
 *
 * <p>The same {@link Params} give the same bytes: a seeded {@link Random}, and a pinned start, never the clock.
 * Detector defaults the incidents are placed against (TokenmeterConfig): loop more than 25 calls in 10 minutes; spike
 * z ≥ 4 over an EWMA of log tokens per tenant/model minute, at least 10,000 tokens, 30 minutes and 10 active minutes of
 * warm-up; storm at least 50 requests to a deployment in a minute with at least 20 % 429s or retries. To keep ordinary
 * traffic from spiking, no tenant/model minute of it carries more than {@value #MINUTE_TOKEN_CAP} tokens (a call that
 * would cross that line is made smaller); only the planted spike and the storm's cold series are exempt.
 */
public final class HistoryDataset {

    public static final Instant DEFAULT_START = Instant.parse("2026-03-02T00:00:00Z");
    /** Event time advances only with data: after the history every raw partition gets one call of this tenant, two days on. */
    public static final String TAIL_TENANT = "zz-tail";
    public static final Duration TAIL_AFTER = Duration.ofDays(2);
    /** Tokens per tenant/model minute that ordinary traffic stays under: the spike detector's minimum volume is 10,000. */
    public static final int MINUTE_TOKEN_CAP = 7_000;

    private static final long SECOND = 1_000L;
    private static final long MINUTE = 60_000L;
    private static final int MIN_CALL_TOKENS = 60;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter WITH_OFFSET = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");

    /** What to generate: the seed, the first instant (a whole minute), how many hours, and about how many calls. */
    public record Params(long seed, Instant start, int hours, int calls) {

        public static final Params DEFAULTS = new Params(20_260_302L, DEFAULT_START, 30, 24_000);

        public Params {
            if (hours < 6 || hours > 24 * 25) {
                throw new IllegalArgumentException("hours must be from 6 (room for the incidents' warm-up) to 600 (within a month), got " + hours);
            }
            if (calls < 3_000) {
                throw new IllegalArgumentException("calls must be at least 3000 (the incidents alone make about 1,400), got " + calls);
            }
            if (start.toEpochMilli() % MINUTE != 0) {
                throw new IllegalArgumentException("start must be a whole minute, got " + start);
            }
        }

        public Params withSeed(long value) {
            return new Params(value, start, hours, calls);
        }

        public Params withHours(int value) {
            return new Params(seed, start, value, calls);
        }

        public Params withCalls(int value) {
            return new Params(seed, start, hours, value);
        }
    }

    /** What a line is: an original call, an outcome, or a resent copy of a call (same bytes, same eventId). */
    public enum Kind { USAGE, OUTCOME, DUPLICATE }

    /** One document of the feed, its event time, and when it is delivered (the feed is in delivery order). */
    public record Line(String json, long eventTime, long delivery, Kind kind) {
    }

    /**
     * A planted incident: the alert type and the scope that identify it (alert fields: tenant, taskId, model,
     * deployment); a decoy must never fire.
     */
    public record Incident(String name, AlertType type, Map<String, String> scope, boolean decoy, String description) {
    }

    private final Params params;
    private final List<Line> feed;
    private final List<Incident> incidents;
    private final List<Budget> budgets;
    private final long firstCall;
    private final long lastCall;

    private HistoryDataset(Params params, List<Line> feed, List<Incident> incidents, List<Budget> budgets, long firstCall, long lastCall) {
        this.params = params;
        this.feed = List.copyOf(feed);
        this.incidents = List.copyOf(incidents);
        this.budgets = List.copyOf(budgets);
        this.firstCall = firstCall;
        this.lastCall = lastCall;
    }

    public static HistoryDataset generate(Params params) {
        return new Generator(params, new ListPrices(PriceCatalogs.defaultCatalog().entries())).run();
    }

    public Params params() {
        return params;
    }

    /** Every document of the history in delivery order (at most 3 minutes out of event-time order), without the tail. */
    public List<Line> feed() {
        return feed;
    }

    public List<Incident> incidents() {
        return incidents;
    }

    /** Monthly budgets (UTC, updatedAt = the start): tenant:contoso at 62 %, costCenter:cc-legal at 125 %, application:code-review-bot at 2 %. */
    public List<Budget> budgets() {
        return budgets;
    }

    public Instant firstCall() {
        return Instant.ofEpochMilli(firstCall);
    }

    public Instant lastCall() {
        return Instant.ofEpochMilli(lastCall);
    }

    /** The event time of the tail calls: two days after the last call, to the second. */
    public Instant tailTime() {
        return Instant.ofEpochMilli(lastCall).plus(TAIL_AFTER).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    }

    /**
     * One ordinary call of {@value #TAIL_TENANT} per raw partition at {@link #tailTime()}, element i meant for partition
     * i. Each eventId is chosen so that Kafka's default partitioner sends it to partition i when the eventId is the key
     * ({@code tokenmeter produce --key-field eventId}). Each carries a task id of its own, so per-task clocks move too.
     */
    /** The Azure OpenAI account that serves a region's deployments (the bill is per account). */
    public static String account(String region) {
        return "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg-history/providers/Microsoft.CognitiveServices/accounts/history-"
                + region;
    }

    public List<String> tail(int partitions) {
        List<String> docs = new ArrayList<>();
        for (int partition = 0; partition < partitions; partition++) {
            ObjectNode doc = JSON.createObjectNode();
            doc.put("kind", "usage").put("eventId", tailEventId(partition, partitions)).put("timestamp", tailTime().toString())
                    .put("tenant", TAIL_TENANT).put("application", "tail").put("useCase", "tail").put("costCenter", "cc-tail")
                    .put("environment", "prod").put("agent", "tail-agent").put("taskId", TAIL_TENANT + "-task-" + partition)
                    .put("agentStep", 1).put("retryAttempt", 0).put("toolCalls", 0).put("provider", "azure-openai")
                    .put("model", "gpt-4o-mini").put("modelVersion", "2024-07-18").put("deployment", "gpt-4o-mini-tail")
                    .put("deploymentType", "global").put("region", "eastus2").put("inputTokens", 100).put("cachedInputTokens", 0)
                    .put("outputTokens", 10).put("reasoningTokens", 0).put("statusCode", 200).put("latencyMs", 300)
                    .put("promptHash", "tail-" + partition).put("source", "history");
            docs.add(doc.toString());
        }
        return docs;
    }

    /** Every document: the feed, then the tail for {@code partitions} raw partitions. */
    public List<String> documents(int partitions) {
        List<String> docs = new ArrayList<>(feed.size() + partitions);
        feed.forEach(line -> docs.add(line.json()));
        docs.addAll(tail(partitions));
        return docs;
    }

    /**
     * The feed laid into {@code partitions} partitions by event time, each a contiguous slice of the time range
     * (partition 0 the first 1/P, ...), in feed order within each: a backlog as skewed as it gets. Without the tail.
     */
    public List<List<String>> timeSlices(int partitions) {
        long first = feed.stream().mapToLong(Line::eventTime).min().orElseThrow();
        long last = feed.stream().mapToLong(Line::eventTime).max().orElseThrow();
        List<List<String>> slices = new ArrayList<>();
        for (int i = 0; i < partitions; i++) {
            slices.add(new ArrayList<>());
        }
        for (Line line : feed) {
            int partition = (int) ((line.eventTime() - first) * partitions / (last - first + 1));
            slices.get(partition).add(line.json());
        }
        return slices;
    }

    /** Writes the feed and the tail as JSON lines, one document per line. */
    public void writeJsonLines(Writer out, int partitions) throws IOException {
        for (String doc : documents(partitions)) {
            out.write(doc);
            out.write('\n');
        }
    }

    private static String tailEventId(int partition, int partitions) {
        for (int n = 0; ; n++) {
            String id = TAIL_TENANT + "-" + n;
            if (Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % partitions == partition) {
                return id;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    record Deployment(String name, String model, String version, String type, String region) {
    }

    /** Token ranges of one kind of call; shares are of the input (cached) and of the output (reasoning). */
    record Tokens(int minIn, int maxIn, double cachedShare, int minOut, int maxOut, double reasoningShare) {
    }

    record UseCase(String name, Deployment deployment, int minSteps, int maxSteps, Tokens tokens, String[] agents, Deployment retrieval,
                   String businessValue) {
    }

    record Tenant(String name, String application, String costCenter, double weight, UseCase[] useCases) {
    }

    static final Deployment GPT41_MINI_DZ = new Deployment("gpt41-mini-dz", "gpt-4.1-mini", "2025-04-14", "datazone", "swedencentral");
    static final Deployment GPT4O = new Deployment("gpt-4o-prod", "gpt-4o", "2024-11-20", "global", "eastus2");
    static final Deployment GPT41 = new Deployment("gpt-41-prod", "gpt-4.1", "2025-04-14", "global", "eastus2");
    static final Deployment O4_MINI = new Deployment("o4-mini-prod", "o4-mini", "2025-04-16", "global", "eastus2");
    static final Deployment EMBED = new Deployment("embed-small", "text-embedding-3-small", "1", "global", "eastus2");
    static final Deployment GPT4O_MINI_EU = new Deployment("gpt-4o-mini-eu", "gpt-4o-mini", "2024-07-18", "datazone", "westeurope");
    static final Deployment GPT5_MINI = new Deployment("gpt5-mini-prod", "gpt-5-mini", "2025-08-07", "global", "eastus2");
    /** Only the decoy storm's labeling batch uses it. */
    static final Deployment GPT5_MINI_LAB = new Deployment("gpt5-mini-lab", "gpt-5-mini", "2025-08-07", "global", "eastus2");
    /** Only the retry storm's batch job uses it. */
    static final Deployment NANO_BATCH = new Deployment("nano-batch", "gpt-4.1-nano", "2025-04-14", "global", "eastus2");
    /** No price entry covers it. */
    static final Deployment PREVIEW = new Deployment("gpt51-preview", "gpt-5.1-preview", "2025-11-13", "global", "eastus2");

    static final Tokens EMBEDDING = new Tokens(300, 1500, 0, 0, 0, 0);

    static final Tenant CONTOSO = new Tenant("contoso", "support-copilot", "cc-support", 0.20, new UseCase[] {
        new UseCase("ticket-triage", GPT41_MINI_DZ, 2, 4, new Tokens(300, 1200, 0.5, 40, 250, 0), new String[] {"triage-agent", "kb-retriever"}, null, "0.40"),
        new UseCase("answer-drafting", GPT4O, 2, 5, new Tokens(600, 1500, 0.6, 150, 400, 0), new String[] {"kb-retriever", "writer-agent"}, null, "2.50")});
    static final Tenant FABRIKAM = new Tenant("fabrikam", "hr-assistant", "cc-hr", 0.14, new UseCase[] {
        new UseCase("policy-qa", GPT41_MINI_DZ, 1, 3, new Tokens(400, 1400, 0.4, 80, 300, 0), new String[] {"policy-agent"}, null, null),
        new UseCase("resume-screening", GPT4O, 1, 3, new Tokens(800, 1500, 0.2, 100, 350, 0), new String[] {"screening-agent"}, null, "3.00")});
    static final Tenant NORTHWIND = new Tenant("northwind", "sales-insights", "cc-sales", 0.14, new UseCase[] {
        new UseCase("account-research", O4_MINI, 3, 6, new Tokens(500, 1400, 0.3, 150, 400, 0.7), new String[] {"research-agent", "crm-tool-agent"}, null, null),
        new UseCase("email-drafting", GPT41_MINI_DZ, 1, 2, new Tokens(300, 900, 0.2, 100, 300, 0), new String[] {"email-agent"}, null, null)});
    static final Tenant ADVENTURE_WORKS = new Tenant("adventure-works", "code-review-bot", "cc-engineering", 0.13, new UseCase[] {
        new UseCase("pr-review", GPT41, 2, 5, new Tokens(800, 1500, 0.5, 150, 400, 0), new String[] {"review-agent", "test-agent"}, null, "5.00")});
    static final Tenant TAILSPIN = new Tenant("tailspin", "contract-rag", "cc-legal", 0.15, new UseCase[] {
        new UseCase("contract-qa", GPT4O, 2, 4, new Tokens(700, 1500, 0.5, 100, 350, 0), new String[] {"clause-extractor", "qa-agent"}, EMBED, "12.00")});
    static final Tenant WINGTIP = new Tenant("wingtip", "invoice-desk", "cc-finance", 0.12, new UseCase[] {
        new UseCase("invoice-qa", GPT4O_MINI_EU, 1, 3, new Tokens(200, 800, 0.3, 30, 150, 0), new String[] {"invoice-agent"}, null, "0.20")});
    static final Tenant LITWARE = new Tenant("litware", "data-labeling", "cc-research", 0.12, new UseCase[] {
        new UseCase("labeling", GPT5_MINI, 1, 4, new Tokens(200, 1000, 0.3, 20, 200, 0.3), new String[] {"labeler-agent", "reviewer-agent"}, null, "0.05")});
    static final List<Tenant> TENANTS = List.of(CONTOSO, FABRIKAM, NORTHWIND, ADVENTURE_WORKS, TAILSPIN, WINGTIP, LITWARE);

    static final String LOOP_TASK = "northwind-loop-0001";
    static final String BUSY_TASK = "adventure-works-busy-0001";

    /** Builds the history in one pass; every random draw comes from one seeded stream, in a fixed order. */
    private static final class Generator {

        private record Pending(ObjectNode doc, long time, Kind kind) {
        }

        private final Params params;
        private final ListPrices prices;
        private final Random random;
        private final long start;
        private final long end;
        private final List<Pending> pending = new ArrayList<>();
        private final Map<String, Long> minuteTokens = new HashMap<>();
        private final Map<String, Long> spendByScope = new HashMap<>();
        private final List<Incident> incidents = new ArrayList<>();
        private int taskCounter;
        private int calls;
        private long firstCall = Long.MAX_VALUE;
        private long lastCall = Long.MIN_VALUE;

        Generator(Params params, ListPrices prices) {
            this.params = params;
            this.prices = prices;
            this.random = new Random(params.seed());
            this.start = params.start().toEpochMilli();
            this.end = start + params.hours() * 3_600_000L;
        }

        HistoryDataset run() {
            // the incidents first: they take their share of each minute's token room before ordinary traffic fills it
            runawayLoop(at(0.27));
            busyTaskDecoy(at(0.33));
            unpricedModel(at(0.40));
            retryStorm(at(0.50));
            tokenSpike(at(0.67));
            stormDecoy(at(0.73));
            long usable = end - start - 20 * MINUTE;
            while (calls < params.calls()) {
                Tenant tenant = pickTenant();
                task(tenant, tenant.useCases()[random.nextInt(tenant.useCases().length)], start + offset(usable));
            }
            return new HistoryDataset(params, lines(), incidents, budgets(), firstCall, lastCall);
        }

        /** A whole minute at {@code fraction} of the range. */
        private long at(double fraction) {
            long time = start + (long) (fraction * (end - start));
            return time - Math.floorMod(time, MINUTE);
        }

        private Tenant pickTenant() {
            double roll = random.nextDouble() * TENANTS.stream().mapToDouble(Tenant::weight).sum();
            for (Tenant tenant : TENANTS) {
                roll -= tenant.weight();
                if (roll < 0) {
                    return tenant;
                }
            }
            return TENANTS.get(TENANTS.size() - 1);
        }

        /** An offset into the range, busier around 14:00 UTC than at night. */
        private long offset(long usable) {
            while (true) {
                long offset = (long) (random.nextDouble() * usable);
                double hour = Math.floorMod(start + offset, 86_400_000L) / 3_600_000.0;
                double diurnal = 0.3 + 0.7 * Math.exp(-Math.pow(hour - 14, 2) / (2 * 3.5 * 3.5));
                if (random.nextDouble() < diurnal) {
                    return offset;
                }
            }
        }

        private void task(Tenant tenant, UseCase useCase, long begin) {
            String taskId = tenant.name() + "-t" + String.format("%06d", ++taskCounter);
            long time = begin;
            boolean failed = false;
            int step = 0;
            if (useCase.retrieval() != null) {
                call(tenant, tenant.application(), useCase.name(), useCase.retrieval(), taskId, ++step, useCase.agents()[0], time, 0, 200,
                        hash(), EMBEDDING, true);
                time += 300 + random.nextInt(700);
            }
            int steps = between(useCase.minSteps(), useCase.maxSteps());
            for (int i = 0; i < steps; i++) {
                step++;
                String agent = useCase.agents()[Math.min(i, useCase.agents().length - 1)];
                String promptHash = hash();
                int status = status(true);
                int attempt = 0;
                while (status == 429 || status == 408 || status == 500) {
                    call(tenant, tenant.application(), useCase.name(), useCase.deployment(), taskId, step, agent, time, attempt, status,
                            promptHash, useCase.tokens(), true);
                    time += 1_000 + random.nextInt(4_000);
                    attempt++;
                    status = attempt >= 3 ? 200 : status(false);
                }
                call(tenant, tenant.application(), useCase.name(), useCase.deployment(), taskId, step, agent, time, attempt, status, promptHash,
                        useCase.tokens(), true);
                if (status == 400 || status == 403) {
                    failed = true; // content filter or forbidden: the application gives up on the task
                    break;
                }
                time += 2_000 + random.nextInt(18_000);
            }
            double roll = random.nextDouble();
            if (roll < 0.03) {
                return; // abandoned: no outcome ever comes
            }
            outcome(tenant.name(), useCase.name(), taskId, time + 200 + random.nextInt(1_800), !failed && roll < 0.92, useCase.businessValue());
        }

        /** 429, 408 and 500 are retried; a first attempt may also meet the content filter (400) or be forbidden (403). */
        private int status(boolean firstAttempt) {
            double roll = random.nextDouble();
            if (roll < 0.015) {
                return 429;
            }
            if (roll < 0.018) {
                return 408;
            }
            if (roll < 0.020) {
                return 500;
            }
            if (firstAttempt && roll < 0.026) {
                return 400;
            }
            if (firstAttempt && roll < 0.028) {
                return 403;
            }
            return 200;
        }

        /** One task calls o4-mini every 15 s for half an hour: 120 calls, far over 25 in 10 minutes. */
        private void runawayLoop(long begin) {
            UseCase research = NORTHWIND.useCases()[0];
            Tokens small = new Tokens(400, 600, 0.5, 50, 100, 0.7);
            long time = begin;
            for (int i = 0; i < 120; i++) {
                call(NORTHWIND, NORTHWIND.application(), research.name(), O4_MINI, LOOP_TASK, 3, "research-agent", time, 0, 200, hash(), small, true);
                time += 15 * SECOND;
            }
            // the outcome comes well after the last call, so however the two input topics interleave, the loop is over
            outcome(NORTHWIND.name(), research.name(), LOOP_TASK, time + 2 * MINUTE, false, null);
            incidents.add(new Incident("runaway-loop", AlertType.RUNAWAY_LOOP, Map.of("tenant", NORTHWIND.name(), "taskId", LOOP_TASK), false,
                    "task " + LOOP_TASK + " calls o4-mini every 15 s for 30 minutes (120 calls) from " + Instant.ofEpochMilli(begin)));
        }

        /** A busy but healthy task: 24 calls within 9 min 12 s, under the limit of more than 25 in 10 minutes. */
        private void busyTaskDecoy(long begin) {
            UseCase review = ADVENTURE_WORKS.useCases()[0];
            Tokens small = new Tokens(300, 500, 0.3, 50, 120, 0);
            long time = begin;
            for (int i = 0; i < 24; i++) {
                call(ADVENTURE_WORKS, ADVENTURE_WORKS.application(), review.name(), GPT41, BUSY_TASK, i + 1, i % 2 == 0 ? "review-agent" : "test-agent",
                        time, 0, 200, hash(), small, true);
                time += 24 * SECOND;
            }
            outcome(ADVENTURE_WORKS.name(), review.name(), BUSY_TASK, time + 30 * SECOND, true, review.businessValue());
            incidents.add(new Incident("busy-task-decoy", AlertType.RUNAWAY_LOOP, Map.of("taskId", BUSY_TASK), true,
                    "task " + BUSY_TASK + " makes 24 calls in 9 min 12 s from " + Instant.ofEpochMilli(begin) + " (a loop is more than 25 in 10 minutes)"));
        }

        /** Tailspin tries a model nobody priced: eight one-call tasks, 40 s apart, on one UTC day. */
        private void unpricedModel(long begin) {
            UseCase qa = TAILSPIN.useCases()[0];
            if (Math.floorDiv(begin, 86_400_000L) != Math.floorDiv(begin + 10 * MINUTE, 86_400_000L)) {
                begin += 15 * MINUTE; // keep the trial within one UTC day: the detector raises an unpriced model once a day
            }
            for (int i = 0; i < 8; i++) {
                String taskId = TAILSPIN.name() + "-preview-" + i;
                long time = begin + 40 * SECOND * i;
                call(TAILSPIN, TAILSPIN.application(), qa.name(), PREVIEW, taskId, 1, "qa-agent", time, 0, 200, hash(), qa.tokens(), true);
                outcome(TAILSPIN.name(), qa.name(), taskId, time + 5 * SECOND, true, qa.businessValue());
            }
            incidents.add(new Incident("unpriced-model", AlertType.UNPRICED_MODEL, Map.of("model", PREVIEW.model()), false,
                    "8 calls of " + PREVIEW.model() + " (no price) by tailspin from " + Instant.ofEpochMilli(begin)));
        }

        /**
         * Wingtip's invoice batch job floods its own deployment for 7 minutes: one invoice a second, 45 % of attempts refused
         * with 429 and retried, about 100 requests a minute of which about two thirds are 429s or retries. Its tenant/model
         * series is new (warm-up 30 minutes), so the volume cannot look like a token spike.
         */
        private void retryStorm(long begin) {
            Tokens tiny = new Tokens(150, 300, 0, 5, 20, 0);
            for (int second = 0; second < 7 * 60; second++) {
                String taskId = "wingtip-inv-" + String.format("%06d", ++taskCounter);
                long time = begin + second * SECOND + random.nextInt(1_000);
                String promptHash = hash();
                int attempt = 0;
                while (random.nextDouble() < 0.45 && attempt < 4) {
                    call(WINGTIP, "invoice-batch", "invoice-classification", NANO_BATCH, taskId, 1, "batch-classifier", time, attempt, 429, promptHash,
                            tiny, false);
                    time += 500 + random.nextInt(1_500);
                    attempt++;
                }
                call(WINGTIP, "invoice-batch", "invoice-classification", NANO_BATCH, taskId, 1, "batch-classifier", time, attempt, 200, promptHash,
                        tiny, false);
                outcome(WINGTIP.name(), "invoice-classification", taskId, time + 100, true, null);
            }
            incidents.add(new Incident("retry-storm", AlertType.RETRY_STORM, Map.of("deployment", NANO_BATCH.name()), false,
                    "7 minutes of about 100 requests a minute on " + NANO_BATCH.name() + ", about two thirds 429s or retries, from "
                            + Instant.ofEpochMilli(begin)));
        }

        /** Fabrikam bulk-screens 60 long resumes on gpt-4o within one minute: about 880,000 tokens after 20 hours of a few thousand. */
        private void tokenSpike(long begin) {
            UseCase screening = FABRIKAM.useCases()[1];
            Tokens huge = new Tokens(12_000, 16_000, 0, 500, 900, 0);
            for (int i = 0; i < 60; i++) {
                String taskId = FABRIKAM.name() + "-bulk-" + String.format("%03d", i);
                long time = begin + i * 900L;
                call(FABRIKAM, FABRIKAM.application(), screening.name(), GPT4O, taskId, 1, "screening-agent", time, 0, 200, hash(), huge, false);
                outcome(FABRIKAM.name(), screening.name(), taskId, time + 5 * SECOND, true, screening.businessValue());
            }
            incidents.add(new Incident("token-spike", AlertType.TOKEN_SPIKE, Map.of("tenant", FABRIKAM.name(), "model", GPT4O.model()), false,
                    "60 calls of 12,500-16,900 tokens on gpt-4o by fabrikam in the minute from " + Instant.ofEpochMilli(begin)));
        }

        /** Litware's labeling batch on its own deployment: half its requests are 429s, but at most 36 requests a minute (a storm needs 50). */
        private void stormDecoy(long begin) {
            UseCase labeling = LITWARE.useCases()[0];
            Tokens tiny = new Tokens(100, 200, 0, 10, 40, 0);
            for (int minute = 0; minute < 6; minute++) {
                for (int i = 0; i < 12; i++) {
                    String taskId = LITWARE.name() + "-label-" + String.format("%06d", ++taskCounter);
                    long time = begin + minute * MINUTE + i * 4 * SECOND;
                    String promptHash = hash();
                    int attempt = 0;
                    while (random.nextDouble() < 0.6 && attempt < 2) {
                        call(LITWARE, LITWARE.application(), labeling.name(), GPT5_MINI_LAB, taskId, 1, "labeler-agent", time, attempt, 429, promptHash,
                                tiny, true);
                        time += 1_000 + random.nextInt(2_000);
                        attempt++;
                    }
                    call(LITWARE, LITWARE.application(), labeling.name(), GPT5_MINI_LAB, taskId, 1, "labeler-agent", time, attempt, 200, promptHash,
                            tiny, true);
                    outcome(LITWARE.name(), labeling.name(), taskId, time + 500, true, labeling.businessValue());
                }
            }
            incidents.add(new Incident("retry-storm-decoy", AlertType.RETRY_STORM, Map.of("deployment", GPT5_MINI_LAB.name()), true,
                    "6 minutes of 12-36 requests a minute on " + GPT5_MINI_LAB.name() + ", about half 429s or retries, from "
                            + Instant.ofEpochMilli(begin) + " (a storm needs at least 50 requests a minute)"));
        }

        /**
         * One model call. Ordinary calls ({@code capped}) are made smaller when their tenant/model minute would carry more
         * than {@link #MINUTE_TOKEN_CAP} tokens; a refused call (429) carries the gateway's prompt estimate and no output,
         * a call that was not answered (400, 403, 408, 500) no output.
         */
        private void call(Tenant tenant, String application, String useCase, Deployment deployment, String taskId, int step, String agent,
                          long time, int attempt, int status, String promptHash, Tokens tokens, boolean capped) {
            long input = between(tokens.minIn(), tokens.maxIn());
            long output = status / 100 == 2 ? between(tokens.minOut(), tokens.maxOut()) : 0;
            double cachedRoll = random.nextDouble();
            if (capped) {
                String key = tenant.name() + '|' + deployment.model() + '|' + Math.floorDiv(time, MINUTE);
                long used = minuteTokens.getOrDefault(key, 0L);
                long room = Math.max(MIN_CALL_TOKENS, MINUTE_TOKEN_CAP - used);
                if (input + output > room) {
                    output = (long) Math.floor(output * (double) room / (input + output));
                    input = Math.max(1, room - output);
                }
                minuteTokens.put(key, used + input + output);
            }
            long cached = status == 429 ? 0 : (long) Math.floor(input * tokens.cachedShare() * cachedRoll);
            long reasoning = (long) Math.floor(output * tokens.reasoningShare());
            boolean answered = status / 100 == 2;
            ObjectNode doc = JSON.createObjectNode();
            doc.put("kind", "usage").put("eventId", eventId());
            timestamp(doc, time);
            doc.put("tenant", tenant.name()).put("application", application).put("useCase", useCase)
                    .put("costCenter", tenant.costCenter()).put("environment", "prod").put("agent", agent)
                    .put("taskId", taskId).put("agentStep", step).put("retryAttempt", attempt)
                    .put("toolCalls", answered && deployment != EMBED ? random.nextInt(4) : 0)
                    .put("provider", "azure-openai").put("model", deployment.model()).put("modelVersion", deployment.version())
                    .put("deployment", deployment.name()).put("deploymentType", deployment.type()).put("region", deployment.region())
                    // every third call spells its resource in upper case, as Azure's logs do: the bill matches it all the same
                    .put("resourceId", calls % 3 == 0 ? account(deployment.region()).toUpperCase(java.util.Locale.ROOT) : account(deployment.region()))
                    .put("inputTokens", input).put("cachedInputTokens", cached).put("outputTokens", output).put("reasoningTokens", reasoning)
                    .put("statusCode", status).put("latencyMs", status == 429 ? 20 + random.nextInt(30) : 300 + output * 8 + random.nextInt(400))
                    .put("promptHash", promptHash).put("source", "history");
            pending.add(new Pending(doc, time, Kind.USAGE));
            calls++;
            firstCall = Math.min(firstCall, time);
            lastCall = Math.max(lastCall, time);
            Optional<PriceEntry> price = prices.find(deployment.model(), deployment.version(), deployment.type(), deployment.region(),
                    Instant.ofEpochMilli(time));
            if (price.isPresent() && ListPrices.billed(status)) {
                long cost = ListPrices.costNanos(input, cached, output, reasoning, price.get());
                for (String scope : List.of("tenant:" + tenant.name(), "costCenter:" + tenant.costCenter(), "application:" + application,
                        "agent:" + agent)) {
                    spendByScope.merge(scope, cost, Long::sum);
                }
            }
        }

        private void outcome(String tenant, String useCase, String taskId, long time, boolean succeeded, String businessValue) {
            ObjectNode doc = JSON.createObjectNode();
            doc.put("kind", "task-outcome").put("taskId", taskId);
            timestamp(doc, time);
            doc.put("tenant", tenant).put("useCase", useCase).put("status", succeeded ? "SUCCEEDED" : "FAILED");
            if (succeeded && businessValue != null) {
                doc.put("businessValue", businessValue);
            }
            pending.add(new Pending(doc, time, Kind.OUTCOME));
        }

        /** Mostly ISO-8601 in UTC, some with an offset, some epoch milliseconds as a JSON number or as digits. */
        private void timestamp(ObjectNode doc, long time) {
            double roll = random.nextDouble();
            if (roll < 0.55) {
                doc.put("timestamp", Instant.ofEpochMilli(time).toString());
            } else if (roll < 0.70) {
                ZoneOffset offset = random.nextBoolean() ? ZoneOffset.ofHours(2) : ZoneOffset.ofHoursMinutes(-5, -30);
                doc.put("timestamp", WITH_OFFSET.format(Instant.ofEpochMilli(time).atOffset(offset)));
            } else if (roll < 0.92) {
                doc.put("timestamp", time);
            } else {
                doc.put("timestamp", Long.toString(time));
            }
        }

        /**
         * The documents in delivery order: most on time, 12 % up to 2 minutes late, and 2 % of the calls resent (the
         * same bytes) up to a minute after their original, so nothing is more than 3 minutes out of order.
         */
        private List<Line> lines() {
            record Delivered(Line line, long sequence) {
            }
            List<Delivered> delivered = new ArrayList<>();
            long sequence = 0;
            for (Pending p : pending) {
                String json = p.doc().toString();
                long delay = random.nextDouble() < 0.12 ? 1_000 + random.nextInt(119_000) : 0;
                delivered.add(new Delivered(new Line(json, p.time(), p.time() + delay, p.kind()), sequence++));
                if (p.kind() == Kind.USAGE && random.nextDouble() < 0.02) {
                    long resent = p.time() + delay + 1_000 + random.nextInt(59_000);
                    delivered.add(new Delivered(new Line(json, p.time(), resent, Kind.DUPLICATE), sequence++));
                }
            }
            delivered.sort(Comparator.comparingLong((Delivered d) -> d.line().delivery()).thenComparingLong(Delivered::sequence));
            return delivered.stream().map(Delivered::line).toList();
        }

        private List<Budget> budgets() {
            Instant updatedAt = params.start();
            Map<String, BigDecimal> shares = new LinkedHashMap<>();
            shares.put("tenant:contoso", new BigDecimal("0.62"));
            shares.put("costCenter:cc-legal", new BigDecimal("1.25"));
            shares.put("application:code-review-bot", new BigDecimal("0.02"));
            Map<String, BudgetAction> actions = Map.of("costCenter:cc-legal", BudgetAction.BLOCK);
            List<Budget> budgets = new ArrayList<>();
            shares.forEach((scope, share) -> {
                BigDecimal spent = BigDecimal.valueOf(spendByScope.getOrDefault(scope, 0L), 9);
                BigDecimal amount = spent.divide(share, 2, RoundingMode.HALF_EVEN).max(new BigDecimal("0.01"));
                budgets.add(BudgetSpecs.budget(BudgetScope.parse(scope), BudgetPeriod.MONTH, BudgetSpecs.amountNanos(amount), "USD",
                        List.of(50, 80, 100), actions.getOrDefault(scope, BudgetAction.WARN), "UTC", updatedAt));
            });
            return budgets;
        }

        private int between(int min, int max) {
            return min + random.nextInt(max - min + 1);
        }

        private String hash() {
            return String.format("%016x", random.nextLong());
        }

        private String eventId() {
            return String.format("%016x%016x", random.nextLong(), random.nextLong());
        }
    }
}
