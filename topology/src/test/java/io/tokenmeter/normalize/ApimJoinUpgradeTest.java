package io.tokenmeter.normalize;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.streams.EventTime;
import io.tokenmeter.testing.MockEventTime;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/** State written by the build before attribution and the due index: it is read, and its calls still expire. */
class ApimJoinUpgradeTest {

    /** An LLM record as version 1 of {@link ApimLog}'s serde wrote it: five attribution texts, no headers. */
    private static byte[] version1LlmLog(String correlationId, long time) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(1);
        out.writeBoolean(false);
        out.writeUTF(correlationId);
        out.writeLong(time);
        for (String text : new String[] {null, null, null, null, null, null, "gpt-4o", "chat", "eastus2"}) {
            out.writeBoolean(text != null);
            if (text != null) {
                out.writeUTF(text);
            }
        }
        out.writeInt(200);
        out.writeLong(-1);
        out.writeInt(0);
        out.writeBoolean(true);
        out.writeLong(1000);
        out.writeLong(0);
        out.writeLong(100);
        out.writeLong(0);
        return bytes.toByteArray();
    }

    @Test
    void aVersion1RecordIsReadWithoutTheNewAttributes() throws IOException {
        ApimLog log = ApimLog.SERDE.deserialize("t", version1LlmLog("c-1", 1_000L));

        assertThat(log.correlationId()).isEqualTo("c-1");
        assertThat(log.model()).isEqualTo("gpt-4o");
        assertThat(log.deployment()).isEqualTo("chat");
        assertThat(log.region()).isEqualTo("eastus2");
        assertThat(log.input()).isEqualTo(1000);
        assertThat(log.output()).isEqualTo(100);
        assertThat(log.who()).isEqualTo(Attribution.Attributes.NONE);
        assertThat(ApimLog.SERDE.deserialize("t", ApimLog.SERDE.serialize("t", log))).isEqualTo(log);
    }

    @Test
    void callsInFlightInStateWithoutAnIndexAreIndexedAtStartAndExpire() throws IOException {
        MockProcessorContext<String, UsageEvent> context = new MockProcessorContext<>();
        context.setCurrentSystemTimeMs(0);
        KeyValueStore<String, ApimJoinState> calls = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(ApimJoinProcessor.STORE),
                Serdes.String(), ApimJoinState.SERDE).withLoggingDisabled().build();
        KeyValueStore<Bytes, byte[]> due = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(ApimJoinProcessor.DUE_STORE),
                Serdes.Bytes(), Serdes.ByteArray()).withLoggingDisabled().build();
        calls.init(context.getStateStoreContext(), calls);
        due.init(context.getStateStoreContext(), due);
        context.addStateStore(calls);
        context.addStateStore(due);
        ApimJoinState inFlight = new ApimJoinState();
        inFlight.firstSeen = 0;
        inFlight.llm = ApimLog.SERDE.deserialize("t", version1LlmLog("old", 0));
        inFlight.chunks.add(0);
        calls.put("old", inFlight);

        MockEventTime.addStores(context, NormalizeTopology.STAGE_APIM_JOIN);
        ApimJoinProcessor processor = new ApimJoinProcessor(Duration.ofMinutes(5), DeploymentMap.empty(),
                new EventTime.Settings(Duration.ZERO, Duration.ofSeconds(30), Duration.ofMillis(200)), 1);
        processor.init(context);
        // the raw partitions have reached 6 minutes: the call's 5-minute window has passed
        processor.process(MockEventTime.marker(NormalizeTopology.STAGE_PARSE, Duration.ofMinutes(6).toMillis()));

        List<UsageEvent> emitted = context.forwarded().stream().filter(f -> f.childName().isEmpty())
                .map(f -> (UsageEvent) f.record().value()).toList();
        assertThat(emitted).extracting(UsageEvent::getEventId).containsExactly("apim:old");
        assertThat(emitted.get(0).getTenant()).isEqualTo("unattributed");
        assertThat(calls.get("old")).isNull();
    }
}
