package io.tokenmeter.billing;

import java.util.Locale;

/**
 * Matching a call's resource to the bill's. Azure resource ids compare ignoring case; gateway logs often know only the
 * account (the host of the backend URL), so both sides are reduced to the account name, the last segment of the ARM id.
 * Azure OpenAI and Foundry account names are custom subdomains, unique across Azure, so the name identifies the account.
 */
public final class ResourceIds {

    /** The account of a call whose resource is not known: it matches no bill line's resource. */
    public static final String UNKNOWN = "";

    private ResourceIds() {
    }

    /** The lower-case account name of an ARM id or an account name; {@link #UNKNOWN} for null or blank. */
    public static String account(String resourceId) {
        if (resourceId == null || resourceId.isBlank()) {
            return UNKNOWN;
        }
        String id = resourceId.strip();
        while (id.endsWith("/")) {
            id = id.substring(0, id.length() - 1);
        }
        return id.substring(id.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
    }

    /** Whether two resource ids name the same resource, ignoring case. */
    public static boolean same(String a, String b) {
        return a != null && b != null && a.strip().equalsIgnoreCase(b.strip());
    }
}
