package io.tokenmeter.usage;

import io.tokenmeter.http.ApiException;
import io.tokenmeter.http.HttpApi;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One usage question: window size, the dimensions to group by, and the range of window starts [from, to).
 * Without from/to it covers the last hour (1m), day (1h) or 30 days (1d) up to now.
 */
public record UsageQuery(WindowSize size, List<String> by, Instant from, Instant to) {

    static final int MAX_WINDOWS = 10_000;
    private static final Map<WindowSize, Duration> DEFAULT_SPAN = Map.of(
            WindowSize.ONE_MINUTE, Duration.ofHours(1), WindowSize.ONE_HOUR, Duration.ofDays(1), WindowSize.ONE_DAY, Duration.ofDays(30));

    /** Reads and validates the query parameters; every problem is a 400 that says what to send instead. */
    public static UsageQuery parse(HttpApi.Request request, Clock clock) {
        return parse(request, clock, List.of(WindowSize.values()), "1h", Dimensions.NAMES, "");
    }

    /** The same for another windowed aggregate: which window sizes and dimensions it has, and the defaults. */
    public static UsageQuery parse(HttpApi.Request request, Clock clock, List<WindowSize> sizes, String defaultWindow, List<String> dimensions,
                                   String defaultBy) {
        String window = request.query("window", defaultWindow);
        WindowSize size = WindowSize.of(window).filter(sizes::contains).orElseThrow(() -> ApiException.badRequest(
                "window must be " + codes(sizes) + ", got '" + window + "'"));
        List<String> by = new ArrayList<>();
        String byText = request.query("by", defaultBy);
        for (String dim : byText.split(",")) {
            String name = dim.trim();
            if (name.isEmpty()) {
                continue;
            }
            if (!dimensions.contains(name)) {
                throw ApiException.badRequest("unknown dimension '" + name + "' in by: use any of " + String.join(",", dimensions));
            }
            if (by.contains(name)) {
                throw ApiException.badRequest("dimension '" + name + "' is named twice in by");
            }
            by.add(name);
        }
        Instant to = instant(request, "to", Instant.ofEpochMilli(size.windowStart(clock.millis()) + size.millis()));
        Instant from = instant(request, "from", to.minus(DEFAULT_SPAN.get(size)));
        if (!from.isBefore(to)) {
            throw ApiException.badRequest("from (" + from + ") must be before to (" + to + ")");
        }
        long windows = Duration.between(from, to).toMillis() / size.millis();
        if (windows > MAX_WINDOWS) {
            throw ApiException.badRequest("the range covers " + windows + " " + size.code() + " windows; ask for at most " + MAX_WINDOWS
                    + " (a narrower from/to or a larger window)");
        }
        return new UsageQuery(size, List.copyOf(by), from, to);
    }

    /** "1m, 1h or 1d". */
    private static String codes(List<WindowSize> sizes) {
        List<String> codes = sizes.stream().map(WindowSize::code).toList();
        return codes.size() == 1 ? codes.get(0)
                : String.join(", ", codes.subList(0, codes.size() - 1)) + " or " + codes.get(codes.size() - 1);
    }

    private static Instant instant(HttpApi.Request request, String name, Instant fallback) {
        String text = request.query(name, null);
        if (text == null) {
            return fallback;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException notAnInstant) {
            try {
                return java.time.LocalDate.parse(text).atStartOfDay(java.time.ZoneOffset.UTC).toInstant(); // a day: its start, UTC
            } catch (DateTimeParseException notADate) {
                throw ApiException.badRequest(name + " must be an ISO-8601 instant such as 2025-06-01T00:00:00Z, or a day such as 2025-06-01 (UTC), got '"
                        + text + "'");
            }
        }
    }

    /** Indexes of the grouped dimensions within {@link Dimensions#NAMES}. */
    int[] byIndexes() {
        return by.stream().mapToInt(Dimensions.NAMES::indexOf).toArray();
    }

    /** The same question as query parameters, to ask another instance. */
    public String toQueryString() {
        return "window=" + size.code() + "&by=" + URLEncoder.encode(String.join(",", by), StandardCharsets.UTF_8)
                + "&from=" + from + "&to=" + to;
    }

    @Override
    public String toString() {
        return size.code() + " by " + Arrays.toString(by.toArray()) + " [" + from + ", " + to + ")";
    }
}
