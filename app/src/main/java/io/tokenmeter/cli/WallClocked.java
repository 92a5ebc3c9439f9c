package io.tokenmeter.cli;

import java.time.Clock;

/** A command that reads the wall clock; {@link Tokenmeter#commandLine(Clock)} gives it the clock to read. */
interface WallClocked {

    void wall(Clock wall);
}
