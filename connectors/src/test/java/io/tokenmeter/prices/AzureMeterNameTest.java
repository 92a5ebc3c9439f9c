package io.tokenmeter.prices;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.tokenmeter.prices.AzureMeterName.Direction;
import org.junit.jupiter.params.ParameterizedTest;
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
            "gpt 4 8K Input,                    gpt-4-8k,               -,    regional, INPUT"})
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
}
