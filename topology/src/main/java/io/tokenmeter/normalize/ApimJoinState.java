package io.tokenmeter.normalize;

import io.tokenmeter.streams.StateSerde;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.TreeSet;

/** What has arrived of one API Management call: its gateway record, its LLM record (chunks by sequence number), and whether it was emitted. */
final class ApimJoinState {

    long firstSeen;
    ApimLog gateway;
    ApimLog llm;
    final TreeSet<Integer> chunks = new TreeSet<>();
    boolean emitted;

    static final StateSerde<ApimJoinState> SERDE = new StateSerde<>(1, ApimJoinState::write, ApimJoinState::read);

    private static void write(ApimJoinState s, DataOutput out) throws IOException {
        out.writeLong(s.firstSeen);
        writeLog(out, s.gateway);
        writeLog(out, s.llm);
        out.writeInt(s.chunks.size());
        for (int chunk : s.chunks) {
            out.writeInt(chunk);
        }
        out.writeBoolean(s.emitted);
    }

    private static ApimJoinState read(DataInput in) throws IOException {
        ApimJoinState s = new ApimJoinState();
        s.firstSeen = in.readLong();
        s.gateway = readLog(in);
        s.llm = readLog(in);
        for (int i = in.readInt(); i > 0; i--) {
            s.chunks.add(in.readInt());
        }
        s.emitted = in.readBoolean();
        return s;
    }

    private static void writeLog(DataOutput out, ApimLog log) throws IOException {
        byte[] bytes = log == null ? null : ApimLog.SERDE.serialize(null, log);
        out.writeInt(bytes == null ? -1 : bytes.length);
        if (bytes != null) {
            out.write(bytes);
        }
    }

    private static ApimLog readLog(DataInput in) throws IOException {
        int length = in.readInt();
        if (length < 0) {
            return null;
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return ApimLog.SERDE.deserialize(null, bytes);
    }
}
