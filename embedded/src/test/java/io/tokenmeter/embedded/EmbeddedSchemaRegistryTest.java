package io.tokenmeter.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.registry.HttpSchemaRegistry;
import io.tokenmeter.registry.RegistrySettings;
import io.tokenmeter.registry.SchemaRegistryException;
import io.tokenmeter.serde.AvroSerde;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded registry over real HTTP, through the same REST client production uses. */
class EmbeddedSchemaRegistryTest {

    private static final Schema V1 = new Schema.Parser().parse(
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"}]}");
    private static final Schema V2_OPTIONAL = new Schema.Parser().parse(
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"},{\"name\":\"b\",\"type\":[\"null\",\"long\"],\"default\":null}]}");
    private static final Schema V2_REQUIRED = new Schema.Parser().parse(
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"},{\"name\":\"c\",\"type\":\"long\"}]}");

    @Test
    void servesTheConfluentApiThatTheSerdeUses() {
        try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(null, "127.0.0.1", 0)) {
            AvroSerde<UsageEvent> serde = AvroSerde.specific(UsageEvent.class, new HttpSchemaRegistry(registry.url(), RegistrySettings.DEFAULTS));
            UsageEvent event = UsageEvent.newBuilder().setEventId("e").setTimestamp(Instant.EPOCH).setTenant("t").setApplication("a")
                    .setUseCase("u").setCostCenter("c").setEnvironment("e").setAgent("g").setModel("m").setDeployment("d").build();

            byte[] bytes = serde.serialize("topic", event);
            UsageEvent back = AvroSerde.specific(UsageEvent.class, new HttpSchemaRegistry(registry.url(), RegistrySettings.DEFAULTS))
                    .deserialize("topic", bytes);

            assertThat(back).isEqualTo(event);
        }
    }

    @Test
    void acceptsBackwardCompatibleChangesAndRejectsOthers() {
        try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(null, "127.0.0.1", 0)) {
            HttpSchemaRegistry client = new HttpSchemaRegistry(registry.url(), RegistrySettings.DEFAULTS);
            int v1 = client.register("s", V1);
            int v2 = client.register("s", V2_OPTIONAL);

            assertThat(v2).isNotEqualTo(v1);
            assertThatThrownBy(() -> client.register("s", V2_REQUIRED))
                    .isInstanceOf(SchemaRegistryException.class)
                    .hasMessageContaining("incompatible");
            assertThat(client.lookup("s", V1)).isEqualTo(v1);
        }
    }

    @Test
    void keepsIdsAcrossARestartThroughItsJournal(@TempDir Path dir) {
        Path journal = dir.resolve("schemas.jsonl");
        int id;
        try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(journal, "127.0.0.1", 0)) {
            id = new HttpSchemaRegistry(registry.url(), RegistrySettings.DEFAULTS).register("s", V1);
        }
        try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(journal, "127.0.0.1", 0)) {
            HttpSchemaRegistry client = new HttpSchemaRegistry(registry.url(), RegistrySettings.DEFAULTS);
            assertThat(client.schemaById(id)).isEqualTo(V1);
            assertThat(client.register("s", V1)).isEqualTo(id);
            assertThat(client.register("other", V2_OPTIONAL)).isNotEqualTo(id);
        }
    }

    @Test
    void answersUnknownIdsAndPathsWithConfluentErrorCodes() throws Exception {
        try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(null, "127.0.0.1", 0)) {
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> unknown = http.send(HttpRequest.newBuilder(URI.create(registry.url() + "/schemas/ids/77")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(unknown.statusCode()).isEqualTo(404);
            assertThat(unknown.body()).contains("40403");
            HttpResponse<String> subjects = http.send(HttpRequest.newBuilder(URI.create(registry.url() + "/subjects")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(subjects.body()).isEqualTo("[]");
        }
    }
}
