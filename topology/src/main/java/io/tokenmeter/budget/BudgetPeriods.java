package io.tokenmeter.budget;

import io.tokenmeter.event.BudgetPeriod;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;

/** Calendar periods of a budget: a month, quarter or year starting at midnight on its first day in the budget's time zone. */
public final class BudgetPeriods {

    private BudgetPeriods() {
    }

    /** One period, [start, end) in epoch millis, and its label: 2026-11, 2026-Q4 or 2026. */
    public record Period(long start, long end, String label) {

        public boolean contains(long time) {
            return time >= start && time < end;
        }

        public long length() {
            return end - start;
        }
    }

    /** The period of {@code kind} in {@code zone} that contains {@code time}. */
    public static Period of(BudgetPeriod kind, ZoneId zone, long time) {
        LocalDate day = Instant.ofEpochMilli(time).atZone(zone).toLocalDate();
        LocalDate first = switch (kind) {
            case MONTH -> day.withDayOfMonth(1);
            case QUARTER -> LocalDate.of(day.getYear(), (day.getMonthValue() - 1) / 3 * 3 + 1, 1);
            case YEAR -> LocalDate.of(day.getYear(), 1, 1);
        };
        LocalDate next = switch (kind) {
            case MONTH -> first.plusMonths(1);
            case QUARTER -> first.plusMonths(3);
            case YEAR -> first.plusYears(1);
        };
        String label = switch (kind) {
            case MONTH -> String.format("%d-%02d", first.getYear(), first.getMonthValue());
            case QUARTER -> first.getYear() + "-Q" + ((first.getMonthValue() - 1) / 3 + 1);
            case YEAR -> Integer.toString(first.getYear());
        };
        return new Period(startOf(first, zone), startOf(next, zone), label);
    }

    /** The time zone of a budget, with an error that names the budget field when it is not an IANA zone. */
    public static ZoneId zone(String name) {
        try {
            return ZoneId.of(name);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("timeZone '" + name + "' is not an IANA time zone such as UTC or Europe/Berlin");
        }
    }

    private static long startOf(LocalDate day, ZoneId zone) {
        ZonedDateTime start = day.atStartOfDay(zone); // the first valid instant of the day, even where midnight is skipped
        return start.toInstant().toEpochMilli();
    }
}
