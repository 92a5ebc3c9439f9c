package io.tokenmeter.billing;

import io.tokenmeter.config.TokenmeterConfig;
import java.time.Duration;

/**
 * Bill allocation settings (see {@code tokenmeter config}, group "Billing"): how often measured use is flushed to the
 * allocation and changed days are recomputed, when billed and measured tokens drift apart, how long days are kept.
 */
public record BillingSettings(Duration flush, Duration recompute, double driftShare, long driftMinTokens, Duration retention) {

    public static BillingSettings from(TokenmeterConfig config) {
        return new BillingSettings(Duration.ofMillis(config.getLong(TokenmeterConfig.BILLING_FLUSH_INTERVAL)),
                Duration.ofMillis(config.getLong(TokenmeterConfig.BILLING_RECOMPUTE_INTERVAL)),
                config.getDouble(TokenmeterConfig.BILLING_DRIFT_SHARE),
                config.getLong(TokenmeterConfig.BILLING_DRIFT_MIN_TOKENS),
                Duration.ofMillis(config.getLong(TokenmeterConfig.BILLING_RETENTION)));
    }
}
