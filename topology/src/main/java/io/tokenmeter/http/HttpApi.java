package io.tokenmeter.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.server.handler.gzip.GzipHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small JSON-over-HTTP server on Jetty 12: routes with path parameters, query parameters, JSON answers, and errors as
 * {@code {"error": "..."}} with the right status. Handlers throw {@link ApiException} for 4xx. Connections are kept
 * alive (HTTP/1.1), answers over 1 KB are gzipped for clients that accept it, and closing waits up to
 * {@link #STOP_TIMEOUT} for the requests in flight.
 */
public final class HttpApi implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
    public static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    /** How long closing waits for requests in flight. */
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);
    private static final int GZIP_MIN_BYTES = 1024;
    private static final Pattern TRAILING_SLASHES = Pattern.compile("/+$");

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

    private final Server server;
    private final ServerConnector connector;
    private final List<Route> routes = new ArrayList<>();

    /** Binds {@code host:port} at once (port 0: any free one), so {@link #port()} is known before {@link #start()}. */
    public HttpApi(String host, int port) {
        QueuedThreadPool threads = new QueuedThreadPool(64, 4);
        threads.setName("tokenmeter-http");
        threads.setDaemon(true);
        server = new Server(threads);
        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        config.setSendDateHeader(false);
        connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(config));
        connector.setHost(host);
        connector.setPort(port);
        server.addConnector(connector);
        GzipHandler gzip = new GzipHandler();
        gzip.setMinGzipSize(GZIP_MIN_BYTES);
        gzip.setHandler(new Dispatcher());
        server.setHandler(new GracefulHandler(gzip));
        server.setStopTimeout(STOP_TIMEOUT.toMillis());
        server.setStopAtShutdown(false); // the service closes it in order, after the stream processing
        try {
            connector.open();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + host + ":" + port + " for the HTTP API (" + e.getMessage()
                    + "); choose another port with --http-port", e);
        }
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
        try {
            server.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the HTTP API on port " + port() + ": " + e.getMessage(), e);
        }
        return this;
    }

    public int port() {
        return connector.getLocalPort();
    }

    /** The route templates, for an index page. */
    public List<String> templates() {
        return routes.stream().map(r -> r.method() + " " + r.template()).toList();
    }

    /** Stops accepting, lets the requests in flight finish (up to {@link #STOP_TIMEOUT}), then closes every connection. */
    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            LOG.warn("HTTP API did not stop cleanly: {}", e.toString());
        }
    }

    /** Routes a request and writes its answer. */
    private final class Dispatcher extends org.eclipse.jetty.server.Handler.Abstract {

        @Override
        public boolean handle(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response, Callback callback) {
            String method = request.getMethod();
            Response answer = answer(method, request.getHttpURI().getPath(), request.getHttpURI().getQuery());
            response.setStatus(answer.status());
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, answer.contentType());
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
            if (method.equals("HEAD")) {
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, answer.body().length);
                response.write(true, null, callback);
            } else {
                response.write(true, ByteBuffer.wrap(answer.body()), callback);
            }
            return true;
        }
    }

    /** The answer to {@code method} on {@code rawPath} with {@code rawQuery}: a route's, or a 404/405 error. */
    Response answer(String requestMethod, String rawPath, String rawQuery) {
        String path = rawPath.length() > 1 ? TRAILING_SLASHES.matcher(rawPath).replaceAll("") : rawPath;
        String method = requestMethod.equals("HEAD") ? "GET" : requestMethod;
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
                return route.handler().handle(new Request(method, path, params, query(rawQuery)));
            } catch (ApiException e) {
                return Response.json(e.status(), Map.of("error", e.getMessage()));
            } catch (Exception e) {
                LOG.warn("HTTP {} {} failed", method, rawPath, e);
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
