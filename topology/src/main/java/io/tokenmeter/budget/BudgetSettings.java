package io.tokenmeter.budget;

import io.tokenmeter.config.TokenmeterConfig;
import java.time.Duration;

/**
 * Budget tracking settings (see {@code tokenmeter config}, group "Tasks and budgets"). {@code lateness} is how long a
 * period stays open to spend from lagging partitions after it ends: the windows' grace.
 */
public record BudgetSettings(Duration flush, Duration lateness, Duration forecastMinElapsed, Duration historyRetention) {

    public static BudgetSettings from(TokenmeterConfig config) {
        return new BudgetSettings(Duration.ofMillis(config.getLong(TokenmeterConfig.BUDGET_FLUSH_INTERVAL)), config.windowGrace(),
                Duration.ofMillis(config.getLong(TokenmeterConfig.BUDGET_FORECAST_MIN_ELAPSED)),
                Duration.ofMillis(config.getLong(TokenmeterConfig.BUDGET_HISTORY_RETENTION)));
    }
}
