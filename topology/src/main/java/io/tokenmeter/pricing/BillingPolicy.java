package io.tokenmeter.pricing;

import java.util.BitSet;
import java.util.List;

/**
 * Which HTTP statuses the provider bills: "2xx" classes and single codes. Azure bills calls it processed (2xx, 400
 * content filter, 408 timeout) and not those it refused (401, 403, 429); unlisted statuses are counted, cost 0.
 */
public final class BillingPolicy {

    private final BitSet billed = new BitSet(600);
    private final String description;

    public BillingPolicy(List<String> statuses) {
        for (String raw : statuses) {
            String status = raw.trim().toLowerCase(java.util.Locale.ROOT);
            if (status.matches("[1-5]xx")) {
                int base = (status.charAt(0) - '0') * 100;
                billed.set(base, base + 100);
            } else if (status.matches("\\d{3}")) {
                billed.set(Integer.parseInt(status));
            } else {
                throw new IllegalArgumentException("billed status '" + raw + "' is neither a code like 400 nor a class like 2xx");
            }
        }
        description = String.join(",", statuses);
    }

    public boolean billed(int statusCode) {
        return statusCode >= 0 && statusCode < 600 && billed.get(statusCode);
    }

    @Override
    public String toString() {
        return "billed statuses " + description;
    }
}
