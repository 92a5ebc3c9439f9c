package io.tokenmeter.config;

import io.tokenmeter.registry.RegistrySettings;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/**
 * Every setting of tokenmeter, declared once with its type, default, validation and documentation.
 * Values come from (lowest to highest precedence) the defaults, a properties file, {@code TOKENMETER_*} environment
 * variables and command-line flags. Keys under {@code kafka.} pass through to every Kafka client (e.g.
 * {@code kafka.security.protocol}); secrets are typed as passwords and never printed.
 */
public final class TokenmeterConfig extends AbstractConfig {

    public static final String ENV_PREFIX = "TOKENMETER_";
    public static final String KAFKA_PASSTHROUGH_PREFIX = "kafka.";

    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String SCHEMA_REGISTRY_USER_INFO = "schema.registry.basic.auth.user.info";
    public static final String SCHEMA_REGISTRY_TIMEOUT = "schema.registry.timeout.ms";
    public static final String SCHEMA_REGISTRY_ATTEMPTS = "schema.registry.attempts";
    public static final String TOPIC_PREFIX = "topic.prefix";
    public static final String TOPIC_PARTITIONS = "topic.partitions";
    public static final String TOPIC_REPLICATION = "topic.replication.factor";
    public static final String TOPIC_CREATE = "topic.create";
    public static final String APPLICATION_ID = "application.id";
    public static final String STATE_DIR = "state.dir";
    public static final String PROCESSING_GUARANTEE = "processing.guarantee";
    public static final String STREAM_THREADS = "num.stream.threads";
    public static final String COMMIT_INTERVAL = "commit.interval.ms";
    public static final String HTTP_HOST = "http.host";
    public static final String HTTP_PORT = "http.port";
    public static final String DEDUP_HORIZON = "normalize.dedup.horizon.ms";
    public static final String HTTP_ADVERTISED_HOST = "http.advertised.host";
    public static final String BILLED_STATUS_CODES = "pricing.billed.status.codes";
    public static final String WINDOW_GRACE = "windows.grace.ms";
    public static final String EVENT_TIME_IDLE = "event.time.idle.ms";
    public static final String EVENT_TIME_INTERVAL = "event.time.marker.interval.ms";
    public static final String WINDOW_RETENTION_1M = "windows.retention.1m.ms";
    public static final String WINDOW_RETENTION_1H = "windows.retention.1h.ms";
    public static final String WINDOW_RETENTION_1D = "windows.retention.1d.ms";
    public static final String METRICS_LABEL_CAP = "metrics.label.cap";
    public static final String RUNAWAY_MAX_CALLS = "anomaly.runaway.max.calls";
    public static final String RUNAWAY_CALLS_WINDOW = "anomaly.runaway.calls.window.ms";
    public static final String RUNAWAY_REPEATS = "anomaly.runaway.repeated.prompts";
    public static final String RUNAWAY_REPEATS_WINDOW = "anomaly.runaway.repeated.window.ms";
    public static final String RUNAWAY_MAX_TOKENS = "anomaly.runaway.max.task.tokens";
    public static final String RUNAWAY_QUIET = "anomaly.runaway.quiet.ms";
    public static final String SPIKE_Z = "anomaly.spike.z";
    public static final String SPIKE_ALPHA = "anomaly.spike.alpha";
    public static final String SPIKE_WARMUP = "anomaly.spike.warmup.ms";
    public static final String SPIKE_MIN_TOKENS = "anomaly.spike.min.tokens";
    public static final String STORM_MIN_REQUESTS = "anomaly.storm.min.requests";
    public static final String STORM_SHARE = "anomaly.storm.share";
    public static final String STORM_QUIET = "anomaly.storm.quiet.ms";
    public static final String EARLY_WARNINGS = "anomaly.early.warnings";
    public static final String TASK_INACTIVITY_GAP = "tasks.inactivity.gap.ms";
    public static final String BUDGET_FORECAST_MIN_ELAPSED = "budgets.forecast.min.elapsed.ms";
    public static final String BUDGET_FLUSH_INTERVAL = "budgets.flush.interval.ms";
    public static final String APIM_JOIN_WINDOW = "azure.apim.join.window.ms";
    public static final String AZURE_DEPLOYMENTS = "azure.deployments";
    public static final String AZURE_RESOURCES = "azure.resources";
    public static final String BILLING_FLUSH_INTERVAL = "billing.flush.interval.ms";
    public static final String BILLING_RECOMPUTE_INTERVAL = "billing.recompute.interval.ms";
    public static final String BILLING_DRIFT_SHARE = "billing.drift.share";
    public static final String BILLING_DRIFT_MIN_TOKENS = "billing.drift.min.tokens";
    public static final String BILLING_RETENTION = "billing.retention.ms";
    public static final String BUDGET_HISTORY_RETENTION = "budgets.history.retention.ms";
    public static final String PAGER_ALERTMANAGER_URL = "pager.alertmanager.url";
    public static final String PAGER_ALERTMANAGER_TTL = "pager.alertmanager.ttl.ms";
    public static final String PAGER_ALERTMANAGER_TYPES = "pager.alertmanager.types";
    public static final String PAGER_ALERTMANAGER_MIN_SEVERITY = "pager.alertmanager.min.severity";
    public static final String PAGER_PAGERDUTY_ROUTING_KEY = "pager.pagerduty.routing.key";
    public static final String PAGER_PAGERDUTY_URL = "pager.pagerduty.url";
    public static final String PAGER_PAGERDUTY_TYPES = "pager.pagerduty.types";
    public static final String PAGER_PAGERDUTY_MIN_SEVERITY = "pager.pagerduty.min.severity";
    /** Prefix of the webhook targets: {@code pager.webhook.<name>.url}, {@code .format}, {@code .types}, {@code .min.severity}. */
    public static final String PAGER_WEBHOOK_PREFIX = "pager.webhook.";
    public static final String PAGER_START = "pager.start";
    public static final String PAGER_RETRY_BACKOFF = "pager.retry.backoff.ms";
    public static final String PAGER_RETRY_BACKOFF_MAX = "pager.retry.backoff.max.ms";
    public static final String PAGER_RETRY_GIVE_UP = "pager.retry.give.up.ms";
    public static final String PAGER_HTTP_TIMEOUT = "pager.http.timeout.ms";
    /** Prefix of the attribution keys of Azure logs: {@code azure.attribution.tenant}, ... (see {@link #ATTRIBUTION_DEFAULTS}). */
    public static final String ATTRIBUTION_PREFIX = "azure.attribution.";
    /**
     * Where each attribute of a call comes from in Azure logs, first found wins: an API Management fact
     * ({@code subscription}, {@code product}, {@code user}, {@code api}, {@code backend}), {@code header:NAME} (a request
     * header the gateway logged) or {@code dimension:NAME} (a field of the record or of its custom dimensions).
     */
    public static final Map<String, List<String>> ATTRIBUTION_DEFAULTS = attributionDefaults();

