package io.tokenmeter.billing;

import io.tokenmeter.event.UsageEvent;
import java.util.List;
import java.util.Locale;

/**
 * Where measured use is counted within a day: the account that served it, model and deployment type (what a token
 * meter names), and the scope it is allocated to.
 */
record UseKey(String account, String model, String deploymentType, Scope scope) {

    static final char SEPARATOR = '\u001F';

    static UseKey of(UsageEvent usage) {
        return new UseKey(ResourceIds.account(usage.getResourceId()), usage.getModel().toLowerCase(Locale.ROOT), usage.getDeploymentType(),
                Scope.of(usage));
    }

    String encode() {
        return String.join(String.valueOf(SEPARATOR), account, model, deploymentType, scope.encode());
    }

    static UseKey decode(String text) {
        List<String> parts = List.of(text.split(String.valueOf(SEPARATOR), -1));
        return new UseKey(parts.get(0), parts.get(1), parts.get(2), Scope.decode(parts.subList(3, parts.size())));
    }

    /** Who a part of the bill is allocated to. */
    record Scope(String tenant, String application, String useCase, String costCenter, String agent) implements Comparable<Scope> {

        static Scope of(UsageEvent usage) {
            return new Scope(usage.getTenant(), usage.getApplication(), usage.getUseCase(), usage.getCostCenter(), usage.getAgent());
        }

        String encode() {
            return String.join(String.valueOf(SEPARATOR), tenant, application, useCase, costCenter, agent);
        }

        static Scope decode(List<String> parts) {
            return new Scope(parts.get(0), parts.get(1), parts.get(2), parts.get(3), parts.get(4));
        }

        /** The value of a usage dimension a sharing rule's {@code among} or the API's {@code by} names; null if it is not one. */
        String dimension(String name) {
            return switch (name) {
                case "tenant" -> tenant;
                case "application" -> application;
                case "useCase" -> useCase;
                case "costCenter" -> costCenter;
                case "agent" -> agent;
                default -> null;
            };
        }

        @Override
        public int compareTo(Scope o) {
            return encode().compareTo(o.encode());
        }
    }
}
