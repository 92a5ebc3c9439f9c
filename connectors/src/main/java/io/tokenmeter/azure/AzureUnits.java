package io.tokenmeter.azure;

import java.util.Locale;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How Azure writes token blocks: in units of measure and pricing units ("1K", "1M Tokens", "1000", "1 Million") and as
 * a word of a meter name ("gpt 4.1 mini Inp glbl 1M Tokens").
 */
public final class AzureUnits {

    private static final Pattern LEADING_BLOCK = Pattern.compile("(\\d{1,12})\\s*(k|m|million|thousand)?(?![a-z0-9])");

    private AzureUnits() {
    }

    /**
     * Units per block that a unit of measure names when it names more than one: "1K Tokens" is 1,000, "1M" and
     * "1000000" are 1,000,000; empty for "Units", "Tokens" or "1 Hour".
     */
    public static OptionalLong blockSize(String unit) {
        if (unit == null) {
            return OptionalLong.empty();
        }
        Matcher m = LEADING_BLOCK.matcher(unit.strip().toLowerCase(Locale.ROOT));
        if (!m.lookingAt()) {
            return OptionalLong.empty();
        }
        long size = Long.parseLong(m.group(1)) * multiplier(m.group(2));
        return size > 1 ? OptionalLong.of(size) : OptionalLong.empty();
    }

    /** The block word of a meter name, 1K or 1M as a word of its own; empty when the name has none. */
    public static OptionalLong blockWord(String meterName) {
        if (meterName == null) {
            return OptionalLong.empty();
        }
        for (String word : AzureMeterName.words(meterName)) {
            if (isBlockWord(word)) {
                return OptionalLong.of(multiplier(word.substring(1)));
            }
        }
        return OptionalLong.empty();
    }

    // Only 1K and 1M: other numbers with K belong to model names (gpt 4 8K, gpt 4 32K are context sizes).
    static boolean isBlockWord(String lowerCaseWord) {
        return lowerCaseWord.equals("1k") || lowerCaseWord.equals("1m");
    }

    private static long multiplier(String suffix) {
        if (suffix == null) {
            return 1;
        }
        return switch (suffix) {
            case "k", "thousand" -> 1_000;
            case "m", "million" -> 1_000_000;
            default -> throw new IllegalArgumentException(suffix);
        };
    }
}
