package io.tokenmeter.billing;

import static io.tokenmeter.testing.Events.gpt4o;
import static io.tokenmeter.testing.Events.nanos;
import static io.tokenmeter.testing.Events.usage;
import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertStatus;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.event.AllocatedCost;
import io.tokenmeter.event.AllocationBasis;
import io.tokenmeter.event.BillLine;
import io.tokenmeter.event.BillMeter;
import io.tokenmeter.event.BillMeterKind;
import io.tokenmeter.event.BillingCost;
import io.tokenmeter.event.BillingRule;
import io.tokenmeter.event.BillingRuleMatch;
import io.tokenmeter.topics.BillingKeys;
import io.tokenmeter.event.UsageEvent;
import io.tokenmeter.testing.TopologyHarness;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The bill through the whole topology: export runs, allocation to the nano, revisions, rules, provisioned, drift. */
class BillingTopologyTest {

    static final String AOAI = "/subscriptions/0000/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/contoso-aoai";
    static final String DAY = "2026-11-03";
    static final String PERIOD = "20261101-20261130";

    private TopologyHarness harness = new TopologyHarness();
    private final Map<String, AllocatedCost> allocation = new TreeMap<>();
    private final List<TestRecord<String, AllocatedCost>> emitted = new ArrayList<>();
    private int sequence;

    @AfterEach
    void close() {
        harness.close();
    }

    // ---- inputs

    private UsageEvent.Builder call(String tenant, String time, long input, long cached, long output) {
        return usage("e" + sequence++, time).setTenant(tenant).setResourceId(AOAI.toUpperCase()).setInputTokens(input)
                .setCachedInputTokens(cached).setOutputTokens(output);
    }

    private static BillLine.Builder line(String day, String meterName, BillMeterKind kind, long tokens, String effective) {
        Instant start = Instant.parse(day + "T00:00:00Z");
        return BillLine.newBuilder().setChargePeriodStart(start).setChargePeriodEnd(start.plusSeconds(86_400)).setChargeCategory("Usage")
                .setBillingCurrency("USD").setBilledCostNanos(nanos(effective)).setEffectiveCostNanos(nanos(effective))
                .setResourceId(AOAI).setServiceName("Azure OpenAI").setSkuMeter(meterName)
                .setMeter(kind == null ? null : BillMeter.newBuilder().setKind(kind).setModel(kind == BillMeterKind.PROVISIONED ? null : "gpt-4o")
                        .setDeploymentType(kind == BillMeterKind.PROVISIONED ? "provisioned" : "global").setBlockSize(1_000_000).setTokens(tokens).build())
                .setSourceFile("part_0_0001.csv").setSourceLine(2);
    }

    private static BillLine input(long tokens, String effective) {
        return line(DAY, "gpt 4o 0806 Inp glbl 1M Tokens", BillMeterKind.INPUT, tokens, effective).build();
    }

    /** Loads one export run: its lines, then its end. */
    private void run(String runId, String submitted, BillLine... lines) {
        var topic = harness.input(harness.topics.billingCosts());
        String key = BillingKeys.period("daily", PERIOD);
        for (int i = 0; i < lines.length; i++) {
            topic.pipeInput(key, cost(runId, submitted, i, lines[i]));
        }
        topic.pipeInput(key, cost(runId, submitted, lines.length, null));
    }

    private static BillingCost cost(String runId, String submitted, int index, BillLine line) {
        return BillingCost.newBuilder().setExport("daily").setBillingPeriod(PERIOD).setRunId(runId).setRunSubmittedTime(Instant.parse(submitted))
                .setIndex(index).setLine(line).build();
    }

    private void rule(String name, AllocationBasis by, Map<String, List<String>> among) {
        BillingRule rule = BillingRule.newBuilder().setName(name)
                .setMatch(BillingRuleMatch.newBuilder().setResourceId("/subscriptions/0000/resourceGroups/rg-ai/providers/Microsoft.Search/searchServices/SRCH-RAG").build())
                .setAllocateBy(by).setAmong(among).setUpdatedAt(Instant.parse("2026-11-01T00:00:00Z")).build();
        harness.input(harness.topics.billingRules()).pipeInput(name, rule);
    }

    /** Lets the use flush, the watermark travel and the changed days recompute, then reads cost.allocated. */
    private void settle() {
        for (int i = 0; i < 4; i++) {
            harness.tick();
        }
        for (TestRecord<String, AllocatedCost> record : harness.records(harness.topics.costAllocated())) {
            emitted.add(record);
            if (record.value() == null) {
                allocation.remove(record.key());
            } else {
                allocation.put(record.key(), record.value());
            }
        }
    }

