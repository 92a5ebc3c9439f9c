package io.tokenmeter.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** `tokenmeter billing watch` refuses unusable sign-in options in one line, without the key, before any storage or Kafka. */
class BillingWatchCommandTest {

    private static final String KEY = "dG9rZW5tZXRlci10ZXN0LWtleQ==";
    private static final String CS = "DefaultEndpointsProtocol=https;AccountName=finops;AccountKey=" + KEY + ";EndpointSuffix=core.windows.net";
    private static final String NL = System.lineSeparator();

    /** A port nothing listens on: a command that got as far as Kafka would say it cannot reach it. */
    private static String nowhere;

    @BeforeAll
    static void findAClosedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            nowhere = "127.0.0.1:" + socket.getLocalPort();
        }
    }

    private static CliRun watch(String... args) {
        List<String> all = new ArrayList<>(List.of("billing", "watch"));
        all.addAll(List.of(args));
        all.addAll(List.of("--bootstrap-servers", nowhere, "--schema-registry", "mock://billing-watch-test"));
        return CliRun.run(all.toArray(String[]::new));
    }

    @Test
    void withoutAConnectionStringOrAnAccountUrlItSaysHowToSignIn() {
        assumeTrue(System.getenv("AZURE_STORAGE_CONNECTION_STRING") == null, "AZURE_STORAGE_CONNECTION_STRING is set here");
        CliRun run = watch("--container", "cost-exports", "--once");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("error: no Azure Storage connection string: pass --storage-connection-string, set "
                + "AZURE_STORAGE_CONNECTION_STRING, or sign in with --storage-account-url" + NL);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "both ways to sign in|--storage-connection-string=" + CS + "|--storage-account-url=https://finops.blob.core.windows.net"
            + "|--storage-account-url and --storage-connection-string exclude each other: sign in with Microsoft Entra ID or with the "
            + "connection string's key",
        "a credential with a key|--storage-connection-string=" + CS + "|--credential=managed-identity"
            + "|--credential goes with --storage-account-url (a connection string carries its own key)",
        "an account URL that is none|--storage-account-url=finops|--credential=azure-cli"
            + "|'finops' is not a storage account URL (https://ACCOUNT.blob.core.windows.net, without a SAS)",
        "an account URL with a SAS|--storage-account-url=https://finops.blob.core.windows.net/?sv=2024&sig=secret|--credential=azure-cli"
            + "|'https://finops.blob.core.windows.net/' is not a storage account URL (https://ACCOUNT.blob.core.windows.net, without a SAS)",
        "a connection string without an account|--storage-connection-string=DefaultEndpointsProtocol=https;AccountKey=" + KEY + "|--once"
            + "|the Azure Storage connection string is not usable (",
        "--once with --for|--storage-connection-string=" + CS + "|--once --for=1m|--once and --for exclude each other"})
    void unusableOptionsAreOneLineWithoutTheKey(String what, String signIn, String more, String message) {
        List<String> args = new ArrayList<>(List.of("--container", "cost-exports", signIn));
        args.addAll(List.of(more.split(" ")));
        CliRun run = watch(args.toArray(String[]::new));
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).startsWith("error: " + message).endsWith(NL).hasLineCount(1).doesNotContain(KEY, "secret");
    }

    @Test
    void aContainerNameTheServiceWouldRejectIsRefused() {
        CliRun run = watch("--container", "Cost_Exports", "--storage-connection-string", CS, "--once");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("error: 'Cost_Exports' is not a valid Azure Blob container name (3 to 63 lower-case letters, digits "
                + "and single hyphens, starting and ending with a letter or digit)" + NL);
    }
}
