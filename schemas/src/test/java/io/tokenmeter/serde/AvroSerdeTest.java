package io.tokenmeter.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokenmeter.event.OutcomeStatus;
import io.tokenmeter.event.TaskOutcome;
import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.registry.InMemorySchemaRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

    private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry("test");

    @Test
    void pinsTheConfluentWireFormatByteForByte() {
        // id 258 = 0x00000102 shows the id is a 4-byte big-endian int after the magic byte
        registry.restore(new InMemorySchemaRegistry.Registration("outcomes-value", 1, 258, TaskOutcome.getClassSchema()));
        TaskOutcome outcome = TaskOutcome.newBuilder()
                .setTaskId("t-1").setTimestamp(Instant.parse("2025-01-01T00:00:00Z"))
                .setTenant("contoso").setUseCase("triage").setStatus(OutcomeStatus.SUCCEEDED)
                .setBusinessValueNanos(null).setCurrency("USD").build();

        byte[] bytes = AvroSerde.specific(TaskOutcome.class, registry).serialize("outcomes", outcome);

        String expected = String.join("",
                "00", "00000102",                 // magic byte, schema id 258 big-endian
                "06", "742d31",                   // taskId: zigzag length 3, "t-1"
                "80f0cbf28365",                   // timestamp 1735689600000 ms as zigzag varint
                "0e", "636f6e746f736f",           // tenant "contoso"
                "0c", "747269616765",             // useCase "triage"
                "00",                             // status: enum index 0 = SUCCEEDED
                "00",                             // businessValueNanos: union branch 0 = null
                "06", "555344");                  // currency "USD"
        assertThat(HexFormat.of().formatHex(bytes)).isEqualTo(expected);
    }

    @Test
    void roundTripsEveryFieldOfAUsageEvent() {
        AvroSerde<UsageEvent> serde = AvroSerde.specific(UsageEvent.class, registry);
        UsageEvent event = sampleUsage();

        UsageEvent back = serde.deserialize("usage", serde.serialize("usage", event));

        assertThat(back).isEqualTo(event);
        assertThat(registry.subjects()).containsExactly("usage-value");
    }

    @Test
    void nullIsATombstoneBothWays() {
        AvroSerde<UsageEvent> serde = AvroSerde.specific(UsageEvent.class, registry);
        assertThat(serde.serialize("usage", null)).isNull();
        assertThat(serde.deserialize("usage", null)).isNull();
    }

    @Test
    void rejectsJsonWithAClearMessage() {
        AvroSerde<UsageEvent> serde = AvroSerde.specific(UsageEvent.class, registry);
        byte[] json = "{\"kind\":\"usage\"}".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> serde.deserialize("usage", json))
                .isInstanceOf(AvroSerdeException.class)
                .hasMessageContaining("unknown magic byte 0x7b")
                .hasMessageContaining("looks like JSON");
    }

    @Test
    void rejectsAPayloadShorterThanTheHeader() {
        AvroSerde<UsageEvent> serde = AvroSerde.specific(UsageEvent.class, registry);

        assertThatThrownBy(() -> serde.deserialize("usage", new byte[] {0, 0, 1}))
                .isInstanceOf(AvroSerdeException.class)
                .hasMessageContaining("truncated payload")
                .hasMessageContaining("3 bytes");
    }

    @Test
    void rejectsATruncatedAvroBody() {
        AvroSerde<UsageEvent> serde = AvroSerde.specific(UsageEvent.class, registry);
        byte[] whole = serde.serialize("usage", sampleUsage());
        byte[] cut = Arrays.copyOf(whole, whole.length / 2);

        assertThatThrownBy(() -> serde.deserialize("usage", cut))
                .isInstanceOf(AvroSerdeException.class)
                .hasMessageContaining("truncated payload");
    }

    @Test
    void rejectsAnUnknownSchemaIdNamingTheId() {
        AvroSerde<UsageEvent> serde = AvroSerde.specific(UsageEvent.class, registry);
        byte[] unknownId = {0, 0, 0, 0x03, (byte) 0xe7, 2, 'x'};

        assertThatThrownBy(() -> serde.deserialize("usage", unknownId))
                .isInstanceOf(AvroSerdeException.class)
                .hasMessageContaining("schema id 999");
    }

    static UsageEvent sampleUsage() {
        return UsageEvent.newBuilder()
                .setEventId("e-1").setTimestamp(Instant.parse("2025-03-01T10:15:30.123Z"))
                .setTenant("contoso").setApplication("support-copilot").setUseCase("ticket-triage")
                .setCostCenter("cc-support").setEnvironment("prod").setAgent("triage-agent")
                .setTaskId("task-9").setAgentStep(2).setRetryAttempt(1).setToolCalls(3)
                .setProvider("azure-openai").setModel("gpt-4o").setModelVersion("2024-11-20")
                .setDeployment("gpt-4o-global").setDeploymentType("global").setRegion("eastus2")
                .setInputTokens(1200).setCachedInputTokens(400).setOutputTokens(300).setReasoningTokens(0)
                .setStatusCode(200).setLatencyMs(850L).setPromptHash("ab12").setSource("canonical")
                .build();
    }
}
