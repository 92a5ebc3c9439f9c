package io.tokenmeter.eventhubs;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What {@link BlobCheckpoints#open} refuses before it talks to any storage account. */
class BlobCheckpointsTest {

    private static final String KEY = "dG9rZW5tZXRlci10ZXN0LWtleQ==";
    private static final String CS = "DefaultEndpointsProtocol=https;AccountName=mystorage;AccountKey=" + KEY + ";EndpointSuffix=core.windows.net";

    @ParameterizedTest
    @ValueSource(strings = {"ab", "Checkpoints", "check_points", "-checkpoints", "checkpoints-", "check--points",
        "a123456789012345678901234567890123456789012345678901234567890123"})
    void aContainerNameTheServiceWouldRejectIsRefusedUpFront(String name) {
        assertThatThrownBy(() -> BlobCheckpoints.open(CS, name)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("'" + name + "' is not a valid Azure Blob container name (3 to 63 lower-case letters, digits and single "
                        + "hyphens, starting and ending with a letter or digit)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"DefaultEndpointsProtocol=https;AccountKey=" + KEY, "AccountKey=" + KEY + " and nothing else"})
    void aMalformedConnectionStringIsReportedWithoutItsKey(String connectionString) {
        assertThatThrownBy(() -> BlobCheckpoints.open(connectionString, "checkpoints")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("the Azure Blob connection string is not usable (")
                .hasMessageNotContaining(KEY);
    }

    @Test
    void anEmptyConnectionStringIsRefused() {
        assertThatThrownBy(() -> BlobCheckpoints.open(" ", "checkpoints")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the Azure Blob connection string is empty");
    }
}
