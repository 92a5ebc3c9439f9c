package io.tokenmeter.testing;

import io.tokenmeter.event.PriceEntry;
import io.tokenmeter.event.UsageEvent;
import java.math.BigDecimal;
import java.time.Instant;

/** Builders of usage events and price entries with plain defaults, for tests. */
public final class Events {

    private Events() {
    }

    /** A gpt-4o global call of contoso at {@code time} with no tokens yet. */
    public static UsageEvent.Builder usage(String eventId, String time) {
        return UsageEvent.newBuilder()
                .setEventId(eventId).setTimestamp(Instant.parse(time))
                .setTenant("contoso").setApplication("support-copilot").setUseCase("ticket-triage").setCostCenter("cc-support")
                .setEnvironment("prod").setAgent("triage-agent").setTaskId("task-1")
                .setModel("gpt-4o").setDeployment("gpt-4o-prod").setDeploymentType("global").setRegion("eastus2");
    }

    /** A price entry; prices are decimal strings per million tokens (null: the default rule). */
    public static PriceEntry price(String model, String deploymentType, String region, String version, String effectiveFrom,
                                   String input, String cachedInput, String output, String reasoning) {
        return PriceEntry.newBuilder()
                .setModel(model).setDeploymentType(deploymentType).setRegion(region).setVersion(version)
                .setEffectiveFrom(Instant.parse(effectiveFrom))
                .setInputPerMillionNanos(nanos(input))
                .setCachedInputPerMillionNanos(cachedInput == null ? null : nanos(cachedInput))
                .setOutputPerMillionNanos(nanos(output))
                .setReasoningPerMillionNanos(reasoning == null ? null : nanos(reasoning))
                .build();
    }

    /** gpt-4o global at list price 2.50 / 1.25 / 10.00 from 2025-01-01. */
    public static PriceEntry gpt4o() {
        return price("gpt-4o", "global", "*", null, "2025-01-01T00:00:00Z", "2.50", "1.25", "10.00", null);
    }

    public static long nanos(String decimal) {
        return new BigDecimal(decimal).movePointRight(9).longValueExact();
    }
}