    private Map<String, Long> byTenant() {
        Map<String, Long> sums = new TreeMap<>();
        allocation.values().forEach(c -> sums.merge(c.getTenant() == null ? "(" + c.getUnallocatedReason() + ")" : c.getTenant(),
                c.getAllocatedCostNanos(), Long::sum));
        return sums;
    }

    // ---- token meters

    @Test
    void aTokenLineIsSplitByEachTenantsTokensAndThePartsAddUpToTheLine() {
        harness.prices(gpt4o());
        harness.usage(call("contoso", DAY + "T10:00:00Z", 1_000, 0, 10).build(), call("fabrikam", DAY + "T11:00:00Z", 2_000, 0, 10).build(),
                call("fabrikam", DAY + "T12:00:00Z", 1, 0, 10).build());
        run("run-1", "2026-11-04T06:00:00Z", input(3_001, "0.01"));
        settle();

        // 10,000,000 nanos by 1,000 : 2,001 → 3,332,222.59 and 6,667,777.40: the leftover nano goes to the larger remainder
        assertThat(byTenant()).containsExactly(Map.entry("contoso", 3_332_223L), Map.entry("fabrikam", 6_667_777L));
        AllocatedCost contoso = allocation.values().stream().filter(c -> "contoso".equals(c.getTenant())).findFirst().orElseThrow();
        assertThat(contoso.getBasis()).isEqualTo(1_000);
        assertThat(contoso.getLineBasis()).isEqualTo(3_001);
        assertThat(contoso.getEstimatedCostNanos()).isEqualTo(2_500_000L); // 1,000 input tokens at $2.50 per million: $0.0025
        assertThat(contoso.getResourceId()).isEqualTo(AOAI);
    }

    @Test
    void billedTokensBeyondTheMeasuredStayUnallocatedAsUntrackedUse() {
        harness.usage(call("contoso", DAY + "T10:00:00Z", 600, 0, 0).build(), call("fabrikam", DAY + "T11:00:00Z", 200, 0, 0).build());
        run("run-1", "2026-11-04T06:00:00Z", input(1_000, "1.00"));
        settle();

        assertThat(byTenant()).containsExactly(Map.entry("(untracked use)", 200_000_000L), Map.entry("contoso", 600_000_000L),
                Map.entry("fabrikam", 200_000_000L));
    }

    @Test
    void cachedAndOutputMetersChargeTheirOwnTokens() {
        harness.usage(call("contoso", DAY + "T10:00:00Z", 1_000, 800, 50).build(), call("fabrikam", DAY + "T11:00:00Z", 1_000, 200, 150).build());
        run("run-1", "2026-11-04T06:00:00Z",
                line(DAY, "gpt 4o 0806 cached Inp glbl", BillMeterKind.CACHED_INPUT, 1_000, "1.00").build(),
                line(DAY, "gpt 4o 0806 Outp glbl", BillMeterKind.OUTPUT, 200, "2.00").build(),
                line(DAY, "gpt 4o 0806 Inp glbl", BillMeterKind.INPUT, 1_000, "4.00").build());
        settle();

        // cached 800 : 200 of $1; output 50 : 150 of $2; uncached input 200 : 800 of $4
        assertThat(byTenant()).containsExactly(Map.entry("contoso", nanos("0.80") + nanos("0.50") + nanos("0.80")),
                Map.entry("fabrikam", nanos("0.20") + nanos("1.50") + nanos("3.20")));
    }

    @Test
    void callsTheProviderDoesNotBillEarnNoShareOfATokenLine() {
        harness.usage(call("contoso", DAY + "T10:00:00Z", 1_000, 0, 0).build(),
                call("fabrikam", DAY + "T11:00:00Z", 5_000, 0, 0).setStatusCode(429).build());
        run("run-1", "2026-11-04T06:00:00Z", input(1_000, "1.00"));
        settle();

        assertThat(byTenant()).containsExactly(Map.entry("contoso", 1_000_000_000L));
    }

    @Test
    void aLineOfAnotherAccountModelOrDayMatchesNoUseAndStaysUnallocated() {
        harness.usage(call("contoso", "2026-11-02T10:00:00Z", 1_000, 0, 0).build(),
                call("contoso", DAY + "T10:00:00Z", 1_000, 0, 0).setResourceId("other-aoai").build(),
                call("contoso", DAY + "T10:00:00Z", 1_000, 0, 0).setModel("gpt-4.1").build());
        run("run-1", "2026-11-04T06:00:00Z", input(1_000, "1.00"));
        settle();

        assertThat(byTenant()).containsExactly(Map.entry("(no measured use)", 1_000_000_000L));
    }

