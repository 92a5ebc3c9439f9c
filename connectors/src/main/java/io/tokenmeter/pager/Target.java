package io.tokenmeter.pager;

import io.tokenmeter.config.TokenmeterConfig;
import java.net.URI;
import java.util.Locale;

/**
 * One place alerts are delivered to. {@code secret} is the PagerDuty routing key (null for the others); the URL of a
 * webhook is a credential too, so {@link #toString()} shows only its origin.
 */
public record Target(String name, Kind kind, URI url, Format format, Route route, String secret) {

    /** What the target speaks. */
    public enum Kind { ALERTMANAGER, PAGERDUTY, WEBHOOK }

    /** The body of a webhook: Slack's {"text"}, a Teams Workflows Adaptive Card, or tokenmeter's own JSON. */
    public enum Format {
        SLACK, TEAMS, GENERIC;

        static Format parse(String key, String value) {
            try {
                return valueOf(value.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new org.apache.kafka.common.config.ConfigException(key, value, "a webhook format is slack, teams or generic");
            }
        }
    }

    /** An absolute http(s) URL, or a one-line error naming the setting (and not the URL, which may hold a token). */
    static URI httpUrl(String key, String value) {
        try {
            URI uri = URI.create(value.strip());
            if (uri.getHost() != null && ("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))) {
                return uri;
            }
        } catch (IllegalArgumentException e) {
            // reported below
        }
        throw new IllegalArgumentException(key + " is not an http(s) URL with a host: " + TokenmeterConfig.urlOrigin(value));
    }

    @Override
    public String toString() {
        String where = kind == Kind.ALERTMANAGER ? url.toString() : TokenmeterConfig.urlOrigin(url.toString());
        return name + " (" + switch (kind) {
            case ALERTMANAGER -> "Alertmanager " + where;
            case PAGERDUTY -> "PagerDuty " + where + ", routing key set";
            case WEBHOOK -> format.name().toLowerCase(Locale.ROOT) + " webhook " + where;
        } + "; " + route + ")";
    }
}
