package io.tokenmeter.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.tokenmeter.azure.AzureMeterName.Direction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.params.provider.CsvSource;

class AzureMeterNameTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(nullValues = "-", value = {
            "gpt 4.1 mini Inp glbl,             gpt-4.1-mini,           -,    global,   INPUT",
            "gpt 4.1 mini Inp glbl Tokens,      gpt-4.1-mini,           -,    global,   INPUT",
            "gpt 4.1 mini Outp glbl,            gpt-4.1-mini,           -,    global,   OUTPUT",
            "gpt 4.1 cached Inp glbl,           gpt-4.1,                -,    global,   CACHED_INPUT",
            "gpt 4.1 Inp Data Zone,             gpt-4.1,                -,    datazone, INPUT",
            "gpt 4.1 Outp Data Zn,              gpt-4.1,                -,    datazone, OUTPUT",
            "gpt 4.1 cd Inp DZ,                 gpt-4.1,                -,    datazone, CACHED_INPUT",
            "gpt 4.1 cchd Inp dzone,            gpt-4.1,                -,    datazone, CACHED_INPUT",
            "gpt 4.1 Inp regnl,                 gpt-4.1,                -,    regional, INPUT",
            "gpt 4.1 Outp rgnl,                 gpt-4.1,                -,    regional, OUTPUT",
            "gpt 4o 1120 Inp glbl,              gpt-4o,                 1120, global,   INPUT",
            "gpt 4o 1120 cached Inp glbl,       gpt-4o,                 1120, global,   CACHED_INPUT",
            "gpt 4o 1120 Outp glbl,             gpt-4o,                 1120, global,   OUTPUT",
            "gpt 4o 0513 Input global,          gpt-4o,                 0513, global,   INPUT",
            "gpt 4o 0513 Output global,         gpt-4o,                 0513, global,   OUTPUT",
            "gpt 4o 0513 cached Input gl,       gpt-4o,                 0513, global,   CACHED_INPUT",
            "o4-mini 0416 Inp glbl,             o4-mini,                0416, global,   INPUT",
            "o3 0416 Outp glbl,                 o3,                     0416, global,   OUTPUT",
            "o1 mini input glbl,                o1-mini,                -,    global,   INPUT",
            "GPT 5 Mini Inpt Glbl,              gpt-5-mini,             -,    global,   INPUT",
            "GPT 5 Mini outpt Glbl,             gpt-5-mini,             -,    global,   OUTPUT",
            "gpt 5 opt glbl,                    gpt-5,                  -,    global,   OUTPUT",
            "gpt 4.1 Inp glbl Batch,            gpt-4.1,                -,    batch,    INPUT",
            "gpt-4o-mini-0718-Batch-Input,      gpt-4o-mini,            0718, batch,    INPUT",
            "gpt-4o-mini-0718-Batch-Output,     gpt-4o-mini,            0718, batch,    OUTPUT",
            "text-embedding-3-small,            text-embedding-3-small, -,    regional, INPUT",
            "text-embedding-3-small glbl Tokens, text-embedding-3-small, -,   global,   INPUT",
            "text-embedding-ada-002 Inp regnl,  text-embedding-ada-002, -,    regional, INPUT",
            "gpt 4 8K Input,                    gpt-4-8k,               -,    regional, INPUT",
            // Names of billing meters and newer price items: block words, dashes, short forms
            "gpt 4.1 mini Inp glbl 1M Tokens,   gpt-4.1-mini,           -,    global,   INPUT",
            "GPT 5 Mini Inpt Glbl 1M Tokens,    gpt-5-mini,             -,    global,   INPUT",
            "GPT 5 Mini outpt Glbl 1M Tokens,   gpt-5-mini,             -,    global,   OUTPUT",
            "gpt 4o 0513 Input global Tokens,   gpt-4o,                 0513, global,   INPUT",
            "gpt-4o-0513 Inp glbl Tokens,       gpt-4o,                 0513, global,   INPUT",
            "gpt 4o 1120 Batch Inp glbl Tokens, gpt-4o,                 1120, batch,    INPUT",
            "gpt 4o 1120 cached Inp glbl 1K Tokens, gpt-4o,             1120, global,   CACHED_INPUT",
            "o4-mini 0416 Inp glbl Tokens,      o4-mini,                0416, global,   INPUT",
            "gpt 4.1 Inp Data Zone Tokens,      gpt-4.1,                -,    datazone, INPUT",
            "5.4 mini cd Inp Gl,                5.4-mini,               -,    global,   CACHED_INPUT",
            "5.4 opt Dz 1M Tokens,              5.4,                    -,    datazone, OUTPUT",
            "gpt rt aud 0828 cchd Inp glbl,     gpt-rt-aud,             0828, global,   CACHED_INPUT",
            "gpt-oss-120B Inp glbl Tokens,      gpt-oss-120b,           -,    global,   INPUT"})
    void readsModelVersionDeploymentTypeAndDirection(String name, String model, String version, String type, Direction direction) {
        assertThat(AzureMeterName.parse(name)).isEqualTo(new AzureMeterName(model, version, type, direction));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "Provisioned Managed Global Unit | no input/output direction in 'Provisioned Managed Global Unit'",
            "gpt 4o cached glbl              | no input/output direction in 'gpt 4o cached glbl'",
            "gpt 4o cached Outp glbl         | cached output in 'gpt 4o cached Outp glbl' is not a known price",
            "gpt 4o Inp Outp glbl            | both input and output in 'gpt 4o Inp Outp glbl'",
            "Inp glbl Tokens                 | no model name in 'Inp glbl Tokens'"})
    void refusesNamesWithoutAModelOrOneDirection(String name, String reason) {
        assertThatIllegalArgumentException().isThrownBy(() -> AzureMeterName.parse(name)).withMessage(reason);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(nullValues = "-", value = {
            "Provisioned Managed Global Unit,      -,      -",
            "Provisioned Managed Global,           -,      -",
            "Provisioned Managed Global Hourly,    -,      -",
            "Provisioned Managed Data Zone,        -,      -",
            "Provisioned Managed Regional,         -,      -",
            "Provisioned Managed Regional Unit,    -,      -",
            "gpt 4o Provisioned Managed Regional,  gpt-4o, -",
            "gpt 4o 1120 Provisioned Managed Global, gpt-4o, 1120",
            "gpt-4.1 PTU Global,                   gpt-4.1, -"})
    void readsProvisionedThroughputMeters(String name, String model, String version) {
        assertThat(AzureMeterName.parseWithProvisioned(name))
                .isEqualTo(new AzureMeterName(model, version, "provisioned", Direction.PROVISIONED));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gpt 4.1 mini cached Inp glbl 1M Tokens", "gpt 4o 0513 Output global Tokens", "text-embedding-3-small"})
    void readsTokenMetersWithProvisionedToo(String name) {
        assertThat(AzureMeterName.parseWithProvisioned(name)).isEqualTo(AzureMeterName.parse(name));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Hot LRS Data Stored", "Standard S1 Unit", "Developer Units", "o4 mini ft hosting Dz", "Code-Interpreter-global Session"})
    void refusesMetersThatChargeNeitherTokensNorProvisionedThroughput(String name) {
        assertThatIllegalArgumentException().isThrownBy(() -> AzureMeterName.parseWithProvisioned(name));
    }
}
