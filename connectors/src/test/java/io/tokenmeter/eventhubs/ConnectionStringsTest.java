package io.tokenmeter.eventhubs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ConnectionStringsTest {

    private static final String CS = "Endpoint=sb://MyNs.servicebus.windows.net/;SharedAccessKeyName=listen;"
            + "SharedAccessKey=c2VjcmV0LWtleS12YWx1ZQ==;EntityPath=apim-logs";

    @Test
    void maskShowsOnlyTheNamespaceHost() {
        assertThat(ConnectionStrings.mask(CS)).isEqualTo("sb://myns.servicebus.windows.net/");
        assertThat(ConnectionStrings.mask("garbage;SharedAccessKey=abc")).isEqualTo("<connection string>");
    }

    @Test
    void redactRemovesTheConnectionStringAndAnyKeyOrSignature() {
        String message = "failed with " + CS + " and token SharedAccessSignature sr=x&sig=abcDEF123&se=1&skn=listen";
        String redacted = ConnectionStrings.redact(message, CS);
        assertThat(redacted).doesNotContain("c2VjcmV0LWtleS12YWx1ZQ", "abcDEF123")
                .contains("sb://myns.servicebus.windows.net/", "sig=***");
    }

    @Test
    void aMalformedConnectionStringIsReportedWithoutItsKey() {
        assertThatThrownBy(() -> ConnectionStrings.namespaceHost("SharedAccessKeyName=listen;SharedAccessKey=topsecret"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("topsecret")
                .hasMessageContaining("Endpoint=sb://");
    }

    @Test
    void bridgeErrorsAndSettingsNeverShowTheKey() {
        // Kafka is not reached before the first error: a bridge whose namespace is unusable fails in its constructor
        String bad = "Endpoint=nonsense;SharedAccessKeyName=listen;SharedAccessKey=topsecret";
        assertThatThrownBy(() -> new EventHubsBridge(EventHubsBridge.Settings.of(bad, "hub", "$Default", EventHubsBridge.Start.EARLIEST,
                Map.of("bootstrap.servers", "localhost:1"), "t", "c", (short) 1)))
                .hasMessageNotContaining("topsecret");
        EventHubsBridge.Settings settings = EventHubsBridge.Settings.of(CS, null, "$Default", EventHubsBridge.Start.LATEST,
                Map.of(), "t", "c", (short) 1);
        assertThat(settings.toString()).doesNotContain("c2VjcmV0").contains("sb://myns.servicebus.windows.net/");
    }
}
