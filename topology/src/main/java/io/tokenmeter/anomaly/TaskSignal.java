package io.tokenmeter.anomaly;

import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.TaskOutcome;

/** What the loop detector learns about a task: one more priced call, or that the task ended. */
sealed interface TaskSignal {

    record Call(PricedUsage priced) implements TaskSignal {
    }

    record Ended(TaskOutcome outcome) implements TaskSignal {
    }
}
