package io.tokenmeter.normalize;

import java.util.Locale;
import java.util.Map;

/** Canonical forms of Azure names: deployment types (GlobalStandard, DataZoneStandard... to the five) and regions. */
public final class AzureNames {

    public static final String DEFAULT_DEPLOYMENT_TYPE = "global";

    private static final Map<String, String> ALIASES = Map.ofEntries(
            Map.entry("global", "global"), Map.entry("globalstandard", "global"),
            Map.entry("datazone", "datazone"), Map.entry("datazonestandard", "datazone"),
            Map.entry("regional", "regional"), Map.entry("standard", "regional"),
            Map.entry("provisioned", "provisioned"), Map.entry("provisionedmanaged", "provisioned"),
            Map.entry("globalprovisionedmanaged", "provisioned"), Map.entry("datazoneprovisionedmanaged", "provisioned"),
            Map.entry("batch", "batch"), Map.entry("globalbatch", "batch"), Map.entry("datazonebatch", "batch"));

    private AzureNames() {
    }

    /** The canonical type; names it does not know are kept (lower case), so they show up as unpriced rather than vanish. */
    public static String deploymentType(String name) {
        if (name == null || name.isBlank()) {
            return DEFAULT_DEPLOYMENT_TYPE;
        }
        String key = name.strip().toLowerCase(Locale.ROOT).replace("-", "").replace("_", "").replace(" ", "");
        return ALIASES.getOrDefault(key, key);
    }

    /** Azure region names as ARM writes them: "East US 2" is eastus2. */
    public static String region(String name) {
        return name == null || name.isBlank() ? "unknown" : name.strip().toLowerCase(Locale.ROOT).replace(" ", "");
    }
}
