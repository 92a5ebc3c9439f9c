package io.tokenmeter.streams;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * When the keys of another store fall due (a join window or a task's inactivity gap ends), ordered by due time: finding
 * what is due is a range scan over the due entries, not a scan of every entry of the other store. The index is a
 * store of its own (changelogged like any other), keyed by due time then key; its values are empty.
 *
 * <p>Scans start at a floor below which every entry has been taken: taken entries leave tombstones at the front of the
 * store until RocksDB compacts them, and a scan from the very start would wade through all of them every time (after
 * a backlog, hundreds of thousands on every record). The floor lives in memory; a new index (a restarted or revived
 * task) starts from the front once.
 */
public final class DueIndex {

    private static final byte[] EMPTY = new byte[0];

    private final KeyValueStore<Bytes, byte[]> index;
    /** Every entry before this has been taken; null: not known, scan from the front. */
    private Bytes floor;

    public DueIndex(KeyValueStore<Bytes, byte[]> index) {
        this.index = index;
    }

    public static StoreBuilder<KeyValueStore<Bytes, byte[]>> store(String name) {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.Bytes(), Serdes.ByteArray());
    }

    public boolean isEmpty() {
        try (KeyValueIterator<Bytes, byte[]> all = index.range(floor, null)) {
            return !all.hasNext();
        }
    }

    public void add(long due, String key) {
        Bytes entry = entry(due, key);
        index.put(entry, EMPTY);
        if (floor != null && entry.compareTo(floor) < 0) {
            floor = entry; // due before what was taken already (a late call): the next scan must see it
        }
    }

    public void remove(long due, String key) {
        index.delete(entry(due, key));
    }

    /** The earliest due time in the index, or {@link Long#MAX_VALUE} when it is empty. */
    public long firstDue() {
        try (KeyValueIterator<Bytes, byte[]> all = index.range(floor, null)) {
            return all.hasNext() ? ByteBuffer.wrap(all.next().key.get()).getLong() ^ Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    /** The keys due at or before {@code now}, in due order, taken out of the index. */
    public List<String> takeDue(long now) {
        List<Bytes> due = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        Bytes end = bound(now + 1);
        try (KeyValueIterator<Bytes, byte[]> range = index.range(floor, end)) {
            while (range.hasNext()) {
                Bytes entry = range.next().key;
                ByteBuffer bytes = ByteBuffer.wrap(entry.get());
                if ((bytes.getLong() ^ Long.MIN_VALUE) > now) {
                    break; // the bound itself: an empty key due just after now
                }
                due.add(entry);
                keys.add(StandardCharsets.UTF_8.decode(bytes).toString());
            }
        }
        due.forEach(index::delete);
        if (floor == null || end.compareTo(floor) > 0) {
            floor = end;
        }
        return keys;
    }

    /** Due time first, sign flipped so that byte order is time order for negative times too, then the key. */
    private static Bytes entry(long due, String key) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(Long.BYTES + k.length).putLong(due ^ Long.MIN_VALUE).put(k).array());
    }

    /** Sorts before every entry due at {@code time}: the exclusive end of a range. */
    private static Bytes bound(long time) {
        return Bytes.wrap(ByteBuffer.allocate(Long.BYTES).putLong(time ^ Long.MIN_VALUE).array());
    }
}
