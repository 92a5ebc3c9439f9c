package io.tokenmeter.budgets;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.event.Budget;
import io.tokenmeter.event.BudgetAction;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class BudgetFilesTest {

    private static final Instant NOW = Instant.parse("2026-11-22T08:30:00Z");
    private static final String CONTOSO = "{\"scope\":\"tenant:contoso\",\"period\":\"month\",\"amount\":\"1000\",\"action\":\"BLOCK\"}";
    private static final String LEGAL = "{\"scope\":\"costCenter:cc-legal\",\"period\":\"year\",\"amount\":50000,\"thresholds\":[90]}";

    @Test
    void readsAnArrayOfBudgets() {
        BudgetFiles.Read read = BudgetFiles.read("[" + CONTOSO + ",\n" + LEGAL + "]", NOW);

        assertThat(read.problems()).isEmpty();
        assertThat(read.budgets()).extracting(b -> BudgetSpecs.scopeOf(b).key()).containsExactly("tenant:contoso", "costCenter:cc-legal");
        assertThat(read.budgets()).extracting(Budget::getAmountNanos).containsExactly(1_000_000_000_000L, 50_000_000_000_000L);
        assertThat(read.budgets()).extracting(Budget::getAction).containsExactly(BudgetAction.BLOCK, BudgetAction.WARN);
        assertThat(read.budgets()).extracting(Budget::getUpdatedAt).containsOnly(NOW);
    }

    @Test
    void readsJsonLinesAndASingleObject() throws Exception {
        BudgetFiles.Read lines = BudgetFiles.read(new ByteArrayInputStream((CONTOSO + "\n\n" + LEGAL + "\n").getBytes(StandardCharsets.UTF_8)), NOW);
        assertThat(lines.problems()).isEmpty();
        assertThat(lines.budgets()).hasSize(2);

        BudgetFiles.Read single = BudgetFiles.read(LEGAL, NOW);
        assertThat(single.problems()).isEmpty();
        assertThat(single.budgets()).extracting(Budget::getThresholdsPercent).containsExactly(java.util.List.of(90));
    }

    @Test
    void aBadEntryIsNamedByItsIndexWithEveryReason() {
        BudgetFiles.Read read = BudgetFiles.read("[" + CONTOSO + ",{\"scope\":\"tenant:fabrikam\",\"period\":\"month\",\"amount\":\"0\","
                + "\"currency\":\"eur\"}," + LEGAL + "]", NOW);

        assertThat(read.hasProblems()).isTrue();
        assertThat(read.problems()).containsExactly("entry 2: field 'amount': must be greater than 0, got 0; "
                + "field 'currency': must be an ISO 4217 code of 3 upper-case letters, got \"eur\"");
    }

    @Test
    void aBadLineIsNamedByItsLineNumber() {
        BudgetFiles.Read read = BudgetFiles.read(CONTOSO + "\nnot json\n\n{\"scope\":\"agent:planner\",\"period\":\"fortnight\",\"amount\":\"5\"}\n", NOW);

        assertThat(read.problems()).hasSize(2);
        assertThat(read.problems().get(0)).startsWith("line 2: not JSON");
        assertThat(read.problems().get(1)).isEqualTo("line 4: field 'period': must be month, quarter or year, got \"fortnight\"");
    }

    @Test
    void aScopeGivenTwiceIsAProblem() {
        BudgetFiles.Read read = BudgetFiles.read("[" + CONTOSO + "," + CONTOSO.replace("tenant:contoso", "Tenant:contoso") + "]", NOW);

        assertThat(read.problems()).containsExactly("entry 2: scope tenant:contoso already has a budget in entry 1; a scope has one budget");
    }

    @Test
    void aDocumentThatHoldsNoBudgetsSaysWhy() {
        assertThat(BudgetFiles.read("  \n", NOW).problems()).containsExactly("empty document");
        assertThat(BudgetFiles.read("\"budgets\"", NOW).problems())
                .containsExactly("expected an array of budgets, JSON lines or one budget object, got \"budgets\"");
        assertThat(BudgetFiles.read("{oops", NOW).problems()).singleElement().asString().startsWith("not JSON");
        BudgetFiles.Read empty = BudgetFiles.read("[]", NOW);
        assertThat(empty.budgets()).isEmpty();
        assertThat(empty.hasProblems()).isFalse();
    }
}
