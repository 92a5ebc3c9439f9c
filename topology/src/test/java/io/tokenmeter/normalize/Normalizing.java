package io.tokenmeter.normalize;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.event.UsageEvent;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Test helpers: normalize one JSON text and expect one usage event, or one rejection. */
final class Normalizing {

    private static final Normalizer NORMALIZER = new Normalizer();

    private Normalizing() {
    }

    static List<Normalized> normalize(String json) {
        return NORMALIZER.normalize(json.getBytes(StandardCharsets.UTF_8));
    }

    static UsageEvent usage(String json) {
        List<Normalized> result = normalize(json);
        assertThat(result).singleElement().isInstanceOf(Normalized.Usage.class);
        return ((Normalized.Usage) result.get(0)).event();
    }

    static Normalized.Rejected rejected(String json) {
        List<Normalized> result = normalize(json);
        assertThat(result).singleElement().isInstanceOf(Normalized.Rejected.class);
        return (Normalized.Rejected) result.get(0);
    }
}
