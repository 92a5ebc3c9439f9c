package io.tokenmeter.demo;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The demo's replayed time as a {@link Clock}: it stands at the start of the replay until {@link #play()}, then runs
 * {@code speed} times faster than the wall clock until the end of the replay, and in real time after it. Whatever in the
 * demo asks for "now" (its budgets, the service's API, the workload) asks this clock, so all of them live in the replayed day.
 */
public final class ReplayClock extends Clock {

    /** How much the demo replays before it continues in real time. */
    public static final Duration REPLAY = Duration.ofDays(1);

    private final Instant start;
    private final Instant end;
    private final double speed;
    private final Clock wall;
    private final ZoneId zone;
    /** When play() was called, on the wall clock; shared with the copies of {@link #withZone}. */
    private final AtomicReference<Instant> playing;

    private ReplayClock(Instant start, double speed, Clock wall, ZoneId zone, AtomicReference<Instant> playing) {
        if (!(speed > 0)) {
            throw new IllegalArgumentException("the replay speed must be positive, got " + speed);
        }
        this.start = start;
        this.end = start.plus(REPLAY);
        this.speed = speed;
        this.wall = wall;
        this.zone = zone;
        this.playing = playing;
    }

    /** Replays the day from {@code start}, {@code speed} simulated seconds per second of {@code wall}. */
    public static ReplayClock from(Instant start, double speed, Clock wall) {
        return new ReplayClock(start, speed, wall, ZoneOffset.UTC, new AtomicReference<>());
    }

    /** Replays the last day before {@code wall}'s now, from the full hour 24 hours ago. */
    public static ReplayClock lastDay(double speed, Clock wall) {
        return from(wall.instant().truncatedTo(ChronoUnit.HOURS).minus(REPLAY), speed, wall);
    }

    /** Starts the replay (once; later calls change nothing). */
    public ReplayClock play() {
        playing.compareAndSet(null, wall.instant());
        return this;
    }

    public Instant start() {
        return start;
    }

    /** Where the accelerated replay ends and real time begins. */
    public Instant end() {
        return end;
    }

    @Override
    public Instant instant() {
        Instant from = playing.get();
        if (from == null) {
            return start;
        }
        Duration elapsed = Duration.between(from, wall.instant());
        if (elapsed.isNegative()) {
            return start; // the wall clock was set back: replayed time does not run backwards past the start
        }
        Duration replayWall = Duration.ofMillis((long) (REPLAY.toMillis() / speed));
        return elapsed.compareTo(replayWall) <= 0
                ? start.plusMillis((long) (elapsed.toMillis() * speed))
                : end.plus(elapsed.minus(replayWall));
    }

    @Override
    public ZoneId getZone() {
        return zone;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return zone.equals(this.zone) ? this : new ReplayClock(start, speed, wall, zone, playing);
    }

    @Override
    public String toString() {
        return "ReplayClock[" + start + " -> " + end + " at " + speed + "x, then real time]";
    }
}
