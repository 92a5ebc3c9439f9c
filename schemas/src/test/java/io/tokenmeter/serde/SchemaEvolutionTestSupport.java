package io.tokenmeter.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.registry.SchemaRegistryClient;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/** Adding an optional field keeps old and new readers working: the checks, run against any registry. */
public final class SchemaEvolutionTestSupport {

    public static final Schema V1 = new Schema.Parser().parse("""
            {"type":"record","name":"Evolving","namespace":"io.tokenmeter.test","fields":[
              {"name":"id","type":"string"},{"name":"tokens","type":"long"}]}""");
    public static final Schema V2 = new Schema.Parser().parse("""
            {"type":"record","name":"Evolving","namespace":"io.tokenmeter.test","fields":[
              {"name":"id","type":"string"},{"name":"tokens","type":"long"},
              {"name":"agent","type":["null","string"],"default":null}]}""");

    private SchemaEvolutionTestSupport() {
    }

    public static void assertEvolution(SchemaRegistryClient registry, String topic) {
        AvroSerde<GenericRecord> oldSerde = AvroSerde.generic(V1, registry, false, true);
        AvroSerde<GenericRecord> newSerde = AvroSerde.generic(V2, registry, false, true);
        GenericRecord v1 = new GenericData.Record(V1);
        v1.put("id", "a");
        v1.put("tokens", 10L);
        GenericRecord v2 = new GenericData.Record(V2);
        v2.put("id", "b");
        v2.put("tokens", 20L);
        v2.put("agent", "planner");

        byte[] writtenV1 = oldSerde.serialize(topic, v1);
        byte[] writtenV2 = newSerde.serialize(topic, v2);

        assertThat(idOf(writtenV1)).isNotEqualTo(idOf(writtenV2));
        GenericRecord newReadsOld = newSerde.deserialize(topic, writtenV1);
        assertThat(newReadsOld.get("id").toString()).isEqualTo("a");
        assertThat(newReadsOld.get("agent")).isNull();
        GenericRecord oldReadsNew = oldSerde.deserialize(topic, writtenV2);
        assertThat(oldReadsNew.get("id").toString()).isEqualTo("b");
        assertThat(oldReadsNew.get("tokens")).isEqualTo(20L);
        assertThat(oldReadsNew.getSchema().getField("agent")).isNull();
        GenericRecord newReadsNew = newSerde.deserialize(topic, writtenV2);
        assertThat(newReadsNew.get("agent").toString()).isEqualTo("planner");
    }

    static int idOf(byte[] framed) {
        return WireFormat.schemaId("t", framed);
    }
}
