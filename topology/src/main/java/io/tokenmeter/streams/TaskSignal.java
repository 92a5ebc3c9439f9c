package io.tokenmeter.streams;

import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.TaskOutcome;

/** What a per-task processor learns about a task: one more priced call, or that the task ended. */
public sealed interface TaskSignal {

    record Call(PricedUsage priced) implements TaskSignal {
    }

    record Ended(TaskOutcome outcome) implements TaskSignal {
    }
}
