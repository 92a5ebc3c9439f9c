package io.tokenmeter.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.tokenmeter.registry.InMemorySchemaRegistry.Registration;
import io.tokenmeter.registry.InMemorySchemaRegistry;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A schema registry for the embedded mode, speaking the subset of the Confluent REST API that serdes use
 * (register, look up, fetch by id, list subjects and versions) with BACKWARD compatibility checks.
 * Registrations are journaled to a file, so Avro records and state stores stay readable after a restart.
 * Single writer: for one process, not a cluster (use a real registry there).
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    private final InMemorySchemaRegistry store;
    private final Path journal;
    private final HttpServer server;

    private EmbeddedSchemaRegistry(Path journal, String host, int port) throws IOException {
        this.journal = journal;
        this.store = new InMemorySchemaRegistry("embedded", this::append);
        if (journal != null) {
            replay(journal);
        }
        this.server = HttpServer.create(new InetSocketAddress(host, port), 0);
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread thread = new Thread(r, "embedded-schema-registry");
            thread.setDaemon(true);
            return thread;
        }));
    }

    /**
     * Starts a registry on {@code host:port} (0: a free port) whose registrations are kept in {@code journal}
     * (null: in memory only).
     */
    public static EmbeddedSchemaRegistry start(Path journal, String host, int port) {
        try {
            EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry(journal, host, port);
            registry.server.start();
            LOG.info("embedded schema registry at {}", registry.url());
            return registry;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the embedded schema registry on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    public String url() {
        return "http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }

    private void replay(Path file) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        int restored = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonNode node = JSON.readTree(line);
                store.restore(new Registration(node.get("subject").asText(), node.get("version").asInt(), node.get("id").asInt(),
                        new Schema.Parser().parse(node.get("schema").asText())));
                restored++;
            } catch (IOException | RuntimeException e) {
                // a torn last line after a crash: that registration was never answered, so it is safe to drop
                LOG.warn("skipping unreadable line in schema journal {}: {}", file, e.getMessage());
            }
        }
        LOG.info("restored {} schema registrations from {}", restored, file);
    }

    private void append(Registration registration) {
        if (journal == null) {
            return;
        }
        ObjectNode line = JSON.createObjectNode()
                .put("subject", registration.subject()).put("version", registration.version())
                .put("id", registration.id()).put("schema", registration.schema().toString());
        try {
            Files.createDirectories(journal.toAbsolutePath().getParent());
            try (BufferedWriter writer = Files.newBufferedWriter(journal, StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE, StandardOpenOption.DSYNC)) {
                writer.write(line.toString());
                writer.newLine();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot journal schema registration to " + journal, e);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Answer answer;
            try {
                answer = route(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(), exchange.getRequestBody().readAllBytes());
            } catch (RuntimeException e) {
                LOG.warn("embedded schema registry failed on {} {}: {}", exchange.getRequestMethod(), exchange.getRequestURI(), e.toString());
                answer = error(500, 50001, "internal error: " + e.getMessage());
            }
            byte[] body = answer.body().toString().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
            exchange.sendResponseHeaders(answer.status(), body.length);
            exchange.getResponseBody().write(body);
        }
    }

    private record Answer(int status, JsonNode body) {
    }

    private Answer route(String method, String rawPath, byte[] body) {
        List<String> parts = List.of(rawPath.replaceAll("^/+|/+$", "").split("/"));
        if (parts.size() == 1 && parts.get(0).isEmpty()) {
            return ok(JSON.createObjectNode());
        }
        String root = parts.get(0);
        if (root.equals("config") && parts.size() == 1 && method.equals("GET")) {
            return ok(JSON.createObjectNode().put("compatibilityLevel", "BACKWARD"));
        }
        if (root.equals("schemas") && parts.size() == 3 && parts.get(1).equals("ids") && method.equals("GET")) {
            return schemaById(parts.get(2));
        }
        if (root.equals("subjects")) {
            if (parts.size() == 1 && method.equals("GET")) {
                return ok(JSON.valueToTree(store.subjects()));
            }
            String subject = URLDecoder.decode(parts.get(1), StandardCharsets.UTF_8);
            if (parts.size() == 2 && method.equals("POST")) {
                return lookup(subject, body);
            }
            if (parts.size() == 3 && parts.get(2).equals("versions")) {
                if (method.equals("POST")) {
                    return register(subject, body);
                }
                if (method.equals("GET")) {
                    List<Registration> versions = store.versions(subject);
                    return versions.isEmpty() ? error(404, 40401, "Subject '" + subject + "' not found.")
                            : ok(JSON.valueToTree(versions.stream().map(Registration::version).toList()));
                }
            }
            if (parts.size() == 4 && parts.get(2).equals("versions") && method.equals("GET")) {
                return version(subject, parts.get(3));
            }
        }
        return error(404, 404, "no such endpoint: " + method + " " + rawPath);
    }

    private Answer schemaById(String idText) {
        try {
            Schema schema = store.schemaById(Integer.parseInt(idText));
            return ok(JSON.createObjectNode().put("schema", schema.toString()));
        } catch (NumberFormatException | io.tokenmeter.registry.SchemaRegistryException e) {
            return error(404, 40403, "Schema " + idText + " not found");
        }
    }

    private Answer register(String subject, byte[] body) {
        Optional<Schema> schema = parseSchema(body);
        if (schema.isEmpty()) {
            return error(422, 42201, "Invalid schema: the body must be {\"schema\": \"<Avro schema JSON>\"}");
        }
        List<Registration> versions = store.versions(subject);
        if (!versions.isEmpty() && store.find(subject, schema.get()).isEmpty()) {
            Schema latest = versions.get(versions.size() - 1).schema();
            SchemaCompatibility.SchemaPairCompatibility compatibility =
                    SchemaCompatibility.checkReaderWriterCompatibility(schema.get(), latest);
            if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                return error(409, 409, "Schema being registered is incompatible with an earlier schema for subject '"
                        + subject + "' (BACKWARD): " + compatibility.getDescription());
            }
        }
        return ok(JSON.createObjectNode().put("id", store.register(subject, schema.get())));
    }

    private Answer lookup(String subject, byte[] body) {
        Optional<Schema> schema = parseSchema(body);
        if (schema.isEmpty()) {
            return error(422, 42201, "Invalid schema");
        }
        if (store.versions(subject).isEmpty()) {
            return error(404, 40401, "Subject '" + subject + "' not found.");
        }
        return store.find(subject, schema.get()).map(this::describe).map(EmbeddedSchemaRegistry::ok)
                .orElseGet(() -> error(404, 40403, "Schema not found"));
    }

    private Answer version(String subject, String which) {
        List<Registration> versions = store.versions(subject);
        if (versions.isEmpty()) {
            return error(404, 40401, "Subject '" + subject + "' not found.");
        }
        if (which.equals("latest")) {
            return ok(describe(versions.get(versions.size() - 1)));
        }
        return versions.stream().filter(r -> Integer.toString(r.version()).equals(which)).findFirst()
                .map(this::describe).map(EmbeddedSchemaRegistry::ok)
                .orElseGet(() -> error(404, 40402, "Version " + which + " not found."));
    }

    private JsonNode describe(Registration registration) {
        return JSON.createObjectNode().put("subject", registration.subject()).put("version", registration.version())
                .put("id", registration.id()).put("schema", registration.schema().toString());
    }

    private static Optional<Schema> parseSchema(byte[] body) {
        try {
            JsonNode node = JSON.readTree(body);
            if (node == null || !node.path("schema").isTextual()) {
                return Optional.empty();
            }
            String type = node.path("schemaType").asText("AVRO");
            if (!type.equals("AVRO")) {
                return Optional.empty();
            }
            return Optional.of(new Schema.Parser().parse(node.get("schema").asText()));
        } catch (IOException | SchemaParseException e) {
            return Optional.empty();
        }
    }

    private static Answer ok(JsonNode body) {
        return new Answer(200, body);
    }

    private static Answer error(int status, int code, String message) {
        return new Answer(status, JSON.createObjectNode().put("error_code", code).put("message", message));
    }
}
