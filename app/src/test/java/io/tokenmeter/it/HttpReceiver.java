package io.tokenmeter.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.function.Predicate;

/** A local HTTP endpoint that records every JSON body POSTed to it and answers with the status the test chooses. */
final class HttpReceiver implements AutoCloseable {

    /** One request: when it arrived and its parsed body. */
    record Received(Instant at, JsonNode body) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final List<Received> received = new ArrayList<>();
    private volatile IntSupplier status;

    private HttpReceiver(int port, IntSupplier status) throws IOException {
        this.status = status;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/", exchange -> {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            int code = this.status.getAsInt();
            synchronized (received) {
                received.add(new Received(Instant.now(), JSON.readTree(new String(body, StandardCharsets.UTF_8))));
                received.notifyAll();
            }
            byte[] answer = (code >= 200 && code < 300 ? "{\"status\":\"success\"}" : "{\"status\":\"invalid event\",\"message\":\"Event object is invalid\"}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(code, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
    }

    static HttpReceiver start(int status) throws IOException {
        return new HttpReceiver(0, () -> status);
    }

    static HttpReceiver startOn(int port, int status) throws IOException {
        return new HttpReceiver(port, () -> status);
    }

    void answer(IntSupplier status) {
        this.status = status;
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    List<Received> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    List<JsonNode> bodies() {
        return received().stream().map(Received::body).toList();
    }

    /** Waits until what arrived satisfies {@code done} (or the timeout passes), then returns the bodies. */
    List<JsonNode> await(Predicate<List<JsonNode>> done, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (received) {
            while (!done.test(received.stream().map(Received::body).toList()) && System.nanoTime() < deadline) {
                received.wait(Math.max(1, Math.min(200, (deadline - System.nanoTime()) / 1_000_000)));
            }
        }
        return bodies();
    }

    List<JsonNode> awaitCount(int count) throws InterruptedException {
        return await(b -> b.size() >= count, Duration.ofSeconds(60));
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
