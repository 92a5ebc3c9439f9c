package io.tokenmeter.normalize;

import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.streams.DueIndex;
import io.tokenmeter.streams.EventTime;
import io.tokenmeter.streams.Watermarks;
import java.time.Duration;
import java.time.Instant;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Joins the API Management records of one call by correlation id: the {@code GatewayLlmLogs} record (model,
 * deployment, tokens; a long one comes in chunks by sequence number, counted once) and the {@code GatewayLogs}
 * record (subscription, product, status, duration). Both arrived: one usage event, at once. After the join window
 * (event time since the first record) only one side: the LLM record alone becomes an unattributed usage event; the
 * gateway record alone becomes one with the usage of the backend's response body when it has one (an LLM call that
 * failed before the model, a 429 for instance, with no tokens). The event id is {@code apim:<correlation id>}, so a
 * record that arrives after its call was emitted is dropped by the deduplication that follows.
 *
 * <p>Event time is the low watermark of the raw partitions ({@link EventTime}). The watermark this stage passes on is
 * held back to the first record of the oldest call still waiting, so the event a call becomes is never behind it.
 */
final class ApimJoinProcessor extends ContextualProcessor<String, ApimLog, String, UsageEvent> {

    static final String STORE = "normalize-apim-join-store";
    static final String DUE_STORE = "normalize-apim-join-due-store";
    static final String SOURCE = "apim-diagnostics";
    static final String NAME = "normalize-apim-join";

    private final Duration window;
    private final DeploymentMap deployments;
    private final EventTime.Settings eventTimeSettings;
    private final EventTime.Sender sender;
    private EventTime eventTime;
    private long expiredUpTo = EventTime.UNKNOWN;
    private long passedOn = EventTime.UNKNOWN;
    private KeyValueStore<String, ApimJoinState> calls;
    private DueIndex due;

    ApimJoinProcessor(Duration window, DeploymentMap deployments, EventTime.Settings eventTimeSettings, int partitions) {
        this.window = window;
        this.deployments = deployments;
        this.eventTimeSettings = eventTimeSettings;
        this.sender = new EventTime.Sender(NormalizeTopology.STAGE_APIM_JOIN, NAME, partitions);
    }

    @Override
    public void init(ProcessorContext<String, UsageEvent> context) {
        super.init(context);
        calls = context.getStateStore(STORE);
        due = new DueIndex(context.getStateStore(DUE_STORE));
        eventTime = EventTime.of(context, NormalizeTopology.STAGE_APIM_JOIN, eventTimeSettings);
        context.schedule(eventTimeSettings.interval(), PunctuationType.WALL_CLOCK_TIME,
                now -> sender.onPunctuate(context, passOn(), eventTime.idle(), now));
        if (due.isEmpty()) {
            // state of a build without the index: index what is in flight once (nothing, usually)
            try (KeyValueIterator<String, ApimJoinState> all = calls.all()) {
                all.forEachRemaining(entry -> due.add(entry.value.firstSeen + window.toMillis(), entry.key));
            }
        }
    }

    @Override
    public void process(Record<String, ApimLog> record) {
        if (eventTime.absorb(record)) {
            long now = eventTime.watermark();
            if (now != EventTime.UNKNOWN && now > expiredUpTo) {
                expire(now);
                expiredUpTo = now;
            }
            sender.onRecord(context(), passOn());
            return;
        }
        ApimLog log = record.value();
        ApimJoinState call = calls.get(log.correlationId());
        if (call == null) {
            call = new ApimJoinState();
            call.firstSeen = log.time();
            due.add(call.firstSeen + window.toMillis(), log.correlationId());
        }
        if (log.gateway()) {
            call.gateway = call.gateway == null ? log : call.gateway;
        } else if (call.chunks.add(log.sequence())) {
            call.llm = call.llm == null ? log : larger(call.llm, log);
        }
        if (!call.emitted && call.gateway != null && call.llm != null) {
            emit(log.correlationId(), call);
        }
        calls.put(log.correlationId(), call);
    }

    /** The watermark passed on: this task's, held back to the oldest call still waiting; it never goes back. */
    private long passOn() {
        long now = eventTime.watermark();
        if (now == EventTime.UNKNOWN) {
            return EventTime.UNKNOWN;
        }
        long firstDue = due.firstDue();
        long held = firstDue == Long.MAX_VALUE ? now : Math.min(now, firstDue - window.toMillis());
        passedOn = Math.max(passedOn, held);
        return passedOn;
    }

    /** The chunk with the token counts: a chunked record may repeat them or carry them in one chunk only. */
    private static ApimLog larger(ApimLog a, ApimLog b) {
        return b.input() + b.output() > a.input() + a.output() ? b : a;
    }

    /** Emits what arrived of the calls whose window has passed, and forgets them. */
    private void expire(long now) {
        for (String correlationId : due.takeDue(now)) {
            ApimJoinState call = calls.get(correlationId);
            if (call != null && !call.emitted && (call.llm != null || isLlmCall(call.gateway))) {
                emit(correlationId, call);
            }
            calls.delete(correlationId);
        }
    }

    /** A gateway record alone counts when it is a call to a model deployment, or its body reported usage. */
    private static boolean isLlmCall(ApimLog gateway) {
        return gateway.hasTokens() || gateway.deployment() != null || (gateway.url() != null && gateway.url().contains("/openai/"));
    }

    private void emit(String correlationId, ApimJoinState call) {
        ApimLog g = call.gateway;
        ApimLog l = call.llm;
        // the body's usage has the cached and reasoning details the LLM log lacks; otherwise the LLM log's counts
        ApimLog tokens = g != null && g.hasTokens() ? g : l;
        String model = l != null && l.model() != null ? l.model() : g != null && g.model() != null ? g.model() : "unknown";
        String deployment = l != null && l.deployment() != null ? l.deployment() : g != null && g.deployment() != null ? g.deployment() : "unknown";
        // the LLM log names the model's region; the gateway's location is the gateway's, not the model's
        DeploymentMap.Placement placement = deployments.placement(deployment, l == null ? null : l.region());
        UsageEvent.Builder builder = UsageEvent.newBuilder()
                .setEventId("apim:" + correlationId)
                .setTimestamp(Instant.ofEpochMilli(g != null ? g.time() : l.time()));
        UsageEvent event = (g == null ? Attribution.Attributes.NONE : g.who()).applyTo(builder)
                .setModel(model)
                .setDeployment(deployment)
                .setDeploymentType(placement.deploymentType())
                .setRegion(placement.region())
                .setResourceId(placement.resourceId())
                .setInputTokens(tokens == null ? 0 : tokens.input())
                .setCachedInputTokens(tokens == null ? 0 : tokens.cached())
                .setOutputTokens(tokens == null ? 0 : tokens.output())
                .setReasoningTokens(tokens == null ? 0 : tokens.reasoning())
                .setStatusCode(g == null ? 200 : g.statusCode())
                .setLatencyMs(g == null ? null : g.durationMs())
                .setSource(SOURCE)
                .build();
        call.emitted = true;
        long time = event.getTimestamp().toEpochMilli();
        Record<String, UsageEvent> out = new Record<>(correlationId, event, time);
        // a call is behind what this stage passed on only when one of its records came late into its raw partition
        Watermarks.stamp(out.headers(), passedOn != EventTime.UNKNOWN && time < passedOn);
        context().forward(out);
    }
}
