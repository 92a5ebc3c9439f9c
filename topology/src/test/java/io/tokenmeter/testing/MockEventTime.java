package io.tokenmeter.testing;

import io.tokenmeter.streams.EventTime;
import io.tokenmeter.streams.Watermarks;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/** The event-time stores of one stage in a MockProcessorContext, and markers to move its watermark, for processor tests. */
public final class MockEventTime {

    private MockEventTime() {
    }

    public static void addStores(MockProcessorContext<?, ?> context, String stage) {
        for (var builder : EventTime.storeBuilders(stage, true)) {
            StateStore store = builder.withLoggingDisabled().withCachingDisabled().build();
            store.init(context.getStateStoreContext(), store);
            context.addStateStore(store);
        }
    }

    /** A marker saying that the one upstream partition of {@code stage} has reached {@code watermark}. */
    public static <V> Record<String, V> marker(String stage, long watermark) {
        return Watermarks.record(new Watermarks.Marker(stage, 0, 1, false, watermark));
    }
}
