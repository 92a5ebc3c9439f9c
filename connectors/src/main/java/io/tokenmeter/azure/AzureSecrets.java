package io.tokenmeter.azure;

import java.util.regex.Pattern;

/** Keeps the secrets of Azure connection strings (keys, signatures) out of every message that may quote them. */
public final class AzureSecrets {

    private static final Pattern SECRETS = Pattern.compile(
            "(?i)(SharedAccessKey|SharedAccessSignature|sig|AccountKey)\\s*=\\s*[^;&\\s\"']*");

    private AzureSecrets() {
    }

    /**
     * {@code text} with {@code connectionString} replaced by {@code shownInstead} and every key and signature by
     * {@code ***}, for messages that may quote what a library received.
     */
    public static String redact(String text, String connectionString, String shownInstead) {
        if (text == null) {
            return null;
        }
        String result = text;
        if (connectionString != null && !connectionString.isBlank()) {
            result = result.replace(connectionString, shownInstead);
        }
        return SECRETS.matcher(result).replaceAll("$1=***");
    }
}
