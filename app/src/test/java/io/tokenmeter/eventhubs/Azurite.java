package io.tokenmeter.eventhubs;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Azurite blob service (npm package {@code azurite}, pinned in tools/azurite/package-lock.json) in a child
 * process on a free port, in memory. The first use runs {@code npm ci} in tools/azurite. Without node and npm on the
 * PATH, {@link #start()} skips the calling test: {@code mvn verify} needs only a JDK and Maven, CI installs node.
 */
public final class Azurite implements AutoCloseable {

    /** Azurite's well-known development account (documented by Microsoft; not a secret). */
    public static final String ACCOUNT = "devstoreaccount1";
    public static final String ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static final Object INSTALL = new Object();

    private final Process process;
    private final int port;

    private Azurite(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts Azurite's blob service and waits until it accepts connections; skips the test when node or npm is missing. */
    public static Azurite start() throws IOException, InterruptedException {
        Optional<Path> node = onPath("node");
        Optional<Path> npm = onPath("npm");
        assumeTrue(node.isPresent() && npm.isPresent(),
                "node and npm are not on the PATH: skipping the Azurite (Blob checkpoint store) test; .ci/run installs them");
        Path tools = toolsDirectory();
        Path main = tools.resolve("node_modules/azurite/dist/src/blob/main.js");
        install(tools, npm.get(), main);
        int port = freePort();
        Path log = Path.of("target", "azurite-" + port + ".log").toAbsolutePath();
        Files.createDirectories(log.getParent());
        Process process = new ProcessBuilder(node.get().toString(), main.toString(), "--silent", "--inMemoryPersistence",
                "--extentMemoryLimit", "64", "--blobHost", "127.0.0.1", "--blobPort", Integer.toString(port),
                "--skipApiVersionCheck", "--disableTelemetry")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Azurite azurite = new Azurite(process, port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!accepts(port)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                azurite.close();
                throw new IllegalStateException("Azurite did not start on port " + port + ":\n" + Files.readString(log));
            }
            Thread.sleep(100);
        }
        return azurite;
    }

    public int port() {
        return port;
    }

    public String blobEndpoint() {
        return "http://127.0.0.1:" + port + "/" + ACCOUNT;
    }

    /** The connection string of the development account, with {@code accountKey} as its key. */
    public String connectionString(String accountKey) {
        return "DefaultEndpointsProtocol=http;AccountName=" + ACCOUNT + ";AccountKey=" + accountKey + ";BlobEndpoint=" + blobEndpoint() + ";";
    }

    public String connectionString() {
        return connectionString(ACCOUNT_KEY);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static void install(Path tools, Path npm, Path main) throws IOException, InterruptedException {
        synchronized (INSTALL) {
            if (Files.exists(main)) {
                return;
            }
            Path log = Path.of("target", "azurite-npm-ci.log").toAbsolutePath();
            Files.createDirectories(log.getParent());
            Process ci = new ProcessBuilder(npm.toString(), "ci", "--no-audit", "--no-fund", "--loglevel=error").directory(tools.toFile())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!ci.waitFor(10, TimeUnit.MINUTES)) {
                ci.destroyForcibly();
                throw new IllegalStateException("npm ci in " + tools + " took longer than 10 minutes");
            }
            if (ci.exitValue() != 0 || !Files.exists(main)) {
                throw new IllegalStateException("npm ci in " + tools + " failed (exit " + ci.exitValue() + "):\n"
                        + Files.readString(log, StandardCharsets.UTF_8));
            }
        }
    }

    /** tools/azurite of the project: tests run in a module directory, so it is looked for upwards. */
    private static Path toolsDirectory() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path tools = dir.resolve("tools/azurite");
            if (Files.exists(tools.resolve("package-lock.json"))) {
                return tools;
            }
        }
        throw new IllegalStateException("tools/azurite/package-lock.json not found above " + Path.of("").toAbsolutePath());
    }

    private static Optional<Path> onPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        return Stream.of(path.split(File.pathSeparator)).filter(d -> !d.isBlank()).map(d -> Path.of(d, command))
                .filter(Files::isExecutable).findFirst();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
