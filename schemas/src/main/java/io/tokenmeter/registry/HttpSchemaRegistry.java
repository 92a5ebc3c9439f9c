package io.tokenmeter.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Client of the Confluent Schema Registry REST API (also served by Karapace, Redpanda and Apicurio's ccompat API).
 * Ids and registrations are cached for the life of the client, so steady-state serde calls never leave the process.
 * Several comma-separated base URLs are tried in turn; credentials never appear in messages.
 */
public final class HttpSchemaRegistry implements SchemaRegistryClient {

    private static final Logger LOG = LoggerFactory.getLogger(HttpSchemaRegistry.class);
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<URI> baseUris;
    private final String safeDescription;
    private final String authorization;
    private final RegistrySettings settings;
    private final HttpClient http;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<String, Integer> idsBySubjectAndSchema = new ConcurrentHashMap<>();

    public HttpSchemaRegistry(String urls, RegistrySettings settings) {
        this.settings = settings;
        List<URI> uris = new ArrayList<>();
        String userInfo = settings.basicAuthUserInfo();
        for (String raw : urls.split(",")) {
            URI uri = URI.create(raw.trim());
            if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https")) || uri.getHost() == null) {
                throw new IllegalArgumentException("schema registry URL must be http(s)://host[:port][/path], got " + stripUserInfo(uri));
            }
            if (uri.getRawUserInfo() != null && userInfo == null) {
                userInfo = java.net.URLDecoder.decode(uri.getRawUserInfo(), StandardCharsets.UTF_8);
            }
            uris.add(stripUserInfo(uri));
        }
        this.baseUris = List.copyOf(uris);
        this.safeDescription = String.join(",", baseUris.stream().map(URI::toString).toList());
        this.authorization = userInfo == null ? null
                : "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
        this.http = HttpClient.newBuilder().connectTimeout(settings.timeout()).build();
    }

    @Override
    public int register(String subject, Schema schema) {
        return idsBySubjectAndSchema.computeIfAbsent(cacheKey(subject, schema), k -> {
            JsonNode answer = call("POST", "/subjects/" + encode(subject) + "/versions", schemaBody(schema), "register a schema under subject '" + subject + "'");
            int id = requiredInt(answer, "id");
            schemasById.putIfAbsent(id, schema);
            return id;
        });
    }

    @Override
    public int lookup(String subject, Schema schema) {
        return idsBySubjectAndSchema.computeIfAbsent(cacheKey(subject, schema), k -> {
            JsonNode answer = call("POST", "/subjects/" + encode(subject), schemaBody(schema), "look up a schema under subject '" + subject + "'");
            int id = requiredInt(answer, "id");
            schemasById.putIfAbsent(id, schema);
            return id;
        });
    }

    @Override
    public Schema schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = call("GET", "/schemas/ids/" + id, null, "fetch schema id " + id);
        JsonNode text = answer.get("schema");
        if (text == null || !text.isTextual()) {
            throw new SchemaRegistryException(SchemaRegistryException.Kind.PROTOCOL,
                    "schema registry " + safeDescription + " answered schema id " + id + " without a 'schema' field");
        }
        try {
            Schema schema = new Schema.Parser().parse(text.asText());
            schemasById.putIfAbsent(id, schema);
            return schema;
        } catch (SchemaParseException e) {
            throw new SchemaRegistryException(SchemaRegistryException.Kind.PROTOCOL,
                    "schema id " + id + " from " + safeDescription + " is not an Avro schema: " + e.getMessage(), e);
        }
    }

    @Override
    public String describe() {
        return safeDescription;
    }

    private JsonNode call(String method, String path, String body, String what) {
        Exception last = null;
        String lastProblem = null;
        long backoff = settings.backoff().toMillis();
        for (int attempt = 1; attempt <= settings.attempts(); attempt++) {
            URI base = baseUris.get((attempt - 1) % baseUris.size());
            try {
                HttpResponse<String> response = http.send(request(method, base, path, body), HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status >= 200 && status < 300) {
                    return JSON.readTree(response.body());
                }
                String message = errorMessage(response.body());
                if (status == 401 || status == 403) {
                    throw new SchemaRegistryException(SchemaRegistryException.Kind.UNAUTHORIZED,
                            "schema registry " + base + " refused the credentials (HTTP " + status + ") trying to " + what);
                }
                if (status == 404) {
                    throw new SchemaRegistryException(SchemaRegistryException.Kind.NOT_FOUND,
                            "schema registry " + base + " could not " + what + ": not found (" + message + ")");
                }
                if (status == 409 || status == 422) {
                    throw new SchemaRegistryException(SchemaRegistryException.Kind.REJECTED,
                            "schema registry " + base + " rejected the request to " + what + " (HTTP " + status + "): " + message);
                }
                if (status < 500 && status != 429 && status != 408) {
                    throw new SchemaRegistryException(SchemaRegistryException.Kind.PROTOCOL,
                            "schema registry " + base + " answered HTTP " + status + " trying to " + what + ": " + message);
                }
                lastProblem = "HTTP " + status + " " + message;
            } catch (IOException e) {
                last = e;
                lastProblem = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryException(SchemaRegistryException.Kind.UNREACHABLE, "interrupted while trying to " + what, e);
            }
            if (attempt < settings.attempts()) {
                LOG.warn("schema registry {} failed to {} (attempt {}/{}): {}; retrying in {} ms",
                        base, what, attempt, settings.attempts(), lastProblem, backoff);
                sleep(backoff);
                backoff *= 2;
            }
        }
        throw new SchemaRegistryException(SchemaRegistryException.Kind.UNREACHABLE,
                "schema registry " + safeDescription + " unreachable: could not " + what + " after "
                        + settings.attempts() + " attempts (last: " + lastProblem + ")", last);
    }

    private HttpRequest request(String method, URI base, String path, String body) {
        String basePath = base.getPath() == null ? "" : base.getPath().replaceAll("/+$", "");
        HttpRequest.Builder builder = HttpRequest.newBuilder(base.resolve(basePath + path))
                .timeout(settings.timeout())
                .header("Accept", CONTENT_TYPE + ", application/json");
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        if (body == null) {
            return builder.GET().build();
        }
        return builder.header("Content-Type", CONTENT_TYPE)
                .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
    }

    private static String schemaBody(Schema schema) {
        ObjectNode body = JSON.createObjectNode();
        body.put("schema", schema.toString());
        body.put("schemaType", "AVRO");
        return body.toString();
    }

    private static String errorMessage(String body) {
        try {
            JsonNode node = JSON.readTree(body);
            if (node != null && node.has("message")) {
                return node.get("message").asText() + (node.has("error_code") ? " [error_code " + node.get("error_code").asText() + "]" : "");
            }
        } catch (IOException ignored) {
            // not JSON: show it as text below
        }
        String text = body == null ? "" : body.strip();
        return text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }

    private int requiredInt(JsonNode answer, String field) {
        JsonNode value = answer == null ? null : answer.get(field);
        if (value == null || !value.canConvertToInt()) {
            throw new SchemaRegistryException(SchemaRegistryException.Kind.PROTOCOL,
                    "schema registry " + safeDescription + " answered without an integer '" + field + "': " + answer);
        }
        return value.asInt();
    }

    private static String cacheKey(String subject, Schema schema) {
        return subject + '\u0000' + schema.toString();
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static URI stripUserInfo(URI uri) {
        if (uri.getRawUserInfo() == null) {
            return uri;
        }
        return URI.create(uri.getScheme() + "://" + uri.getHost() + (uri.getPort() >= 0 ? ":" + uri.getPort() : "")
                + (uri.getRawPath() == null ? "" : uri.getRawPath()));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
