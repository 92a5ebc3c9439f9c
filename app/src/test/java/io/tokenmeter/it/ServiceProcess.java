package io.tokenmeter.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code tokenmeter run --embedded} in a child JVM: broker, schema registry and service in one process, as a user runs
 * it, which a test can kill with SIGKILL ({@link Process#destroyForcibly()}) and start again on the same data directory
 * and ports. The child's output goes to a log file that is kept. Reusable by any test that needs a whole process.
 */
public final class ServiceProcess implements ServiceUnderTest {

    /** The command's main class. */
    public static final String MAIN_CLASS = "io.tokenmeter.cli.Tokenmeter";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** The child's ports: broker, schema registry, HTTP API. */
    public record Ports(int kafka, int registry, int http) {

        /** Three ports free right now (the child binds them a moment later; on a shared machine that is good enough). */
        public static Ports free() {
            try (ServerSocket a = new ServerSocket(0); ServerSocket b = new ServerSocket(0); ServerSocket c = new ServerSocket(0)) {
                return new Ports(a.getLocalPort(), b.getLocalPort(), c.getLocalPort());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private final Path dataDir;
    private final Ports ports;
    private final Map<String, String> settings;
    private final Path log;
    private final String maxHeap;
    private Process process;
    private Thread reaper;
    private int starts;

    /**
     * @param settings tokenmeter settings passed as {@code --set key=value}
     * @param log      the child's stdout and stderr, appended to across restarts
     */
    public ServiceProcess(Path dataDir, Ports ports, Map<String, String> settings, Path log) {
        this(dataDir, ports, settings, log, "768m");
    }

    public ServiceProcess(Path dataDir, Ports ports, Map<String, String> settings, Path log, String maxHeap) {
        this.dataDir = dataDir;
        this.ports = ports;
        this.settings = new LinkedHashMap<>(settings);
        this.log = log;
        this.maxHeap = maxHeap;
    }

    /** Starts the child; returns at once (see {@link #awaitRunning}). */
    public synchronized ServiceProcess start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("already running (pid " + process.pid() + ")");
        }
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + maxHeap,
                "-cp", classpath(), MAIN_CLASS, "run", "--embedded", "--data-dir", dataDir.toString(),
                "--kafka-port", Integer.toString(ports.kafka()), "--registry-port", Integer.toString(ports.registry()),
                "--http-port", Integer.toString(ports.http())));
        settings.forEach((key, value) -> command.addAll(List.of("--set", key + "=" + value)));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        // the child reads only what this fixture gives it, not the settings of whoever runs the tests
        builder.environment().keySet().removeIf(name -> name.startsWith("TOKENMETER_"));
        try {
            Files.createDirectories(log.toAbsolutePath().getParent());
            Files.writeString(log, "---- start " + (++starts) + ": " + String.join(" ", command.subList(0, 2)) + " ... "
                    + String.join(" ", command.subList(5, command.size())) + "\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + MAIN_CLASS, e);
        }
        // a test JVM that dies must not leave a broker behind
        Process started = process;
        reaper = new Thread(started::destroyForcibly, "service-process-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
        return this;
    }

    /** The test classpath: Surefire/Failsafe name it, or this JVM's own. */
    private static String classpath() {
        String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }

    /** Waits until {@code /health} says the streams client is RUNNING; false on timeout; throws when the child exits. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the service exited with " + process.exitValue() + "; log " + log + ":\n" + logTail(40));
            }
            try {
                HttpResponse<String> health = get("/health");
                if (health.statusCode() == 200 && health.body().contains("\"streams\":\"RUNNING\"")) {
                    return true;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        return false;
    }

    /** kill -9: no shutdown hook, no flush, no leaving the group. */
    public void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("pid " + process.pid() + " survived SIGKILL for 30 s");
            }
        }
        forgetReaper();
    }

    /** SIGTERM: the service closes cleanly (its shutdown hook); SIGKILL if it takes more than a minute. */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                kill();
            }
        }
        forgetReaper();
    }

    private void forgetReaper() {
        if (reaper != null && (process == null || !process.isAlive())) {
            try {
                Runtime.getRuntime().removeShutdownHook(reaper);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting: the hook runs anyway and finds the process gone
            }
            reaper = null;
        }
    }

    public boolean alive() {
        return process != null && process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    public Ports ports() {
        return ports;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path log() {
        return log;
    }

    @Override
    public String bootstrapServers() {
        return "127.0.0.1:" + ports.kafka();
    }

    @Override
    public String registryUrl() {
        return "http://127.0.0.1:" + ports.registry();
    }

    /** GET on the child's HTTP API. */
    @Override
    public HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.http() + pathAndQuery)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The last {@code lines} lines of the child's log. */
    public String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
