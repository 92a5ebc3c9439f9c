package io.tokenmeter.cli;

import ch.qos.logback.classic.Level;
import io.tokenmeter.azure.BlobStorage;
import io.tokenmeter.bills.AzureExportContainer;
import io.tokenmeter.bills.ExportContainer;
import io.tokenmeter.bills.ExportWatch;
import io.tokenmeter.bills.LoadedRuns;
import io.tokenmeter.bills.RunKey;
import io.tokenmeter.config.Durations;
import io.tokenmeter.eventhubs.EntraCredentials;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tokenmeter billing watch}: loads every new export run Cost Management writes to a storage container. What is
 * loaded is read from billing.costs itself (each run's end record, committed with its lines), so the watcher keeps no
 * state of its own, survives restarts, and agrees with {@code billing load}.
 */
@Command(name = "watch", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Load every new Cost Management FOCUS export run from an Azure Storage container onto billing.costs.",
            "",
            "Cost Management writes each run of an export as <prefix>/<export>/<YYYYMMDD-YYYYMMDD>/<runTime>/<runId>/ with its",
            "part_*.csv(.gz) or *.parquet blobs, and manifest.json last. Every pass (each --interval, or once with --once) lists",
            "the container under --prefix and loads each run not yet loaded exactly as `billing load` does: its blobs are",
            "downloaded to a temporary folder (streamed to disk), read, and published in one transaction; then the folder is",
            "deleted. A run whose manifest lists a blob that is not there yet waits for a later pass; a blob that cannot be",
            "downloaded is reported and its run tried again next pass, while the other runs go on.",
            "",
            "Which runs are loaded is read from the billing.costs topic itself: a run is loaded when its end record is there,",
            "and that record is committed in the same transaction as the run's lines. So the watcher keeps no state of its",
            "own, a restart or a second watcher picks up where the topic is, and runs loaded with `billing load` count too.",
            "A crash mid-run leaves nothing of it on the topic and it is loaded on the next pass; loading a run twice changes",
            "nothing anyway."},
        footer = {"", "Examples:",
            "  export AZURE_STORAGE_CONNECTION_STRING='DefaultEndpointsProtocol=https;AccountName=finops;AccountKey=...'",
            "  tokenmeter billing watch --container cost-exports --prefix exports/focus",
            "  tokenmeter billing watch --container cost-exports --once            # from cron: one pass, exit 1 if a run failed",
            "  tokenmeter billing watch --storage-account-url https://finops.blob.core.windows.net --container cost-exports \\",
            "      --credential managed-identity --interval 1h",
            "",
            "With --storage-account-url the watcher signs in with Microsoft Entra ID; the identity needs the role Storage Blob",
            "Data Reader on the container or its account. --credential default tries, in turn: AZURE_* environment variables",
            "(service principal), workload identity, managed identity, Azure CLI (az login), Azure PowerShell, Azure Developer CLI.",
            "",
            "The connection string is a secret: prefer the environment variable (command lines are visible to other users);",
            "only the account URL is ever printed."})
final class BillingWatchCommand implements Callable<Integer>, WallClocked {

    private static final Duration STOP_WAIT = Duration.ofSeconds(60);

    Clock wall = Clock.systemUTC();

    @Option(names = "--container", required = true, paramLabel = "NAME", description = "The storage container the exports are written to.")
    String container;

    @Option(names = "--prefix", paramLabel = "PATH",
            description = "The exports' root folder in the container (the export's rootFolderPath). Default: the whole container.")
    String prefix;

    @Option(names = "--storage-connection-string", paramLabel = "CS", defaultValue = "${env:AZURE_STORAGE_CONNECTION_STRING}",
            description = "Azure Storage connection string with read and list rights (default: env AZURE_STORAGE_CONNECTION_STRING).")
    String connectionString;

    @Option(names = "--storage-account-url", paramLabel = "URL",
            description = "Sign in to this account, e.g. https://ACCOUNT.blob.core.windows.net, with Microsoft Entra ID instead "
                    + "of a connection string.")
    String accountUrl;

