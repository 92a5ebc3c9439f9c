package io.tokenmeter.bills;

import io.tokenmeter.event.BillLine;
import io.tokenmeter.event.BillingCost;
import io.tokenmeter.topics.BillingKeys;
import io.tokenmeter.topics.DeadLetters;
import io.tokenmeter.topics.Topic;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.LongConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes one export run to {@code billing.costs} in one Kafka transaction: every line it could read, then the end of
 * the run with its line count, which makes the run the period's bill. Rows that could not be read go to the
 * dead-letter topic in the same transaction, with their file, line and reason; a crash or an error mid-run leaves
 * nothing half-loaded (the transaction is aborted) and loading the run again is safe.
 */
public final class BillPublisher {

    /** What loading a run did: the run read, its lines published, the problems met (dead-lettered rows among them). */
    public record Loaded(ExportRun run, RunRead read, long lines, long deadLetters, List<RowProblem> problems) {
    }

    private static final long PROGRESS_EVERY = 50_000;

    private BillPublisher() {
    }

    /** Loads each run in its own transaction; {@code progress} hears the line count every 50,000 lines. */
    public static List<Loaded> load(Map<String, Object> clientProps, Topic<String, BillingCost> costs, Topic<byte[], byte[]> dlq,
                                    List<ExportRun> runs, Clock clock, LongConsumer progress) {
        Map<String, Object> props = new HashMap<>(clientProps);
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tokenmeter-billing-load-" + UUID.randomUUID());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 900_000); // a month of a large bill is written in one transaction
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        List<Loaded> loaded = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            for (ExportRun run : runs) {
                producer.beginTransaction();
                try {
                    loaded.add(write(producer, costs, dlq, run, clock, progress));
                    producer.commitTransaction();
                } catch (RuntimeException e) {
                    producer.abortTransaction();
                    throw e;
                }
            }
        }
        return loaded;
    }

    private static Loaded write(KafkaProducer<byte[], byte[]> producer, Topic<String, BillingCost> costs, Topic<byte[], byte[]> dlq, ExportRun run,
                                Clock clock, LongConsumer progress) {
        String key = BillingKeys.period(run.export(), run.billingPeriod());
        byte[] keyBytes = costs.keySerde().serializer().serialize(costs.name(), key);
        List<RowProblem> problems = new ArrayList<>();
        long[] counts = new long[2]; // lines, dead letters
        RunRead read = run.read(new RowSink() {
            @Override
            public void line(BillLine line) {
                BillingCost cost = BillingCost.newBuilder().setExport(run.export()).setBillingPeriod(run.billingPeriod()).setRunId(run.runId())
                        .setRunSubmittedTime(run.runSubmittedTime()).setIndex(Math.toIntExact(counts[0])).setLine(line).build();
                producer.send(new ProducerRecord<>(costs.name(), keyBytes, costs.valueSerde().serializer().serialize(costs.name(), cost)));
                if (++counts[0] % PROGRESS_EVERY == 0) {
                    progress.accept(counts[0]);
                }
            }

            @Override
            public void problem(RowProblem problem) {
                problems.add(problem);
                if (problem.effect() != RowProblem.Effect.WARNING) {
                    producer.send(deadLetter(dlq, run, problem, clock));
                    counts[1]++;
                }
            }
        });
        BillingCost end = BillingCost.newBuilder().setExport(run.export()).setBillingPeriod(run.billingPeriod()).setRunId(run.runId())
                .setRunSubmittedTime(run.runSubmittedTime()).setIndex(Math.toIntExact(counts[0])).setLine(null).build();
        producer.send(new ProducerRecord<>(costs.name(), keyBytes, costs.valueSerde().serializer().serialize(costs.name(), end)));
        return new Loaded(run, read, counts[0], counts[1], problems);
    }

    private static ProducerRecord<byte[], byte[]> deadLetter(Topic<byte[], byte[]> dlq, ExportRun run, RowProblem problem, Clock clock) {
        String where = problem.file() + (problem.line() > 0 ? ":" + problem.line() : "");
        byte[] value = problem.raw() == null ? new byte[0] : problem.raw().getBytes(StandardCharsets.UTF_8);
        return new ProducerRecord<>(dlq.name(), null, null, where.getBytes(StandardCharsets.UTF_8), value,
                DeadLetters.headers(null, DeadLetters.INVALID_FIELD, where + ": " + problem.reason(), "billing-load",
                        new DeadLetters.Origin(run.export() + "/" + run.billingPeriod() + "/" + run.runId() + "/" + problem.file(), -1, problem.line(),
                                clock.instant())));
    }
}
