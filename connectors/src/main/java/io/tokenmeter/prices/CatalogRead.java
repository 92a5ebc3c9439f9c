package io.tokenmeter.prices;

import io.tokenmeter.event.PriceEntry;
import java.util.List;

/** What a price source yielded: the entries that could be read, and one message per thing that could not. */
public record CatalogRead(List<PriceEntry> entries, List<String> problems) {

    public CatalogRead {
        entries = List.copyOf(entries);
        problems = List.copyOf(problems);
    }

    public boolean hasProblems() {
        return !problems.isEmpty();
    }
}
