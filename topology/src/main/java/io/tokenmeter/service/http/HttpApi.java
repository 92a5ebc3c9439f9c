package io.tokenmeter.service.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small JSON-over-HTTP server on the JDK's HTTP server: routes with path parameters, query parameters, JSON
 * answers, and errors as {@code {"error": "..."}} with the right status. Handlers throw {@link ApiException} for 4xx.
 */
public final class HttpApi implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
    public static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    /** Answers one request. */
    @FunctionalInterface
    public interface Handler {
        Response handle(Request request) throws Exception;
    }

    /** One request: method, path, the values of the route's {@code {parameters}} and the query parameters. */
    public record Request(String method, String path, Map<String, String> pathParams, Map<String, String> query) {

        public String pathParam(String name) {
            return pathParams.get(name);
        }

        /** A query parameter, or {@code fallback} when absent or empty. */
        public String query(String name, String fallback) {
            String value = query.get(name);
            return value == null || value.isEmpty() ? fallback : value;
        }
    }

    /** One answer. */
    public record Response(int status, String contentType, byte[] body) {

        public static Response json(int status, Object body) {
            try {
                return new Response(status, "application/json", JSON.writeValueAsBytes(body));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        public static Response ok(Object body) {
            return json(200, body);
        }

        public static Response text(int status, String contentType, String body) {
            return new Response(status, contentType, body.getBytes(StandardCharsets.UTF_8));
        }
    }

    private record Route(String method, Pattern pattern, List<String> names, String template, Handler handler) {
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final List<Route> routes = new ArrayList<>();

    public HttpApi(String host, int port) {
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + host + ":" + port + " for the HTTP API (" + e.getMessage()
                    + "); choose another port with --http-port", e);
        }
        executor = Executors.newFixedThreadPool(4, r -> {
            Thread thread = new Thread(r, "tokenmeter-http");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/", this::dispatch);
    }

    /** Adds a GET route; {@code template} may hold {@code {name}} segments, e.g. {@code /api/tasks/{taskId}}. */
    public HttpApi get(String template, Handler handler) {
        return route("GET", template, handler);
    }

    public HttpApi route(String method, String template, Handler handler) {
        List<String> names = new ArrayList<>();
        Matcher m = Pattern.compile("\\{(\\w+)}").matcher(template);
        StringBuilder regex = new StringBuilder();
        int last = 0;
        while (m.find()) {
            regex.append(Pattern.quote(template.substring(last, m.start()))).append("([^/]+)");
            names.add(m.group(1));
            last = m.end();
        }
        regex.append(Pattern.quote(template.substring(last)));
        routes.add(new Route(method, Pattern.compile(regex.toString()), names, template, handler));
        return this;
    }

    public HttpApi start() {
        server.start();
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The route templates, for an index page. */
    public List<String> templates() {
        return routes.stream().map(r -> r.method() + " " + r.template()).toList();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void dispatch(HttpExchange exchange) throws IOException {
        try (exchange) {
            Response response = answer(exchange);
            exchange.getResponseHeaders().set("Content-Type", response.contentType());
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            boolean head = exchange.getRequestMethod().equals("HEAD");
            exchange.sendResponseHeaders(response.status(), head ? -1 : response.body().length);
            if (!head) {
                exchange.getResponseBody().write(response.body());
            }
        }
    }

    private Response answer(HttpExchange exchange) {
        URI uri = exchange.getRequestURI();
        String path = uri.getRawPath().length() > 1 ? uri.getRawPath().replaceAll("/+$", "") : uri.getRawPath();
        String method = exchange.getRequestMethod().equals("HEAD") ? "GET" : exchange.getRequestMethod();
        boolean pathKnown = false;
        for (Route route : routes) {
            Matcher m = route.pattern().matcher(path);
            if (!m.matches()) {
                continue;
            }
            pathKnown = true;
            if (!route.method().equals(method)) {
                continue;
            }
            Map<String, String> params = new LinkedHashMap<>();
            for (int i = 0; i < route.names().size(); i++) {
                params.put(route.names().get(i), decode(m.group(i + 1)));
            }
            try {
                return route.handler().handle(new Request(method, path, params, query(uri.getRawQuery())));
            } catch (ApiException e) {
                return Response.json(e.status(), Map.of("error", e.getMessage()));
            } catch (Exception e) {
                LOG.warn("HTTP {} {} failed", method, uri, e);
                return Response.json(500, Map.of("error", "internal error: " + e.getMessage()));
            }
        }
        if (pathKnown) {
            return Response.json(405, Map.of("error", "method " + method + " not allowed on " + path));
        }
        return Response.json(404, Map.of("error", "no such endpoint: " + path, "endpoints", templates()));
    }

    static Map<String, String> query(String raw) {
        Map<String, String> values = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return values;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            values.put(name, eq < 0 ? "" : decode(pair.substring(eq + 1)));
        }
        return values;
    }

    private static String decode(String text) {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
    }
}
