package io.tokenmeter.azure;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AzureUnitsTest {

    @ParameterizedTest(name = "''{0}'' -> {1}")
    @CsvSource(nullValues = "-", value = {
            "1K,           1000",
            "1K Tokens,    1000",
            "1k tokens,    1000",
            "1M,           1000000",
            "1M Tokens,    1000000",
            "1000,         1000",
            "1000000,      1000000",
            "1 Million,    1000000",
            "10K,          10000",
            "' 1K ',       1000",
            "Units,        -",
            "Tokens,       -",
            "1,            -",
            "1 Hour,       -",
            "1/Hour,       -",
            "'',           -",
            "-,            -"})
    void readsTheBlockSizeOfAUnit(String unit, Long size) {
        assertThat(AzureUnits.blockSize(unit)).isEqualTo(size == null ? OptionalLong.empty() : OptionalLong.of(size));
    }

    @ParameterizedTest(name = "''{0}'' -> {1}")
    @CsvSource(nullValues = "-", value = {
            "gpt 4.1 mini Inp glbl 1M Tokens,   1000000",
            "gpt 4o 1120 Inp glbl 1K Tokens,    1000",
            "5.4 opt Dz 1M Tokens,              1000000",
            "gpt 4.1 mini Inp glbl Tokens,      -",
            "gpt 4 8K Input,                    -",
            "gpt 4 32K Output,                  -",
            "gpt-oss-120B Inp glbl Tokens,      -"})
    void readsTheBlockWordOfAMeterName(String name, Long size) {
        assertThat(AzureUnits.blockWord(name)).isEqualTo(size == null ? OptionalLong.empty() : OptionalLong.of(size));
    }
}
