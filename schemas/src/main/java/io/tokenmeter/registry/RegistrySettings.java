package io.tokenmeter.registry;

import java.time.Duration;

/**
 * How a client talks to a schema registry.
 *
 * @param timeout        connect and request timeout of one HTTP call
 * @param attempts       how many times a call is tried before the registry counts as unreachable
 * @param backoff        wait before the second attempt, doubled for each later one
 * @param basicAuthUserInfo "user:password" for HTTP basic auth, or null (credentials in the URL also work)
 */
public record RegistrySettings(Duration timeout, int attempts, Duration backoff, String basicAuthUserInfo) {

    public static final RegistrySettings DEFAULTS = new RegistrySettings(Duration.ofSeconds(10), 3, Duration.ofMillis(250), null);

    public RegistrySettings {
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1, got " + attempts);
        }
    }

    @Override
    public String toString() {
        return "RegistrySettings[timeout=" + timeout + ", attempts=" + attempts + ", backoff=" + backoff
                + ", basicAuth=" + (basicAuthUserInfo == null ? "none" : "[hidden]") + "]";
    }
}
