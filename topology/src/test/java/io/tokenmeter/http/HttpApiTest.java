package io.tokenmeter.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP server on a real port: routing, errors, HEAD, gzip, keep-alive and a graceful close. */
class HttpApiTest {

    private final HttpClient client = HttpClient.newHttpClient();
    private final CountDownLatch slowStarted = new CountDownLatch(1);
    private HttpApi api;

    @BeforeEach
    void start() {
        api = new HttpApi("127.0.0.1", 0)
                .get("/api/tasks/{taskId}", request -> HttpApi.Response.ok(Map.of("taskId", request.pathParam("taskId"),
                        "window", request.query("window", "1h"))))
                .get("/api/big", request -> HttpApi.Response.ok(Map.of("text", "x".repeat(5_000))))
                .get("/api/bad", request -> {
                    throw new ApiException(400, "window must be 1m, 1h or 1d");
                })
                .get("/api/broken", request -> {
                    throw new IllegalStateException("store closed");
                })
                .get("/api/slow", request -> {
                    slowStarted.countDown();
                    Thread.sleep(1_000);
                    return HttpApi.Response.ok(Map.of("done", true));
                })
                .start();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void routesPathAndQueryParametersDecoded() throws Exception {
        HttpResponse<String> response = get("/api/tasks/task%201/?window=1d&x=%26");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
        assertThat(HttpApi.JSON.readTree(response.body()).get("taskId").asText()).isEqualTo("task 1");
        assertThat(HttpApi.JSON.readTree(response.body()).get("window").asText()).isEqualTo("1d");
    }

    @Test
    void answersErrorsAsJsonWithTheirStatus() throws Exception {
        assertThat(get("/api/bad")).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(r.body()).isEqualTo("{\"error\":\"window must be 1m, 1h or 1d\"}");
        });
        assertThat(get("/api/broken")).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(500);
            assertThat(r.body()).contains("internal error: store closed");
        });
        assertThat(get("/api/nothing")).satisfies(r -> {
            assertThat(r.statusCode()).isEqualTo(404);
            assertThat(r.body()).contains("no such endpoint: /api/nothing").contains("GET /api/tasks/{taskId}");
        });
        HttpResponse<String> post = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/api/bad"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.body()).contains("method POST not allowed on /api/bad");
    }

    @Test
    void headAnswersTheHeadersOfGetWithoutABody() throws Exception {
        HttpResponse<String> head = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/api/tasks/t"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(get("/api/tasks/t").body().length());
    }

    @Test
    void gzipsLargeAnswersForClientsThatAcceptIt() throws Exception {
        HttpResponse<byte[]> zipped = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/api/big"))
                .header("Accept-Encoding", "gzip").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(zipped.headers().firstValue("Content-Encoding")).hasValue("gzip");
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(zipped.body()))) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("{\"text\":\"" + "x".repeat(5_000) + "\"}");
        }
        assertThat(get("/api/big").headers().firstValue("Content-Encoding")).isEmpty();
        assertThat(get("/api/tasks/t", "Accept-Encoding", "gzip").headers().firstValue("Content-Encoding")).as("small answers stay plain")
                .isEmpty();
    }

    @Test
    void keepsTheConnectionOpenForTheNextRequest() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", api.port())) {
            OutputStream out = socket.getOutputStream();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            for (String task : new String[] {"first", "second", "third"}) {
                out.write(("GET /api/tasks/" + task + " HTTP/1.1\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
                int length = -1;
                for (String line = in.readLine(); !line.isEmpty(); line = in.readLine()) {
                    assertThat(line).doesNotStartWithIgnoringCase("Connection: close");
                    if (line.toLowerCase().startsWith("content-length:")) {
                        length = Integer.parseInt(line.substring(line.indexOf(':') + 1).trim());
                    }
                }
                char[] body = new char[length];
                assertThat(in.read(body, 0, length)).isEqualTo(length);
                assertThat(new String(body)).contains("\"taskId\":\"" + task + "\"");
            }
        }
    }

    @Test
    void closingLetsTheRequestInFlightFinish() throws Exception {
        CompletableFuture<HttpResponse<String>> slow = client.sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/api/slow")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(slowStarted.await(10, TimeUnit.SECONDS)).isTrue();
        api.close();
        HttpResponse<String> response = slow.get(10, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{\"done\":true}");
    }
}
