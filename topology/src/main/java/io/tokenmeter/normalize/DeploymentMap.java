package io.tokenmeter.normalize;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The deployment type and region of each Azure OpenAI deployment ({@code azure.deployments}): gateway logs name the
 * deployment but not how it is deployed, and prices depend on it. Unlisted deployments are global, region unknown.
 */
public final class DeploymentMap {

    /** Where one deployment runs, in canonical names. */
    public record Placement(String deploymentType, String region) {
    }

    private static final Placement DEFAULT = new Placement(AzureNames.DEFAULT_DEPLOYMENT_TYPE, "unknown");

    private final Map<String, Placement> placements;

    private DeploymentMap(Map<String, Placement> placements) {
        this.placements = placements;
    }

    public static DeploymentMap empty() {
        return new DeploymentMap(Map.of());
    }

    /** Reads entries {@code DEPLOYMENT=TYPE[@REGION]} (checked by the configuration). */
    public static DeploymentMap of(List<String> entries) {
        Map<String, Placement> placements = new HashMap<>();
        for (String entry : entries) {
            String[] nameAndRest = entry.strip().split("=", 2);
            String[] typeAndRegion = nameAndRest[1].split("@", 2);
            placements.put(nameAndRest[0].strip(), new Placement(AzureNames.deploymentType(typeAndRegion[0]),
                    typeAndRegion.length > 1 ? AzureNames.region(typeAndRegion[1]) : "unknown"));
        }
        return new DeploymentMap(Map.copyOf(placements));
    }

    /** The placement of a deployment; {@code logRegion} (a region the log itself names) wins over the configured one. */
    public Placement placement(String deployment, String logRegion) {
        Placement configured = deployment == null ? DEFAULT : placements.getOrDefault(deployment, DEFAULT);
        return logRegion == null ? configured : new Placement(configured.deploymentType(), AzureNames.region(logRegion));
    }
}
