package io.tokenmeter.embedded;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code TransactionLoop DATA_DIR PORT}: an embedded broker on {@code DATA_DIR} and {@value #PRODUCERS} transactional
 * producers that each commit a record to every partition of {@value #TOPIC} as fast as they can, the way a Kafka Streams
 * commit spans its changelogs, so that a kill -9 of this JVM very likely finds a transaction whose markers are still
 * being written. Prints {@value #COMMITTING} once each producer has committed. Runs until killed.
 */
public final class TransactionLoop {

    static final String TOPIC = "crash-txn";
    static final int PARTITIONS = 24;
    static final int PRODUCERS = 4;
    static final String COMMITTING = "committing";
    /** Short, so a transaction the crash left open is rolled back soon after the restart. */
    static final int TRANSACTION_TIMEOUT_MS = 5_000;

    private TransactionLoop() {
    }

    public static void main(String[] args) throws InterruptedException {
        EmbeddedKafka kafka = EmbeddedKafka.builder().dataDir(Path.of(args[0])).port(Integer.parseInt(args[1])).build().start();
        kafka.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 1)));
        CountDownLatch committed = new CountDownLatch(PRODUCERS);
        for (int i = 0; i < PRODUCERS; i++) {
            String transactionalId = "crash-txn-loop-" + i;
            Thread loop = new Thread(() -> commitForEver(kafka.bootstrapServers(), transactionalId, committed), transactionalId);
            loop.start();
        }
        committed.await();
        System.out.println(COMMITTING);
        System.out.flush();
    }

    /** Several producers, each with its own coordinator state, so a kill very likely finds one completing a commit. */
    private static void commitForEver(String bootstrapServers, String transactionalId, CountDownLatch committed) {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId,
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, TRANSACTION_TIMEOUT_MS), new StringSerializer(), new StringSerializer())) {
            producer.initTransactions();
            for (long n = 0; ; n++) {
                producer.beginTransaction();
                for (int partition = 0; partition < PARTITIONS; partition++) {
                    producer.send(new ProducerRecord<>(TOPIC, partition, null, transactionalId + ":" + n));
                }
                producer.commitTransaction();
                if (n == 0) {
                    committed.countDown();
                }
            }
        }
    }
}
