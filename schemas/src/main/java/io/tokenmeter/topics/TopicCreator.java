package io.tokenmeter.topics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates the topics that are missing; existing topics are left exactly as they are. */
public final class TopicCreator {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private TopicCreator() {
    }

    /** Creates each missing topic of {@code catalog} and returns the names it created. */
    public static List<String> ensure(Admin admin, TopicCatalog catalog, short replication) {
        return ensure(admin, catalog.all().stream().map(t -> t.newTopic(replication)).toList());
    }

    public static List<String> ensure(Admin admin, Collection<NewTopic> topics) {
        List<String> created = new ArrayList<>();
        for (Map.Entry<String, KafkaFuture<Void>> entry : admin.createTopics(topics).values().entrySet()) {
            try {
                entry.getValue().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                created.add(entry.getKey());
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create topic " + entry.getKey() + ": " + e.getCause().getMessage(), e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while creating topic " + entry.getKey(), e);
            } catch (TimeoutException e) {
                throw new IllegalStateException("timed out after " + TIMEOUT.toSeconds() + " s creating topic " + entry.getKey()
                        + ": is the cluster at the bootstrap servers reachable?", e);
            }
        }
        return created;
    }
}
