package io.tokenmeter.bills;

import io.tokenmeter.event.AllocatedCost;
import io.tokenmeter.event.BillLine;
import io.tokenmeter.event.BillMeter;
import io.tokenmeter.event.BillMeterKind;
import io.tokenmeter.money.Shares;
import io.tokenmeter.topics.BillingKeys;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Bill lines and their allocation as the topology writes them, for the export's tests. */
final class AllocatedLines {

    static final String EXPORT = "daily-focus";
    static final String PERIOD = "20261101-20261130";
    static final String ACCOUNT = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-ai/providers/"
            + "Microsoft.CognitiveServices/accounts/oai-prod";
    static final Instant DAY = Instant.parse("2026-11-02T00:00:00Z");

    private AllocatedLines() {
    }

    /** An input token line of gpt-4.1-mini on 2026-11-02: EffectiveCost 1.000000001 USD for 1,234,567 tokens. */
    static BillLine tokenLine(long effectiveNanos) {
        return tokenLine(effectiveNanos, Map.of("env", "prod"));
    }

    static BillLine tokenLine(long effectiveNanos, Map<String, String> tags) {
        return BillLine.newBuilder()
                .setChargePeriodStart(DAY)
                .setChargePeriodEnd(DAY.plusSeconds(86_400))
                .setChargeCategory("Usage")
                .setChargeFrequency("Usage-Based")
                .setBillingCurrency("USD")
                .setBilledCostNanos(effectiveNanos + 111_111_110L)
                .setEffectiveCostNanos(effectiveNanos)
                .setListCostNanos(1_250_000_000L)
                .setContractedCostNanos(1_200_000_000L)
                .setConsumedQuantity("1234567")
                .setConsumedUnit("Tokens")
                .setPricingQuantity("1.234567")
                .setPricingUnit("1M Tokens")
                .setPricingBlockSize("1000000")
                .setResourceId(ACCOUNT)
                .setResourceName("oai-prod")
                .setResourceGroup("rg-ai")
                .setServiceName("Azure OpenAI")
                .setRegionId("swedencentral")
                .setSkuMeter("gpt 4.1 mini Inp glbl 1M Tokens")
                .setSkuMeterSubcategory("Azure OpenAI")
                .setSkuId("DZH318Z0BQ4W")
                .setMeter(BillMeter.newBuilder().setKind(BillMeterKind.INPUT).setModel("gpt-4.1-mini").setDeploymentType("global")
                        .setBlockSize(1).setTokens(1_234_567).build())
                .setTags(tags)
                .setSourceFile("part_0_0001.csv")
                .setSourceLine(2)
                .build();
    }

    /** A scope's measured tokens: tenant, useCase, basis. */
    record Use(String tenant, String useCase, long tokens) {
    }

    /**
     * The line split as the topology splits it: by the scopes' tokens, the tokens nobody measured (billed minus
     * measured) unallocated as untracked use.
     */
    static AllocatedBill.Line allocated(String runId, int index, BillLine line, List<Use> uses, long untracked) {
        String lineId = BillingKeys.lineId(EXPORT, PERIOD, runId, index);
        List<Long> weights = new ArrayList<>(uses.stream().map(Use::tokens).toList());
        if (untracked > 0) {
            weights.add(untracked);
        }
        long total = weights.stream().mapToLong(Long::longValue).sum();
        long[] split = Shares.split(line.getEffectiveCostNanos(), weights);
        List<AllocatedCost> parts = new ArrayList<>();
        for (int i = 0; i < uses.size(); i++) {
            parts.add(part(lineId, line).setTenant(uses.get(i).tenant()).setUseCase(uses.get(i).useCase()).setAllocatedCostNanos(split[i])
                    .setEstimatedCostNanos(uses.get(i).tokens() * 400).setBasis(uses.get(i).tokens()).setLineBasis(total).build());
        }
        if (untracked > 0) {
            parts.add(part(lineId, line).setUnallocatedReason("untracked use").setAllocatedCostNanos(split[uses.size()]).setBasis(untracked)
                    .setLineBasis(total).build());
        }
        return new AllocatedBill.Line(lineId, EXPORT, PERIOD, line, parts);
    }

    private static AllocatedCost.Builder part(String lineId, BillLine line) {
        return AllocatedCost.newBuilder()
                .setDay(DAY)
                .setLineId(lineId)
                .setResourceId(line.getResourceId())
                .setServiceName(line.getServiceName())
                .setSkuMeter(line.getSkuMeter())
                .setMeterKind(line.getMeter() == null ? null : line.getMeter().getKind())
                .setModel(line.getMeter() == null ? null : line.getMeter().getModel())
                .setDeploymentType(line.getMeter() == null ? null : line.getMeter().getDeploymentType())
                .setCurrency(line.getBillingCurrency());
    }

    /** The usual line: contoso and fabrikam measured 1,000,000 of its 1,234,567 tokens. */
    static AllocatedBill.Line contosoFabrikamAndUntracked(long effectiveNanos) {
        return allocated("run-1", 0, tokenLine(effectiveNanos), List.of(new Use("contoso", "policy-qa", 600_000), new Use("fabrikam", "case-summary", 400_000)),
                234_567);
    }
}
