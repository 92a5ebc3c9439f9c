package io.tokenmeter.money;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SharesTest {

    @Test
    void leftoverNanosGoToTheLargestRemaindersThenToTheEarlierWeight() {
        assertThat(Shares.split(10, List.of(1L, 1L, 1L))).containsExactly(4, 3, 3);
        assertThat(Shares.split(100, List.of(1L, 2L))).containsExactly(33, 67); // 33.33 and 66.67
        assertThat(Shares.split(7, List.of(5L, 0L, 2L))).containsExactly(5, 0, 2);
    }

    @Test
    void aCreditIsSplitAsItsMagnitudeAndNegated() {
        assertThat(Shares.split(-10, List.of(1L, 1L, 1L))).containsExactly(-4, -3, -3);
    }

    @Test
    void amountsAndWeightsNearTheLimitsOfALongDoNotOverflow() {
        long[] parts = Shares.split(Long.MAX_VALUE, List.of(Long.MAX_VALUE / 3, Long.MAX_VALUE / 3, 7L));
        assertThat(LongStream.of(parts).sum()).isEqualTo(Long.MAX_VALUE);
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 42, 1_000})
    void thePartsAlwaysAddUpToTheAmountAndEachIsWithinOneNanoOfItsExactShare(long seed) {
        Random random = new Random(seed);
        for (int round = 0; round < 200; round++) {
            long amount = random.nextLong() % 1_000_000_000_000L;
            List<Long> weights = new ArrayList<>();
            int n = 1 + random.nextInt(50);
            for (int i = 0; i < n; i++) {
                weights.add((long) random.nextInt(1_000_000));
            }
            weights.set(0, weights.get(0) + 1);
            long total = weights.stream().mapToLong(Long::longValue).sum();
            long[] parts = Shares.split(amount, weights);
            assertThat(LongStream.of(parts).sum()).isEqualTo(amount);
            for (int i = 0; i < n; i++) {
                double exact = (double) amount * weights.get(i) / total;
                assertThat(Math.abs(parts[i] - exact)).isLessThanOrEqualTo(1.0 + Math.abs(exact) * 1e-12);
            }
        }
    }

    @Test
    void anAmountBeyondALongSplitsExactlyToo() {
        BigInteger amount = BigInteger.TEN.pow(30).add(BigInteger.ONE);
        BigInteger[] parts = Shares.split(amount.negate(), List.of(1L, 1L, 1L));
        assertThat(parts[0].add(parts[1]).add(parts[2])).isEqualTo(amount.negate());
        assertThat(parts[0].subtract(parts[2])).isEqualTo(BigInteger.ONE.negate());
    }

    @Test
    void nothingToSplitByIsRefused() {
        assertThatThrownBy(() -> Shares.split(5, List.of(0L, 0L))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Shares.split(5, List.of(-1L, 2L))).isInstanceOf(IllegalArgumentException.class);
    }
}
