package io.tokenmeter.azure;

import com.azure.storage.blob.models.BlobStorageException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What every user of Azure Blob Storage (Event Hubs checkpoints, cost exports) says the same way: which container
 * names the service takes, and a one-line, secret-free explanation of a failure.
 */
public final class BlobStorage {

    // the service's rule for container names (and $root)
    private static final Pattern CONTAINER_NAME = Pattern.compile("^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$|^\\$root$");
    private static final int LONGEST_DETAIL = 300;

    private BlobStorage() {
    }

    /** Throws {@link IllegalArgumentException} for a name the service would reject. */
    public static String requireContainerName(String container) {
        if (container == null || !CONTAINER_NAME.matcher(container).matches()) {
            throw new IllegalArgumentException("'" + container + "' is not a valid Azure Blob container name "
                    + "(3 to 63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit)");
        }
        return container;
    }

    /** How an account URL may be shown: scheme, host, port and path, never a SAS query. */
    public static String withoutQuery(String url) {
        try {
            URI uri = URI.create(url);
            return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null).toString();
        } catch (URISyntaxException | IllegalArgumentException | NullPointerException e) {
            return "<account url>";
        }
    }

    /** How the caller signs in to the account, which decides what a refusal or an unknown host asks the user to check. */
    public enum SignIn {
        CONNECTION_STRING("refused the credentials of the connection string (check AccountName and AccountKey, or the SAS)",
                "check the endpoint of the connection string"),
        ENTRA_ID("refused access to the signed-in identity (it needs the role Storage Blob Data Reader on the container or its account)",
                "check the account URL");

        private final String refused;
        private final String unresolved;

        SignIn(String refused, String unresolved) {
            this.refused = refused;
            this.unresolved = unresolved;
        }
    }

    /**
     * A one-line explanation of a Blob Storage failure without secrets.
     *
     * @param where            what was talked to, e.g. {@code Azure Blob storage https://acct.blob.core.windows.net}
     * @param connectionString the connection string to keep out of the message; null when signed in with Entra ID
     */
    public static String explain(Throwable error, String where, SignIn signIn, String connectionString) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof BlobStorageException storage) {
                if (storage.getStatusCode() == 403) {
                    return where + " " + signIn.refused;
                }
                return where + " answered HTTP " + storage.getStatusCode()
                        + (storage.getErrorCode() == null ? "" : " " + storage.getErrorCode());
            }
            if (t instanceof UnknownHostException) {
                return "cannot resolve " + where + " (" + signIn.unresolved + ")";
            }
            if (t instanceof ConnectException) {
                return "cannot reach " + where + " (connection refused)";
            }
            if (t instanceof TimeoutException) {
                return "no answer from " + where + " in time";
            }
        }
        String detail = Stream.iterate(error, Objects::nonNull, Throwable::getCause)
                .map(t -> t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage())
                .distinct().limit(2).collect(Collectors.joining(": "));
        return where + ": " + redact(oneLine(detail), connectionString);
    }

    /** {@code text} without the connection string, its key or a SAS signature. */
    public static String redact(String text, String connectionString) {
        return AzureSecrets.redact(text, connectionString, "<connection string>");
    }

    /** One line of at most 300 characters. */
    public static String oneLine(String s) {
        String flat = s.replaceAll("\\s+", " ").trim();
        return flat.length() > LONGEST_DETAIL ? flat.substring(0, LONGEST_DETAIL) + "…" : flat;
    }
}