    private static final Pattern WEBHOOK_ENV = Pattern.compile("(.+)_(URL|FORMAT|TYPES|MIN_SEVERITY)");

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(BOOTSTRAP_SERVERS, Type.STRING, "localhost:9092", new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Kafka brokers to connect to, host:port[,host:port...].", "Kafka", 1, ConfigDef.Width.LONG, "Bootstrap servers")
            .define(SCHEMA_REGISTRY_URL, Type.STRING, "http://localhost:8081", new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Schema registry: http(s)://host:port (Confluent API; several comma-separated for failover) or mock://scope for an in-process registry.",
                    "Schema registry", 1, ConfigDef.Width.LONG, "Schema registry URL")
            .define(SCHEMA_REGISTRY_USER_INFO, Type.PASSWORD, null, Importance.MEDIUM,
                    "user:password for HTTP basic auth against the schema registry.", "Schema registry", 2, ConfigDef.Width.MEDIUM, "Registry credentials")
            .define(SCHEMA_REGISTRY_TIMEOUT, Type.LONG, 10_000L, ConfigDef.Range.atLeast(100), Importance.LOW,
                    "Connect and request timeout of one schema registry call, in ms.", "Schema registry", 3, ConfigDef.Width.SHORT, "Registry timeout")
            .define(SCHEMA_REGISTRY_ATTEMPTS, Type.INT, 3, ConfigDef.Range.between(1, 20), Importance.LOW,
                    "Attempts of one schema registry call before the registry counts as unreachable (backoff doubles from 250 ms).",
                    "Schema registry", 4, ConfigDef.Width.SHORT, "Registry attempts")
            .define(TOPIC_PREFIX, Type.STRING, "tokenmeter.", Importance.HIGH,
                    "Prefix of every topic name (tokenmeter.usage, ...). May be empty.", "Topics", 1, ConfigDef.Width.SHORT, "Topic prefix")
            .define(TOPIC_PARTITIONS, Type.INT, 3, ConfigDef.Range.between(1, 10_000), Importance.MEDIUM,
                    "Partitions of the data topics when tokenmeter creates them (the compacted prices and budgets topics get 1).",
                    "Topics", 2, ConfigDef.Width.SHORT, "Partitions")
            .define(TOPIC_REPLICATION, Type.SHORT, (short) -1, Importance.MEDIUM,
                    "Replication factor of created topics; -1 uses the broker's default.", "Topics", 3, ConfigDef.Width.SHORT, "Replication factor")
            .define(TOPIC_CREATE, Type.BOOLEAN, true, Importance.LOW,
                    "Create the catalog's missing topics on start.", "Topics", 4, ConfigDef.Width.SHORT, "Create topics")
            .define(APPLICATION_ID, Type.STRING, "tokenmeter", new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Kafka Streams application id: instances with the same id share the work.", "Streams", 1, ConfigDef.Width.MEDIUM, "Application id")
            .define(STATE_DIR, Type.STRING, Path.of(System.getProperty("java.io.tmpdir"), "tokenmeter-streams").toString(), Importance.MEDIUM,
                    "Directory of the local state stores.", "Streams", 2, ConfigDef.Width.LONG, "State directory")
            .define(PROCESSING_GUARANTEE, Type.STRING, "exactly_once_v2", ConfigDef.ValidString.in("exactly_once_v2", "at_least_once"), Importance.MEDIUM,
                    "exactly_once_v2 (default) or at_least_once.", "Streams", 3, ConfigDef.Width.SHORT, "Processing guarantee")
            .define(STREAM_THREADS, Type.INT, 1, ConfigDef.Range.between(1, 64), Importance.MEDIUM,
                    "Stream threads per instance.", "Streams", 4, ConfigDef.Width.SHORT, "Stream threads")
            .define(COMMIT_INTERVAL, Type.LONG, 100L, ConfigDef.Range.atLeast(1), Importance.LOW,
                    "How often Kafka Streams commits (and, with exactly-once, makes output visible), in ms.", "Streams", 5, ConfigDef.Width.SHORT, "Commit interval")
            .define(HTTP_HOST, Type.STRING, "0.0.0.0", Importance.LOW,
                    "Interface the HTTP API listens on.", "Service", 1, ConfigDef.Width.SHORT, "HTTP host")
            .define(HTTP_PORT, Type.INT, 8080, ConfigDef.Range.between(0, 65535), Importance.MEDIUM,
                    "Port of the HTTP API (/health, /api, /metrics); 0 picks a free one.", "Service", 2, ConfigDef.Width.SHORT, "HTTP port")
            .define(HTTP_ADVERTISED_HOST, Type.STRING, "localhost", new ConfigDef.NonEmptyString(), Importance.MEDIUM,
                    "Host name other instances use to reach this one's HTTP API for interactive queries (with http.port).",
                    "Service", 3, ConfigDef.Width.MEDIUM, "Advertised host")
            .define(METRICS_LABEL_CAP, Type.INT, 50, ConfigDef.Range.between(1, 10_000), Importance.LOW,
                    "Distinct values kept per metric label (tenant, model, agent); later values are reported as 'other'.",
                    "Service", 4, ConfigDef.Width.SHORT, "Metric label cap")
            .define(DEDUP_HORIZON, Type.LONG, Duration.ofHours(24).toMillis(), ConfigDef.Range.atLeast(1000), Importance.MEDIUM,
                    "Events with an eventId already seen within this horizon (event time, ms) are dropped as duplicates.",
                    "Normalize", 1, ConfigDef.Width.SHORT, "Dedup horizon")
            .define(BILLED_STATUS_CODES, Type.LIST, List.of("2xx", "400", "408"), Importance.MEDIUM,
                    "HTTP statuses the provider bills (codes or classes like 2xx); every other status is counted but costs 0. "
                            + "Azure bills processed calls (2xx, 400 content filter, 408 timeout), not refused ones (401, 403, 429).",
                    "Pricing", 1, ConfigDef.Width.MEDIUM, "Billed statuses")
            .define(WINDOW_GRACE, Type.LONG, Duration.ofMinutes(10).toMillis(), ConfigDef.Range.atLeast(0), Importance.MEDIUM,
                    "The lateness event time allows (ms): how far out of order records may come within one input partition and still be on time. "
                            + "A window is first emitted when every input partition has reached its end plus the grace; later calls revise it.",
                    "Windows", 1, ConfigDef.Width.SHORT, "Grace")
            .define(EVENT_TIME_IDLE, Type.LONG, Duration.ofSeconds(10).toMillis(), ConfigDef.Range.atLeast(100), Importance.MEDIUM,
                    "Wall time (ms) after which an input partition with no new record is idle: it no longer holds event time back, and its "
                            + "own event time moves up to its latest record. Data it brings when it wakes up that is older than the others' event "
                            + "time is late (still counted, revising windows and tasks; not judged by the detectors).",
                    "Windows", 5, ConfigDef.Width.SHORT, "Idle after")
            .define(EVENT_TIME_INTERVAL, Type.LONG, 200L, ConfigDef.Range.between(10, 60_000), Importance.LOW,
                    "How often (wall ms) each stage tells the stages after it how far its event time has come, when it has moved.",
                    "Windows", 6, ConfigDef.Width.SHORT, "Watermark interval")
            .define(WINDOW_RETENTION_1M, Type.LONG, Duration.ofDays(2).toMillis(), ConfigDef.Range.atLeast(60_000), Importance.LOW,
                    "How long 1-minute windows stay queryable (ms).", "Windows", 2, ConfigDef.Width.SHORT, "1m retention")
            .define(WINDOW_RETENTION_1H, Type.LONG, Duration.ofDays(35).toMillis(), ConfigDef.Range.atLeast(3_600_000), Importance.LOW,
                    "How long 1-hour windows stay queryable (ms).", "Windows", 3, ConfigDef.Width.SHORT, "1h retention")
            .define(WINDOW_RETENTION_1D, Type.LONG, Duration.ofDays(400).toMillis(), ConfigDef.Range.atLeast(86_400_000), Importance.LOW,
                    "How long 1-day windows stay queryable (ms).", "Windows", 4, ConfigDef.Width.SHORT, "1d retention")
            .define(RUNAWAY_MAX_CALLS, Type.INT, 25, ConfigDef.Range.atLeast(1), Importance.MEDIUM,
                    "RUNAWAY_LOOP fires when a task makes more than this many model calls within anomaly.runaway.calls.window.ms.",
                    "Anomaly", 1, ConfigDef.Width.SHORT, "Loop: max calls")
            .define(RUNAWAY_CALLS_WINDOW, Type.LONG, Duration.ofMinutes(10).toMillis(), ConfigDef.Range.atLeast(1000), Importance.LOW,
                    "Window of the call-count rule, event time (ms).", "Anomaly", 2, ConfigDef.Width.SHORT, "Loop: call window")
            .define(RUNAWAY_REPEATS, Type.INT, 5, ConfigDef.Range.atLeast(2), Importance.MEDIUM,
                    "RUNAWAY_LOOP fires when a task sends the same promptHash this many times within anomaly.runaway.repeated.window.ms.",
                    "Anomaly", 3, ConfigDef.Width.SHORT, "Loop: repeated prompts")
            .define(RUNAWAY_REPEATS_WINDOW, Type.LONG, Duration.ofMinutes(5).toMillis(), ConfigDef.Range.atLeast(1000), Importance.LOW,
                    "Window of the repeated-prompt rule, event time (ms).", "Anomaly", 4, ConfigDef.Width.SHORT, "Loop: repeat window")
            .define(RUNAWAY_MAX_TOKENS, Type.LONG, 2_000_000L, ConfigDef.Range.atLeast(1), Importance.MEDIUM,
                    "RUNAWAY_LOOP fires when one task uses more than this many tokens (input + output).",
                    "Anomaly", 5, ConfigDef.Width.SHORT, "Loop: max task tokens")
            .define(RUNAWAY_QUIET, Type.LONG, Duration.ofMinutes(10).toMillis(), ConfigDef.Range.atLeast(1000), Importance.LOW,
                    "A firing loop resolves when its task ends or makes no call for this long (event time, ms).",
                    "Anomaly", 6, ConfigDef.Width.SHORT, "Loop: quiet")
            .define(SPIKE_Z, Type.DOUBLE, 4.0, ConfigDef.Range.atLeast(1.0), Importance.MEDIUM,
                    "TOKEN_SPIKE fires when a tenant/model minute is this many standard deviations above its EWMA baseline.",
                    "Anomaly", 7, ConfigDef.Width.SHORT, "Spike: z")
            .define(SPIKE_ALPHA, Type.DOUBLE, 0.1, ConfigDef.Range.between(0.001, 1.0), Importance.LOW,
                    "EWMA smoothing factor of the per-minute baseline (0.1: roughly the last 10-20 minutes).",
                    "Anomaly", 8, ConfigDef.Width.SHORT, "Spike: alpha")
            .define(SPIKE_WARMUP, Type.LONG, Duration.ofMinutes(30).toMillis(), ConfigDef.Range.atLeast(0), Importance.LOW,
                    "History a series needs before it can spike (ms).", "Anomaly", 9, ConfigDef.Width.SHORT, "Spike: warm-up")
            .define(SPIKE_MIN_TOKENS, Type.LONG, 10_000L, ConfigDef.Range.atLeast(0), Importance.LOW,
                    "A minute below this many tokens never spikes.", "Anomaly", 10, ConfigDef.Width.SHORT, "Spike: minimum volume")
            .define(STORM_MIN_REQUESTS, Type.INT, 50, ConfigDef.Range.atLeast(1), Importance.LOW,
                    "RETRY_STORM needs at least this many requests to one deployment in a minute.", "Anomaly", 11, ConfigDef.Width.SHORT,
                    "Storm: minimum requests")
            .define(STORM_SHARE, Type.DOUBLE, 0.20, ConfigDef.Range.between(0.0, 1.0), Importance.MEDIUM,
                    "RETRY_STORM fires when this share of a deployment's requests in a minute were answered 429 or were retries.",
                    "Anomaly", 12, ConfigDef.Width.SHORT, "Storm: share")
            .define(STORM_QUIET, Type.LONG, Duration.ofMinutes(5).toMillis(), ConfigDef.Range.atLeast(0), Importance.LOW,
                    "A retry storm resolves after this long (event time, ms) without a storm minute; a pause shorter than this is the same storm.",
                    "Anomaly", 13, ConfigDef.Width.SHORT, "Storm: quiet")
            .define(EARLY_WARNINGS, Type.BOOLEAN, true, Importance.MEDIUM,
                    "Also judge runaway loops and retry storms on arrival and send early warnings to the alerts.early topic within "
                            + "a second, for live traffic. Alerts on the alerts topic wait until event time has passed the calls (about "
                            + "windows.grace.ms behind the newest call), so they are the same in every run, and they are the verdict: "
                            + "a warned storm minute whose share falls again by its end gets no alert.",
                    "Anomaly", 14, ConfigDef.Width.SHORT, "Early warnings")
            .define(TASK_INACTIVITY_GAP, Type.LONG, Duration.ofMinutes(15).toMillis(), ConfigDef.Range.atLeast(1000), Importance.MEDIUM,
                    "A task without an outcome closes as ABANDONED after this long without a call (event time, ms). A task with an "
                            + "outcome closes when the windows' grace has passed after it, so late calls still count.",
                    "Tasks and budgets", 1, ConfigDef.Width.SHORT, "Task inactivity gap")
            .define(BUDGET_FORECAST_MIN_ELAPSED, Type.LONG, Duration.ofDays(1).toMillis(), ConfigDef.Range.atLeast(0), Importance.LOW,
                    "A budget's linear forecast extrapolates only after this much of the period has passed (ms); before, the forecast "
                            + "is the spend so far, so one busy first hour does not forecast a month at its rate.",
                    "Tasks and budgets", 2, ConfigDef.Width.SHORT, "Forecast: minimum elapsed")
            .define(BUDGET_FLUSH_INTERVAL, Type.LONG, 200L, ConfigDef.Range.between(10, 60_000), Importance.LOW,
                    "How often (wall-clock ms) each instance sends the spend it has added up per budget scope on to the budgets; "
                            + "the budget status and quota answers lag the calls by about this much.",
                    "Tasks and budgets", 3, ConfigDef.Width.SHORT, "Budget spend flush interval")
            .define(BUDGET_HISTORY_RETENTION, Type.LONG, Duration.ofDays(400).toMillis(), ConfigDef.Range.atLeast(Duration.ofDays(1).toMillis()),
                    Importance.LOW, "How long (event time, ms) spend per scope is kept in 15-minute buckets, so a budget set mid-period "
                            + "starts from the period's spend so far; a year budget needs a year.",
                    "Tasks and budgets", 4, ConfigDef.Width.SHORT, "Budget spend history")
            .define(APIM_JOIN_WINDOW, Type.LONG, Duration.ofMinutes(5).toMillis(), ConfigDef.Range.atLeast(0), Importance.LOW,
                    "How long (event time, ms, from its first record) an API Management call waits for its other record: a "
                            + "GatewayLlmLogs record for its GatewayLogs record or the reverse. After it, what arrived is counted alone.",
                    "Azure", 1, ConfigDef.Width.SHORT, "APIM join window")
            .define(AZURE_DEPLOYMENTS, Type.LIST, List.of(), (name, value) -> {
                for (Object entry : (List<?>) value) {
                    if (!entry.toString().strip().matches("[^=@]+=[A-Za-z]+(@[A-Za-z0-9 ]+)?")) {
                        throw new ConfigException(name, entry, "each entry is DEPLOYMENT=TYPE[@REGION], e.g. chat=datazone@swedencentral");
                    }
                }
            }, Importance.MEDIUM,
                    "Deployment type and region of each Azure OpenAI deployment, which gateway logs do not carry but prices need: "
                            + "DEPLOYMENT=TYPE[@REGION],... (types global, datazone, regional, provisioned, batch, or Azure's names such as "
                            + "DataZoneStandard). A deployment not listed is global, in an unknown region.",
                    "Azure", 2, ConfigDef.Width.LONG, "Deployment types")
            .define(AZURE_RESOURCES, Type.LIST, List.of(), (name, value) -> {
                for (Object entry : (List<?>) value) {
                    if (!entry.toString().strip().matches("[^=]+=[^=\\s]+")) {
                        throw new ConfigException(name, entry, "each entry is DEPLOYMENT=RESOURCE, e.g. chat=/subscriptions/<id>/resourceGroups/rg/providers/"
                                + "Microsoft.CognitiveServices/accounts/contoso-aoai (or just the account name)");
                    }
                }
            }, Importance.MEDIUM,
                    "The Azure resource (OpenAI or Foundry account) that serves each deployment, for calls whose logs do not say it: "
                            + "DEPLOYMENT=RESOURCE_ID_OR_ACCOUNT,... The bill is matched to measured use by this account.",
                    "Azure", 3, ConfigDef.Width.LONG, "Deployment resources")
            .define(BILLING_FLUSH_INTERVAL, Type.LONG, 200L, ConfigDef.Range.between(10, 60_000), Importance.LOW,
                    "How often (wall-clock ms) each instance sends the use it has added up per day, account, model and scope on to the bill allocation.",
                    "Billing", 1, ConfigDef.Width.SHORT, "Billing use flush interval")
            .define(BILLING_RECOMPUTE_INTERVAL, Type.LONG, 1000L, ConfigDef.Range.between(10, 3_600_000), Importance.LOW,
                    "How often (wall-clock ms) the allocation of days whose bill, use or rules changed is recomputed; cost.allocated follows "
                            + "a change by about this much.",
                    "Billing", 2, ConfigDef.Width.SHORT, "Allocation recompute interval")
            .define(BILLING_DRIFT_SHARE, Type.DOUBLE, 0.02, ConfigDef.Range.between(0.0, 1.0), Importance.MEDIUM,
                    "BILL_DRIFT fires when the billed tokens of a resource, model, token kind and day differ from the measured ones by more "
                            + "than this share of the billed (traffic that bypassed the gateway, or telemetry that is missing).",
                    "Billing", 3, ConfigDef.Width.SHORT, "Bill drift threshold")
            .define(BILLING_DRIFT_MIN_TOKENS, Type.LONG, 1000L, ConfigDef.Range.atLeast(0), Importance.LOW,
                    "BILL_DRIFT is not judged for a meter and day with fewer billed and fewer measured tokens than this.",
                    "Billing", 4, ConfigDef.Width.SHORT, "Bill drift minimum tokens")
            .define(BILLING_RETENTION, Type.LONG, Duration.ofDays(100).toMillis(), ConfigDef.Range.atLeast(Duration.ofDays(2).toMillis()),
                    Importance.LOW, "How long (event time, ms) measured use, bill lines and allocations are kept per day: a bill or a "
                            + "correction for an older day is not allocated.",
                    "Billing", 5, ConfigDef.Width.SHORT, "Billing retention")
            .define(PAGER_ALERTMANAGER_URL, Type.STRING, "", Importance.HIGH,
                    "Prometheus Alertmanager base URL, e.g. http://alertmanager:9093: the pager posts alerts to <url>/api/v2/alerts. Empty: no Alertmanager target.",
                    "Pager", 1, ConfigDef.Width.LONG, "Alertmanager URL")
            .define(PAGER_ALERTMANAGER_TTL, Type.LONG, Duration.ofDays(7).toMillis(), ConfigDef.Range.atLeast(60_000), Importance.LOW,
                    "A FIRING alert is posted with endsAt = now + this (ms), so Alertmanager's resolve_timeout (5m) does not end it; the "
                            + "RESOLVED record ends it. An incident still open after this long ends in Alertmanager by itself.",
                    "Pager", 2, ConfigDef.Width.SHORT, "Alertmanager alert lifetime")
            .define(PAGER_ALERTMANAGER_TYPES, Type.LIST, List.of(), Importance.MEDIUM,
                    "Alert types sent to Alertmanager (RUNAWAY_LOOP, TOKEN_SPIKE, ...); empty: every type.", "Pager", 3, ConfigDef.Width.LONG,
                    "Alertmanager types")
            .define(PAGER_ALERTMANAGER_MIN_SEVERITY, Type.STRING, "INFO", ConfigDef.ValidString.in("INFO", "WARNING", "CRITICAL", "info", "warning", "critical"), Importance.MEDIUM,
                    "Lowest severity sent to Alertmanager: INFO, WARNING or CRITICAL.", "Pager", 4, ConfigDef.Width.SHORT, "Alertmanager minimum severity")
            .define(PAGER_PAGERDUTY_ROUTING_KEY, Type.PASSWORD, null, Importance.HIGH,
                    "PagerDuty Events API v2 integration (routing) key; typed as a password, never printed (env TOKENMETER_PAGER_PAGERDUTY_ROUTING_KEY). "
                            + "Unset: no PagerDuty target.", "Pager", 5, ConfigDef.Width.MEDIUM, "PagerDuty routing key")
            .define(PAGER_PAGERDUTY_URL, Type.STRING, "https://events.pagerduty.com/v2/enqueue", new ConfigDef.NonEmptyString(), Importance.LOW,
                    "PagerDuty Events API v2 endpoint (EU accounts: https://events.eu.pagerduty.com/v2/enqueue).", "Pager", 6, ConfigDef.Width.LONG,
                    "PagerDuty URL")
            .define(PAGER_PAGERDUTY_TYPES, Type.LIST, List.of(), Importance.MEDIUM,
                    "Alert types sent to PagerDuty; empty: every type.", "Pager", 7, ConfigDef.Width.LONG, "PagerDuty types")
            .define(PAGER_PAGERDUTY_MIN_SEVERITY, Type.STRING, "WARNING", ConfigDef.ValidString.in("INFO", "WARNING", "CRITICAL", "info", "warning", "critical"), Importance.MEDIUM,
                    "Lowest severity sent to PagerDuty (INFO alerts do not wake anyone by default).", "Pager", 8, ConfigDef.Width.SHORT,
                    "PagerDuty minimum severity")
            .define(PAGER_START, Type.STRING, "latest", ConfigDef.ValidString.in("latest", "earliest"), Importance.LOW,
                    "Where a target that has never delivered starts reading alerts: latest (default: no page for old incidents) or earliest.",
                    "Pager", 9, ConfigDef.Width.SHORT, "Pager start")
            .define(PAGER_RETRY_BACKOFF, Type.LONG, 500L, ConfigDef.Range.atLeast(1), Importance.LOW,
                    "First wait (ms) before retrying a delivery that failed for a passing reason (unreachable, 408, 429, 5xx); it doubles each time.",
                    "Pager", 10, ConfigDef.Width.SHORT, "Retry backoff")
            .define(PAGER_RETRY_BACKOFF_MAX, Type.LONG, 30_000L, ConfigDef.Range.atLeast(1), Importance.LOW,
                    "Longest wait (ms) between two delivery attempts.", "Pager", 11, ConfigDef.Width.SHORT, "Retry backoff max")
            .define(PAGER_RETRY_GIVE_UP, Type.LONG, Duration.ofHours(1).toMillis(), ConfigDef.Range.atLeast(0), Importance.LOW,
                    "After retrying one alert this long (ms) a target gives up on it: the alert goes to the dead-letter topic and the target "
                            + "moves on. 0: retry for ever. A rejected alert (4xx other than 408/429) goes there at once.",
                    "Pager", 12, ConfigDef.Width.SHORT, "Retry give-up")
            .define(PAGER_HTTP_TIMEOUT, Type.LONG, 10_000L, ConfigDef.Range.atLeast(100), Importance.LOW,
                    "Connect and request timeout of one delivery (ms).", "Pager", 13, ConfigDef.Width.SHORT, "Pager HTTP timeout");

    static {
        int order = 3;
        for (Map.Entry<String, List<String>> attribute : ATTRIBUTION_DEFAULTS.entrySet()) {
            String name = attribute.getKey();
            DEFINITION.define(ATTRIBUTION_PREFIX + name, Type.LIST, attribute.getValue(), (key, value) -> {
                for (Object source : (List<?>) value) {
                    if (!source.toString().strip().matches("subscription|product|user|api|backend|(header|dimension):[^\\s:]+")) {
                        throw new ConfigException(key, source, "each source is subscription, product, user, api, backend, header:NAME or dimension:NAME");
                    }
                }
            }, Importance.LOW, "Where the " + name.replace('.', ' ') + " of a call in Azure logs comes from, first found wins: an API Management fact "
                    + "(subscription, product, user, api, backend), header:NAME (a request header the gateway logged) or dimension:NAME (a field "
                    + "of the record or of its customDimensions). Empty: unattributed.", "Azure", order++, ConfigDef.Width.LONG, "Attribution: " + name);
        }
    }

    private static Map<String, List<String>> attributionDefaults() {
        Map<String, List<String>> defaults = new LinkedHashMap<>();
        defaults.put("tenant", List.of("subscription"));
        defaults.put("application", List.of("product"));
        defaults.put("use.case", List.of("header:x-use-case", "dimension:useCase"));
        defaults.put("cost.center", List.of("header:x-cost-center", "dimension:costCenter"));
        defaults.put("environment", List.of("header:x-environment", "dimension:environment"));
        defaults.put("agent", List.of("header:x-agent-id", "dimension:agentId"));
        defaults.put("task", List.of("header:x-task-id", "dimension:taskId"));
        return Collections.unmodifiableMap(defaults);
    }

    public TokenmeterConfig(Map<String, ?> values) {
        super(DEFINITION, values, false);
    }

    /**
     * Reads the layered configuration.
     *
     * @param file      properties file, or null
     * @param env       the environment ({@code System.getenv()})
     * @param overrides values given on the command line
     */
    public static TokenmeterConfig load(Path file, Map<String, String> env, Map<String, String> overrides) {
        Map<String, Object> values = new LinkedHashMap<>();
        if (file != null) {
            values.putAll(readProperties(file));
        }
        values.putAll(fromEnvironment(env));
        values.putAll(overrides);
        try {
            return new TokenmeterConfig(values);
        } catch (ConfigException e) {
            throw new ConfigException("invalid configuration: " + e.getMessage());
        }
    }

    /** The defaults, with some keys overridden: convenient for tests and embedded runs. */
    public static TokenmeterConfig of(Map<String, ?> overrides) {
        return new TokenmeterConfig(overrides);
    }

    static Map<String, String> fromEnvironment(Map<String, String> env) {
        Map<String, String> values = new HashMap<>();
        for (String key : DEFINITION.names()) {
            String value = env.get(envName(key));
            if (value != null) {
                values.put(key, value);
            }
        }
        // webhook targets are named by the user: TOKENMETER_PAGER_WEBHOOK_OPS_CHAT_URL is pager.webhook.ops-chat.url
        String webhookEnvPrefix = envName(PAGER_WEBHOOK_PREFIX);
        env.forEach((name, value) -> {
            Matcher m = WEBHOOK_ENV.matcher(
                    name.startsWith(webhookEnvPrefix) ? name.substring(webhookEnvPrefix.length()) : "");
            if (m.matches()) {
                values.put(PAGER_WEBHOOK_PREFIX + m.group(1).toLowerCase(Locale.ROOT).replace('_', '-') + "."
                        + m.group(2).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            }
        });
        String kafkaEnvPrefix = envName(KAFKA_PASSTHROUGH_PREFIX);
        env.forEach((name, value) -> {
            if (name.startsWith(kafkaEnvPrefix)) {
                values.put(KAFKA_PASSTHROUGH_PREFIX + name.substring(kafkaEnvPrefix.length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            }
        });
        return values;
    }

    /** The environment variable that sets {@code key}: {@code schema.registry.url} is {@code TOKENMETER_SCHEMA_REGISTRY_URL}. */
    public static String envName(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private static Map<String, String> readProperties(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new ConfigException("cannot read configuration file " + file + ": " + e.getMessage());
        }
        Map<String, String> values = new HashMap<>();
        properties.stringPropertyNames().forEach(name -> values.put(name, properties.getProperty(name).trim()));
        return values;
    }

    public String bootstrapServers() {
        return getString(BOOTSTRAP_SERVERS);
    }

    public String schemaRegistryUrl() {
        return getString(SCHEMA_REGISTRY_URL);
    }

    public RegistrySettings registrySettings() {
        Password userInfo = getPassword(SCHEMA_REGISTRY_USER_INFO);
        return new RegistrySettings(Duration.ofMillis(getLong(SCHEMA_REGISTRY_TIMEOUT)), getInt(SCHEMA_REGISTRY_ATTEMPTS),
                RegistrySettings.DEFAULTS.backoff(), userInfo == null ? null : userInfo.value());
    }

    public String topicPrefix() {
        return getString(TOPIC_PREFIX);
    }

    public int topicPartitions() {
        return getInt(TOPIC_PARTITIONS);
    }

    public short topicReplication() {
        return getShort(TOPIC_REPLICATION);
    }

    public boolean createTopics() {
        return getBoolean(TOPIC_CREATE);
    }

    public String applicationId() {
        return getString(APPLICATION_ID);
    }

    public int httpPort() {
        return getInt(HTTP_PORT);
    }

    public String httpHost() {
        return getString(HTTP_HOST);
    }

    public Duration dedupHorizon() {
        return Duration.ofMillis(getLong(DEDUP_HORIZON));
    }

    public String httpAdvertisedHost() {
        return getString(HTTP_ADVERTISED_HOST);
    }

    public List<String> billedStatusCodes() {
        return getList(BILLED_STATUS_CODES);
    }

    public Duration windowGrace() {
        return Duration.ofMillis(getLong(WINDOW_GRACE));
    }

    public Duration eventTimeIdle() {
        return Duration.ofMillis(getLong(EVENT_TIME_IDLE));
    }

    public Duration eventTimeInterval() {
        return Duration.ofMillis(getLong(EVENT_TIME_INTERVAL));
    }

    public int metricsLabelCap() {
        return getInt(METRICS_LABEL_CAP);
    }

    /** Properties for every Kafka client: bootstrap servers plus the {@code kafka.*} pass-through keys. */
    public Map<String, Object> kafkaClientProperties() {
        Map<String, Object> props = new HashMap<>(originalsWithPrefix(KAFKA_PASSTHROUGH_PREFIX));
        props.put("bootstrap.servers", bootstrapServers());
        return props;
    }

    /** The effective settings, one per line, secrets masked: what {@code --help}-minded users want to see. */
    public String describe() {
        StringBuilder out = new StringBuilder();
        for (ConfigDef.ConfigKey key : DEFINITION.configKeys().values()) {
            Object value = values().get(key.name);
            out.append(key.name).append('=').append(value instanceof Password ? (value == null ? "" : "[hidden]") : value).append('\n');
        }
        // a webhook URL is its own credential (Slack, Teams): only its scheme and host are shown
        new java.util.TreeMap<>(originalsWithPrefix(PAGER_WEBHOOK_PREFIX, false)).forEach((k, v) ->
                out.append(PAGER_WEBHOOK_PREFIX).append(k).append('=').append(k.endsWith(".url") ? urlOrigin(String.valueOf(v)) : v).append('\n'));
        originalsWithPrefix(KAFKA_PASSTHROUGH_PREFIX, false).forEach((k, v) ->
                out.append(k).append('=').append(isSecretKey(k) ? "[hidden]" : v).append('\n'));
        return out.toString();
    }

    /** Scheme, host and port of a URL followed by "/...": safe to print when the path or query may hold a token. */
    public static String urlOrigin(String url) {
        try {
            java.net.URI uri = java.net.URI.create(url.strip());
            if (uri.getScheme() == null || uri.getHost() == null) {
                return "[hidden]";
            }
            return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
                    + (uri.getRawPath() == null || uri.getRawPath().isEmpty() || uri.getRawPath().equals("/") ? "" : "/...");
        } catch (IllegalArgumentException e) {
            return "[hidden]";
        }
    }

    /** Whether a pass-through key holds a secret (passwords, keys, JAAS configs, connection strings). */
    public static boolean isSecretKey(String key) {
        String lower = key.toLowerCase(Locale.ROOT);
        return lower.contains("password") || lower.contains("secret") || lower.contains("jaas") || lower.contains("key")
                || lower.contains("token") || lower.contains("connection.string");
    }
}
