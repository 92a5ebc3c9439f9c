package io.tokenmeter.topics;

import io.tokenmeter.event.BudgetScopeType;
import java.util.Locale;

/**
 * What a budget covers: a scope type and its value, written {@code tenant:contoso}. The same text is the key of the
 * budget on the compacted {@code budgets} topic and of its status on {@code budget-status}, so a scope has one budget,
 * and it is what the CLI's {@code --scope} and the quota API's path take.
 */
public record BudgetScope(BudgetScopeType type, String value) {

    public BudgetScope {
        if (type == null) {
            throw new IllegalArgumentException("a budget scope needs a type: " + names());
        }
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("a budget scope needs a value, as in tenant:contoso");
        }
    }

    /** Reads {@code type:value}, e.g. {@code tenant:contoso} or {@code costCenter:cc-legal}. */
    public static BudgetScope parse(String text) {
        int colon = text == null ? -1 : text.indexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException("scope '" + text + "' is not TYPE:VALUE, as in tenant:contoso (types: " + names() + ")");
        }
        return new BudgetScope(type(text.substring(0, colon)), text.substring(colon + 1));
    }

    /** The scope type for its name, case and separators ignored: tenant, costCenter (cost-center, cost_center), application, agent. */
    public static BudgetScopeType type(String name) {
        String plain = name.replace("-", "").replace("_", "").toLowerCase(Locale.ROOT);
        for (BudgetScopeType type : BudgetScopeType.values()) {
            if (name(type).toLowerCase(Locale.ROOT).equals(plain)) {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown scope type '" + name + "': one of " + names());
    }

    /** The name of a scope type as users write it: tenant, costCenter, application, agent. */
    public static String name(BudgetScopeType type) {
        return switch (type) {
            case TENANT -> "tenant";
            case COST_CENTER -> "costCenter";
            case APPLICATION -> "application";
            case AGENT -> "agent";
        };
    }

    private static String names() {
        return "tenant, costCenter, application, agent";
    }

    /** The record key on the budgets and budget-status topics. */
    public String key() {
        return name(type) + ":" + value;
    }

    @Override
    public String toString() {
        return key();
    }
}
