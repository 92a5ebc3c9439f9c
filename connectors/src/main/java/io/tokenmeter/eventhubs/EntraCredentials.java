package io.tokenmeter.eventhubs;

import com.azure.core.credential.TokenCredential;
import com.azure.identity.AzureCliCredentialBuilder;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.identity.EnvironmentCredentialBuilder;
import com.azure.identity.ManagedIdentityCredentialBuilder;
import java.util.List;
import java.util.Locale;

/** The Microsoft Entra ID credentials the bridge can sign in with, by the names the command line uses. */
public final class EntraCredentials {

    /** Names accepted by {@link #create}. */
    public static final List<String> NAMES = List.of("default", "environment", "managed-identity", "azure-cli");

    private EntraCredentials() {
    }

    /**
     * {@code default}: DefaultAzureCredential (environment, workload identity, managed identity, Azure CLI, ... in turn);
     * {@code environment}: AZURE_CLIENT_ID / AZURE_TENANT_ID / AZURE_CLIENT_SECRET (or certificate);
     * {@code managed-identity}: the host's managed identity (user-assigned when AZURE_CLIENT_ID is set);
     * {@code azure-cli}: the account of {@code az login}.
     */
    public static TokenCredential create(String name) {
        String kind = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        try {
            return switch (kind) {
                case "default" -> new DefaultAzureCredentialBuilder().build();
                case "environment" -> new EnvironmentCredentialBuilder().build();
                case "managed-identity" -> {
                    ManagedIdentityCredentialBuilder builder = new ManagedIdentityCredentialBuilder();
                    String clientId = System.getenv("AZURE_CLIENT_ID");
                    yield (clientId == null || clientId.isBlank() ? builder : builder.clientId(clientId)).build();
                }
                case "azure-cli" -> new AzureCliCredentialBuilder().build();
                default -> throw new IllegalArgumentException("--credential must be one of " + String.join(", ", NAMES) + ", not " + name);
            };
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot set up the " + kind + " credential: " + e.getMessage());
        }
    }
}