    // ---- export runs

    @Test
    void aNewerRunOfThePeriodReplacesTheOlderAndNeverAdds() {
        harness.usage(call("contoso", DAY + "T10:00:00Z", 1_000, 0, 0).build());
        run("run-1", "2026-11-04T06:00:00Z", input(1_000, "1.00"));
        settle();
        run("run-2", "2026-11-05T06:00:00Z", input(1_000, "0.90"));
        settle();

        assertThat(byTenant()).containsExactly(Map.entry("contoso", 900_000_000L));
        assertThat(allocation.keySet()).allMatch(k -> k.contains("/run-2#"));
        assertThat(emitted).anyMatch(r -> r.key().contains("/run-1#") && r.value() == null); // the old run's part withdrawn
    }

    @Test
    void loadingTheSameRunAgainChangesNothing() {
        harness.usage(call("contoso", DAY + "T10:00:00Z", 1_000, 0, 0).build());
        run("run-1", "2026-11-04T06:00:00Z", input(1_000, "1.00"));
        settle();
        int before = emitted.size();
        run("run-1", "2026-11-04T06:00:00Z", input(1_000, "1.00"));
        settle();

        assertThat(emitted).hasSize(before);
        assertThat(byTenant()).containsExactly(Map.entry("contoso", 1_000_000_000L));
    }

    @Test
    void anOlderRunLoadedAfterANewerOneIsDropped() {
        harness.usage(call("contoso", DAY + "T10:00:00Z", 1_000, 0, 0).build());
        run("run-2", "2026-11-05T06:00:00Z", input(1_000, "0.90"));
        run("run-1", "2026-11-04T06:00:00Z", input(1_000, "1.00"));
        settle();

        assertThat(byTenant()).containsExactly(Map.entry("contoso", 900_000_000L));
    }

    @Test
    void aRunWhoseLinesDidNotAllArriveIsNotLoadedAndGoesToTheDeadLetterTopic() {
        harness.usage(call("contoso", DAY + "T10:00:00Z", 1_000, 0, 0).build());
        run("run-1", "2026-11-04T06:00:00Z", input(1_000, "1.00"));
        var topic = harness.input(harness.topics.billingCosts());
        String key = BillingKeys.period("daily", PERIOD);
        topic.pipeInput(key, cost("run-2", "2026-11-05T06:00:00Z", 0, input(1_000, "5.00")));
        topic.pipeInput(key, cost("run-2", "2026-11-05T06:00:00Z", 2, null)); // says 2 lines, 1 came
        topic.pipeInput("wrong-key", cost("run-3", "2026-11-06T06:00:00Z", 0, null));
        settle();

        assertThat(byTenant()).containsExactly(Map.entry("contoso", 1_000_000_000L));
        var dead = harness.output(harness.topics.dlq()).readRecordsToList();
        assertThat(dead).hasSize(2);
        assertThat(new String(dead.get(0).headers().lastHeader("tokenmeter.dlq.detail").value())).contains("ended with 2 lines but 1 arrived");
        assertThat(new String(dead.get(1).headers().lastHeader("tokenmeter.dlq.detail").value())).contains("is not the record's export and period");
    }

    @Test
    void aCorrectionRowInALaterPeriodIsAllocatedToTheDayItCorrects() {
        harness.usage(call("contoso", DAY + "T10:00:00Z", 1_000, 0, 0).build());
        run("run-1", "2026-11-04T06:00:00Z", input(1_000, "1.00"));
        var topic = harness.input(harness.topics.billingCosts());
        String key = BillingKeys.period("daily", "20261201-20261231");
        BillLine correction = BillLine.newBuilder(input(0, "-0.25")).setChargeClass("Correction").build();
        topic.pipeInput(key, BillingCost.newBuilder(cost("dec-1", "2026-12-02T06:00:00Z", 0, correction)).setBillingPeriod("20261201-20261231").build());
        topic.pipeInput(key, BillingCost.newBuilder(cost("dec-1", "2026-12-02T06:00:00Z", 1, null)).setBillingPeriod("20261201-20261231").build());
        settle();

        assertThat(byTenant()).containsExactly(Map.entry("contoso", 750_000_000L));
    }

    // ---- revisions and order

