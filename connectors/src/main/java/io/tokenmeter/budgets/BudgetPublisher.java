package io.tokenmeter.budgets;

import io.tokenmeter.event.Budget;
import io.tokenmeter.ingest.CompactedTopics;
import io.tokenmeter.topics.BudgetScope;
import io.tokenmeter.topics.Topic;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Writes budgets to the compacted budgets topic, one record per scope keyed {@code tenant:contoso} (so setting a
 * budget again replaces it), removes them with tombstones, and reads the topic back.
 */
public final class BudgetPublisher {

    private BudgetPublisher() {
    }

    /** Publishes {@code budgets} with acks=all and waits until every one is acknowledged; returns how many. */
    public static int publish(Map<String, Object> clientProps, Topic<String, Budget> topic, List<Budget> budgets) {
        return CompactedTopics.publish(clientProps, topic,
                budgets.stream().map(b -> CompactedTopics.Update.put(BudgetSpecs.scopeOf(b).key(), b)).toList(), "budgets");
    }

    /** Writes the tombstone of {@code scope}'s budget and waits until it is acknowledged. */
    public static void remove(Map<String, Object> clientProps, Topic<String, Budget> topic, BudgetScope scope) {
        CompactedTopics.publish(clientProps, topic, List.of(CompactedTopics.Update.<String, Budget>delete(scope.key())), "the budget removal");
    }

    /** Every budget now in the topic (the latest per scope; removed ones left out), ordered by scope. */
    public static List<Budget> readAll(Map<String, Object> clientProps, Topic<String, Budget> topic) {
        return CompactedTopics.latest(clientProps, topic).values().stream()
                .sorted(Comparator.comparing((Budget b) -> BudgetSpecs.scopeOf(b).key()))
                .toList();
    }
}
