package io.tokenmeter.billing;

import java.math.BigDecimal;

/** Money of the bill as the API and alerts show it: the exact decimal of the nanos, never a double. */
final class Nanos {

    private Nanos() {
    }

    static String decimal(long nanos) {
        return BigDecimal.valueOf(nanos, 9).toPlainString();
    }
}
