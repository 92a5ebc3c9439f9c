package io.tokenmeter.billing;

import io.tokenmeter.event.BillLine;
import io.tokenmeter.event.BillingRule;
import io.tokenmeter.event.BillingRuleMatch;
import java.util.List;
import java.util.Map;

/** What a sharing rule claims and whose use shares it. */
final class Rules {

    private Rules() {
    }

    /** Whether the rule claims the line: every field its match gives equals the line's, ignoring case. */
    static boolean matches(BillingRule rule, BillLine line) {
        BillingRuleMatch match = rule.getMatch();
        if (match.getResourceId() == null && match.getServiceName() == null && match.getResourceGroup() == null && match.getTags().isEmpty()) {
            return false; // a rule that names nothing claims nothing (checked on load too)
        }
        return same(match.getResourceId(), line.getResourceId()) && same(match.getServiceName(), line.getServiceName())
                && same(match.getResourceGroup(), line.getResourceGroup()) && tags(match.getTags(), line.getTags());
    }

    /** Whether use counted under {@code key} is among the use that shares the rule's lines. */
    static boolean among(BillingRule rule, UseKey key) {
        for (Map.Entry<String, List<String>> filter : rule.getAmong().entrySet()) {
            String value = switch (filter.getKey()) {
                case "model" -> key.model();
                case "deploymentType" -> key.deploymentType();
                case "resourceId" -> key.account();
                default -> key.scope().dimension(filter.getKey());
            };
            boolean any = false;
            for (String wanted : filter.getValue()) {
                String expected = filter.getKey().equals("resourceId") ? ResourceIds.account(wanted) : wanted;
                any |= value != null && value.equalsIgnoreCase(expected);
            }
            if (!any) {
                return false;
            }
        }
        return true;
    }

    private static boolean same(String wanted, String actual) {
        return wanted == null || (actual != null && wanted.strip().equalsIgnoreCase(actual.strip()));
    }

    private static boolean tags(Map<String, String> wanted, Map<String, String> actual) {
        for (Map.Entry<String, String> tag : wanted.entrySet()) {
            String value = actual.entrySet().stream().filter(t -> t.getKey().equalsIgnoreCase(tag.getKey())).map(Map.Entry::getValue)
                    .findFirst().orElse(null);
            if (value == null || !value.equalsIgnoreCase(tag.getValue())) {
                return false;
            }
        }
        return true;
    }
}
