package io.tokenmeter.anomaly;

import io.tokenmeter.event.Alert;
import io.tokenmeter.streams.StateSerde;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the loop detector keeps per task: totals so far, the times of the last calls (enough for the call-count
 * rule), the recent prompt hashes (for the repeat rule), the agents and models involved, and the firing alert.
 */
final class RunawayState {

    static final int MAX_AGENTS = 16;
    static final int MAX_MODELS = 8;
    static final int MAX_PROMPTS = 64;

    long firstSeen;
    long lastSeen;
    long calls;
    long tokens;
    long costNanos;
    /** Event times of the most recent calls, oldest first, at most the call limit + 1. */
    final List<Long> recentCalls = new ArrayList<>();
    /** Recent (promptHash, event time) pairs within the repeat window, oldest first. */
    final List<String> promptHashes = new ArrayList<>();
    final List<Long> promptTimes = new ArrayList<>();
    final Map<String, Long> agents = new LinkedHashMap<>();
    final List<String> models = new ArrayList<>();
    Alert firing;

    /** The agent with the most calls, for the alert's scope. */
    String topAgent() {
        return agents.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(null);
    }

    static final StateSerde<RunawayState> SERDE = new StateSerde<>(1, RunawayState::write, RunawayState::read);

    private static void write(RunawayState s, DataOutput out) throws IOException {
        out.writeLong(s.firstSeen);
        out.writeLong(s.lastSeen);
        out.writeLong(s.calls);
        out.writeLong(s.tokens);
        out.writeLong(s.costNanos);
        out.writeShort(s.recentCalls.size());
        for (long time : s.recentCalls) {
            out.writeLong(time);
        }
        out.writeShort(s.promptHashes.size());
        for (int i = 0; i < s.promptHashes.size(); i++) {
            out.writeUTF(s.promptHashes.get(i));
            out.writeLong(s.promptTimes.get(i));
        }
        out.writeShort(s.agents.size());
        for (Map.Entry<String, Long> agent : s.agents.entrySet()) {
            out.writeUTF(agent.getKey());
            out.writeLong(agent.getValue());
        }
        out.writeShort(s.models.size());
        for (String model : s.models) {
            out.writeUTF(model);
        }
        StateSerde.writeAlert(out, s.firing);
    }

    private static RunawayState read(DataInput in) throws IOException {
        RunawayState s = new RunawayState();
        s.firstSeen = in.readLong();
        s.lastSeen = in.readLong();
        s.calls = in.readLong();
        s.tokens = in.readLong();
        s.costNanos = in.readLong();
        for (int i = in.readShort(); i > 0; i--) {
            s.recentCalls.add(in.readLong());
        }
        for (int i = in.readShort(); i > 0; i--) {
            s.promptHashes.add(in.readUTF());
            s.promptTimes.add(in.readLong());
        }
        for (int i = in.readShort(); i > 0; i--) {
            s.agents.put(in.readUTF(), in.readLong());
        }
        for (int i = in.readShort(); i > 0; i--) {
            s.models.add(in.readUTF());
        }
        s.firing = StateSerde.readAlert(in);
        return s;
    }
}
