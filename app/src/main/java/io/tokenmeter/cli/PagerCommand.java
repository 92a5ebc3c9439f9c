package io.tokenmeter.cli;

import ch.qos.logback.classic.Level;
import io.tokenmeter.config.TokenmeterConfig;
import io.tokenmeter.event.Alert;
import io.tokenmeter.pager.Pager;
import io.tokenmeter.pager.PagerSettings;
import io.tokenmeter.pager.Target;
import io.tokenmeter.registry.SchemaRegistryClients;
import io.tokenmeter.topics.Topic;
import io.tokenmeter.topics.TopicCatalog;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code tokenmeter pager}: alerts to on-call. */
@Command(name = "pager", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Deliver every FIRING and RESOLVED alert of the alerts topic to Alertmanager, PagerDuty and webhooks.",
            "",
            "Targets (any number; at least one):",
            "  pager.alertmanager.url=http://alertmanager:9093",
            "      Alertmanager API v2: labels alertname, severity, dedup_key and the scope; RESOLVED ends the alert.",
            "      FIRING is posted with endsAt = now + pager.alertmanager.ttl.ms (7 days), so resolve_timeout does not end it.",
            "  pager.pagerduty.routing.key (a secret: use env TOKENMETER_PAGER_PAGERDUTY_ROUTING_KEY)",
            "      PagerDuty Events API v2 trigger/resolve under the alert's dedup key.",
            "  pager.webhook.<name>.url and pager.webhook.<name>.format=slack|teams|generic",
            "      Slack {\"text\"}, Teams Workflows Adaptive Card, or tokenmeter's JSON.",
            "Routes, for <target> alertmanager, pagerduty (default WARNING) or webhook.<name>:",
            "  pager.<target>.types=RUNAWAY_LOOP,BUDGET_THRESHOLD (empty: all)",
            "  pager.<target>.min.severity=INFO|WARNING|CRITICAL",
            "",
            "Delivery is at least once: each target has its own consumer group <application.id>-pager-<target> and commits",
            "an alert's offset only after the target accepted it (2xx), so a target that is down holds back only itself and",
            "catches up later. Unreachable, 408, 429 and 5xx are retried with backoff (pager.retry.backoff.ms, doubling to",
            "pager.retry.backoff.max.ms); after pager.retry.give.up.ms, or at once when refused (other 4xx), the alert goes to",
            "the dlq topic with the reason. A repeated delivery is harmless: the dedup key is the identity in Alertmanager,",
            "PagerDuty and the generic webhook.",
            "",
            "Runs until Ctrl-C (or --for); prints the delivered counts per target when they change."},
        footer = {"", "Examples:",
            "  tokenmeter pager --alertmanager http://alertmanager:9093 --bootstrap-servers kafka:9092",
            "  TOKENMETER_PAGER_PAGERDUTY_ROUTING_KEY=... tokenmeter pager --set pager.pagerduty.min.severity=CRITICAL",
            "  tokenmeter pager --webhook ops=https://hooks.slack.com/services/... --set pager.webhook.ops.format=slack \\",
            "                   --set pager.webhook.ops.types=RUNAWAY_LOOP,RETRY_STORM",
            "  export TOKENMETER_PAGER_WEBHOOK_FINOPS_URL=https://prod-00.westeurope.logic.azure.com/...",
            "  TOKENMETER_PAGER_WEBHOOK_FINOPS_FORMAT=teams tokenmeter pager --config tokenmeter.properties",
            "",
            "Webhook URLs and the routing key are secrets: only the scheme and host of a URL are ever printed."})
final class PagerCommand implements Callable<Integer> {

    @Option(names = "--alertmanager", paramLabel = "URL", description = "Alertmanager base URL (config pager.alertmanager.url).")
    String alertmanager;

    @Option(names = "--webhook", paramLabel = "NAME=URL", description = "A webhook target (config pager.webhook.NAME.url). Repeatable.")
    Map<String, String> webhooks = new LinkedHashMap<>();

    @Option(names = "--start", paramLabel = "latest|earliest",
            description = "Where a target that never delivered starts (config pager.start; default latest: no pages for old incidents).")
    String start;

    @Option(names = "--progress", paramLabel = "DURATION", converter = DemoCommand.DurationConverter.class, defaultValue = "10s",
            description = "How often to print the counts when they changed. Default: ${DEFAULT-VALUE}.")
    Duration progress;

    @Mixin
    UntilStopped until;

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Logging.toConsole(Level.WARN);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Map<String, String> extra = new LinkedHashMap<>();
        if (alertmanager != null) {
            extra.put(TokenmeterConfig.PAGER_ALERTMANAGER_URL, alertmanager);
        }
        webhooks.forEach((name, url) -> extra.put(TokenmeterConfig.PAGER_WEBHOOK_PREFIX + name + ".url", url));
        if (start != null) {
            extra.put(TokenmeterConfig.PAGER_START, start);
        }
        TokenmeterConfig config = kafka.config(extra);
        PagerSettings settings = PagerSettings.from(config);
        if (settings.targets().isEmpty()) {
            throw new IllegalArgumentException("no pager targets: pass --alertmanager URL or --webhook NAME=URL, or set "
                    + "pager.alertmanager.url, pager.pagerduty.routing.key or pager.webhook.<name>.url");
        }
        Topic<String, Alert> alerts = Wiring.requireTopic(config, TopicCatalog::alerts);
        TopicCatalog catalog = Wiring.catalog(config, new SchemaRegistryClients());
        Pager.Hooks hooks = Pager.Hooks.reporting(line -> {
            synchronized (err) {
                err.println("pager: " + line);
                err.flush();
            }
        });
        try (Pager pager = new Pager(settings, config.kafkaClientProperties(), config.applicationId(), alerts.name(),
                alerts.valueSerde().deserializer(), catalog.dlq().name(), hooks, Clock.systemUTC());
             UntilStopped running = until.onCtrlC("tokenmeter-pager-shutdown", pager::close)) {
            out.printf("paging %s -> %d target(s), dead letters to %s:%n", alerts.name(), settings.targets().size(), catalog.dlq().name());
            for (Target target : pager.targets()) {
                out.printf("  %s, consumer group %s-pager-%s%n", target, config.applicationId(), target.name());
            }
            out.println(running.plan());
            out.flush();
            pager.start();
            String last = counts(pager);
            while (!running.await(progress)) {
                String now = counts(pager);
                if (!now.equals(last)) {
                    out.println(now);
                    out.flush();
                    last = now;
                }
            }
            pager.close();
            out.println(counts(pager));
            out.flush();
        }
        return 0;
    }

    private static String counts(Pager pager) {
        StringJoiner line = new StringJoiner(", ", "delivered: ", "");
        long dead = 0;
        for (Map.Entry<String, Pager.Counts> entry : pager.counts().entrySet()) {
            Pager.Counts c = entry.getValue();
            line.add(entry.getKey() + " " + c.delivered() + (c.skipped() > 0 ? " (" + c.skipped() + " not routed)" : ""));
            dead += c.deadLettered();
        }
        return line + "; dead letters: " + dead;
    }
}
