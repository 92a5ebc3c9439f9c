package io.tokenmeter.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.cli.Tokenmeter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code tokenmeter bench http} against the real service on its own embedded broker: it prints the figures it
 * measured, and every answer was a quota decision. What the figures are is the benchmark's business, not this test's.
 */
class BenchHttpIT {

    @Test
    void measuresQuotaDecisionsOverKeptAliveConnections() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Tokenmeter.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));

        int exit = cli.execute("bench", "http", "--clients", "4", "--warmup", "1s", "--duration", "2s");

        assertThat(exit).as(err.toString()).isZero();
        String text = out.toString();
        assertThat(text).contains("4 clients over kept-alive connections").contains("/api/quota/tenant/contoso")
                .doesNotContain("answers without a decision");
        Matcher requests = Pattern.compile("requests\\s+([\\d,]+) in 2 s").matcher(text);
        assertThat(requests.find()).as(text).isTrue();
        assertThat(Long.parseLong(requests.group(1).replace(",", ""))).isPositive();
        assertThat(text).containsPattern("latency\\s+p50 [\\d.,]+ ms\\s+p99 [\\d.,]+ ms");
    }

    @Test
    void refusesAUrlThatIsNotHttp() {
        StringWriter err = new StringWriter();
        CommandLine cli = Tokenmeter.commandLine();
        cli.setErr(new PrintWriter(err, true));

        int exit = cli.execute("bench", "http", "--url", "ftp://example.com/quota");

        assertThat(exit).isNotZero();
        assertThat(err.toString()).contains("--url must be an http:// URL with a host, got ftp://example.com/quota");
    }
}
