package io.tokenmeter.azure;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What an Azure OpenAI (Foundry Models) meter or SKU name says: model, version code, deployment type and what it
 * charges, e.g. "gpt 4o 1120 cached Inp glbl" is gpt-4o version 1120, global, cached input. Price lists and bills share
 * it, so a name is read the same way wherever it appears.
 */
public record AzureMeterName(String model, String version, String deploymentType, Direction direction) {

    /** What a meter charges: one kind of token, or provisioned throughput. */
    public enum Direction {
        INPUT, CACHED_INPUT, OUTPUT,
        /** Hours of provisioned throughput units; only {@link #parseWithProvisioned(String)} returns it. */
        PROVISIONED
    }

    private static final Set<String> INPUT = Set.of("inp", "input", "inpt");
    private static final Set<String> OUTPUT = Set.of("outp", "output", "outpt", "opt");
    private static final Set<String> CACHED = Set.of("cached", "cd", "cchd");
    private static final Set<String> GLOBAL = Set.of("glbl", "global", "gl");
    private static final Set<String> DATA_ZONE = Set.of("dz", "dzone", "datazone");
    private static final Set<String> ZONE = Set.of("zone", "zn");
    private static final Set<String> REGIONAL = Set.of("regnl", "regional", "rgnl");
    private static final Set<String> UNIT_WORDS = Set.of("tokens", "token");
    private static final Set<String> PROVISIONED = Set.of("provisioned", "ptu");

    // Meters of the original Standard deployments carry no deployment word at all.
    private static final String UNNAMED_DEPLOYMENT = "regional";

    /**
     * A token meter; a block word (1K, 1M) is not part of the model (see {@link AzureUnits#blockWord(String)}).
     *
     * @throws IllegalArgumentException with the reason when the name does not say a model and a direction
     */
    public static AzureMeterName parse(String name) {
        List<String> tokens = words(name);
        List<String> model = new ArrayList<>();
        String version = null;
        String deploymentType = null;
        boolean batch = false;
        boolean cached = false;
        Direction direction = null;
        for (int i = 0; i < tokens.size(); i++) {
            String token = tokens.get(i);
            Direction said = null;
            if (INPUT.contains(token)) {
                said = Direction.INPUT;
            } else if (OUTPUT.contains(token)) {
                said = Direction.OUTPUT;
            } else if (CACHED.contains(token)) {
                cached = true;
            } else if (token.equals("batch")) {
                batch = true;
            } else if (GLOBAL.contains(token)) {
                deploymentType = "global";
            } else if (DATA_ZONE.contains(token)) {
                deploymentType = "datazone";
            } else if (token.equals("data") && i + 1 < tokens.size() && ZONE.contains(tokens.get(i + 1))) {
                deploymentType = "datazone";
                i++;
            } else if (REGIONAL.contains(token)) {
                deploymentType = "regional";
            } else if (version == null && token.matches("\\d{4}")) {
                version = token;
            } else if (!UNIT_WORDS.contains(token) && !AzureUnits.isBlockWord(token) && !token.isEmpty()) {
                model.add(token);
            }
            if (said != null) {
                if (direction != null && direction != said) {
                    throw new IllegalArgumentException("both input and output in '" + name + "'");
                }
                direction = said;
            }
        }
        String modelName = String.join("-", model);
        if (modelName.isEmpty()) {
            throw new IllegalArgumentException("no model name in '" + name + "'");
        }
        if (direction == null && modelName.contains("embedding")) {
            // Embedding meters charge input tokens only and often do not say so.
            direction = Direction.INPUT;
        }
        if (direction == null) {
            throw new IllegalArgumentException("no input/output direction in '" + name + "'");
        }
        if (cached) {
            if (direction == Direction.OUTPUT) {
                throw new IllegalArgumentException("cached output in '" + name + "' is not a known price");
            }
            direction = Direction.CACHED_INPUT;
        }
        String type = batch ? "batch" : deploymentType == null ? UNNAMED_DEPLOYMENT : deploymentType;
        return new AzureMeterName(modelName, version, type, direction);
    }

    /**
     * A token meter, or a provisioned throughput meter ("Provisioned Managed Global Unit", "gpt 4o Provisioned Managed
     * Regional"): deployment type provisioned, the model when the words before "Provisioned" name one, else null.
     *
     * @throws IllegalArgumentException with the reason when the name is neither
     */
    public static AzureMeterName parseWithProvisioned(String name) {
        List<String> tokens = words(name);
        int provisioned = -1;
        for (int i = 0; i < tokens.size() && provisioned < 0; i++) {
            if (PROVISIONED.contains(tokens.get(i))) {
                provisioned = i;
            }
        }
        if (provisioned < 0) {
            return parse(name);
        }
        // What follows "Provisioned" is the offer (Managed, Global, Data Zone, Regional, Hourly, Unit), never the model.
        List<String> model = new ArrayList<>();
        String version = null;
        for (String token : tokens.subList(0, provisioned)) {
            if (version == null && token.matches("\\d{4}")) {
                version = token;
            } else if (!UNIT_WORDS.contains(token) && !AzureUnits.isBlockWord(token)) {
                model.add(token);
            }
        }
        return new AzureMeterName(model.isEmpty() ? null : String.join("-", model), version, "provisioned", Direction.PROVISIONED);
    }

    /** The lower-case words of a meter name, split at spaces, dashes and underscores. */
    static List<String> words(String name) {
        String stripped = name.strip().toLowerCase(Locale.ROOT);
        return stripped.isEmpty() ? List.of() : List.of(stripped.split("[\\s_-]+"));
    }
}
