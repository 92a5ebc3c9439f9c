package io.tokenmeter.it;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.kafka.common.utils.Utils;

/**
 * A skewed backlog of canonical JSON documents: calls of several tenants' tasks over many hours, each followed by its
 * task's outcome, with contiguous time slices laid into different partitions of the raw topic (partition p holds the
 * p-th slice), so the partitions' event times are hours apart, as after an outage of one producer. Each document
 * carries a {@code slice} field whose text is a record key the default partitioner sends to that slice's partition,
 * so {@code tokenmeter produce --key-field slice} lays it out the same way. Deterministic for a seed.
 */
record Backlog(List<Document> documents) {

    /** One JSON line and the partition of the raw topic it belongs to. */
    record Document(int partition, String key, String json) {
    }

    static final Instant START = Instant.parse("2026-03-02T00:00:00Z");
    private static final String[] TENANTS = {"contoso", "fabrikam", "northwind", "adventure-works", "tailspin", "wingtip", "litware"};
    private static final String[] MODELS = {"gpt-4.1", "gpt-4.1-mini", "gpt-4o-mini", "o4-mini", "gpt-5-mini"};
    private static final String[] USE_CASES = {"support", "contracts", "research", "summaries"};

    /**
     * @param calls      model calls in total (outcomes come on top, one per task)
     * @param span       event time from the first call to the last
     * @param partitions partitions of the raw topic; each gets one contiguous slice of the span
     */
    static Backlog generate(int calls, Duration span, int partitions, long seed) {
        Random random = new Random(seed);
        String[] keys = keysByPartition(partitions);
        List<Document> documents = new ArrayList<>(calls + calls / 4);
        long stepMillis = span.toMillis() / calls;
        int task = 0;
        int call = 0;
        while (call < calls) {
            String tenant = TENANTS[task % TENANTS.length];
            String useCase = USE_CASES[(task / TENANTS.length) % USE_CASES.length];
            String model = MODELS[random.nextInt(MODELS.length)];
            String taskId = tenant + "-task-" + task;
            int steps = Math.min(calls - call, 3 + random.nextInt(6));
            Instant at = null;
            for (int step = 0; step < steps; step++, call++) {
                at = START.plusMillis(call * stepMillis);
                int partition = (int) Math.min(partitions - 1, (long) call * partitions / calls);
                int input = 500 + random.nextInt(4000);
                String json = "{\"kind\":\"usage\",\"eventId\":\"backlog-" + call + "\",\"timestamp\":\"" + at + "\",\"tenant\":\"" + tenant
                        + "\",\"application\":\"" + useCase + "-app\",\"useCase\":\"" + useCase + "\",\"agent\":\"" + useCase + "-agent\","
                        + "\"taskId\":\"" + taskId + "\",\"agentStep\":" + step + ",\"model\":\"" + model + "\",\"deploymentType\":\"global\","
                        + "\"inputTokens\":" + input + ",\"cachedInputTokens\":" + random.nextInt(input / 2) + ",\"outputTokens\":"
                        + (50 + random.nextInt(800)) + ",\"statusCode\":200,\"latencyMs\":" + (300 + random.nextInt(3000))
                        + ",\"promptHash\":\"" + Integer.toHexString(random.nextInt()) + "\",\"slice\":\"" + keys[partition] + "\"}";
                documents.add(new Document(partition, keys[partition], json));
            }
            int partition = (int) Math.min(partitions - 1, (long) (call - 1) * partitions / calls);
            String status = random.nextInt(10) == 0 ? "FAILED" : "SUCCEEDED";
            documents.add(new Document(partition, keys[partition], "{\"kind\":\"task-outcome\",\"taskId\":\"" + taskId + "\",\"timestamp\":\""
                    + at.plusMillis(1) + "\",\"tenant\":\"" + tenant + "\",\"useCase\":\"" + useCase + "\",\"status\":\"" + status
                    + "\",\"slice\":\"" + keys[partition] + "\"}"));
            task++;
        }
        return new Backlog(documents);
    }

    /** For each partition a record key the default partitioner (murmur2 of the key) sends there. */
    static String[] keysByPartition(int partitions) {
        String[] keys = new String[partitions];
        int found = 0;
        for (int i = 0; found < partitions; i++) {
            String key = "slice-" + i;
            int partition = Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
            if (keys[partition] == null) {
                keys[partition] = key;
                found++;
            }
        }
        return keys;
    }

    long calls() {
        return documents.stream().filter(d -> d.json().startsWith("{\"kind\":\"usage\"")).count();
    }

    void write(Path file) throws IOException {
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Document document : documents) {
                out.write(document.json());
                out.write('\n');
            }
        }
    }

    /** {@code Backlog FILE [CALLS [HOURS [PARTITIONS]]]}: writes the JSON lines for {@code tokenmeter produce --key-field slice}. */
    public static void main(String[] args) throws IOException {
        int calls = args.length > 1 ? Integer.parseInt(args[1]) : 25_000;
        int hours = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        int partitions = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        Backlog backlog = generate(calls, Duration.ofHours(hours), partitions, 42);
        backlog.write(Path.of(args[0]));
        System.out.printf("%d documents (%d calls) over %d h in %d partition slices -> %s%n", backlog.documents().size(), backlog.calls(), hours,
                partitions, args[0]);
    }
}
