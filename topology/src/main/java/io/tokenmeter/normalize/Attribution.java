package io.tokenmeter.normalize;

import com.fasterxml.jackson.databind.JsonNode;
import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.event.UsageEvent;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Who a call in an Azure log belongs to ({@code azure.attribution.*}): for each attribute, the sources to try in
 * order, first found wins. A source is an API Management fact of the log ({@code subscription}, {@code product},
 * {@code user}, {@code api}, {@code backend}), a request header the gateway logged ({@code header:x-agent-id}, from
 * {@code requestHeaders} or {@code backendRequestHeaders}), or a dimension ({@code dimension:agentId}, a field of the
 * record or of its {@code customDimensions}). Names are matched ignoring case; a value that is not text (an object,
 * say) counts as absent: attribution is best effort, it never rejects a call.
 */
public final class Attribution {

    /** The attributes a call has, as read from one log record; null where no source had a value. */
    record Attributes(String tenant, String application, String useCase, String costCenter, String environment, String agent, String taskId) {

        static final Attributes NONE = new Attributes(null, null, null, null, null, null, null);

        /** Sets the attributes of a usage event; what is missing is unattributed, and no task. */
        UsageEvent.Builder applyTo(UsageEvent.Builder event) {
            return event.setTenant(orUnattributed(tenant)).setApplication(orUnattributed(application)).setUseCase(orUnattributed(useCase))
                    .setCostCenter(orUnattributed(costCenter)).setEnvironment(orUnattributed(environment)).setAgent(orUnattributed(agent))
                    .setTaskId(taskId);
        }

        private static String orUnattributed(String value) {
            return value == null ? JsonFields.UNATTRIBUTED : value;
        }
    }

    private record Source(String kind, String name) {
    }

    private static final String HEADER = "header:";
    private static final String DIMENSION = "dimension:";

    private final Map<String, List<Source>> sources;

    private Attribution(Map<String, List<Source>> sources) {
        this.sources = sources;
    }

    public static Attribution defaults() {
        return of(TokenmeterConfig.ATTRIBUTION_DEFAULTS);
    }

    /** The configured sources (checked by the configuration), keyed by attribute: tenant, application, use.case, ... */
    public static Attribution of(Map<String, List<String>> configured) {
        Map<String, List<Source>> sources = new LinkedHashMap<>();
        TokenmeterConfig.ATTRIBUTION_DEFAULTS.forEach((attribute, defaults) -> {
            List<Source> list = new ArrayList<>();
            for (String source : configured.getOrDefault(attribute, defaults)) {
                String s = source.strip();
                String lower = s.toLowerCase(Locale.ROOT);
                list.add(lower.startsWith(HEADER) ? new Source(HEADER, lower.substring(HEADER.length()))
                        : lower.startsWith(DIMENSION) ? new Source(DIMENSION, lower.substring(DIMENSION.length()))
                        : new Source(lower, null));
            }
            sources.put(attribute, List.copyOf(list));
        });
        return new Attribution(sources);
    }

    public static Attribution of(TokenmeterConfig config) {
        Map<String, List<String>> configured = new LinkedHashMap<>();
        TokenmeterConfig.ATTRIBUTION_DEFAULTS.keySet().forEach(a -> configured.put(a, config.getList(TokenmeterConfig.ATTRIBUTION_PREFIX + a)));
        return of(configured);
    }

    /**
     * The attributes of one record.
     *
     * @param record the record's fields with lower-case names (properties merged in)
     * @param facts  the API Management facts of the record's shape: fact name to lower-case field name
     */
    Attributes read(JsonNode record, Map<String, String> facts) {
        Function<String, String> of = attribute -> first(record, facts, sources.get(attribute));
        return new Attributes(of.apply("tenant"), of.apply("application"), of.apply("use.case"), of.apply("cost.center"),
                of.apply("environment"), of.apply("agent"), of.apply("task"));
    }

    private static String first(JsonNode record, Map<String, String> facts, List<Source> sources) {
        for (Source source : sources) {
            String value = switch (source.kind()) {
                case HEADER -> named(record.get("requestheaders"), source.name(), record.get("backendrequestheaders"));
                case DIMENSION -> named(record.get("customdimensions"), source.name(), record);
                default -> facts.containsKey(source.kind()) ? value(record.get(facts.get(source.kind()))) : null;
            };
            if (value != null) {
                return value;
            }
        }
        return null;
    }

    /** The value of {@code name} (ignoring case) in the first of two objects that has it. */
    private static String named(JsonNode first, String name, JsonNode second) {
        String value = field(first, name);
        return value != null ? value : field(second, name);
    }

    private static String field(JsonNode object, String lowerCaseName) {
        if (object == null || !object.isObject()) {
            return null;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().toLowerCase(Locale.ROOT).equals(lowerCaseName)) {
                return value(field.getValue());
            }
        }
        return null;
    }

    /** Text or a number as text; a header logged as a list gives its first value. Blank, "NA", too long or structured: absent. */
    private static String value(JsonNode node) {
        if (node != null && node.isArray() && !node.isEmpty()) {
            node = node.get(0);
        }
        if (node == null || !node.isValueNode() || node.isNull()) {
            return null;
        }
        String text = node.asText().strip();
        return text.isEmpty() || text.equalsIgnoreCase("NA") || text.length() > JsonFields.MAX_TEXT ? null : text;
    }
}
