package io.tokenmeter.it;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A real Prometheus Alertmanager (Debian's prometheus-alertmanager) on a free port, clustering off, routing every
 * alert as its own group to one webhook with send_resolved. Tests that need it are skipped when it is not installed.
 */
final class LocalAlertmanager implements AutoCloseable {

    static final Path BINARY = Path.of("/usr/bin/prometheus-alertmanager");

    private final Process process;
    private final Path dir;
    final String url;

    private LocalAlertmanager(Process process, Path dir, String url) {
        this.process = process;
        this.dir = dir;
        this.url = url;
    }

    /** Skips the calling test, with the reason, when Alertmanager is not installed. */
    static void assumeInstalled() {
        assumeTrue(Files.isExecutable(BINARY) && Files.exists(Path.of("/usr/share/prometheus/alertmanager/default.tmpl")),
                "Prometheus Alertmanager is not installed: apt-get install prometheus-alertmanager (.ci/run does) to run this test");
    }

    /** Starts Alertmanager notifying {@code webhookUrl}, and waits until /-/ready answers. */
    static LocalAlertmanager start(String webhookUrl) throws IOException, InterruptedException {
        assumeInstalled();
        Files.createDirectories(Path.of("target"));
        Path dir = Files.createTempDirectory(Path.of("target"), "alertmanager-");
        Path config = dir.resolve("alertmanager.yml");
        Files.writeString(config, String.join("\n",
                "global: {resolve_timeout: 5m}",
                "route:",
                "  receiver: hook",
                "  group_by: ['...']        # every alert its own group: one notification per alert",
                "  group_wait: 1s",
                "  group_interval: 1s",
                "  repeat_interval: 1h      # a re-posted alert must not notify again during a test",
                "receivers:",
                "  - name: hook",
                "    webhook_configs: [{url: '" + webhookUrl + "', send_resolved: true, max_alerts: 0}]",
                ""));
        int port = freePort();
        Process process = new ProcessBuilder(BINARY.toString(), "--config.file=" + config, "--storage.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port, "--cluster.listen-address=", "--log.level=warn")
                .redirectErrorStream(true).redirectOutput(dir.resolve("alertmanager.log").toFile()).start();
        LocalAlertmanager alertmanager = new LocalAlertmanager(process, dir, "http://127.0.0.1:" + port);
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Alertmanager exited: " + Files.readString(dir.resolve("alertmanager.log")));
            }
            try {
                HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create(alertmanager.url + "/-/ready"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (ready.statusCode() == 200) {
                    return alertmanager;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        alertmanager.close();
        throw new IllegalStateException("Alertmanager did not become ready in 30 s");
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor();
    }
}
