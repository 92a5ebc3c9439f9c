package io.tokenmeter.anomaly;

import io.tokenmeter.config.TokenmeterConfig;
import java.time.Duration;

/**
 * The detectors' thresholds, from configuration (see {@code tokenmeter config}, group Anomaly). Time is the event time
 * of {@link io.tokenmeter.streams.EventTime}: no detector has a lateness of its own.
 */
public record AnomalySettings(int maxCalls, Duration callsWindow, int repeatedPrompts, Duration repeatsWindow, long maxTaskTokens,
                              Duration quiet, double spikeZ, double spikeAlpha, Duration spikeWarmup, long spikeMinTokens,
                              int stormMinRequests, double stormShare, Duration stormQuiet, boolean earlyWarnings) {

    public static AnomalySettings from(TokenmeterConfig config) {
        return new AnomalySettings(
                config.getInt(TokenmeterConfig.RUNAWAY_MAX_CALLS),
                Duration.ofMillis(config.getLong(TokenmeterConfig.RUNAWAY_CALLS_WINDOW)),
                config.getInt(TokenmeterConfig.RUNAWAY_REPEATS),
                Duration.ofMillis(config.getLong(TokenmeterConfig.RUNAWAY_REPEATS_WINDOW)),
                config.getLong(TokenmeterConfig.RUNAWAY_MAX_TOKENS),
                Duration.ofMillis(config.getLong(TokenmeterConfig.RUNAWAY_QUIET)),
                config.getDouble(TokenmeterConfig.SPIKE_Z),
                config.getDouble(TokenmeterConfig.SPIKE_ALPHA),
                Duration.ofMillis(config.getLong(TokenmeterConfig.SPIKE_WARMUP)),
                config.getLong(TokenmeterConfig.SPIKE_MIN_TOKENS),
                config.getInt(TokenmeterConfig.STORM_MIN_REQUESTS),
                config.getDouble(TokenmeterConfig.STORM_SHARE),
                Duration.ofMillis(config.getLong(TokenmeterConfig.STORM_QUIET)),
                config.getBoolean(TokenmeterConfig.EARLY_WARNINGS));
    }
}
