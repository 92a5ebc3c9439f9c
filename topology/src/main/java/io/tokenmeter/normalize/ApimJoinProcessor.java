package io.tokenmeter.normalize;

import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.streams.EventClock;
import io.tokenmeter.streams.DueIndex;
import java.time.Duration;
import java.time.Instant;
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
 */
final class ApimJoinProcessor extends ContextualProcessor<String, ApimLog, String, UsageEvent> {

    static final String STORE = "normalize-apim-join-store";
    static final String DUE_STORE = "normalize-apim-join-due-store";
    static final String SOURCE = "apim-diagnostics";

    private final Duration window;
    private final DeploymentMap deployments;
    private final EventClock clock = new EventClock(Duration.ofMinutes(1).toMillis());
    private KeyValueStore<String, ApimJoinState> calls;
    private DueIndex due;

    ApimJoinProcessor(Duration window, DeploymentMap deployments) {
        this.window = window;
        this.deployments = deployments;
    }

    @Override
    public void init(ProcessorContext<String, UsageEvent> context) {
        super.init(context);
        calls = context.getStateStore(STORE);
        due = new DueIndex(context.getStateStore(DUE_STORE));
        if (due.isEmpty()) {
            // state of a build without the index: index what is in flight once (nothing, usually)
            try (KeyValueIterator<String, ApimJoinState> all = calls.all()) {
                all.forEachRemaining(entry -> due.add(entry.value.firstSeen + window.toMillis(), entry.key));
            }
        }
    }

    @Override
    public void process(Record<String, ApimLog> record) {
        ApimLog log = record.value();
        if (clock.observe(log.time())) {
            expire(clock.now());
        }
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
                .setInputTokens(tokens == null ? 0 : tokens.input())
                .setCachedInputTokens(tokens == null ? 0 : tokens.cached())
                .setOutputTokens(tokens == null ? 0 : tokens.output())
                .setReasoningTokens(tokens == null ? 0 : tokens.reasoning())
                .setStatusCode(g == null ? 200 : g.statusCode())
                .setLatencyMs(g == null ? null : g.durationMs())
                .setSource(SOURCE)
                .build();
        call.emitted = true;
        context().forward(new Record<>(correlationId, event, event.getTimestamp().toEpochMilli()));
    }
}
