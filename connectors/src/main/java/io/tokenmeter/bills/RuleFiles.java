package io.tokenmeter.bills;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokenmeter.event.AllocationBasis;
import io.tokenmeter.event.BillingRule;
import io.tokenmeter.event.BillingRuleMatch;
import io.tokenmeter.topics.SharingRules;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads a file of sharing rules, a JSON array such as
 * {@code [{"name":"rag-search","match":{"resourceId":"/subscriptions/.../searchServices/srch-rag"},"allocateBy":"requests",
 * "among":{"useCase":["policy-qa","case-summary"]}}]}. Every entry is checked; a file with any problem loads nothing.
 */
public final class RuleFiles {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> FIELDS = Set.of("name", "match", "allocateBy", "among");
    private static final Set<String> MATCH_FIELDS = Set.of("resourceId", "serviceName", "resourceGroup", "tags");

    /** The rules read, and what is wrong with the entries that could not be (each with its position). */
    public record Read(List<BillingRule> rules, List<String> problems) {
    }

    private RuleFiles() {
    }

    public static Read read(String text, Instant loadedAt) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return new Read(List.of(), List.of("not JSON: " + e.getOriginalMessage()));
        }
        if (root == null || !root.isArray()) {
            return new Read(List.of(), List.of("expected a JSON array of rules, e.g. [{\"name\":\"rag-search\",\"match\":{...},\"allocateBy\":\"requests\"}]"));
        }
        List<BillingRule> rules = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < root.size(); i++) {
            String where = "rule " + (i + 1);
            try {
                BillingRule rule = rule(root.get(i), loadedAt);
                if (!names.add(rule.getName())) {
                    throw new IllegalArgumentException("name '" + rule.getName() + "' is used twice");
                }
                String problem = SharingRules.problem(rule);
                if (problem != null) {
                    throw new IllegalArgumentException(problem);
                }
                rules.add(rule);
            } catch (IllegalArgumentException e) {
                problems.add(where + ": " + e.getMessage());
            }
        }
        return new Read(problems.isEmpty() ? rules : List.of(), problems);
    }

    private static BillingRule rule(JsonNode entry, Instant loadedAt) {
        if (!entry.isObject()) {
            throw new IllegalArgumentException("expected an object, got " + entry.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        unknown(entry, FIELDS, "");
        String name = text(entry, "name");
        if (name == null) {
            throw new IllegalArgumentException("a rule needs a name");
        }
        JsonNode match = entry.path("match");
        if (!match.isObject()) {
            throw new IllegalArgumentException("match must be an object naming resourceId, serviceName, resourceGroup or tags");
        }
        unknown(match, MATCH_FIELDS, "match.");
        Map<String, String> tags = new LinkedHashMap<>();
        JsonNode tagNode = match.path("tags");
        if (!tagNode.isMissingNode()) {
            if (!tagNode.isObject()) {
                throw new IllegalArgumentException("match.tags must be an object of tag names to values");
            }
            tagNode.fields().forEachRemaining(t -> tags.put(t.getKey(), t.getValue().asText()));
        }
        Map<String, List<String>> among = new LinkedHashMap<>();
        JsonNode amongNode = entry.path("among");
        if (!amongNode.isMissingNode()) {
            if (!amongNode.isObject()) {
                throw new IllegalArgumentException("among must be an object of dimension to values, e.g. {\"useCase\":[\"policy-qa\"]}");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = amongNode.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                List<String> values = new ArrayList<>();
                if (f.getValue().isArray()) {
                    f.getValue().forEach(v -> values.add(v.asText()));
                } else if (f.getValue().isTextual()) {
                    values.add(f.getValue().asText());
                } else {
                    throw new IllegalArgumentException("among." + f.getKey() + " must be a list of values");
                }
                among.put(f.getKey(), values);
            }
        }
        return BillingRule.newBuilder()
                .setName(name)
                .setMatch(BillingRuleMatch.newBuilder().setResourceId(text(match, "resourceId")).setServiceName(text(match, "serviceName"))
                        .setResourceGroup(text(match, "resourceGroup")).setTags(tags).build())
                .setAllocateBy(basis(text(entry, "allocateBy")))
                .setAmong(among)
                .setUpdatedAt(loadedAt)
                .build();
    }

    private static AllocationBasis basis(String text) {
        if (text == null) {
            throw new IllegalArgumentException("allocateBy is missing: requests, tokens or estimatedCost");
        }
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "requests" -> AllocationBasis.REQUESTS;
            case "tokens" -> AllocationBasis.TOKENS;
            case "estimatedcost" -> AllocationBasis.ESTIMATED_COST;
            default -> throw new IllegalArgumentException("allocateBy '" + text + "' is not requests, tokens or estimatedCost");
        };
    }

    private static void unknown(JsonNode node, Set<String> known, String prefix) {
        node.fieldNames().forEachRemaining(name -> {
            if (!known.contains(name)) {
                throw new IllegalArgumentException("unknown field " + prefix + name + " (known: " + String.join(", ", new java.util.TreeSet<>(known)) + ")");
            }
        });
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() || value.asText().isBlank() ? null : value.asText().strip();
    }
}
