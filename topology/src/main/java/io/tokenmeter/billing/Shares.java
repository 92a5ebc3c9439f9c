package io.tokenmeter.billing;

import java.math.BigInteger;
import java.util.List;

/**
 * Splits an amount of nanos by weights so the parts add up to it exactly: each part is the floor of its exact
 * share, and the nanos left over go one each to the largest remainders (the largest remainder method), ties to the
 * earlier weight, so the same inputs always give the same parts. A negative amount (a credit) is split as its
 * magnitude and negated.
 */
final class Shares {

    private Shares() {
    }

    /** The parts of {@code amount} by {@code weights} (each at least 0, their sum above 0), in the weights' order. */
    static long[] split(long amount, List<Long> weights) {
        int n = weights.size();
        long[] parts = new long[n];
        BigInteger total = BigInteger.ZERO;
        for (long w : weights) {
            if (w < 0) {
                throw new IllegalArgumentException("negative weight " + w);
            }
            total = total.add(BigInteger.valueOf(w));
        }
        if (total.signum() == 0) {
            throw new IllegalArgumentException("nothing to split by: every weight is 0");
        }
        BigInteger magnitude = BigInteger.valueOf(amount).abs();
        BigInteger[] remainders = new BigInteger[n];
        long given = 0;
        for (int i = 0; i < n; i++) {
            BigInteger[] qr = magnitude.multiply(BigInteger.valueOf(weights.get(i))).divideAndRemainder(total);
            parts[i] = qr[0].longValueExact();
            remainders[i] = qr[1];
            given += parts[i];
        }
        long left = magnitude.longValueExact() - given; // fewer than n: each floor lost less than one nano
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> {
            int byRemainder = remainders[b].compareTo(remainders[a]);
            return byRemainder != 0 ? byRemainder : Integer.compare(a, b);
        });
        for (int k = 0; k < left; k++) {
            parts[order[k]]++;
        }
        if (amount < 0) {
            for (int i = 0; i < n; i++) {
                parts[i] = -parts[i];
            }
        }
        return parts;
    }
}
