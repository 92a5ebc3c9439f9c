package io.tokenmeter.billing;

import io.tokenmeter.event.PricedUsage;
import io.tokenmeter.event.UsageEvent;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Measured use of one scope on one resource, model and deployment type in one UTC day: what the bill is split by.
 * Tokens and estimates count the calls the provider bills; {@code calls} counts every call, as {@code /api/usage}
 * counts requests. Input tokens are kept uncached, as the input meter charges them.
 */
record Use(long calls, long billedCalls, long uncachedInput, long cachedInput, long output, long estimatedNanos,
           long estimatedInputNanos, long estimatedCachedNanos, long estimatedOutputNanos) {

    static final Use NONE = new Use(0, 0, 0, 0, 0, 0, 0, 0, 0);

    static Use of(PricedUsage priced) {
        if (!priced.getBilled()) {
            return new Use(1, 0, 0, 0, 0, 0, 0, 0, 0);
        }
        UsageEvent usage = priced.getUsage();
        long cached = Math.min(usage.getCachedInputTokens(), usage.getInputTokens());
        return new Use(1, 1, usage.getInputTokens() - cached, cached, usage.getOutputTokens(), priced.getCostNanos(),
                priced.getInputCostNanos(), priced.getCachedInputCostNanos(), priced.getOutputCostNanos() + priced.getReasoningCostNanos());
    }

    Use plus(Use o) {
        return new Use(calls + o.calls, billedCalls + o.billedCalls, uncachedInput + o.uncachedInput, cachedInput + o.cachedInput,
                output + o.output, estimatedNanos + o.estimatedNanos, estimatedInputNanos + o.estimatedInputNanos,
                estimatedCachedNanos + o.estimatedCachedNanos, estimatedOutputNanos + o.estimatedOutputNanos);
    }

    /** Input and output tokens of billed calls: what provisioned throughput and token-shared rules are split by. */
    long tokens() {
        return uncachedInput + cachedInput + output;
    }

    static void write(Use u, DataOutput out) throws IOException {
        out.writeLong(u.calls);
        out.writeLong(u.billedCalls);
        out.writeLong(u.uncachedInput);
        out.writeLong(u.cachedInput);
        out.writeLong(u.output);
        out.writeLong(u.estimatedNanos);
        out.writeLong(u.estimatedInputNanos);
        out.writeLong(u.estimatedCachedNanos);
        out.writeLong(u.estimatedOutputNanos);
    }

    static Use read(DataInput in) throws IOException {
        return new Use(in.readLong(), in.readLong(), in.readLong(), in.readLong(), in.readLong(), in.readLong(), in.readLong(),
                in.readLong(), in.readLong());
    }
}
