package io.tokenmeter.billing;

import io.tokenmeter.streams.StateSerde;

/** The state serde of measured use. */
final class UseSerde {

    static final StateSerde<Use> SERDE = new StateSerde<>(1, Use::write, Use::read);

    private UseSerde() {
    }
}
