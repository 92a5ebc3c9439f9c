package io.tokenmeter.money;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;

/**
 * Splits an amount of nanos by weights so the parts add up to it exactly: each part is the floor of its exact
 * share, and the nanos left over go one each to the largest remainders (the largest remainder method), ties to the
 * earlier weight, so the same inputs always give the same parts. A negative amount (a credit) is split as its
 * magnitude and negated. The allocation and the billing export split with it, so both give the same parts.
 */
public final class Shares {

    private Shares() {
    }

    /** The parts of {@code amount} by {@code weights} (each at least 0, their sum above 0), in the weights' order. */
    public static long[] split(long amount, List<Long> weights) {
        BigInteger[] parts = split(BigInteger.valueOf(amount), weights);
        long[] longs = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            longs[i] = parts[i].longValueExact(); // each part is at most the amount in magnitude
        }
        return longs;
    }

    /** The parts of any integer {@code amount} (unscaled decimals, for quantities beyond a long) by {@code weights}. */
    public static BigInteger[] split(BigInteger amount, List<Long> weights) {
        int n = weights.size();
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
        BigInteger magnitude = amount.abs();
        BigInteger[] parts = new BigInteger[n];
        BigInteger[] remainders = new BigInteger[n];
        BigInteger given = BigInteger.ZERO;
        for (int i = 0; i < n; i++) {
            BigInteger[] qr = magnitude.multiply(BigInteger.valueOf(weights.get(i))).divideAndRemainder(total);
            parts[i] = qr[0];
            remainders[i] = qr[1];
            given = given.add(parts[i]);
        }
        int left = magnitude.subtract(given).intValueExact(); // fewer than n: each floor lost less than one unit
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> {
            int byRemainder = remainders[b].compareTo(remainders[a]);
            return byRemainder != 0 ? byRemainder : Integer.compare(a, b);
        });
        for (int k = 0; k < left; k++) {
            parts[order[k]] = parts[order[k]].add(BigInteger.ONE);
        }
        if (amount.signum() < 0) {
            for (int i = 0; i < n; i++) {
                parts[i] = parts[i].negate();
            }
        }
        return parts;
    }
}
