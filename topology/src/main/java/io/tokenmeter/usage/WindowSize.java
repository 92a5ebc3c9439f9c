package io.tokenmeter.usage;

import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;

/** The tumbling event-time windows usage is summed over, aligned to UTC. */
public enum WindowSize {
    ONE_MINUTE("1m", Duration.ofMinutes(1)),
    ONE_HOUR("1h", Duration.ofHours(1)),
    ONE_DAY("1d", Duration.ofDays(1));

    private final String code;
    private final Duration length;

    WindowSize(String code, Duration length) {
        this.code = code;
        this.length = length;
    }

    public String code() {
        return code;
    }

    public long millis() {
        return length.toMillis();
    }

    /** The store holding this size's windows. */
    public String storeName() {
        return "usage-windows-" + code + "-store";
    }

    /** Start of the window containing {@code timeMs}. */
    public long windowStart(long timeMs) {
        return Math.floorDiv(timeMs, millis()) * millis();
    }

    public static Optional<WindowSize> of(String code) {
        return Arrays.stream(values()).filter(w -> w.code.equals(code)).findFirst();
    }
}
