package io.tokenmeter.usage;

import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.UsageEvent;
import java.util.List;

/**
 * The attribution dimensions usage is windowed by, and the store key that holds one combination of them plus the
 * currency (costs in different currencies are never added up). The key joins the values with the unit separator.
 */
public final class Dimensions {

    public static final List<String> NAMES = List.of("tenant", "application", "useCase", "costCenter", "agent", "model", "deployment");
    static final int CURRENCY = NAMES.size();
    private static final char SEPARATOR = '\u001F';

    private Dimensions() {
    }

    public static String key(PricedUsage priced) {
        UsageEvent u = priced.getUsage();
        StringBuilder key = new StringBuilder(96);
        append(key, u.getTenant());
        append(key, u.getApplication());
        append(key, u.getUseCase());
        append(key, u.getCostCenter());
        append(key, u.getAgent());
        append(key, u.getModel());
        append(key, u.getDeployment());
        key.append(clean(priced.getCurrency()));
        return key.toString();
    }

    /** The dimension values and, last, the currency. */
    public static String[] values(String key) {
        return key.split(String.valueOf(SEPARATOR), -1);
    }

    private static void append(StringBuilder key, String value) {
        key.append(clean(value)).append(SEPARATOR);
    }

    private static String clean(String value) {
        return value.indexOf(SEPARATOR) < 0 ? value : value.replace(SEPARATOR, '\uFFFD');
    }
}
