package io.tokenmeter.bench;

import io.tokenmeter.budgets.BudgetPublisher;
import io.tokenmeter.budgets.BudgetSpecs;
import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.embedded.EmbeddedStack;
import io.tokenmeter.event.BudgetAction;
import io.tokenmeter.event.BudgetPeriod;
import io.tokenmeter.registry.HttpSchemaRegistry;
import io.tokenmeter.registry.RegistrySettings;
import io.tokenmeter.service.StreamsService;
import io.tokenmeter.topics.TopicCatalog;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Quota decisions per second and their latency over kept-alive connections, as an API gateway asks them: {@code clients}
 * threads, each with one HTTP/1.1 connection it keeps open, send {@code GET /api/quota/...} one after another for a
 * warm-up and then for the measured time. Against a running service ({@code url}) or, by default, against the real
 * service started here on an embedded broker with one budget.
 */
public final class HttpBenchmark {

    /** What to run: {@code url} null starts a service on an embedded broker. */
    public record Options(int clients, Duration warmup, Duration duration, URI url) {
    }

    /** What was measured. */
    public record Result(String target, int clients, long requests, Duration measured, long errors, double requestsPerSecond,
                         long p50Micros, long p99Micros, long p999Micros, long maxMicros, double cores, Map<String, Double> coresByThread) {
    }

    /** The default target: a tenant budget of the embedded service, so every answer reads a real budget status. */
    public static final String QUOTA_PATH = "/api/quota/tenant/contoso";

    private final Options options;
    private final Consumer<String> progress;

    public HttpBenchmark(Options options, Consumer<String> progress) {
        this.options = options;
        this.progress = progress;
    }

    public Result run() throws Exception {
        if (options.url() != null) {
            return measure(options.url());
        }
        Path dir = Files.createTempDirectory("tokenmeter-bench-http-");
        try (EmbeddedStack stack = EmbeddedStack.start(dir.resolve("kafka"), "127.0.0.1", 0, 0)) {
            progress.accept("starting the service on an embedded broker...");
            TokenmeterConfig config = TokenmeterConfig.of(Map.of(
                    TokenmeterConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers(),
                    TokenmeterConfig.SCHEMA_REGISTRY_URL, stack.registryUrl(),
                    TokenmeterConfig.APPLICATION_ID, "tokenmeter-bench-http",
                    TokenmeterConfig.STATE_DIR, dir.resolve("streams").toString(),
                    TokenmeterConfig.HTTP_PORT, "0",
                    TokenmeterConfig.TOPIC_REPLICATION, "1"));
            TopicCatalog topics = new TopicCatalog(config.topicPrefix(), new HttpSchemaRegistry(stack.registryUrl(), RegistrySettings.DEFAULTS),
                    config.topicPartitions());
            StreamsService.createTopics(config, topics);
            BudgetPublisher.publish(config.kafkaClientProperties(), topics.budgets(), List.of(BudgetSpecs.budget(BudgetSpecs.scope("tenant:contoso"),
                    BudgetPeriod.MONTH, 1_000_000_000_000L, BudgetSpecs.DEFAULT_CURRENCY, BudgetSpecs.DEFAULT_THRESHOLDS, BudgetAction.BLOCK,
                    BudgetSpecs.DEFAULT_TIME_ZONE, Instant.now())));
            try (StreamsService service = new StreamsService(config, topics, Clock.systemUTC()).start()) {
                if (!service.awaitRunning(Duration.ofSeconds(120))) {
                    throw new IllegalStateException("the service did not start within 120 s");
                }
                URI url = URI.create("http://127.0.0.1:" + service.httpPort() + QUOTA_PATH);
                awaitBudget(url);
                return measure(url);
            }
        } finally {
            Benchmark.deleteRecursively(dir);
        }
    }