    @Option(names = "--credential", paramLabel = "KIND", defaultValue = "default",
            description = "With --storage-account-url: default, environment, managed-identity or azure-cli. Default: ${DEFAULT-VALUE} "
                    + "(DefaultAzureCredential).")
    String credential;

    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "5m", converter = DemoCommand.DurationConverter.class,
            description = "Time from the end of one pass to the start of the next. Default: ${DEFAULT-VALUE}.")
    Duration interval;

    @Option(names = "--once", description = "One pass, then exit: 0 when every run is loaded or waits for its blobs, 1 when a run could not be loaded.")
    boolean once;

    @Option(names = "--download-dir", paramLabel = "DIR", defaultValue = "${sys:java.io.tmpdir}",
            description = "Where runs are downloaded to before they are read, one folder per run, deleted after it. Needs room for the "
                    + "largest run. Default: ${DEFAULT-VALUE}.")
    Path downloadDir;

    @Mixin
    UntilStopped until;

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @Override
    public void wall(Clock wall) {
        this.wall = wall;
    }

    @Override
    public Integer call() throws Exception {
        Logging.toConsole(Level.WARN);
        // failures are reported here in one line; the Azure SDK would log stack traces
        Logging.silence("com.azure", "com.microsoft.aad.msal4j", "reactor");
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("--interval must be positive");
        }
        if (once && until.runFor != null) {
            throw new IllegalArgumentException("--once and --for exclude each other");
        }
        ExportContainer exports;
        try {
            exports = container();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(BlobStorage.redact(e.getMessage(), connectionString));
        }
        BillRunLoads loads = BillRunLoads.open(kafka.config(), wall, out, err);
        ExportWatch watch = new ExportWatch(exports, prefix, downloadDir, loads::load, new ExportWatch.Listener() {
            @Override
            public void problem(String line) {
                err.println(line);
                err.flush();
            }

            @Override
            public void progress(String blob, long bytes, long size) {
                err.printf("  ... %,d of %,d MiB of %s%n", bytes >> 20, size >> 20, blob);
                err.flush();
            }
        });
        // Ctrl-C lets the run being published finish (for a while): a transaction left open would hold back every
        // read_committed reader of its partition, the streams service too, until the broker aborts it
        ReentrantLock passing = new ReentrantLock();
        try (LoadedRuns ledger = LoadedRuns.of(kafka.config().kafkaClientProperties(), loads.costs());
             UntilStopped running = once ? until : until.onCtrlC("tokenmeter-billing-watch-shutdown", () -> {
                 watch.stop();
                 try {
                     passing.tryLock(STOP_WAIT.toSeconds(), TimeUnit.SECONDS);
                 } catch (InterruptedException e) {
                     Thread.currentThread().interrupt();
                 }
             })) {
            out.printf("%s %s%s -> %s%s%n", once ? "one pass over" : "watching", exports.describe(),
                    watch.prefix().isEmpty() ? "" : " under " + watch.prefix(), loads.costs().name(),
                    once ? "" : ", every " + Durations.format(interval) + "; " + running.plan());
            out.flush();
            while (true) {
                ExportWatch.Pass pass;
                passing.lock();
                try {
                    Set<RunKey> loaded = ledger.refresh();
                    pass = watch.pass(loaded);
                } catch (RuntimeException e) {
                    if (once) {
                        throw e;
                    }
                    err.println("pass failed: " + BlobStorage.redact(String.valueOf(e.getMessage()), connectionString) + "; next pass in "
                            + Durations.format(interval));
                    err.flush();
                    pass = null;
                } finally {
                    passing.unlock();
                }
                if (pass != null && (once || !pass.loaded().isEmpty() || !pass.waiting().isEmpty() || !pass.failed().isEmpty())) {
                    out.printf("pass: %d run(s) in the container, %d loaded now, %d loaded before, %d waiting for blobs, %d not loadable%n",
                            pass.manifests(), pass.loaded().size(), pass.alreadyLoaded(), pass.waiting().size(), pass.failed().size());
                    out.flush();
                }
                if (once) {
                    if (!pass.failed().isEmpty()) {
                        throw new IllegalStateException(pass.failed().size() + " run(s) could not be loaded (listed above)");
                    }
                    return 0;
                }
                if (running.await(interval)) {
                    out.println(loads.summary());
                    out.flush();
                    return 0;
                }
            }
        }
    }

    private ExportContainer container() {
        boolean connectionStringGiven = spec.commandLine().getParseResult().hasMatchedOption("--storage-connection-string");
        if (accountUrl != null) {
            if (connectionStringGiven) {
                throw new IllegalArgumentException("--storage-account-url and --storage-connection-string exclude each other: sign in with "
                        + "Microsoft Entra ID or with the connection string's key");
            }
            connectionString = null; // AZURE_STORAGE_CONNECTION_STRING, if set, is not used
            return AzureExportContainer.signIn(accountUrl, EntraCredentials.create(credential), container);
        }
        if (spec.commandLine().getParseResult().hasMatchedOption("--credential")) {
            throw new IllegalArgumentException("--credential goes with --storage-account-url (a connection string carries its own key)");
        }
        if (connectionString == null || connectionString.isBlank()) {
            throw new IllegalArgumentException("no Azure Storage connection string: pass --storage-connection-string, set "
                    + "AZURE_STORAGE_CONNECTION_STRING, or sign in with --storage-account-url");
        }
        return AzureExportContainer.connect(connectionString, container);
    }
}