    @Test
    void aLateCallRevisesTheAllocation() {
        harness.usage(call("contoso", DAY + "T10:00:00Z", 1_000, 0, 0).build());
        run("run-1", "2026-11-04T06:00:00Z", input(2_000, "1.00"));
        settle();
        assertThat(byTenant()).containsEntry("contoso", 500_000_000L).containsEntry("(untracked use)", 500_000_000L);

        harness.usage(call("fabrikam", DAY + "T23:59:00Z", 1_000, 0, 0).build());
        settle();

        assertThat(byTenant()).containsExactly(Map.entry("contoso", 500_000_000L), Map.entry("fabrikam", 500_000_000L));
        assertThat(emitted).anyMatch(r -> r.key().endsWith("|unallocated") && r.value() == null);
        assertThat(allocation.values()).allMatch(c -> c.getRevision() == 0); // contoso's part did not change
    }

    /** The same calls and bill in any order, flushed at any points, end in the same parts. */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void theAllocationIsTheSameWhateverOrderTheInputsCameIn(long seed) {
        List<Runnable> steps = new ArrayList<>();
        Random random = new Random(seed);
        List<UsageEvent> calls = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            calls.add(call(List.of("contoso", "fabrikam", "adatum").get(i % 3), DAY + "T" + String.format("%02d", i % 24) + ":00:00Z",
                    100 + random.nextInt(5_000), random.nextInt(100), random.nextInt(900)).setAgent("agent-" + (i % 4)).build());
        }
        BillLine in = input(200_000, "3.141592653");
        BillLine out = line(DAY, "gpt 4o 0806 Outp glbl", BillMeterKind.OUTPUT, 10_000, "2.718281828").build();
        calls.forEach(c -> steps.add(() -> harness.usage(c)));
        steps.add(() -> run("run-1", "2026-11-04T06:00:00Z", in, out));
        steps.add(this::settle);
        steps.add(this::settle);
        Collections.shuffle(steps, new Random(seed));
        steps.forEach(Runnable::run);
        settle();
        Map<String, Long> shuffled = byKey();

        harness.close();
        harness = new TopologyHarness();
        allocation.clear();
        calls.forEach(c -> harness.usage(c));
        run("run-1", "2026-11-04T06:00:00Z", in, out);
        settle();

        assertThat(shuffled).isEqualTo(byKey());
        assertThat(shuffled.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(in.getEffectiveCostNanos() + out.getEffectiveCostNanos());
    }

    private Map<String, Long> byKey() {
        Map<String, Long> parts = new TreeMap<>();
        allocation.forEach((k, v) -> parts.put(k, v.getAllocatedCostNanos()));
        return parts;
    }

    // ---- provisioned throughput and shared services

    @Test
    void provisionedThroughputIsSplitByTokensOnTheAccountsProvisionedDeployments() {
        harness.usage(call("contoso", DAY + "T10:00:00Z", 3_000, 0, 1_000).setDeploymentType("provisioned").build(),
                call("fabrikam", DAY + "T11:00:00Z", 1_000, 0, 0).setDeploymentType("provisioned").build(),
                call("adatum", DAY + "T12:00:00Z", 9_000, 0, 0).build());
        run("run-1", "2026-11-04T06:00:00Z", line(DAY, "Provisioned Managed Global", BillMeterKind.PROVISIONED, 0, "50.00").build());
        settle();

        assertThat(byTenant()).containsExactly(Map.entry("contoso", nanos("40.00")), Map.entry("fabrikam", nanos("10.00")));
    }

    @Test
    void provisionedThroughputNobodyUsedIsIdleCapacity() {
        run("run-1", "2026-11-04T06:00:00Z", line(DAY, "Provisioned Managed Global", BillMeterKind.PROVISIONED, 0, "50.00").build());
        settle();

        assertThat(byTenant()).containsExactly(Map.entry("(idle capacity)", nanos("50.00")));
    }

    @Test
    void aSharedServiceIsSplitByItsRuleAmongTheUseItSelects() {
        harness.usage(call("contoso", DAY + "T10:00:00Z", 10, 0, 0).setUseCase("policy-qa").build(),
                call("contoso", DAY + "T10:01:00Z", 10, 0, 0).setUseCase("policy-qa").build(),
                call("fabrikam", DAY + "T11:00:00Z", 10_000, 0, 0).setUseCase("case-summary").build(),
                call("adatum", DAY + "T12:00:00Z", 90_000, 0, 0).setUseCase("chat").build());
        rule("rag-search", AllocationBasis.REQUESTS, Map.of("useCase", List.of("policy-qa", "case-summary")));
        BillLine search = BillLine.newBuilder(line(DAY, "Standard S1 Unit", null, 0, "3.00").build())
                .setResourceId("/subscriptions/0000/resourceGroups/rg-ai/providers/Microsoft.Search/searchServices/srch-rag")
                .setServiceName("Azure AI Search").build();
        BillLine apim = BillLine.newBuilder(search).setResourceId("/subscriptions/0000/resourceGroups/rg-ai/providers/Microsoft.ApiManagement/service/apim")
                .setServiceName("API Management").setEffectiveCostNanos(nanos("1.00")).build();
        run("run-1", "2026-11-04T06:00:00Z", search, apim);
        settle();

        assertThat(byTenant()).containsExactly(Map.entry("(no rule)", nanos("1.00")), Map.entry("contoso", nanos("2.00")),
                Map.entry("fabrikam", nanos("1.00")));
        assertThat(allocation.values()).filteredOn(c -> c.getTenant() != null).allMatch(c -> "rag-search".equals(c.getRule()));
    }

