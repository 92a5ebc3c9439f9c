package io.tokenmeter.pricing;

import io.tokenmeter.event.PriceEntry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An immutable index of price entries answering "which price applies to this call". Model names match
 * case-insensitively, deployment types exactly. Within each scope (region or any, version or any) the entry in force
 * is the one with the latest effectiveFrom not after the call's time; among the scopes with an entry in force, the
 * most specific wins: region and version, then region, then version, then neither.
 */
public final class PriceBook {

    private static final Pattern VERSION_CODE = Pattern.compile("\\d{4}");
    private static final Comparator<PriceEntry> LATEST_FIRST = Comparator.comparing(PriceEntry::getEffectiveFrom).reversed();

    private final Map<String, List<PriceEntry>> byModelAndType;
    private final int size;

    private PriceBook(Map<String, List<PriceEntry>> byModelAndType, int size) {
        this.byModelAndType = byModelAndType;
        this.size = size;
    }

    public static PriceBook of(Iterable<PriceEntry> entries) {
        Map<String, List<PriceEntry>> index = new HashMap<>();
        int size = 0;
        for (PriceEntry entry : entries) {
            index.computeIfAbsent(key(entry.getModel(), entry.getDeploymentType()), k -> new ArrayList<>()).add(entry);
            size++;
        }
        index.values().forEach(list -> list.sort(LATEST_FIRST));
        return new PriceBook(index, size);
    }

    public int size() {
        return size;
    }

    /** The entry that prices a call of {@code model} at {@code time}, if any. */
    public Optional<PriceEntry> match(String model, String modelVersion, String deploymentType, String region, Instant time) {
        List<PriceEntry> candidates = byModelAndType.get(key(model, deploymentType));
        if (candidates == null) {
            return Optional.empty();
        }
        PriceEntry best = null;
        int bestScore = -1;
        boolean[] scopeSeen = new boolean[4];
        for (PriceEntry entry : candidates) {
            if (entry.getEffectiveFrom().isAfter(time)) {
                continue;
            }
            boolean regionSpecific = !"*".equals(entry.getRegion());
            boolean versionSpecific = entry.getVersion() != null;
            if ((regionSpecific && !entry.getRegion().equalsIgnoreCase(region))
                    || (versionSpecific && !versionMatches(entry.getVersion(), modelVersion))) {
                continue;
            }
            int score = (regionSpecific ? 2 : 0) + (versionSpecific ? 1 : 0);
            if (scopeSeen[score]) {
                continue; // an entry of this scope with a later effectiveFrom is already in force
            }
            scopeSeen[score] = true;
            if (score > bestScore) {
                best = entry;
                bestScore = score;
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * Whether a price entry's version applies to a call's model version: equal (ignoring case), or an Azure meter
     * code such as {@code 1120} that matches a dated version ending in {@code -11-20} (or {@code 1120}).
     */
    static boolean versionMatches(String entryVersion, String callVersion) {
        if (callVersion == null) {
            return false;
        }
        if (entryVersion.equalsIgnoreCase(callVersion)) {
            return true;
        }
        if (VERSION_CODE.matcher(entryVersion).matches()) {
            String compact = callVersion.replace("-", "");
            return compact.endsWith(entryVersion);
        }
        return false;
    }

    private static String key(String model, String deploymentType) {
        return model.toLowerCase(Locale.ROOT) + '|' + deploymentType;
    }
}
