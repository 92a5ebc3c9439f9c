package io.tokenmeter.streams;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/** Keeps the latest record of every key of a topic in a (global) store; a tombstone removes the key. */
public final class LatestByKey<V> implements Processor<String, V, Void, Void> {

    private final String storeName;
    private final Runnable onChange;
    private KeyValueStore<String, V> store;

    public LatestByKey(String storeName) {
        this(storeName, () -> { });
    }

    /** {@code onChange} runs after every change of the store, e.g. to tell readers that cache it. */
    public LatestByKey(String storeName, Runnable onChange) {
        this.storeName = storeName;
        this.onChange = onChange;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        store = context.getStateStore(storeName);
    }

    @Override
    public void process(Record<String, V> record) {
        if (record.key() == null) {
            return;
        }
        if (record.value() == null) {
            store.delete(record.key());
        } else {
            store.put(record.key(), record.value());
        }
        onChange.run();
    }
}
