package io.tokenmeter.anomaly;

import io.tokenmeter.streams.TaskSignal;

import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertStatus;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.Severity;
import io.tokenmeter.event.TaskOutcome;
import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.streams.EventTime;
import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.streams.Watermarks;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * RUNAWAY_LOOP, per task: more than {@code maxCalls} calls within the call window, the same prompt hash
 * {@code repeatedPrompts} times within the repeat window (retries do not count: resending a failed call is not a
 * loop), or more than {@code maxTaskTokens} tokens in the task.
 * An incident fires once (naming the rule that fired first) and resolves once, when the task ends or goes quiet.
 * Tasks are keyed by tenant and task id, so the state lives beside the tenant's usage without a repartition.
 *
 * <p>Calls and outcomes come in event-time order ({@link io.tokenmeter.streams.InEventTimeOrder}), so the rules see the
 * same sequence in every run. A task's own quiet period and idle time are settled when its next signal comes, at that
 * signal's time; a sweep on each new minute of event time resolves the loops that go quiet with no signal after them.
 * Calls that were late where they entered are not judged ({@code tokenmeter_late_at_source_total}).
 *
 * <p>The same rules also run {@linkplain #early early}, on the calls as they arrive, for early warnings on
 * {@code alerts.early}: a call that crosses a rule in arrival order crosses it in event-time order too (each rule counts
 * calls that exist, and more calls never undo a count), so the confirmed alert follows, unless the task ended or went
 * quiet in between in event time. The early instance keeps its own store and resolves silently.
 */
final class RunawayLoopDetector extends ContextualProcessor<String, TaskSignal, String, Alert> {

    static final String STORE = "anomaly-runaway-store";
    static final String EARLY_STORE = "anomaly-runaway-early-store";
    static final String RULE_CALLS = "calls-per-window";
    static final String RULE_REPEATS = "repeated-prompt";
    static final String RULE_TOKENS = "tokens-per-task";
    /** A task with no call for this long and no incident is forgotten (its token total with it). */
    private static final Duration IDLE_TTL = Duration.ofHours(24);
    /** How long a quiet task is kept here: a day, or for early warnings only as long as a window or a quiet period lasts. */
    private final long idleTtl;
    private static final char SEPARATOR = '\u001F';

    private final AnomalySettings settings;
    private final PipelineMetrics metrics;
    /** The stage and event-time settings of the early instance; null for the instance that sends confirmed alerts. */
    private final String earlyStage;
    private final EventTime.Settings earlyEventTime;
    private EventTime eventTime;
    private long sweptMinute = Long.MIN_VALUE;
    private long sweptHour = Long.MIN_VALUE;
    private KeyValueStore<String, RunawayState> tasks;
    /** The tasks with a firing loop, in key order, mirroring the store: the sweep each minute looks at these alone. */
    private final TreeSet<String> firing = new TreeSet<>();

    /** The detector of confirmed alerts, fed in event-time order ({@link io.tokenmeter.streams.InEventTimeOrder}). */
    RunawayLoopDetector(AnomalySettings settings, PipelineMetrics metrics) {
        this(settings, metrics, null, null);
    }

    private RunawayLoopDetector(AnomalySettings settings, PipelineMetrics metrics, String earlyStage, EventTime.Settings earlyEventTime) {
        this.settings = settings;
        this.metrics = metrics;
        this.earlyStage = earlyStage;
        this.earlyEventTime = earlyEventTime;
        // the early instance keeps only live tasks, and only while they can still loop: many open tasks must not fill it
        this.idleTtl = earlyStage == null ? IDLE_TTL.toMillis()
                : Math.max(settings.quiet().toMillis(), Math.max(settings.callsWindow().toMillis(), settings.repeatsWindow().toMillis()));
    }

    /**
     * The early-warning detector, fed the calls and outcomes of {@code stage} as they arrive. It judges only live calls,
     * those less than the allowed lateness behind the wall clock: replayed history waits for its confirmed alerts.
     */
    static RunawayLoopDetector early(AnomalySettings settings, PipelineMetrics metrics, String stage, EventTime.Settings eventTime) {
        return new RunawayLoopDetector(settings, metrics, stage, eventTime);
    }

    @Override
    public void init(ProcessorContext<String, Alert> context) {
        super.init(context);
        tasks = context.getStateStore(earlyStage == null ? STORE : EARLY_STORE);
        firing.clear(); // a revived task reloads from its store as of the last commit
        try (KeyValueIterator<String, RunawayState> all = tasks.all()) {
            all.forEachRemaining(task -> {
                if (task.value.firing != null) {
                    firing.add(task.key);
                }
            });
        }
        if (earlyStage != null) {
            eventTime = EventTime.of(context, earlyStage, earlyEventTime);
        }
    }

    @Override
    public void process(Record<String, TaskSignal> record) {
        if (earlyStage != null) {
            processEarly(record);
        } else if (record.value() instanceof TaskSignal.Tick tick) {
            long minute = Math.floorDiv(tick.watermark(), 60_000L);
            if (minute > sweptMinute) {
                sweptMinute = minute;
                sweep(tick.watermark());
            }
        } else if (Watermarks.isLate(record.headers())) {
            metrics.behindWatermark("anomaly-runaway");
        } else if (record.value() instanceof TaskSignal.Call call) {
            call(call.priced());
        } else if (record.value() instanceof TaskSignal.Ended ended) {
            ended(ended.outcome());
        }
    }

    private void processEarly(Record<String, TaskSignal> record) {
        long now = eventTime.watermark();
        if (now != EventTime.UNKNOWN && Math.floorDiv(now, 60_000L) > sweptMinute) {
            sweptMinute = Math.floorDiv(now, 60_000L);
            sweep(now); // forgets what the stage's event time has left behind
        }
        if (Watermarks.isLate(record.headers())) {
            return;
        }
        if (record.value() instanceof TaskSignal.Call call && isLive(call.priced().getUsage().getTimestamp().toEpochMilli())) {
            call(call.priced());
        } else if (record.value() instanceof TaskSignal.Ended ended) {
            ended(ended.outcome());
        }
    }

    private boolean isLive(long time) {
        return context().currentSystemTimeMs() - time <= earlyEventTime.lateness().toMillis();
    }

    /** Settles, at event time {@code now}, what the task's own quiet period or idle time has decided since its last call. */
    private RunawayState settle(String key, RunawayState state, long now) {
        if (state == null) {
            return null;
        }
        if (state.firing != null && state.lastSeen + settings.quiet().toMillis() <= now) {
            resolveQuiet(state);
            firing.remove(key);
        }
        if (state.firing == null && state.lastSeen + idleTtl <= now) {
            tasks.delete(key);
            return null;
        }
        return state;
    }

    private void call(PricedUsage priced) {
        UsageEvent usage = priced.getUsage();
        if (usage.getTaskId() == null) {
            return;
        }
        String key = key(usage.getTenant(), usage.getTaskId());
        long time = usage.getTimestamp().toEpochMilli();
        RunawayState state = settle(key, tasks.get(key), time);
        if (state == null) {
            state = new RunawayState();
            state.firstSeen = time;
        }
        state.lastSeen = Math.max(state.lastSeen, time);
        state.calls++;
        state.tokens += usage.getInputTokens() + usage.getOutputTokens();
        state.costNanos += priced.getCostNanos();
        record(state, usage, time);
        if (state.firing == null) {
            Alert alert = evaluate(state, usage, time);
            if (alert == null && state.lastSeen > time) {
                // a call that came late to the early instance can complete a window that ends at a later call
                alert = evaluate(state, usage, state.lastSeen);
            }
            if (alert != null) {
                state.firing = alert;
                firing.add(key);
                emit(alert);
            }
        }
        tasks.put(key, state);
    }

    /** Adds the call to the state's recent calls and prompts, in time order (in arrival order for the early instance). */
    private void record(RunawayState state, UsageEvent usage, long time) {
        state.recentCalls.add(insertionPoint(state.recentCalls, time), time);
        while (state.recentCalls.size() > settings.maxCalls() + 1) {
            state.recentCalls.remove(0);
        }
        if (countsAsRepeat(usage)) {
            int at = insertionPoint(state.promptTimes, time);
            state.promptHashes.add(at, usage.getPromptHash());
            state.promptTimes.add(at, time);
            long oldest = state.promptTimes.get(state.promptTimes.size() - 1) - settings.repeatsWindow().toMillis();
            while (!state.promptTimes.isEmpty() && (state.promptTimes.get(0) <= oldest || state.promptTimes.size() > RunawayState.MAX_PROMPTS)) {
                state.promptTimes.remove(0);
                state.promptHashes.remove(0);
            }
        }
        if (state.agents.containsKey(usage.getAgent()) || state.agents.size() < RunawayState.MAX_AGENTS) {
            state.agents.merge(usage.getAgent(), 1L, Long::sum);
        }
        if (!state.models.contains(usage.getModel()) && state.models.size() < RunawayState.MAX_MODELS) {
            state.models.add(usage.getModel());
        }
    }

    /** After the last element not later than {@code time}: at the end when calls come in time order. */
    private static int insertionPoint(List<Long> times, long time) {
        int at = times.size();
        while (at > 0 && times.get(at - 1) > time) {
            at--;
        }
        return at;
    }

    /** The first rule this call breaks, as a firing alert; null when none. */
    private Alert evaluate(RunawayState state, UsageEvent usage, long time) {
        long callsWindow = settings.callsWindow().toMillis();
        long inWindow = state.recentCalls.stream().filter(t -> t > time - callsWindow && t <= time).count();
        if (inWindow > settings.maxCalls()) {
            return fire(state, usage, time, RULE_CALLS, inWindow, settings.maxCalls(), time - callsWindow,
                    count(inWindow) + " calls within " + Alerts.duration(settings.callsWindow()) + " (limit " + settings.maxCalls() + ")");
        }
        if (countsAsRepeat(usage)) {
            long repeatsWindow = settings.repeatsWindow().toMillis();
            long repeats = 0;
            for (int i = 0; i < state.promptHashes.size(); i++) {
                long t = state.promptTimes.get(i);
                if (state.promptHashes.get(i).equals(usage.getPromptHash()) && t > time - repeatsWindow && t <= time) {
                    repeats++;
                }
            }
            if (repeats >= settings.repeatedPrompts()) {
                return fire(state, usage, time, RULE_REPEATS, repeats, settings.repeatedPrompts(), time - repeatsWindow,
                        "the same prompt " + repeats + " times within " + Alerts.duration(settings.repeatsWindow())
                                + " (limit " + settings.repeatedPrompts() + ")");
            }
        }
        if (state.tokens > settings.maxTaskTokens()) {
            return fire(state, usage, time, RULE_TOKENS, state.tokens, settings.maxTaskTokens(), state.firstSeen,
                    count(state.tokens) + " tokens in one task (limit " + count(settings.maxTaskTokens()) + ")");
        }
        return null;
    }

    /** A retry resends the same prompt because the call failed: that is the retry-storm detector's business, not a loop. */
    private static boolean countsAsRepeat(UsageEvent usage) {
        return usage.getPromptHash() != null && usage.getRetryAttempt() == 0;
    }

    private Alert fire(RunawayState state, UsageEvent usage, long time, String rule, double observed, double threshold, long windowStart,
                       String what) {
        String agent = usage.getAgent();
        String message = "Runaway loop in task " + usage.getTaskId() + " (" + usage.getTenant() + ", " + agent + " on " + usage.getModel()
                + "): " + what + "; " + count(state.calls) + " calls, " + count(state.tokens) + " tokens, " + Alerts.usd(state.costNanos) + " so far";
        return Alerts.firing(Alerts.dedupKey(AlertType.RUNAWAY_LOOP, usage.getTenant(), usage.getTaskId(), time), AlertType.RUNAWAY_LOOP,
                        Severity.CRITICAL, rule, observed, threshold, Instant.ofEpochMilli(Math.max(windowStart, state.firstSeen)),
                        Instant.ofEpochMilli(time), Instant.ofEpochMilli(time), message, evidence(state, usage.getPromptHash()))
                .setTenant(usage.getTenant()).setApplication(usage.getApplication()).setAgent(agent).setModel(usage.getModel())
                .setDeployment(usage.getDeployment()).setTaskId(usage.getTaskId())
                .build();
    }

    private void ended(TaskOutcome outcome) {
        String key = key(outcome.getTenant(), outcome.getTaskId());
        RunawayState state = settle(key, tasks.get(key), outcome.getTimestamp().toEpochMilli());
        if (state == null) {
            return;
        }
        if (state.firing != null) {
            Instant at = outcome.getTimestamp();
            resolve(state, at, "task " + outcome.getTaskId() + " ended (" + outcome.getStatus() + ")", "task-ended");
            firing.remove(key);
        }
        tasks.delete(key);
    }

    /**
     * Resolves loops that went quiet, as this detector's event time passes each minute; forgets idle tasks once an hour
     * (a task's next signal settles its own state anyway, so when the sweep forgets it changes nothing but the store's
     * size). A replay moves event time by minutes per second: a scan of every task on each of them would cost more
     * than the calls.
     */
    private void sweep(long now) {
        for (String key : List.copyOf(firing)) {
            RunawayState state = tasks.get(key);
            if (state == null || state.firing == null) {
                firing.remove(key);
            } else if (state.lastSeen + settings.quiet().toMillis() <= now) {
                resolveQuiet(state);
                firing.remove(key);
                tasks.put(key, state);
            }
        }
        long hour = Math.floorDiv(now, 3_600_000L);
        if (hour <= sweptHour) {
            return;
        }
        sweptHour = hour;
        List<String> forget = new ArrayList<>();
        try (KeyValueIterator<String, RunawayState> all = tasks.all()) {
            while (all.hasNext()) {
                KeyValue<String, RunawayState> task = all.next();
                if (task.value.firing == null && task.value.lastSeen + idleTtl <= now) {
                    forget.add(task.key);
                }
            }
        }
        forget.forEach(tasks::delete);
    }

    private void resolveQuiet(RunawayState state) {
        resolve(state, Instant.ofEpochMilli(state.lastSeen + settings.quiet().toMillis()), "no call for " + Alerts.duration(settings.quiet()), "quiet");
    }

    private void resolve(RunawayState state, Instant at, String why, String reason) {
        Alert fired = state.firing;
        Map<String, String> evidence = evidence(state, null);
        evidence.put("reason", reason);
        String message = "Runaway loop in task " + fired.getTaskId() + " (" + fired.getTenant() + ") resolved: " + why + "; "
                + count(state.calls) + " calls, " + count(state.tokens) + " tokens, " + Alerts.usd(state.costNanos) + " in all";
        emit(Alerts.resolved(fired, at, message, evidence));
        state.firing = null;
        // a resolved task that keeps looping would fire again; start its windows afresh
        state.recentCalls.clear();
        state.promptHashes.clear();
        state.promptTimes.clear();
        state.tokens = 0;
    }

    private Map<String, String> evidence(RunawayState state, String promptHash) {
        Map<String, String> evidence = new LinkedHashMap<>();
        evidence.put("calls", Long.toString(state.calls));
        evidence.put("tokens", Long.toString(state.tokens));
        evidence.put("costUsd", Alerts.usdPlain(state.costNanos));
        evidence.put("firstCall", Instant.ofEpochMilli(state.firstSeen).toString());
        evidence.put("lastCall", Instant.ofEpochMilli(state.lastSeen).toString());
        evidence.put("agents", String.join(",", state.agents.keySet()));
        evidence.put("models", String.join(",", state.models));
        if (promptHash != null) {
            evidence.put("promptHash", promptHash);
        }
        return evidence;
    }

    private void emit(Alert alert) {
        if (earlyStage == null) {
            metrics.alert(alert);
            context().forward(new Record<>(alert.getDedupKey(), alert, alert.getDetectedAt().toEpochMilli()));
        } else if (alert.getStatus() == AlertStatus.FIRING) {
            Alert early = Alerts.early(alert);
            metrics.earlyWarning(early);
            context().forward(new Record<>(early.getDedupKey(), early, early.getDetectedAt().toEpochMilli()));
        } // the early instance resolves silently: the confirmed alert resolves on alerts
    }

    private static String count(long value) {
        return Alerts.count(value);
    }

    static String key(String tenant, String taskId) {
        return tenant + SEPARATOR + taskId;
    }
}
