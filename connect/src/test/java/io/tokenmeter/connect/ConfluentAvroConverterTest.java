package io.tokenmeter.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertStatus;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.event.BudgetAction;
import io.tokenmeter.event.BudgetPeriod;
import io.tokenmeter.event.BudgetScopeType;
import io.tokenmeter.event.BudgetStatus;
import io.tokenmeter.event.QuotaAction;
import io.tokenmeter.event.TaskCost;
import io.tokenmeter.event.TaskStatus;
import io.tokenmeter.event.UsageWindow;
import io.tokenmeter.registry.InMemorySchemaRegistry;
import io.tokenmeter.serde.AvroSerde;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.errors.DataException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The records tokenmeter really writes (generated contract classes, Confluent wire format) as a sink connector sees them. */
class ConfluentAvroConverterTest {

    private static final Instant START = Instant.parse("2026-03-01T10:00:00Z");

    private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry("mock://converter-test");
    private final ConfluentAvroConverter converter = new ConfluentAvroConverter(registry, false);

    private <T extends SpecificRecord> SchemaAndValue roundTrip(String topic, Class<T> type, T record) {
        byte[] bytes = AvroSerde.specific(type, registry).serialize(topic, record);
        return converter.toConnectData(topic, bytes);
    }

    @Test
    void aUsageWindowBecomesAFlatStructWithTimestampsAndLongs() {
        UsageWindow window = UsageWindow.newBuilder().setWindowSize("1m").setWindowStart(START).setWindowEnd(START.plusSeconds(60))
                .setTenant("contoso").setApplication("portal").setUseCase("contracts").setCostCenter("cc-legal").setAgent("contract-agent")
                .setModel("o4-mini").setDeployment("o4-mini-global").setRequests(3).setBilledRequests(2).setInputTokens(1_500)
                .setCachedInputTokens(500).setOutputTokens(300).setReasoningTokens(100).setCostNanos(2_035_000L).setUnpricedRequests(1)
                .setCurrency("USD").build();

        SchemaAndValue connect = roundTrip("tokenmeter.usage.windows", UsageWindow.class, window);

        Schema schema = connect.schema();
        assertThat(schema.type()).isEqualTo(Schema.Type.STRUCT);
        assertThat(schema.name()).isEqualTo("io.tokenmeter.event.UsageWindow");
        assertThat(schema.field("windowStart").schema()).isEqualTo(Timestamp.SCHEMA);
        assertThat(schema.field("costNanos").schema()).isEqualTo(Schema.INT64_SCHEMA);
        assertThat(schema.field("tenant").schema()).isEqualTo(Schema.STRING_SCHEMA);
        Struct value = (Struct) connect.value();
        value.validate();
        assertThat(value.get("windowStart")).isEqualTo(Date.from(START));
        assertThat(value.get("windowEnd")).isEqualTo(Date.from(START.plusSeconds(60)));
        assertThat(value.getString("tenant")).isEqualTo("contoso");
        assertThat(value.getInt64("inputTokens")).isEqualTo(1_500L);
        assertThat(value.getInt64("costNanos")).isEqualTo(2_035_000L);
    }

    @Test
    void aTaskCostKeepsItsEnumAsTextItsArraysAndItsOptionalBusinessValue() {
        TaskCost.Builder builder = TaskCost.newBuilder().setTaskId("task-1").setTenant("contoso").setApplication("portal").setUseCase("contracts")
                .setCostCenter("cc-legal").setStatus(TaskStatus.SUCCEEDED).setCalls(4).setRetries(1).setAgentSteps(2).setToolCalls(3)
                .setInputTokens(4_000).setCachedInputTokens(0).setOutputTokens(800).setReasoningTokens(0).setCostNanos(7_920_000L)
                .setUnpricedCalls(0).setCurrency("USD").setModels(List.of("o4-mini", "gpt-4.1")).setAgents(List.of("contract-agent"))
                .setFirstEventTime(START).setLastEventTime(START.plusSeconds(30)).setClosedAt(START.plusSeconds(31));

        Struct withValue = (Struct) roundTrip("tokenmeter.task-costs", TaskCost.class, builder.setBusinessValueNanos(50_000_000_000L).build()).value();
        Struct without = (Struct) roundTrip("tokenmeter.task-costs", TaskCost.class, builder.setBusinessValueNanos(null).build()).value();

        assertThat(withValue.schema().field("status").schema()).isEqualTo(Schema.STRING_SCHEMA);
        assertThat(withValue.getString("status")).isEqualTo("SUCCEEDED");
        assertThat(withValue.schema().field("models").schema().valueSchema()).isEqualTo(Schema.STRING_SCHEMA);
        assertThat(withValue.getArray("models")).containsExactly("o4-mini", "gpt-4.1");
        assertThat(withValue.schema().field("businessValueNanos").schema()).isEqualTo(Schema.OPTIONAL_INT64_SCHEMA);
        assertThat(withValue.getInt64("businessValueNanos")).isEqualTo(50_000_000_000L);
        assertThat(without.get("businessValueNanos")).isNull();
        assertThat(without.get("closedAt")).isEqualTo(Date.from(START.plusSeconds(31)));
    }

