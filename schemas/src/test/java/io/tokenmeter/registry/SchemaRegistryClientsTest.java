package io.tokenmeter.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SchemaRegistryClientsTest {

    private final SchemaRegistryClients clients = new SchemaRegistryClients();

    @Test
    void mockUrlsOfTheSameScopeShareOneRegistry() {
        assertThat(clients.open("mock://a", RegistrySettings.DEFAULTS)).isSameAs(clients.open("mock://a", RegistrySettings.DEFAULTS));
        assertThat(clients.open("mock://a", RegistrySettings.DEFAULTS)).isNotSameAs(clients.open("mock://b", RegistrySettings.DEFAULTS));
    }

    @Test
    void separateFactoriesDoNotShareMockScopes() {
        assertThat(clients.open("mock://a", RegistrySettings.DEFAULTS))
                .isNotSameAs(new SchemaRegistryClients().open("mock://a", RegistrySettings.DEFAULTS));
    }

    @Test
    void httpUrlsGiveTheRestClient() {
        assertThat(clients.open("http://localhost:8081", RegistrySettings.DEFAULTS)).isInstanceOf(HttpSchemaRegistry.class);
    }

    @Test
    void unsupportedSchemeIsAClearErrorWithoutCredentials() {
        assertThatThrownBy(() -> clients.open("kafka://u:secret@host", RegistrySettings.DEFAULTS))
                .hasMessageContaining("unsupported schema registry URL")
                .hasMessageNotContaining("secret");
    }
}
