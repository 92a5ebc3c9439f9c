package io.tokenmeter.billing;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/** The UTC day a bill line or a call falls on, as the allocation keys it ({@code 2026-11-03}: keys sort by day). */
final class Days {

    static final long MILLIS = 86_400_000L;

    private Days() {
    }

    static String of(long epochMillis) {
        return LocalDate.ofEpochDay(Math.floorDiv(epochMillis, MILLIS)).toString();
    }

    static String of(Instant instant) {
        return of(instant.toEpochMilli());
    }

    static long start(String day) {
        return LocalDate.parse(day).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    }

    static long end(String day) {
        return start(day) + MILLIS;
    }
}
