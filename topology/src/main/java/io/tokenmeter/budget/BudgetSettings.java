package io.tokenmeter.budget;

import io.tokenmeter.config.TokenmeterConfig;
import java.time.Duration;

/**
 * Budget tracking settings (see {@code tokenmeter config}, group "Tasks and budgets"). Time is the event time of
 * {@link io.tokenmeter.streams.EventTime}.
 */
public record BudgetSettings(Duration flush, Duration forecastMinElapsed, Duration historyRetention) {

    public static BudgetSettings from(TokenmeterConfig config) {
        return new BudgetSettings(Duration.ofMillis(config.getLong(TokenmeterConfig.BUDGET_FLUSH_INTERVAL)),
                Duration.ofMillis(config.getLong(TokenmeterConfig.BUDGET_FORECAST_MIN_ELAPSED)),
                Duration.ofMillis(config.getLong(TokenmeterConfig.BUDGET_HISTORY_RETENTION)));
    }
}
