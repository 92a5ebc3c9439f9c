package io.tokenmeter.budgets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokenmeter.event.Budget;
import io.tokenmeter.event.BudgetAction;
import io.tokenmeter.event.BudgetPeriod;
import io.tokenmeter.event.BudgetScopeType;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BudgetSpecsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-11-22T08:30:15.123456Z");

    private static BudgetSpecs.Parsed read(String json) {
        try {
            JsonNode node = JSON.readTree(json);
            return BudgetSpecs.read(node, BudgetSpecs.FILE_FIELD, NOW);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A valid entry with {@code field} replaced by {@code json} (or removed when json is null). */
    private static String entryWith(String field, String json) {
        StringBuilder entry = new StringBuilder("{");
        String[][] fields = {{"scope", "\"tenant:contoso\""}, {"period", "\"month\""}, {"amount", "\"1000\""}};
        boolean replaced = false;
        for (String[] f : fields) {
            String value = f[0].equals(field) ? json : f[1];
            replaced |= f[0].equals(field);
            if (value != null) {
                entry.append(entry.length() > 1 ? "," : "").append('"').append(f[0]).append("\":").append(value);
            }
        }
        if (!replaced) {
            entry.append(",\"").append(field).append("\":").append(json);
        }
        return entry.append('}').toString();
    }

    @Test
    void aMinimalEntryGetsExactNanosAndTheDefaults() {
        BudgetSpecs.Parsed parsed = read("{\"scope\":\"tenant:contoso\",\"period\":\"month\",\"amount\":\"1000\"}");

        assertThat(parsed.problems()).isEmpty();
        Budget budget = parsed.budget();
        assertThat(budget.getScopeType()).isEqualTo(BudgetScopeType.TENANT);
        assertThat(budget.getScopeValue()).isEqualTo("contoso");
        assertThat(budget.getPeriod()).isEqualTo(BudgetPeriod.MONTH);
        assertThat(budget.getAmountNanos()).isEqualTo(1_000_000_000_000L);
        assertThat(budget.getCurrency()).isEqualTo("USD");
        assertThat(budget.getThresholdsPercent()).containsExactly(50, 80, 100);
        assertThat(budget.getAction()).isEqualTo(BudgetAction.WARN);
        assertThat(budget.getTimeZone()).isEqualTo("UTC");
        assertThat(budget.getUpdatedAt()).as("kept to the millisecond, as Avro keeps it").isEqualTo(Instant.parse("2026-11-22T08:30:15.123Z"));
        assertThat(BudgetSpecs.scopeOf(budget).key()).isEqualTo("tenant:contoso");
    }

    @Test
    void everyFieldGivenIsReadCaseInsensitivelyWithThresholdsSortedAndDeduplicated() {
        BudgetSpecs.Parsed parsed = read("""
                {"scope":"cost-center:cc-legal","period":"Quarter","amount":12500.5,"currency":"EUR",
                 "thresholds":[100,50,80,50],"action":"block","timeZone":"Europe/Berlin"}""");

        assertThat(parsed.problems()).isEmpty();
        Budget budget = parsed.budget();
        assertThat(BudgetSpecs.scopeOf(budget).key()).isEqualTo("costCenter:cc-legal");
        assertThat(budget.getPeriod()).isEqualTo(BudgetPeriod.QUARTER);
        assertThat(budget.getAmountNanos()).as("a JSON number is read exactly").isEqualTo(12_500_500_000_000L);
        assertThat(budget.getCurrency()).isEqualTo("EUR");
        assertThat(budget.getThresholdsPercent()).containsExactly(50, 80, 100);
        assertThat(budget.getAction()).isEqualTo(BudgetAction.BLOCK);
        assertThat(budget.getTimeZone()).isEqualTo("Europe/Berlin");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"12.50\"       | 12500000000",
        "\"0.000000001\" | 1",
        "1000            | 1000000000000",
        "\"+7\"          | 7000000000",
        "2.500000000000  | 2500000000"})
    void amountsBecomeExactNanos(String amount, long nanos) {
        assertThat(read(entryWith("amount", amount)).budget().getAmountNanos()).isEqualTo(nanos);
    }

    @Test
    void thresholdsMayBeAStringOfPercentages() {
        assertThat(read(entryWith("thresholds", "\" 100, 25,25 \"")).budget().getThresholdsPercent()).containsExactly(25, 100);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "scope      |                         | field 'scope': is required",
        "scope      | `\"  \"`                | field 'scope': is required",
        "scope      | `\"contoso\"`           | field 'scope': scope 'contoso' is not TYPE:VALUE, as in tenant:contoso (types: tenant, costCenter, application, agent)",
        "scope      | `\"team:red\"`          | field 'scope': unknown scope type 'team': one of tenant, costCenter, application, agent",
        "scope      | `\"tenant: contoso\"`   | field 'scope': the value must not begin or end with spaces, got \"tenant: contoso\"",
        "scope      | `42`                    | field 'scope': must be a string, got 42",
        "period     | `\"weekly\"`            | field 'period': must be month, quarter or year, got \"weekly\"",
        "period     |                         | field 'period': is required",
        "amount     |                         | field 'amount': is required",
        "amount     | `\"0\"`                 | field 'amount': must be greater than 0, got 0",
        "amount     | `-5`                    | field 'amount': must be greater than 0, got -5",
        "amount     | `\"1,000\"`             | field 'amount': must be a decimal amount such as 1000 or 12.50, got \"1,000\"",
        "amount     | `\"1e3\"`               | field 'amount': must be a decimal amount such as 1000 or 12.50, got \"1e3\"",
        "amount     | `true`                  | field 'amount': must be a decimal amount such as 1000 or 12.50, got true",
        "amount     | `\"0.0000000001\"`      | field 'amount': must have at most 9 decimals, got 0.0000000001",
        "amount     | `\"10000000000\"`       | field 'amount': is too large, got 10000000000",
        "currency   | `\"usd\"`               | field 'currency': must be an ISO 4217 code of 3 upper-case letters, got \"usd\"",
        "currency   | `\"US\"`                | field 'currency': must be an ISO 4217 code of 3 upper-case letters, got \"US\"",
        "thresholds | `[]`                    | field 'thresholds': must name at least one percentage, such as 50,80,100",
        "thresholds | `[0,50]`                | field 'thresholds': must each be between 1 and 1000 %, got 0",
        "thresholds | `[50,1001]`             | field 'thresholds': must each be between 1 and 1000 %, got 1001",
        "thresholds | `[50,99999999999]`      | field 'thresholds': must each be between 1 and 1000 %, got 99999999999",
        "thresholds | `[50,80.5]`             | field 'thresholds': must be whole percentages such as [50,80,100], got [50,80.5]",
        "thresholds | `{\"warn\":50}`         | field 'thresholds': must be whole percentages such as [50,80,100], got {\"warn\":50}",
        "thresholds | `\"50,eighty\"`         | field 'thresholds': must be whole percentages separated by commas, such as 50,80,100, got \"50,eighty\"",
        "thresholds | `\"\"`                  | field 'thresholds': must name at least one percentage, such as 50,80,100",
        "action     | `\"stop\"`              | field 'action': must be WARN or BLOCK, got \"stop\"",
        "timeZone   | `\"Mars/Olympus_Mons\"` | field 'timeZone': must be a time zone such as UTC or Europe/Berlin, got \"Mars/Olympus_Mons\"",
        "tresholds  | `[50]`                  | field 'tresholds': unknown field (fields: scope, period, amount, currency, thresholds, action, timeZone)"})
    void eachBadFieldIsNamedWithWhatWasExpected(String field, String json, String problem) {
        BudgetSpecs.Parsed parsed = read(entryWith(field, json));

        assertThat(parsed.budget()).isNull();
        assertThat(parsed.problems()).containsExactly(problem);
    }

    @Test
    void everyBadFieldIsReportedNotOnlyTheFirst() {
        BudgetSpecs.Parsed parsed = read("{\"scope\":\"tenant:contoso\",\"period\":\"day\",\"amount\":\"-1\",\"action\":\"halt\"}");

        assertThat(parsed.problems()).containsExactly("field 'period': must be month, quarter or year, got \"day\"",
                "field 'amount': must be greater than 0, got -1", "field 'action': must be WARN or BLOCK, got \"halt\"");
    }

    @Test
    void fieldsAreNamedAsTheCallerSays() {
        BudgetSpecs.Parsed parsed = BudgetSpecs.read(JSON.createObjectNode().put("scope", "tenant:contoso").put("period", "month")
                .put("amount", "1000").put("timeZone", "Nowhere/Land"), field -> "--" + field, NOW);

        assertThat(parsed.problems()).containsExactly("--timeZone: must be a time zone such as UTC or Europe/Berlin, got \"Nowhere/Land\"");
    }

    @Test
    void anEntryThatIsNotAnObjectIsRefused() {
        assertThat(read("[1,2]").problems()).containsExactly("must be a JSON object, got [1,2]");
    }

    @Test
    void describesABudgetInOneLine() {
        Budget budget = BudgetSpecs.budget(BudgetSpecs.scope("tenant:contoso"), BudgetPeriod.MONTH, 1_000_000_000_000L, "USD",
                List.of(50, 80, 100), BudgetAction.WARN, "Europe/Berlin", NOW);

        assertThat(BudgetSpecs.describe(budget))
                .isEqualTo("tenant:contoso: 1,000.00 USD per month (Europe/Berlin), warn at 50/80/100 %, WARN at 100 %");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "1000000000000    | 1,000.00",
        "12500000000      | 12.50",
        "125000000        | 0.125",
        "1234567891000000 | 1,234,567.891",
        "1                | 0.000000001"})
    void amountsShowThousandsAndAtLeastTwoDecimals(long nanos, String shown) {
        assertThat(BudgetSpecs.amount(nanos)).isEqualTo(shown);
    }

    @Test
    void theValueChecksStandAlone() {
        assertThat(BudgetSpecs.thresholds("80, 50,80")).containsExactly(50, 80);
        assertThat(BudgetSpecs.thresholds((List<Integer>) null)).containsExactly(50, 80, 100);
        assertThat(BudgetSpecs.period(" YEAR ")).isEqualTo(BudgetPeriod.YEAR);
        assertThat(BudgetSpecs.timeZone(null)).isEqualTo("UTC");
        assertThat(BudgetSpecs.timeZone("+02:00")).isEqualTo("+02:00");
        assertThat(BudgetSpecs.currency(null)).isEqualTo("USD");
        assertThat(BudgetSpecs.action(null)).isEqualTo(BudgetAction.WARN);
        assertThatThrownBy(() -> BudgetSpecs.amountNanos(new java.math.BigDecimal("0.00"))).hasMessage("must be greater than 0, got 0.00");
    }
}
