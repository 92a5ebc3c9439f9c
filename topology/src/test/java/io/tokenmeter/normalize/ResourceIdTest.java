package io.tokenmeter.normalize;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.event.UsageEvent;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Azure resource a call was served by: from the event where it says so, else from {@code azure.resources} by deployment. */
class ResourceIdTest {

    private static final String ACCOUNT = "/subscriptions/0000/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/contoso-aoai";
    private final Normalizer normalizer = new Normalizer(DeploymentMap.of(List.of("chat=datazone@swedencentral"), List.of("chat=" + ACCOUNT)),
            Attribution.defaults());

    private UsageEvent usage(String json) {
        List<Normalized> out = normalizer.normalize(json.getBytes(StandardCharsets.UTF_8));
        assertThat(out).singleElement().isInstanceOf(Normalized.Usage.class);
        return ((Normalized.Usage) out.get(0)).event();
    }

    @Test
    void aCanonicalEventKeepsTheResourceItNames() {
        UsageEvent event = usage("""
                {"kind":"usage","eventId":"e","timestamp":"2026-11-03T10:00:00Z","model":"gpt-4o","deployment":"chat",
                 "resourceId":"/SUBSCRIPTIONS/0000/RESOURCEGROUPS/RG-AI/PROVIDERS/MICROSOFT.COGNITIVESERVICES/ACCOUNTS/OTHER-AOAI"}""");
        assertThat(event.getResourceId()).isEqualTo("/SUBSCRIPTIONS/0000/RESOURCEGROUPS/RG-AI/PROVIDERS/MICROSOFT.COGNITIVESERVICES/ACCOUNTS/OTHER-AOAI");
    }

    @Test
    void aCanonicalEventWithoutOneGetsItsDeploymentsConfiguredResource() {
        UsageEvent event = usage("""
                {"kind":"usage","eventId":"e","timestamp":"2026-11-03T10:00:00Z","model":"gpt-4o","deployment":"chat"}""");
        assertThat(event.getResourceId()).isEqualTo(ACCOUNT);
    }

    @Test
    void anApimTokenEventGetsItsDeploymentsConfiguredResource() {
        UsageEvent event = usage("""
                {"id":"7c1e","timestamp":"5/6/2026 4:51:09 AM","model":"gpt-4o","deploymentName":"chat","promptTokens":"25","responseTokens":"5"}""");
        assertThat(event.getResourceId()).isEqualTo(ACCOUNT);
    }

    @Test
    void aDeploymentWithoutAConfiguredResourceHasNone() {
        UsageEvent event = usage("""
                {"kind":"usage","eventId":"e","timestamp":"2026-11-03T10:00:00Z","model":"gpt-4o","deployment":"other"}""");
        assertThat(event.getResourceId()).isNull();
    }
}
