package io.tokenmeter.streams;

import org.apache.kafka.streams.processor.TaskId;

/**
 * Whether a stream task has read everything its input partitions hold: an input is idle only when it is silent AND
 * caught up, so a task that merely stalled (a long commit, a pause, a restore) is never taken for idle while its
 * backlog is still waiting. The service provides it through the Streams configuration; without one, silence alone
 * counts (test drivers, which have no backlog).
 */
@FunctionalInterface
public interface CaughtUp {

    /** Streams configuration key under which the service puts its {@link CaughtUp}. */
    String CONFIG = "tokenmeter.caught.up";

    CaughtUp ALWAYS = task -> true;

    boolean caughtUp(TaskId task);
}
