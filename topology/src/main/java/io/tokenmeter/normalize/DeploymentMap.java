package io.tokenmeter.normalize;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The deployment type and region of each Azure OpenAI deployment ({@code azure.deployments}): gateway logs name the
 * deployment but not how it is deployed, and prices depend on it. Unlisted deployments are global, region unknown.
 * Also the Azure resource (account) that serves each deployment ({@code azure.resources}), which the bill is matched by.
 */
public final class DeploymentMap {

    /** Where one deployment runs, in canonical names. */
    public record Placement(String deploymentType, String region, String resourceId) {
    }

    private static final Placement DEFAULT = new Placement(AzureNames.DEFAULT_DEPLOYMENT_TYPE, "unknown", null);

    private final Map<String, Placement> placements;
    private final Map<String, String> resources;

    private DeploymentMap(Map<String, Placement> placements, Map<String, String> resources) {
        this.placements = placements;
        this.resources = resources;
    }

    public static DeploymentMap empty() {
        return new DeploymentMap(Map.of(), Map.of());
    }

    /** Reads {@code azure.deployments} entries and {@code azure.resources} entries {@code DEPLOYMENT=RESOURCE} (both checked by the configuration). */
    public static DeploymentMap of(List<String> entries, List<String> resourceEntries) {
        Map<String, String> resources = new HashMap<>();
        for (String entry : resourceEntries) {
            String[] nameAndId = entry.strip().split("=", 2);
            resources.put(nameAndId[0].strip(), nameAndId[1].strip());
        }
        return new DeploymentMap(of(entries).placements, Map.copyOf(resources));
    }

    /** Reads {@code azure.deployments} entries {@code DEPLOYMENT=TYPE[@REGION]} (checked by the configuration). */
    public static DeploymentMap of(List<String> entries) {
        Map<String, Placement> placements = new HashMap<>();
        for (String entry : entries) {
            String[] nameAndRest = entry.strip().split("=", 2);
            String[] typeAndRegion = nameAndRest[1].split("@", 2);
            placements.put(nameAndRest[0].strip(), new Placement(AzureNames.deploymentType(typeAndRegion[0]),
                    typeAndRegion.length > 1 ? AzureNames.region(typeAndRegion[1]) : "unknown", null));
        }
        return new DeploymentMap(Map.copyOf(placements), Map.of());
    }

    /** The placement of a deployment; {@code logRegion} (a region the log itself names) wins over the configured one. */
    public Placement placement(String deployment, String logRegion) {
        Placement placed = deployment == null ? DEFAULT : placements.getOrDefault(deployment, DEFAULT);
        String resource = deployment == null ? null : resources.get(deployment);
        return new Placement(placed.deploymentType(), logRegion == null ? placed.region() : AzureNames.region(logRegion), resource);
    }
}
