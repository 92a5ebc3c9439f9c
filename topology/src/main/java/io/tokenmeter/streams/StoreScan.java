package io.tokenmeter.streams;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/** Scans of a whole state store, collected first so the caller may change the store while it handles them. */
public final class StoreScan {

    private StoreScan() {
    }

    /** The entries whose value matches, e.g. the periods, days or join windows that are over. */
    public static <K, V> List<KeyValue<K, V>> matching(KeyValueStore<K, V> store, Predicate<V> due) {
        List<KeyValue<K, V>> found = new ArrayList<>();
        try (KeyValueIterator<K, V> all = store.all()) {
            while (all.hasNext()) {
                KeyValue<K, V> entry = all.next();
                if (due.test(entry.value)) {
                    found.add(entry);
                }
            }
        }
        return found;
    }
}
