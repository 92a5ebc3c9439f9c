package io.tokenmeter.pricing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BillingPolicyTest {

    private final BillingPolicy azure = new BillingPolicy(List.of("2xx", "400", "408"));

    @ParameterizedTest(name = "status {0} billed: {1}")
    @CsvSource({"200,true", "201,true", "299,true", "400,true", "408,true", "401,false", "403,false", "429,false",
        "404,false", "500,false", "503,false", "100,false"})
    void azureBillsProcessedCallsNotRefusedOnes(int status, boolean billed) {
        assertThat(azure.billed(status)).isEqualTo(billed);
    }

    @Test
    void theListIsConfiguration() {
        BillingPolicy strict = new BillingPolicy(List.of("200"));
        assertThat(strict.billed(200)).isTrue();
        assertThat(strict.billed(201)).isFalse();
        assertThat(strict.billed(400)).isFalse();
        assertThat(new BillingPolicy(List.of("2xx", "5xx")).billed(503)).isTrue();
    }

    @Test
    void rejectsWhatIsNeitherACodeNorAClass() {
        assertThatThrownBy(() -> new BillingPolicy(List.of("ok"))).hasMessageContaining("'ok'");
    }
}
