package io.tokenmeter.cli;

import ch.qos.logback.classic.Level;
import io.tokenmeter.bench.HttpBenchmark;
import java.io.PrintWriter;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tokenmeter bench http}: quota decisions per second and their latency over kept-alive connections. */
@Command(name = "http", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure the quota API as a gateway uses it: requests per second and latency over kept-alive connections.",
            "",
            "Each client keeps one HTTP/1.1 connection open and sends GET " + HttpBenchmark.QUOTA_PATH + " one request after another. "
                + "By default against the real service started on an embedded broker with one tenant budget; --url points it at a running service."},
        footer = {"", "Examples:", "  tokenmeter bench http", "  tokenmeter bench http --clients 64 --duration 60s",
            "  tokenmeter bench http --url http://localhost:8080/api/quota/tenant/contoso"})
final class BenchHttpCommand implements Callable<Integer> {

    @Option(names = "--clients", paramLabel = "N", defaultValue = "32", description = "Concurrent clients, one connection each. Default: ${DEFAULT-VALUE}.")
    int clients;

    @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "10s", converter = DemoCommand.DurationConverter.class,
            description = "Requests sent first, unmeasured, so the JIT has compiled the hot paths. Default: ${DEFAULT-VALUE}.")
    Duration warmup;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "20s", converter = DemoCommand.DurationConverter.class,
            description = "Measured time. Default: ${DEFAULT-VALUE}.")
    Duration duration;

    @Option(names = "--url", paramLabel = "URL", description = "A running service's endpoint to measure instead of starting one, "
            + "e.g. http://localhost:8080" + HttpBenchmark.QUOTA_PATH + ".")
    URI url;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (clients < 1 || clients > 4096) {
            throw new IllegalArgumentException("--clients must be between 1 and 4096, got " + clients);
        }
        if (duration.isZero() || duration.isNegative() || warmup.isNegative()) {
            throw new IllegalArgumentException("--duration must be positive and --warmup not negative");
        }
        if (url != null && (!"http".equals(url.getScheme()) || url.getHost() == null)) {
            throw new IllegalArgumentException("--url must be an http:// URL with a host, got " + url);
        }
        Logging.toConsole(Level.ERROR);
        PrintWriter out = spec.commandLine().getOut();
        HttpBenchmark.Result r = new HttpBenchmark(new HttpBenchmark.Options(clients, warmup, duration, url), line -> {
            out.println(line);
            out.flush();
        }).run();
        out.println();
        out.printf(Locale.ROOT, "tokenmeter bench http: %d clients over kept-alive connections, %d cores, GET %s%n", r.clients(),
                Runtime.getRuntime().availableProcessors(), r.target());
        out.printf(Locale.ROOT, "  requests       %,12d in %d s%s%n", r.requests(), r.measured().toSeconds(),
                r.errors() > 0 ? "  (" + r.errors() + " answers without a decision)" : "");
        out.printf(Locale.ROOT, "  throughput     %,12.0f requests/s%n", r.requestsPerSecond());
        out.printf(Locale.ROOT, "  latency        p50 %,.3f ms   p99 %,.3f ms   p99.9 %,.3f ms   max %,.3f ms%n", r.p50Micros() / 1000.0,
                r.p99Micros() / 1000.0, r.p999Micros() / 1000.0, r.maxMicros() / 1000.0);
        out.printf(Locale.ROOT, "  CPU            %.2f cores in this process:", r.cores());
        r.coresByThread().forEach((group, cores) -> out.printf(Locale.ROOT, " %s %.2f;", group, cores));
        out.println();
        out.flush();
        return 0;
    }
}
