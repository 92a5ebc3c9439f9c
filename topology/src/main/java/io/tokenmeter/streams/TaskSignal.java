package io.tokenmeter.streams;

import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.TaskOutcome;

/**
 * What a per-task processor learns, in event-time order ({@link InEventTimeOrder}): one more priced call, that a task
 * ended, or that event time has reached a point (everything before it has been seen).
 */
public sealed interface TaskSignal {

    record Call(PricedUsage priced) implements TaskSignal {
    }

    record Ended(TaskOutcome outcome) implements TaskSignal {
    }

    /** Every signal before {@code watermark} has been sent: what falls due before it can be settled. */
    record Tick(long watermark) implements TaskSignal {
    }
}
