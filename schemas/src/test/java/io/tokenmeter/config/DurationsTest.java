package io.tokenmeter.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    @ParameterizedTest
    @CsvSource({"500ms,500", "60s,60000", "10m,600000", "24h,86400000", "7d,604800000", "PT1M,60000", "pt90s,90000"})
    void readsTheUsualForms(String text, long millis) {
        assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "ten minutes", "-5s", "5 weeks"})
    void rejectsOthersWithAnExample(String text) {
        assertThatThrownBy(() -> Durations.parse(text)).hasMessageContaining("60s");
    }

    @ParameterizedTest
    @CsvSource({"600000,10m", "90000,90s", "1500,1500ms", "86400000,1d"})
    void formatsTheShortestForm(long millis, String text) {
        assertThat(Durations.format(Duration.ofMillis(millis))).isEqualTo(text);
    }
}
