package io.tokenmeter.prices;

import io.tokenmeter.event.PriceEntry;
import io.tokenmeter.ingest.CompactedTopics;
import io.tokenmeter.topics.Topic;
import java.util.List;
import java.util.Map;

/**
 * Writes price entries to the compacted prices topic, one record per effective-dated entry (so loading adds to the
 * history and never erases it), and reads the topic back.
 */
public final class PricePublisher {

    private PricePublisher() {
    }

    /** Publishes {@code entries} with acks=all and waits until every one is acknowledged; returns how many. */
    public static int publish(Map<String, Object> clientProps, Topic<String, PriceEntry> topic, List<PriceEntry> entries) {
        return CompactedTopics.publish(clientProps, topic,
                entries.stream().map(e -> CompactedTopics.Update.put(PriceCatalogs.key(e), e)).toList(), "prices");
    }

    /** Every entry currently in the topic (the latest value per key; tombstones removed). */
    public static List<PriceEntry> readAll(Map<String, Object> clientProps, Topic<String, PriceEntry> topic) {
        return List.copyOf(CompactedTopics.latest(clientProps, topic).values());
    }
}