    /** Waits until the service knows the budget (the quota answer names its limit). */
    private static void awaitBudget(URI url) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String last = "";
        try (Connection connection = new Connection(url)) {
            while (System.nanoTime() < deadline) {
                last = connection.get();
                if (last.contains("\"limitUsd\":\"")) {
                    return;
                }
                Thread.sleep(200);
            }
        }
        throw new IllegalStateException("the service did not report the benchmark's budget within 60 s at " + url + "; last answer " + last);
    }

    private Result measure(URI url) throws Exception {
        progress.accept(String.format("%d clients, one kept-alive connection each, GET %s: %d s warm-up, then %d s measured...",
                options.clients(), url, options.warmup().toSeconds(), options.duration().toSeconds()));
        long warmupEnd = System.nanoTime() + options.warmup().toNanos();
        long end = warmupEnd + options.duration().toNanos();
        long[][] latencies = new long[options.clients()][];
        AtomicLong wrongAnswers = new AtomicLong();
        AtomicReference<Exception> failure = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(options.clients());
        for (int i = 0; i < options.clients(); i++) {
            int client = i;
            Thread thread = new Thread(() -> {
                long[] samples = new long[1 << 16];
                int count = 0;
                try (Connection connection = new Connection(url)) {
                    for (long start = System.nanoTime(); start < end; start = System.nanoTime()) {
                        String body = connection.get();
                        long took = System.nanoTime() - start;
                        if (!body.contains("\"action\"")) {
                            wrongAnswers.incrementAndGet();
                        }
                        if (start >= warmupEnd) {
                            if (count == samples.length) {
                                samples = Arrays.copyOf(samples, count * 2);
                            }
                            samples[count++] = took;
                        }
                    }
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                } finally {
                    latencies[client] = Arrays.copyOf(samples, count);
                    done.countDown();
                }
            }, "bench-http-client-" + i);
            thread.setDaemon(true);
            thread.start();
        }
        Thread.sleep(Math.max(0, (warmupEnd - System.nanoTime()) / 1_000_000));
        CpuMeter cpu = CpuMeter.start();
        done.await();
        CpuMeter.Use use = cpu.stop(options.duration());
        if (failure.get() != null) {
            throw new IllegalStateException("a client failed: " + failure.get().getMessage(), failure.get());
        }
        long[] all = Arrays.stream(latencies).flatMapToLong(Arrays::stream).sorted().toArray();
        if (all.length == 0) {
            throw new IllegalStateException("no request completed in the measured time");
        }
        return new Result(url.toString(), options.clients(), all.length, options.duration(), wrongAnswers.get(),
                all.length / (options.duration().toNanos() / 1e9), percentile(all, 50), percentile(all, 99), percentile(all, 99.9),
                all[all.length - 1] / 1_000, use.cores(), use.byThreadGroup());
    }

    private static long percentile(long[] sorted, double p) {
        int index = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1_000;
    }

    /** One HTTP/1.1 connection kept open: a GET, its answer read by Content-Length, the next GET on the same socket. */
    static final class Connection implements AutoCloseable {

        private final Socket socket;
        private final OutputStream out;
        private final InputStream in;
        private final byte[] request;

        Connection(URI url) throws IOException {
            int port = url.getPort() < 0 ? 80 : url.getPort();
            socket = new Socket(url.getHost(), port);
            socket.setTcpNoDelay(true);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream());
            String path = url.getRawPath() + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
            request = ("GET " + path + " HTTP/1.1\r\nHost: " + url.getHost() + ":" + port + "\r\nAccept: application/json\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
        }

        /** Sends the GET and returns the body; throws on a status other than 200 or a closed connection. */
        String get() throws IOException {
            out.write(request);
            out.flush();
            String status = line();
            int length = -1;
            for (String header = line(); !header.isEmpty(); header = line()) {
                int colon = header.indexOf(':');
                if (colon > 0 && header.substring(0, colon).trim().equalsIgnoreCase("Content-Length")) {
                    length = Integer.parseInt(header.substring(colon + 1).trim());
                }
            }
            if (length < 0) {
                throw new IOException("answer without Content-Length: " + status);
            }
            byte[] body = in.readNBytes(length);
            if (body.length < length) {
                throw new IOException("connection closed mid-answer");
            }
            if (!status.startsWith("HTTP/1.1 200")) {
                throw new IOException(status + ": " + new String(body, StandardCharsets.UTF_8));
            }
            return new String(body, StandardCharsets.UTF_8);
        }

        private String line() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream(64);
            for (int b = in.read(); b != '\n'; b = in.read()) {
                if (b < 0) {
                    throw new IOException("the server closed the connection");
                }
                if (b != '\r') {
                    line.write(b);
                }
            }
            return line.toString(StandardCharsets.US_ASCII);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
