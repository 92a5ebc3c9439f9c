package io.tokenmeter.budget;

import io.tokenmeter.event.Budget;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;

/** How budget amounts read in messages and the API: exact decimals of nano-units, and rounded ones for people. */
final class Money {

    private static final long DAY = 86_400_000L;

    private Money() {
    }

    /** For people: $1,234.50 for USD, 1,234.50 EUR otherwise (cents, or 4 decimals below a dollar). */
    static String of(long nanos, Budget budget) {
        return of(nanos, budget.getCurrency());
    }

    static String of(long nanos, String currency) {
        BigDecimal amount = BigDecimal.valueOf(nanos, 9).setScale(Math.abs(nanos) >= 1_000_000_000L ? 2 : 4, RoundingMode.HALF_EVEN);
        String text = String.format(Locale.ROOT, "%,." + amount.scale() + "f", amount);
        return "USD".equals(currency) ? "$" + text : text + " " + currency;
    }

    /** Exact, for machines: 812.4, 0.0025. */
    static String plain(long nanos) {
        BigDecimal amount = BigDecimal.valueOf(nanos, 9).stripTrailingZeros();
        return (amount.scale() < 0 ? amount.setScale(0) : amount).toPlainString();
    }

    /** 81.2 % */
    static String percent(double percent) {
        return String.format(Locale.ROOT, "%.1f %%", percent);
    }

    /** 10.4 days */
    static String days(long millis) {
        return String.format(Locale.ROOT, "%.1f days", millis / (double) DAY);
    }
}
