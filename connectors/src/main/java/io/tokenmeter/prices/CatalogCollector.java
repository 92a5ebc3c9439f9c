package io.tokenmeter.prices;

import io.tokenmeter.event.PriceEntry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Gathers the entries and problems of one read, refusing a second entry for a record key already taken. */
final class CatalogCollector {

    private final Map<String, String> positionByKey = new HashMap<>();
    private final List<PriceEntry> entries = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();

    void problem(String message) {
        problems.add(message);
    }

    /** Two entries with one key would overwrite each other in the compacted topic, so only the first is kept. */
    void entry(String position, PriceEntry entry) {
        String key = PriceCatalogs.key(entry);
        String earlier = positionByKey.putIfAbsent(key, position);
        if (earlier != null) {
            problems.add(position + ": same model, version, deploymentType, region and effectiveFrom as " + earlier
                    + " (key " + key + "); only the first is kept");
            return;
        }
        entries.add(entry);
    }

    CatalogRead result() {
        return new CatalogRead(entries, problems);
    }
}
