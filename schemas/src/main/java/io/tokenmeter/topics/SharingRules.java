package io.tokenmeter.topics;

import io.tokenmeter.event.BillingRule;
import io.tokenmeter.event.BillingRuleMatch;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** What makes a sharing rule of {@code billing.rules} usable: the loader refuses others, the allocation ignores them. */
public final class SharingRules {

    /** The usage dimensions a rule's {@code among} may filter on. */
    public static final Set<String> AMONG = Set.of("tenant", "application", "useCase", "costCenter", "agent", "model", "deploymentType",
            "resourceId");

    private SharingRules() {
    }

    /** Why a rule cannot be used, or null when it can. */
    public static String problem(BillingRule rule) {
        if (rule.getName() == null || rule.getName().isBlank()) {
            return "a rule needs a name";
        }
        BillingRuleMatch match = rule.getMatch();
        if (match == null || (blank(match.getResourceId()) && blank(match.getServiceName()) && blank(match.getResourceGroup())
                && match.getTags().isEmpty())) {
            return "rule " + rule.getName() + ": match must name a resourceId, serviceName, resourceGroup or tags";
        }
        for (Map.Entry<String, List<String>> filter : rule.getAmong().entrySet()) {
            if (!AMONG.contains(filter.getKey())) {
                return "rule " + rule.getName() + ": among '" + filter.getKey() + "' is not one of " + new TreeSet<>(AMONG);
            }
            if (filter.getValue().isEmpty()) {
                return "rule " + rule.getName() + ": among '" + filter.getKey() + "' lists no values";
            }
        }
        return null;
    }

    private static boolean blank(String value) {
        return value == null || value.isBlank();
    }
}
