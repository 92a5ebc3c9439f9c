package io.tokenmeter.ingest;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/** Checks, before any work starts, that the cluster answers and a topic exists, and says plainly what is wrong. */
public final class KafkaReachability {

    private KafkaReachability() {
    }

    /** Throws an {@link IllegalStateException} with a clear message unless the cluster answers and {@code topic} exists. */
    public static void requireTopic(Map<String, Object> clientProps, String topic, Duration timeout) {
        Map<String, Object> props = new HashMap<>(clientProps);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeout.toMillis(), 10_000));
        String servers = String.valueOf(clientProps.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG));
        try (Admin admin = Admin.create(props)) {
            Set<String> names = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!names.contains(topic)) {
                throw new IllegalStateException("topic " + topic + " does not exist on " + servers
                        + ": start `tokenmeter run` once to create the catalog topics (or check --topic-prefix)");
            }
        } catch (TimeoutException | ExecutionException e) {
            throw new IllegalStateException("cannot reach Kafka at " + servers + " within " + timeout.toSeconds()
                    + " s: is a broker running there? (--bootstrap-servers)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while contacting Kafka at " + servers);
        }
    }
}
