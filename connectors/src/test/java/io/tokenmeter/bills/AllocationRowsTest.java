package io.tokenmeter.bills;

import static io.tokenmeter.bills.ExportColumn.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokenmeter.event.AllocatedCost;
import io.tokenmeter.event.BillLine;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AllocationRowsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static BigDecimal sum(List<ExportRow> rows, ExportColumn column) {
        return rows.stream().map(r -> r.decimal(column)).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    private static BigDecimal nanos(long nanos) {
        return BigDecimal.valueOf(nanos, 9);
    }

    @ParameterizedTest(name = "EffectiveCost {0} nanos")
    @ValueSource(longs = {1_000_000_001L, 7L, -2_500_000_003L, 123_456_789_012_345L})
    void aTokenLineSplitAmongScopesAndUnallocatedAddsUpToTheLineExactlyInEveryCostAndQuantity(long effectiveNanos) {
        AllocatedBill.Line line = AllocatedLines.contosoFabrikamAndUntracked(effectiveNanos);
        BillLine bill = line.line();

        List<ExportRow> rows = AllocationRows.rows(line);

        assertThat(rows).hasSize(3);
        for (int i = 0; i < rows.size(); i++) {
            assertThat(rows.get(i).decimal(EFFECTIVE_COST)).as("EffectiveCost is the part's, exactly")
                    .isEqualByComparingTo(nanos(line.parts().get(i).getAllocatedCostNanos()));
        }
        assertThat(sum(rows, EFFECTIVE_COST)).isEqualByComparingTo(nanos(bill.getEffectiveCostNanos()));
        assertThat(sum(rows, BILLED_COST)).isEqualByComparingTo(nanos(bill.getBilledCostNanos()));
        assertThat(sum(rows, LIST_COST)).isEqualByComparingTo(nanos(bill.getListCostNanos()));
        assertThat(sum(rows, CONTRACTED_COST)).isEqualByComparingTo(nanos(bill.getContractedCostNanos()));
        assertThat(sum(rows, CONSUMED_QUANTITY)).isEqualByComparingTo(new BigDecimal(bill.getConsumedQuantity()));
        assertThat(sum(rows, PRICING_QUANTITY)).isEqualByComparingTo(new BigDecimal(bill.getPricingQuantity()));
        assertThat(rows).allSatisfy(r -> assertThat(r.decimal(EFFECTIVE_COST).scale()).isLessThanOrEqualTo(9));
        BigDecimal ratios = rows.stream().map(r -> ratio(r)).reduce(BigDecimal.ZERO, BigDecimal::add);
        assertThat(ratios).as("AllocatedRatio of a line's rows adds up to 1").isEqualByComparingTo(BigDecimal.ONE);
    }

    @Test
    void billedCostIsSplitByTheSameSharesAsTheEffectiveCost() {
        List<ExportRow> rows = AllocationRows.rows(AllocatedLines.contosoFabrikamAndUntracked(1_000_000_000L));
        // effective 1.0 split 600000 : 400000 : 234567 of 1234567 tokens; billed 1.11111111 by the same shares, largest remainder
        assertThat(rows).extracting(r -> r.decimal(EFFECTIVE_COST).toPlainString()).containsExactly("0.486000355", "0.324000236", "0.189999409");
        assertThat(rows).extracting(r -> r.decimal(BILLED_COST).toPlainString()).containsExactly("0.540000394", "0.360000262", "0.211110454");
    }

    @Test
    void tagsCarryTheLinesTagsAndTheScopeAndTheAllocationColumnsNameIt() throws Exception {
        List<ExportRow> rows = AllocationRows.rows(AllocatedLines.contosoFabrikamAndUntracked(1_000_000_001L));
        ExportRow contoso = rows.get(0);
        ExportRow unallocated = rows.get(2);

        assertThat(JSON.readTree(contoso.text(TAGS))).isEqualTo(JSON.readTree("{\"env\":\"prod\",\"tenant\":\"contoso\",\"useCase\":\"policy-qa\"}"));
        assertThat(JSON.readTree(contoso.text(ALLOCATED_TAGS))).isEqualTo(JSON.readTree("{\"tenant\":\"contoso\",\"useCase\":\"policy-qa\"}"));
        assertThat(contoso.text(ALLOCATED_METHOD_ID)).isEqualTo("tokenmeter/token-share");
        assertThat(contoso.text(ALLOCATED_RESOURCE_ID)).isEqualTo("tokenmeter/scope/tenant=contoso/useCase=policy-qa");
        assertThat(contoso.text(ALLOCATED_RESOURCE_NAME)).isEqualTo("contoso / policy-qa");
        JsonNode element = JSON.readTree(contoso.text(ALLOCATED_METHOD_DETAILS)).get("Elements").get(0);
        assertThat(element.get("UsageUnit").asText()).isEqualTo("Tokens");
        assertThat(element.get("UsageQuantity").asLong()).isEqualTo(600_000);
        assertThat(element.get("x_LineUsageQuantity").asLong()).isEqualTo(1_234_567);

        assertThat(JSON.readTree(unallocated.text(TAGS)))
                .isEqualTo(JSON.readTree("{\"env\":\"prod\",\"tokenmeter-unallocated-reason\":\"untracked use\"}"));
        assertThat(unallocated.get(ALLOCATED_RESOURCE_ID)).as("FOCUS: null on the unallocated portion").isNull();
        assertThat(unallocated.get(ALLOCATED_RESOURCE_NAME)).isNull();
        assertThat(unallocated.text(ALLOCATED_METHOD_ID)).isEqualTo("tokenmeter/token-share");
        assertThat(JSON.readTree(unallocated.text(ALLOCATED_METHOD_DETAILS)).get("x_UnallocatedReason").asText()).isEqualTo("untracked use");
    }

    @Test
    void aResourceTagNamedLikeAScopeKeyKeepsItsValueInTagsAndTheScopeIsInAllocatedTags() throws Exception {
        BillLine tagged = AllocatedLines.tokenLine(9, Map.of("tenant", "shared"));
        AllocatedBill.Line line = AllocatedLines.allocated("run-1", 0, tagged, List.of(new AllocatedLines.Use("contoso", "chat", 1)), 0);

        ExportRow row = AllocationRows.rows(line).get(0);

        assertThat(JSON.readTree(row.text(TAGS)).get("tenant").asText()).as("FOCUS: allocated charges keep the origin's tags").isEqualTo("shared");
        assertThat(JSON.readTree(row.text(ALLOCATED_TAGS)).get("tenant").asText()).isEqualTo("contoso");
    }

    @Test
    void theLinesDimensionsAndTheMandatoryConstantsAreOnEveryRow() {
        List<ExportRow> rows = AllocationRows.rows(AllocatedLines.contosoFabrikamAndUntracked(1_000_000_001L));

        assertThat(rows).allSatisfy(row -> {
            assertThat(row.get(CHARGE_PERIOD_START)).isEqualTo(Instant.parse("2026-11-02T00:00:00Z"));
            assertThat(row.get(BILLING_PERIOD_START)).isEqualTo(Instant.parse("2026-11-01T00:00:00Z"));
            assertThat(row.get(BILLING_PERIOD_END)).as("exclusive: the day after the folder's last day").isEqualTo(Instant.parse("2026-12-01T00:00:00Z"));
            assertThat(row.text(BILLING_ACCOUNT_ID)).isEqualTo(AllocatedLines.EXPORT);
            assertThat(row.text(SERVICE_NAME)).isEqualTo("Azure OpenAI");
            assertThat(row.text(SERVICE_CATEGORY)).isEqualTo("AI and Machine Learning");
            assertThat(row.text(PROVIDER_NAME)).isEqualTo("Microsoft");
            assertThat(row.text(PUBLISHER_NAME)).isEqualTo("Microsoft");
            assertThat(row.text(INVOICE_ISSUER_NAME)).isEqualTo("Microsoft");
            assertThat(row.text(SERVICE_PROVIDER_NAME)).isEqualTo("Microsoft");
            assertThat(row.text(SKU_METER)).isEqualTo("gpt 4.1 mini Inp glbl 1M Tokens");
            assertThat(row.text(TOKENMETER_LINE_ID)).isEqualTo("daily-focus/20261101-20261130/run-1#0");
            assertThat(row.text(TOKENMETER_MODEL)).isEqualTo("gpt-4.1-mini");
        });
    }

    @Test
    void aLineWhoseEffectiveCostIsZeroIsSharedByMeasuredUse() {
        AllocatedBill.Line line = AllocatedLines.contosoFabrikamAndUntracked(0);

        List<ExportRow> rows = AllocationRows.rows(line);

        assertThat(rows).extracting(r -> r.decimal(EFFECTIVE_COST).signum()).containsOnly(0);
        assertThat(sum(rows, BILLED_COST)).isEqualByComparingTo(nanos(line.line().getBilledCostNanos()));
        assertThat(ratio(rows.get(0))).isEqualByComparingTo("0.48600035478");
    }

    @Test
    void aSharingRuleAndAnUnclaimedLineNameTheirMethod() {
        AllocatedCost ruled = AllocatedCost.newBuilder().setDay(AllocatedLines.DAY).setLineId("l").setRule("rag-search").setTenant("contoso")
                .setAllocatedCostNanos(5).setBasis(3).setLineBasis(3).build();
        AllocatedCost unclaimed = AllocatedCost.newBuilder().setDay(AllocatedLines.DAY).setLineId("l").setUnallocatedReason("no rule")
                .setAllocatedCostNanos(5).setBasis(0).setLineBasis(0).build();

        assertThat(AllocationRows.method(ruled)).isEqualTo("tokenmeter/sharing-rule");
        assertThat(AllocationRows.method(unclaimed)).isEqualTo("tokenmeter/not-allocated");
        assertThat(AllocationRows.ServiceCategories.of("API Management", false)).isEqualTo("Integration");
        assertThat(AllocationRows.ServiceCategories.of("Azure AI Search", false)).isEqualTo("AI and Machine Learning");
        assertThat(AllocationRows.ServiceCategories.of("Something New", false)).isEqualTo("Other");
    }

    private static BigDecimal ratio(ExportRow row) {
        try {
            return new BigDecimal(JSON.readTree(row.text(ALLOCATED_METHOD_DETAILS)).get("Elements").get(0).get("AllocatedRatio").asText());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