    @Test
    void changingARuleReallocatesTheDaysItClaims() {
        harness.usage(call("contoso", DAY + "T10:00:00Z", 1_000, 0, 0).setUseCase("policy-qa").build(),
                call("fabrikam", DAY + "T11:00:00Z", 3_000, 0, 0).setUseCase("case-summary").build());
        rule("rag-search", AllocationBasis.REQUESTS, Map.of());
        BillLine search = BillLine.newBuilder(line(DAY, "Standard S1 Unit", null, 0, "4.00").build())
                .setResourceId("/subscriptions/0000/resourceGroups/rg-ai/providers/Microsoft.Search/searchServices/srch-rag").build();
        run("run-1", "2026-11-04T06:00:00Z", search);
        settle();
        assertThat(byTenant()).containsExactly(Map.entry("contoso", nanos("2.00")), Map.entry("fabrikam", nanos("2.00")));

        rule("rag-search", AllocationBasis.TOKENS, Map.of());
        settle();

        assertThat(byTenant()).containsExactly(Map.entry("contoso", nanos("1.00")), Map.entry("fabrikam", nanos("3.00")));
        assertThat(allocation.values()).allMatch(c -> c.getRevision() == 1);
    }

    @Test
    void aPurchaseWithoutEffectiveCostIsNotAllocated() {
        BillLine purchase = BillLine.newBuilder(line(DAY, "Provisioned Managed Reservation", null, 0, "0").build())
                .setChargeCategory("Purchase").setBilledCostNanos(nanos("1000.00")).build();
        run("run-1", "2026-11-04T06:00:00Z", purchase);
        settle();

        assertThat(allocation).isEmpty();
    }

    // ---- drift

    @Test
    void billDriftFiresOnceWhenTheDayIsCompleteAndResolvesWhenLateUseCatchesUp() {
        harness.usage(call("contoso", DAY + "T10:00:00Z", 90_000, 0, 0).build());
        run("run-1", "2026-11-04T06:00:00Z", input(100_000, "1.00"));
        settle();
        assertThat(driftAlerts()).as("the day is not complete yet").isEmpty();

        harness.advanceTo(Instant.parse("2026-11-04T01:00:00Z"));
        settle();
        List<Alert> fired = driftAlerts();
        assertThat(fired).hasSize(1);
        assertThat(fired.get(0).getStatus()).isEqualTo(AlertStatus.FIRING);
        assertThat(fired.get(0).getObserved()).isEqualTo(0.1);
        assertThat(fired.get(0).getEvidence()).containsEntry("billedTokens", "100000").containsEntry("meteredTokens", "90000");
        settle();
        assertThat(driftAlerts()).as("fires once").isEmpty();

        harness.usage(call("contoso", DAY + "T23:00:00Z", 9_000, 0, 0).build()); // late, within 2 % now
        settle();
        List<Alert> resolved = driftAlerts();
        assertThat(resolved).singleElement().satisfies(a -> {
            assertThat(a.getStatus()).isEqualTo(AlertStatus.RESOLVED);
            assertThat(a.getDedupKey()).isEqualTo(fired.get(0).getDedupKey());
        });
    }

    @Test
    void billDriftWithinTheThresholdDoesNotFire() {
        harness.usage(call("contoso", DAY + "T10:00:00Z", 98_000, 0, 0).build());
        run("run-1", "2026-11-04T06:00:00Z", input(100_000, "1.00")); // exactly 2 % apart: not more than the threshold
        harness.advanceTo(Instant.parse("2026-11-04T01:00:00Z"));
        settle();

        assertThat(driftAlerts()).isEmpty();
    }

    private List<Alert> driftAlerts() {
        return harness.values(harness.topics.alerts()).stream().filter(a -> a.getType() == AlertType.BILL_DRIFT).toList();
    }
}