    @Test
    void aBudgetStatusCarriesItsDoublePercentActionAndIntArrays() {
        BudgetStatus status = BudgetStatus.newBuilder().setScopeType(BudgetScopeType.TENANT).setScopeValue("contoso").setPeriod(BudgetPeriod.YEAR)
                .setPeriodStart(START).setPeriodEnd(START.plusSeconds(86_400)).setCurrency("USD").setAmountNanos(5_000_000_000L)
                .setSpentNanos(3_300_000_000L).setPercent(66.0).setForecastNanos(4_000_000_000L).setAction(QuotaAction.WARN).setUpdatedAt(START)
                .setTimeZone("UTC").setActionAtLimit(BudgetAction.BLOCK).setThresholdsPercent(List.of(50, 80, 100)).setThresholdsCrossed(List.of(50))
                .build();

        Struct value = (Struct) roundTrip("tokenmeter.budget-status", BudgetStatus.class, status).value();

        assertThat(value.getString("scopeType")).isEqualTo("TENANT");
        assertThat(value.getString("action")).isEqualTo("WARN");
        assertThat(value.getFloat64("percent")).isEqualTo(66.0);
        assertThat(value.getInt64("spentNanos")).isEqualTo(3_300_000_000L);
        assertThat(value.schema().field("thresholdsCrossed").schema().valueSchema()).isEqualTo(Schema.INT32_SCHEMA);
        assertThat(value.getArray("thresholdsCrossed")).containsExactly(50);
    }

    @Test
    void aMapBecomesItsJsonTextInAnOptionalString() {
        Alert alert = Alert.newBuilder().setDedupKey("runaway|task-1").setType(AlertType.RUNAWAY_LOOP).setStatus(AlertStatus.FIRING)
                .setSeverity(io.tokenmeter.event.Severity.CRITICAL).setMessage("loop").setObserved(30).setThreshold(25).setWindowStart(START)
                .setWindowEnd(START.plusSeconds(600)).setDetectedAt(START).setEvidence(Map.of("calls", "30")).build();

        Struct value = (Struct) roundTrip("tokenmeter.alerts", Alert.class, alert).value();

        assertThat(value.schema().field("evidence").schema()).isEqualTo(Schema.OPTIONAL_STRING_SCHEMA);
        assertThat(value.getString("evidence")).isEqualTo("{\"calls\": \"30\"}");
        assertThat(value.schema().field("tenant").schema().isOptional()).isTrue();
    }

    @Test
    void aTombstoneStaysNullSoTheSinkCanDelete() {
        assertThat(converter.toConnectData("tokenmeter.budget-status", null)).isEqualTo(SchemaAndValue.NULL);
    }

    @Test
    void theConnectSchemaOfOneRegistryIdIsBuiltOnce() {
        TaskCost cost = TaskCost.newBuilder().setTaskId("t").setTenant("a").setApplication("a").setUseCase("a").setCostCenter("a")
                .setStatus(TaskStatus.FAILED).setCalls(1).setRetries(0).setAgentSteps(1).setToolCalls(0).setInputTokens(1).setCachedInputTokens(0)
                .setOutputTokens(1).setReasoningTokens(0).setCostNanos(1).setUnpricedCalls(0).setModels(List.of()).setAgents(List.of())
                .setFirstEventTime(START).setLastEventTime(START).setClosedAt(START).build();
        assertThat(roundTrip("tokenmeter.task-costs", TaskCost.class, cost).schema())
                .isSameAs(roundTrip("tokenmeter.task-costs", TaskCost.class, cost).schema());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "union of two types   | {\"name\":\"x\",\"type\":[\"null\",\"string\",\"long\"]}                                                     | cannot map Avro field t.R.x to a Connect schema: union",
            "array of records     | {\"name\":\"x\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"I\",\"fields\":[]}}}        | cannot map Avro field t.R.x to a Connect schema: array of record",
            "microsecond time     | {\"name\":\"x\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-micros\"}}                              | long with logical type timestamp-micros"})
    void anUnsupportedShapeFailsNamingTheField(String shape, String field, String message) {
        org.apache.avro.Schema schema = new org.apache.avro.Schema.Parser().parse(
                "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"t\",\"fields\":[" + field + "]}");
        int id = registry.register("odd-value", schema);
        byte[] payload = framed(id);

        assertThatThrownBy(() -> converter.toConnectData("odd", payload)).isInstanceOf(DataException.class)
                .hasMessageContaining("topic odd, schema id " + id).hasMessageContaining(message);
    }

    @Test
    void aPayloadThatIsNotConfluentAvroIsRefusedWithTheReason() {
        assertThatThrownBy(() -> converter.toConnectData("tokenmeter.task-costs", "{\"taskId\":1}".getBytes()))
                .isInstanceOf(DataException.class).hasMessageContaining("not Confluent Avro wire format, it looks like JSON");
    }

    @Test
    void itOnlyReads() {
        assertThatThrownBy(() -> converter.fromConnectData("t", Schema.STRING_SCHEMA, "x")).isInstanceOf(DataException.class)
                .hasMessageContaining("only reads");
    }

    @Test
    void configurationNeedsARegistryUrlAndHidesTheCredentials() {
        ConfluentAvroConverter configured = new ConfluentAvroConverter();
        assertThatThrownBy(() -> configured.configure(Map.of(), false)).hasMessageContaining("schema.registry.url");
        configured.configure(Map.of("schema.registry.url", "http://registry:8081", "basic.auth.user.info", "me:secret"), false);
        assertThat(configured.config().configKeys().get("basic.auth.user.info").type).isEqualTo(ConfigDef.Type.PASSWORD);
        assertThat(configured.toConnectData("t", null)).isEqualTo(SchemaAndValue.NULL);
    }

    /** Only the header: the unsupported schemas are refused before a byte of the body is read. */
    private static byte[] framed(int id) {
        return ByteBuffer.allocate(5).put((byte) 0).putInt(id).array();
    }
}
