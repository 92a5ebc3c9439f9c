package io.tokenmeter.bills;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.event.AllocationBasis;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RuleFilesTest {

    private static final Instant AT = Instant.parse("2026-11-10T00:00:00Z");

    @Test
    void readsTheRulesOfTheIssuesExample() {
        RuleFiles.Read read = RuleFiles.read("""
                [{"name":"rag-search","match":{"resourceId":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Search/searchServices/srch-rag"},
                  "allocateBy":"requests","among":{"useCase":["policy-qa","case-summary"]}},
                 {"name":"gateway","match":{"serviceName":"API Management","tags":{"team":"platform"}},"allocateBy":"estimatedCost"}]""", AT);

        assertThat(read.problems()).isEmpty();
        assertThat(read.rules()).hasSize(2);
        assertThat(read.rules().get(0).getAllocateBy()).isEqualTo(AllocationBasis.REQUESTS);
        assertThat(read.rules().get(0).getAmong()).isEqualTo(Map.of("useCase", List.of("policy-qa", "case-summary")));
        assertThat(read.rules().get(1).getMatch().getTags()).isEqualTo(Map.of("team", "platform"));
        assertThat(read.rules().get(1).getUpdatedAt()).isEqualTo(AT);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"x\":1}                                                              | expected a JSON array",
        "[{\"name\":\"a\",\"match\":{},\"allocateBy\":\"requests\"}]             | rule 1: rule a: match must name",
        "[{\"name\":\"a\",\"match\":{\"serviceName\":\"s\"},\"allocateBy\":\"hours\"}] | rule 1: allocateBy 'hours' is not",
        "[{\"name\":\"a\",\"match\":{\"serviceName\":\"s\"},\"allocateBy\":\"tokens\",\"among\":{\"planet\":[\"x\"]}}] | among 'planet' is not one of",
        "[{\"name\":\"a\",\"match\":{\"serviceName\":\"s\"},\"allocateBy\":\"tokens\",\"colour\":1}] | unknown field colour",
        "[{\"match\":{\"serviceName\":\"s\"},\"allocateBy\":\"tokens\"}]          | a rule needs a name",
        "[{\"name\":\"a\",\"match\":{\"serviceName\":\"s\"},\"allocateBy\":\"tokens\"},{\"name\":\"a\",\"match\":{\"serviceName\":\"t\"},\"allocateBy\":\"tokens\"}] | rule 2: name 'a' is used twice",
        "[{\"name\":\"a\"                                                        | not JSON"})
    void aBadFileLoadsNothingAndSaysWhy(String text, String problem) {
        RuleFiles.Read read = RuleFiles.read(text, AT);
        assertThat(read.rules()).isEmpty();
        assertThat(read.problems()).anyMatch(p -> p.contains(problem));
    }
}
