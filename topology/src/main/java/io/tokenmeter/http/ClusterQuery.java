package io.tokenmeter.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * What every API over partitioned state needs: which partitions of a topic this instance hosts, its local stores by
 * partition, another instance's part of an answer, and a check that every partition answered exactly once, so an
 * answer is never silently partial while a rebalance moves partitions.
 */
public final class ClusterQuery {

    private final KafkaStreams streams;
    private final HostInfo self;
    private final String topic;
    private final int partitions;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public ClusterQuery(KafkaStreams streams, HostInfo self, String topic, int partitions) {
        this.streams = streams;
        this.self = self;
        this.topic = topic;
        this.partitions = partitions;
    }

    public KafkaStreams streams() {
        return streams;
    }

    public boolean isSelf(HostInfo host) {
        return host.equals(self);
    }

    /** The partitions of the topic that this instance's active tasks hold. */
    public List<Integer> localPartitions() {
        List<Integer> hosted = new ArrayList<>();
        for (ThreadMetadata thread : streams.metadataForLocalThreads()) {
            for (TaskMetadata task : thread.activeTasks()) {
                task.topicPartitions().stream().filter(tp -> tp.topic().equals(topic)).forEach(tp -> hosted.add(tp.partition()));
            }
        }
        return hosted;
    }

    /** A local key-value store of one partition, or a 503 when it cannot be queried right now. */
    public <K, V> ReadOnlyKeyValueStore<K, V> store(String name, int partition) {
        try {
            return streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<K, V>keyValueStore()).withPartition(partition));
        } catch (InvalidStateStoreException e) {
            throw new ApiException(503, "partition " + partition + " is not queryable right now (" + e.getMessage() + "); retry shortly");
        }
    }

    /** Another instance's JSON answer on {@code path?query}, or a 503 that says why there is none. */
    public JsonNode remote(HostInfo host, String path, String query) {
        URI uri = URI.create("http://" + host.host() + ":" + host.port() + path + "?" + query);
        HttpResponse<String> response;
        try {
            response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new ApiException(503, "instance " + host.host() + ":" + host.port() + " did not answer (" + e.getMessage() + "); retry shortly");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "interrupted while asking " + host.host() + ":" + host.port());
        }
        if (response.statusCode() != 200) {
            throw new ApiException(503, "instance " + host.host() + ":" + host.port() + " answered " + response.statusCode() + ": " + response.body());
        }
        try {
            return HttpApi.JSON.readTree(response.body());
        } catch (IOException e) {
            throw new ApiException(503, "instance " + host.host() + ":" + host.port() + " answered something unreadable: " + e.getMessage());
        }
    }

    /** Throws a 503 unless every partition of the topic was answered exactly once. */
    public void checkComplete(List<Integer> covered) {
        TreeSet<Integer> distinct = new TreeSet<>(covered);
        if (distinct.size() != covered.size()) {
            throw new ApiException(503, "partitions " + covered + " were answered twice (a rebalance is moving them); retry shortly");
        }
        List<Integer> missing = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            if (!distinct.contains(p)) {
                missing.add(p);
            }
        }
        if (!missing.isEmpty()) {
            throw new ApiException(503, "incomplete answer: partitions " + missing + " of " + topic
                    + " are not hosted by any running instance right now; retry shortly");
        }
    }

    public void requireRunning() {
        KafkaStreams.State state = streams.state();
        if (state != KafkaStreams.State.RUNNING) {
            throw new ApiException(503, "the service is " + state + ", not RUNNING; retry shortly");
        }
    }

    /**
     * Every value of a global store (alerts, budget statuses), which each instance holds whole; 503 while the store
     * cannot be queried, e.g. before the service is running. {@code what} names the values in the message.
     */
    public static <V> List<V> allValues(Supplier<ReadOnlyKeyValueStore<String, V>> store, String what) {
        List<V> values = new ArrayList<>();
        try (KeyValueIterator<String, V> all = store.get().all()) {
            while (all.hasNext()) {
                V value = all.next().value;
                if (value != null) {
                    values.add(value);
                }
            }
        } catch (InvalidStateStoreException e) {
            throw new ApiException(503, what + " are not queryable yet (" + e.getMessage() + "); retry shortly");
        }
        return values;
    }
}
