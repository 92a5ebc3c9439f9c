package io.tokenmeter.eventhubs;

import io.tokenmeter.azure.AzureSecrets;
import java.net.URI;
import java.util.Locale;

/**
 * Reads the parts of an Event Hubs connection string the bridge needs, and keeps its secrets out of messages: only
 * the namespace host is ever shown.
 */
public final class ConnectionStrings {

    private ConnectionStrings() {
    }

    /** The namespace host of {@code connectionString} (from {@code Endpoint=sb://host[:port]/}), lower-cased. */
    public static String namespaceHost(String connectionString) {
        if (connectionString == null || connectionString.isBlank()) {
            throw new IllegalArgumentException("the Event Hubs connection string is empty");
        }
        for (String part : connectionString.split(";")) {
            int eq = part.indexOf('=');
            if (eq > 0 && part.substring(0, eq).trim().equalsIgnoreCase("Endpoint")) {
                String endpoint = part.substring(eq + 1).trim();
                try {
                    String host = URI.create(endpoint).getHost();
                    if (host != null && !host.isBlank()) {
                        return host.toLowerCase(Locale.ROOT);
                    }
                } catch (IllegalArgumentException e) {
                    // reported below without echoing the string
                }
                throw new IllegalArgumentException("the Event Hubs connection string has no usable Endpoint=sb://<namespace host>/");
            }
        }
        throw new IllegalArgumentException("the Event Hubs connection string has no Endpoint=sb://<namespace host>/ part");
    }

    /** What may be shown of {@code connectionString}: {@code sb://host/}, or a placeholder when it cannot be read. */
    public static String mask(String connectionString) {
        try {
            return "sb://" + namespaceHost(connectionString) + "/";
        } catch (IllegalArgumentException e) {
            return "<connection string>";
        }
    }

    /**
     * {@code text} with every key, signature and the connection string itself replaced, for messages that may quote
     * what a library received.
     */
    public static String redact(String text, String connectionString) {
        return AzureSecrets.redact(text, connectionString, connectionString == null ? null : mask(connectionString));
    }
}
