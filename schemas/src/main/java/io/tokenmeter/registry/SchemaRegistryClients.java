package io.tokenmeter.registry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Opens registry clients by URL: {@code mock://scope} gives the in-memory registry of that scope (shared by every
 * client this factory opens for the same scope), {@code http(s)://...} the REST client. One factory per process.
 */
public final class SchemaRegistryClients {

    private static final String MOCK = "mock://";
    private final Map<String, InMemorySchemaRegistry> mockScopes = new ConcurrentHashMap<>();

    public SchemaRegistryClient open(String url, RegistrySettings settings) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("no schema registry URL: set --schema-registry (mock://scope or http(s)://host:port)");
        }
        String trimmed = url.trim();
        if (trimmed.startsWith(MOCK)) {
            String scope = trimmed.substring(MOCK.length());
            return mockScopes.computeIfAbsent(scope, s -> new InMemorySchemaRegistry(MOCK + s));
        }
        if (trimmed.startsWith("http://") || trimmed.startsWith("https://")) {
            return new HttpSchemaRegistry(trimmed, settings);
        }
        throw new IllegalArgumentException("unsupported schema registry URL '" + trimmed.replaceAll("//[^@/]*@", "//")
                + "': use mock://scope or http(s)://host:port");
    }
}
