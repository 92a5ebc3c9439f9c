package io.tokenmeter.task;

import io.tokenmeter.event.OutcomeStatus;
import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.TaskCost;
import io.tokenmeter.event.TaskOutcome;
import io.tokenmeter.event.TaskStatus;
import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.streams.StateSerde;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;

/** One task while it is open (and briefly after it closed, to recognise late records): everything it has used so far. */
final class TaskState {

    static final int MAX_NAMES = 16;
    static final String UNKNOWN = "unknown";

    String taskId;
    String tenant;
    String application = UNKNOWN;
    String useCase = UNKNOWN;
    String costCenter = UNKNOWN;
    long calls;
    long retries;
    long agentSteps;
    long toolCalls;
    long inputTokens;
    long cachedInputTokens;
    long outputTokens;
    long reasoningTokens;
    long costNanos;
    long unpricedCalls;
    String currency = "USD";
    final Set<String> models = new LinkedHashSet<>();
    final Set<String> agents = new LinkedHashSet<>();
    long firstEventTime = Long.MAX_VALUE;
    long lastEventTime = Long.MIN_VALUE;
    /** SUCCEEDED or FAILED once the outcome arrived; null while none did. */
    OutcomeStatus outcome;
    long outcomeAt;
    Long businessValueNanos;
    /** Closed (its task-costs record was written) at this event time; {@link Long#MIN_VALUE} while open. */
    long closedAt = Long.MIN_VALUE;
    /** Event time after which a closed task is forgotten: the revision horizon after it was closed. */
    long forgetAt;
    /** Records emitted for this task after its first (0 while it has had only one, or none). */
    int revision;

    boolean closed() {
        return closedAt != Long.MIN_VALUE;
    }

    void add(PricedUsage priced) {
        UsageEvent usage = priced.getUsage();
        if (calls == 0) {
            application = usage.getApplication();
            useCase = usage.getUseCase();
            costCenter = usage.getCostCenter();
        }
        calls++;
        if (usage.getRetryAttempt() > 0) {
            retries++;
        } else if (usage.getAgentStep() != null) {
            agentSteps++;
        }
        toolCalls += usage.getToolCalls();
        inputTokens += usage.getInputTokens();
        cachedInputTokens += usage.getCachedInputTokens();
        outputTokens += usage.getOutputTokens();
        reasoningTokens += usage.getReasoningTokens();
        if (priced.getPriced()) {
            costNanos += priced.getCostNanos();
            currency = priced.getCurrency();
        } else {
            unpricedCalls++;
        }
        addName(models, usage.getModel());
        addName(agents, usage.getAgent());
        long time = usage.getTimestamp().toEpochMilli();
        firstEventTime = Math.min(firstEventTime, time);
        lastEventTime = Math.max(lastEventTime, time);
    }

    void end(TaskOutcome ended) {
        outcome = ended.getStatus();
        outcomeAt = ended.getTimestamp().toEpochMilli();
        businessValueNanos = ended.getBusinessValueNanos();
        if (UNKNOWN.equals(useCase)) {
            useCase = ended.getUseCase();
        }
    }

    private static void addName(Set<String> names, String name) {
        if (names.size() < MAX_NAMES || names.contains(name)) {
            names.add(name);
        }
    }

    TaskCost toRecord(TaskStatus status, long closedAt) {
        long first = firstEventTime == Long.MAX_VALUE ? (outcome != null ? outcomeAt : closedAt) : firstEventTime;
        long last = lastEventTime == Long.MIN_VALUE ? first : lastEventTime;
        return TaskCost.newBuilder()
                .setTaskId(taskId).setTenant(tenant).setApplication(application).setUseCase(useCase).setCostCenter(costCenter)
                .setStatus(status).setCalls(calls).setRetries(retries).setAgentSteps(agentSteps).setToolCalls(toolCalls)
                .setInputTokens(inputTokens).setCachedInputTokens(cachedInputTokens).setOutputTokens(outputTokens)
                .setReasoningTokens(reasoningTokens).setCostNanos(costNanos).setUnpricedCalls(unpricedCalls).setCurrency(currency)
                .setModels(new ArrayList<>(models)).setAgents(new ArrayList<>(agents))
                .setFirstEventTime(Instant.ofEpochMilli(first)).setLastEventTime(Instant.ofEpochMilli(last))
                .setClosedAt(Instant.ofEpochMilli(closedAt))
                .setBusinessValueNanos(status == TaskStatus.ABANDONED ? null : businessValueNanos)
                .setRevision(revision)
                .build();
    }

    static final StateSerde<TaskState> SERDE = new StateSerde<>(2, TaskState::write, TaskState::read).readingAlso(1, TaskState::readV1);

    private static void write(TaskState s, DataOutput out) throws IOException {
        out.writeUTF(s.taskId);
        out.writeUTF(s.tenant);
        out.writeUTF(s.application);
        out.writeUTF(s.useCase);
        out.writeUTF(s.costCenter);
        for (long v : new long[] {s.calls, s.retries, s.agentSteps, s.toolCalls, s.inputTokens, s.cachedInputTokens, s.outputTokens,
            s.reasoningTokens, s.costNanos, s.unpricedCalls, s.firstEventTime, s.lastEventTime, s.outcomeAt, s.closedAt, s.forgetAt}) {
            out.writeLong(v);
        }
        out.writeUTF(s.currency);
        writeNames(out, s.models);
        writeNames(out, s.agents);
        out.writeByte(s.outcome == null ? -1 : s.outcome.ordinal());
        out.writeBoolean(s.businessValueNanos != null);
        if (s.businessValueNanos != null) {
            out.writeLong(s.businessValueNanos);
        }
        out.writeInt(s.revision);
    }

    private static TaskState readV1(DataInput in) throws IOException {
        TaskState s = new TaskState();
        s.taskId = in.readUTF();
        s.tenant = in.readUTF();
        s.application = in.readUTF();
        s.useCase = in.readUTF();
        s.costCenter = in.readUTF();
        s.calls = in.readLong();
        s.retries = in.readLong();
        s.agentSteps = in.readLong();
        s.toolCalls = in.readLong();
        s.inputTokens = in.readLong();
        s.cachedInputTokens = in.readLong();
        s.outputTokens = in.readLong();
        s.reasoningTokens = in.readLong();
        s.costNanos = in.readLong();
        s.unpricedCalls = in.readLong();
        s.firstEventTime = in.readLong();
        s.lastEventTime = in.readLong();
        s.outcomeAt = in.readLong();
        s.closedAt = in.readLong();
        s.forgetAt = in.readLong();
        s.currency = in.readUTF();
        readNames(in, s.models);
        readNames(in, s.agents);
        byte outcome = in.readByte();
        s.outcome = outcome < 0 ? null : OutcomeStatus.values()[outcome];
        s.businessValueNanos = in.readBoolean() ? in.readLong() : null;
        return s;
    }

    private static TaskState read(DataInput in) throws IOException {
        TaskState s = readV1(in);
        s.revision = in.readInt();
        return s;
    }

    private static void writeNames(DataOutput out, Set<String> names) throws IOException {
        out.writeByte(names.size());
        for (String name : names) {
            out.writeUTF(name);
        }
    }

    private static void readNames(DataInput in, Set<String> names) throws IOException {
        for (int i = in.readByte(); i > 0; i--) {
            names.add(in.readUTF());
        }
    }
}
