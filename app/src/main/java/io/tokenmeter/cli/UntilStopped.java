package io.tokenmeter.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Option;

/**
 * The {@code --for} option of the commands that run until Ctrl-C, and the waiting: Ctrl-C runs the command's stop
 * action in a shutdown hook, and {@link #await} returns when it ran or when {@code --for} is over.
 */
final class UntilStopped implements AutoCloseable {

    @Option(names = "--for", paramLabel = "DURATION", converter = DemoCommand.DurationConverter.class,
            description = "Stop after this long, e.g. 10m (default: run until Ctrl-C).")
    Duration runFor;

    private final CountDownLatch stopped = new CountDownLatch(1);
    private Thread hook;
    private Long deadline;

    /** From now on, Ctrl-C runs {@code stop} (in a shutdown hook) and ends the wait. */
    UntilStopped onCtrlC(String name, Runnable stop) {
        hook = new Thread(() -> {
            stop.run();
            stopped.countDown();
        }, name);
        Runtime.getRuntime().addShutdownHook(hook);
        return this;
    }

    /** What the command tells the user about stopping. */
    String plan() {
        return runFor == null ? "Ctrl-C to stop." : "stopping after " + runFor.toSeconds() + " s.";
    }

    /** Waits until Ctrl-C or the end of {@code --for}. */
    void await() throws InterruptedException {
        while (!await(Duration.ofDays(1))) {
            // still running
        }
    }

    /** Waits at most {@code step}; true when the run is over (Ctrl-C, or {@code --for} since the first wait has passed). */
    boolean await(Duration step) throws InterruptedException {
        if (deadline == null) {
            deadline = runFor == null ? Long.MAX_VALUE : System.nanoTime() + runFor.toNanos();
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            return true;
        }
        return stopped.await(Math.min(step.toNanos(), left), TimeUnit.NANOSECONDS) || deadline - System.nanoTime() <= 0;
    }

    /** Takes the hook back (the command stops the work itself); during Ctrl-C the hook runs anyway. */
    @Override
    public void close() {
        if (hook == null) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down: the hook runs
        }
    }
}
