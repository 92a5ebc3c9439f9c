package io.tokenmeter.prices;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What an Azure OpenAI meter or SKU name says: model, version code, deployment type and token direction, e.g.
 * "gpt 4o 1120 cached Inp glbl" is gpt-4o version 1120, global, cached input.
 */
record AzureMeterName(String model, String version, String deploymentType, Direction direction) {

    /** Which token price a meter charges. */
    enum Direction {
        INPUT, CACHED_INPUT, OUTPUT
    }

    private static final Set<String> INPUT = Set.of("inp", "input", "inpt");
    private static final Set<String> OUTPUT = Set.of("outp", "output", "outpt", "opt");
    private static final Set<String> CACHED = Set.of("cached", "cd", "cchd");
    private static final Set<String> GLOBAL = Set.of("glbl", "global", "gl");
    private static final Set<String> DATA_ZONE = Set.of("dz", "dzone", "datazone");
    private static final Set<String> ZONE = Set.of("zone", "zn");
    private static final Set<String> REGIONAL = Set.of("regnl", "regional", "rgnl");
    private static final Set<String> UNIT_WORDS = Set.of("tokens", "token");

    // Meters of the original Standard deployments carry no deployment word at all.
    private static final String UNNAMED_DEPLOYMENT = "regional";

    /** @throws IllegalArgumentException with the reason when the name does not say a model and a direction */
    static AzureMeterName parse(String name) {
        List<String> tokens = List.of(name.strip().toLowerCase(Locale.ROOT).split("[\\s_-]+"));
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
            } else if (!UNIT_WORDS.contains(token) && !token.isEmpty()) {
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
}
