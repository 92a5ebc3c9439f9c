package io.tokenmeter.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The REST client against a scripted local HTTP server: caching, auth, retries and error messages. */
class HttpSchemaRegistryTest {

    private static final Schema SCHEMA = new Schema.Parser().parse(
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"}]}");
    private static final RegistrySettings FAST = new RegistrySettings(Duration.ofSeconds(2), 3, Duration.ofMillis(10), null);

    private record Reply(int status, String body) {
    }

    private HttpServer server;
    private final Deque<Reply> replies = new ArrayDeque<>();
    private final List<String> requests = new ArrayList<>();
    private final List<String> authorizations = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private synchronized void handle(HttpExchange exchange) throws IOException {
        requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawPath());
        authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
        exchange.getRequestBody().readAllBytes();
        Reply reply = replies.isEmpty() ? new Reply(500, "{\"error_code\":500,\"message\":\"no scripted reply\"}") : replies.poll();
        byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(reply.status(), body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/apis/ccompat/v7";
    }

    @Test
    void registersUnderTheSubjectPathAndCachesTheId() {
        replies.add(new Reply(200, "{\"id\":7}"));
        HttpSchemaRegistry client = new HttpSchemaRegistry(url(), FAST);

        assertThat(client.register("tokenmeter.usage-value", SCHEMA)).isEqualTo(7);
        assertThat(client.register("tokenmeter.usage-value", SCHEMA)).isEqualTo(7);
        assertThat(client.schemaById(7)).isEqualTo(SCHEMA);

        assertThat(requests).containsExactly("POST /apis/ccompat/v7/subjects/tokenmeter.usage-value/versions");
    }

    @Test
    void fetchesASchemaByIdOnceThenFromCache() {
        replies.add(new Reply(200, "{\"schema\":" + quoted(SCHEMA.toString()) + "}"));
        HttpSchemaRegistry client = new HttpSchemaRegistry(url(), FAST);

        assertThat(client.schemaById(3)).isEqualTo(SCHEMA);
        assertThat(client.schemaById(3)).isEqualTo(SCHEMA);

        assertThat(requests).containsExactly("GET /apis/ccompat/v7/schemas/ids/3");
    }

    @Test
    void sendsBasicAuthFromTheUrlWithoutEverPrintingIt() {
        replies.add(new Reply(401, "{\"error_code\":40101,\"message\":\"Unauthorized\"}"));
        String withCredentials = url().replace("http://", "http://alice:s3cret@");
        HttpSchemaRegistry client = new HttpSchemaRegistry(withCredentials, FAST);

        assertThatThrownBy(() -> client.schemaById(1))
                .isInstanceOf(SchemaRegistryException.class)
                .satisfies(e -> assertThat(((SchemaRegistryException) e).kind()).isEqualTo(SchemaRegistryException.Kind.UNAUTHORIZED))
                .hasMessageNotContaining("s3cret");
        assertThat(authorizations).containsExactly(
                "Basic " + Base64.getEncoder().encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8)));
        assertThat(client.describe()).doesNotContain("s3cret").doesNotContain("alice");
    }

    @Test
    void retriesServerErrorsWithBackoffThenSucceeds() {
        replies.add(new Reply(503, "busy"));
        replies.add(new Reply(503, "busy"));
        replies.add(new Reply(200, "{\"id\":11}"));
        HttpSchemaRegistry client = new HttpSchemaRegistry(url(), FAST);

        assertThat(client.register("s", SCHEMA)).isEqualTo(11);
        assertThat(requests).hasSize(3);
    }

    @Test
    void unknownIdIsNotFoundWithTheRegistryMessage() {
        replies.add(new Reply(404, "{\"error_code\":40403,\"message\":\"Schema 42 not found\"}"));
        HttpSchemaRegistry client = new HttpSchemaRegistry(url(), FAST);

        assertThatThrownBy(() -> client.schemaById(42))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("Schema 42 not found")
                .hasMessageContaining("40403")
                .satisfies(e -> assertThat(((SchemaRegistryException) e).kind()).isEqualTo(SchemaRegistryException.Kind.NOT_FOUND));
        assertThat(requests).hasSize(1);
    }

    @Test
    void incompatibleSchemaIsRejectedWithoutRetrying() {
        replies.add(new Reply(409, "{\"error_code\":409,\"message\":\"Schema being registered is incompatible\"}"));
        HttpSchemaRegistry client = new HttpSchemaRegistry(url(), FAST);

        assertThatThrownBy(() -> client.register("s", SCHEMA))
                .hasMessageContaining("incompatible")
                .satisfies(e -> assertThat(((SchemaRegistryException) e).kind()).isEqualTo(SchemaRegistryException.Kind.REJECTED));
        assertThat(requests).hasSize(1);
    }

    @Test
    void unreachableRegistrySaysSoAfterItsAttempts() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        HttpSchemaRegistry client = new HttpSchemaRegistry("http://bob:pw@127.0.0.1:" + closedPort, FAST);

        assertThatThrownBy(() -> client.schemaById(1))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("unreachable")
                .hasMessageContaining("after 3 attempts")
                .hasMessageContaining("127.0.0.1:" + closedPort)
                .hasMessageNotContaining("pw");
    }

    @Test
    void refusesANonHttpUrl() {
        assertThatThrownBy(() -> new HttpSchemaRegistry("ftp://x", FAST)).hasMessageContaining("http(s)://");
    }

    private static String quoted(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
