package io.tokenmeter.normalize;

import io.tokenmeter.streams.StateSerde;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * One API Management diagnostic record of an LLM call: a {@code GatewayLogs} record (who called, as
 * {@link Attribution} read it from the subscription, product, headers...; status, duration; maybe the usage in the
 * backend's response body) or one chunk of a {@code GatewayLlmLogs} record (model, deployment, tokens). Both carry the call's correlation id, which joins them.
 */
record ApimLog(boolean gateway, String correlationId, long time, Attribution.Attributes who, int statusCode, Long durationMs, String url,
               String model, String deployment, String region, int sequence, boolean hasTokens, long input, long cached, long output, long reasoning) {

    static final StateSerde<ApimLog> SERDE = new StateSerde<>(2, ApimLog::write, ApimLog::read).readingAlso(1, ApimLog::readVersion1);

    private static void write(ApimLog l, DataOutput out) throws IOException {
        out.writeBoolean(l.gateway);
        out.writeUTF(l.correlationId);
        out.writeLong(l.time);
        Attribution.Attributes w = l.who;
        for (String text : new String[] {w.tenant(), w.application(), w.useCase(), w.costCenter(), w.environment(), w.agent(), w.taskId(),
            l.url, l.model, l.deployment, l.region}) {
            StateSerde.writeNullable(out, text);
        }
        out.writeInt(l.statusCode);
        out.writeLong(l.durationMs == null ? -1 : l.durationMs);
        out.writeInt(l.sequence);
        out.writeBoolean(l.hasTokens);
        out.writeLong(l.input);
        out.writeLong(l.cached);
        out.writeLong(l.output);
        out.writeLong(l.reasoning);
    }

    private static ApimLog read(DataInput in) throws IOException {
        return read(in, 7);
    }

    /** Version 1 had tenant, application, user, api and backend where version 2 has the seven attributes. */
    private static ApimLog readVersion1(DataInput in) throws IOException {
        return read(in, 5);
    }

    private static ApimLog read(DataInput in, int attributes) throws IOException {
        boolean gateway = in.readBoolean();
        String correlationId = in.readUTF();
        long time = in.readLong();
        String[] texts = new String[attributes + 4];
        for (int i = 0; i < texts.length; i++) {
            texts[i] = StateSerde.readNullable(in);
        }
        int status = in.readInt();
        long duration = in.readLong();
        Attribution.Attributes who = attributes == 7
                ? new Attribution.Attributes(texts[0], texts[1], texts[2], texts[3], texts[4], texts[5], texts[6])
                : new Attribution.Attributes(texts[0], texts[1], null, null, null, null, null);
        return new ApimLog(gateway, correlationId, time, who, status, duration < 0 ? null : duration, texts[attributes], texts[attributes + 1],
                texts[attributes + 2], texts[attributes + 3], in.readInt(), in.readBoolean(), in.readLong(), in.readLong(), in.readLong(),
                in.readLong());
    }
}
