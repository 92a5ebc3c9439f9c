package io.tokenmeter.pager;

import io.tokenmeter.config.TokenmeterConfig;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/** The targets, routes and retry timing of the pager, read from the {@code pager.*} settings. */
public record PagerSettings(List<Target> targets, boolean fromEarliest, Duration backoff, Duration maxBackoff, Duration giveUpAfter,
                            Duration httpTimeout, Duration alertmanagerTtl) {

    private static final Set<String> WEBHOOK_FIELDS = Set.of("url", "format", "types", "min.severity");

    public static PagerSettings from(TokenmeterConfig config) {
        List<Target> targets = new ArrayList<>();
        String alertmanager = config.getString(TokenmeterConfig.PAGER_ALERTMANAGER_URL);
        if (!alertmanager.isBlank()) {
            URI base = Target.httpUrl(TokenmeterConfig.PAGER_ALERTMANAGER_URL, alertmanager);
            String path = base.getPath() == null ? "" : base.getPath().replaceAll("/+$", "");
            targets.add(new Target("alertmanager", Target.Kind.ALERTMANAGER, base.resolve(path + "/api/v2/alerts"), null,
                    Route.parse(TokenmeterConfig.PAGER_ALERTMANAGER_TYPES, config.getList(TokenmeterConfig.PAGER_ALERTMANAGER_TYPES),
                            TokenmeterConfig.PAGER_ALERTMANAGER_MIN_SEVERITY, config.getString(TokenmeterConfig.PAGER_ALERTMANAGER_MIN_SEVERITY)),
                    null));
        }
        Password routingKey = config.getPassword(TokenmeterConfig.PAGER_PAGERDUTY_ROUTING_KEY);
        if (routingKey != null && !routingKey.value().isBlank()) {
            targets.add(new Target("pagerduty", Target.Kind.PAGERDUTY,
                    Target.httpUrl(TokenmeterConfig.PAGER_PAGERDUTY_URL, config.getString(TokenmeterConfig.PAGER_PAGERDUTY_URL)), null,
                    Route.parse(TokenmeterConfig.PAGER_PAGERDUTY_TYPES, config.getList(TokenmeterConfig.PAGER_PAGERDUTY_TYPES),
                            TokenmeterConfig.PAGER_PAGERDUTY_MIN_SEVERITY, config.getString(TokenmeterConfig.PAGER_PAGERDUTY_MIN_SEVERITY)),
                    routingKey.value().strip()));
        }
        targets.addAll(webhooks(config.originalsWithPrefix(TokenmeterConfig.PAGER_WEBHOOK_PREFIX, true)));
        return new PagerSettings(List.copyOf(targets), "earliest".equals(config.getString(TokenmeterConfig.PAGER_START)),
                Duration.ofMillis(config.getLong(TokenmeterConfig.PAGER_RETRY_BACKOFF)),
                Duration.ofMillis(config.getLong(TokenmeterConfig.PAGER_RETRY_BACKOFF_MAX)),
                Duration.ofMillis(config.getLong(TokenmeterConfig.PAGER_RETRY_GIVE_UP)),
                Duration.ofMillis(config.getLong(TokenmeterConfig.PAGER_HTTP_TIMEOUT)),
                Duration.ofMillis(config.getLong(TokenmeterConfig.PAGER_ALERTMANAGER_TTL)));
    }

    /** {@code pager.webhook.<name>.url|format|types|min.severity}, grouped by name. */
    private static List<Target> webhooks(Map<String, Object> values) {
        Map<String, Map<String, String>> byName = new TreeMap<>();
        values.forEach((key, value) -> {
            String field = WEBHOOK_FIELDS.stream().filter(f -> key.endsWith("." + f)).findFirst()
                    .orElseThrow(() -> new ConfigException(TokenmeterConfig.PAGER_WEBHOOK_PREFIX + key, "(see value)",
                            "a webhook setting is pager.webhook.<name>.url, .format, .types or .min.severity"));
            String name = key.substring(0, key.length() - field.length() - 1);
            if (!name.matches("[a-z0-9][a-z0-9_-]*") || name.equals("alertmanager") || name.equals("pagerduty")) {
                throw new ConfigException(TokenmeterConfig.PAGER_WEBHOOK_PREFIX + key, name,
                        "a webhook name is lower-case letters, digits, - and _, and not alertmanager or pagerduty");
            }
            byName.computeIfAbsent(name, n -> new TreeMap<>()).put(field, String.valueOf(value));
        });
        List<Target> targets = new ArrayList<>();
        byName.forEach((name, fields) -> {
            String prefix = TokenmeterConfig.PAGER_WEBHOOK_PREFIX + name + ".";
            String url = fields.get("url");
            if (url == null || url.isBlank()) {
                throw new ConfigException(prefix + "url", "", "webhook " + name + " needs a URL");
            }
            targets.add(new Target(name, Target.Kind.WEBHOOK, Target.httpUrl(prefix + "url", url),
                    Target.Format.parse(prefix + "format", fields.getOrDefault("format", "generic")),
                    Route.parse(prefix + "types", List.of(fields.getOrDefault("types", "").split(",")),
                            prefix + "min.severity", fields.getOrDefault("min.severity", "INFO")), null));
        });
        return targets;
    }
}
