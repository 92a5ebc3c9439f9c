package io.tokenmeter.normalize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.tokenmeter.testing.TopologyHarness;
import io.tokenmeter.topics.DeadLetters;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Random, truncated, deeply nested, huge and wrong-typed documents: the normalizer reads each into a usage event,
 * an outcome or a rejection with a known reason, and never throws; through the topology, every document comes out
 * on usage, task-outcomes or the DLQ. The timeout only guards against a hang or a pathological slowdown (the
 * corpus takes about a second); throughput is measured by {@code tokenmeter bench}, not here.
 */
class NormalizerFuzzTest {

    private static final Set<String> REASONS = Set.of(DeadLetters.MALFORMED_JSON, DeadLetters.UNKNOWN_SHAPE, DeadLetters.INVALID_FIELD);
    private static final String[] FIELDS = {"kind", "eventId", "timestamp", "tenant", "model", "inputTokens", "cachedInputTokens",
        "outputTokens", "reasoningTokens", "statusCode", "taskId", "status", "usage", "prompt_tokens", "completion_tokens",
        "promptTokens", "responseTokens", "totalTokens", "deploymentName", "subscriptionId", "records", "properties", "businessValue"};
    private static final String[] VALID = {
        "{\"kind\":\"usage\",\"eventId\":\"e-1\",\"timestamp\":\"2025-06-01T10:00:00Z\",\"tenant\":\"contoso\",\"model\":\"gpt-4o\","
                + "\"inputTokens\":1200,\"cachedInputTokens\":1024,\"outputTokens\":150,\"taskId\":\"t-1\"}",
        "{\"kind\":\"task-outcome\",\"taskId\":\"t-1\",\"timestamp\":\"2025-06-01T10:05:00Z\",\"status\":\"SUCCEEDED\",\"businessValue\":\"12.5\"}",
        "{\"id\":\"a-1\",\"timestamp\":\"5/6/2024 4:51:09 AM\",\"subscriptionId\":\"team-a\",\"model\":\"gpt-4o\",\"deploymentName\":\"chat\","
                + "\"promptTokens\":\"25\",\"responseTokens\":\"30\",\"totalTokens\":\"55\"}",
        "{\"kind\":\"usage\",\"timestamp\":\"2025-06-01T10:00:00Z\",\"model\":\"o4-mini\",\"usage\":{\"prompt_tokens\":10,"
                + "\"completion_tokens\":5,\"prompt_tokens_details\":{\"cached_tokens\":null}}}"};

    private final Normalizer normalizer = new Normalizer();
    private final SplittableRandom random = new SplittableRandom(20261122L);

    @Test
    void everyDocumentIsReadOrRejectedWithAKnownReasonAndNothingThrows() {
        List<String> corpus = corpus();
        int[] accepted = {0};
        int[] rejected = {0};
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (String doc : corpus) {
                List<Normalized> result = normalizer.normalize(doc.getBytes(StandardCharsets.UTF_8));
                assertThat(result).as(abbreviated(doc)).isNotEmpty();
                for (Normalized item : result) {
                    if (item instanceof Normalized.Rejected r) {
                        assertThat(r.reason()).as(abbreviated(doc)).isIn(REASONS);
                        assertThat(r.detail()).as(abbreviated(doc)).isNotBlank().hasSizeLessThan(2_000);
                        rejected[0]++;
                    } else {
                        accepted[0]++;
                    }
                }
            }
        });
        // the corpus exercises both sides
        assertThat(accepted[0]).isGreaterThan(100);
        assertThat(rejected[0]).isGreaterThan(1_000);
    }

    @Test
    void throughTheTopologyEveryDocumentLandsOnUsageOutcomesOrTheDlq() {
        List<String> sample = corpus().subList(0, 600);
        try (TopologyHarness harness = new TopologyHarness()) {
            assertThatCode(() -> sample.forEach(harness::raw)).doesNotThrowAnyException();
            long usage = harness.records(harness.topics.usage()).size();
            long outcomes = harness.records(harness.topics.taskOutcomes()).size();
            long dead = harness.output(harness.topics.dlq()).getQueueSize();
            long duplicates = (long) harness.metrics.total("tokenmeter.duplicates.dropped");
            assertThat(usage + outcomes + dead + duplicates).isEqualTo(sample.size());
            assertThat(usage).isPositive();
            assertThat(dead).isPositive();
        }
    }

    private List<String> corpus() {
        List<String> docs = new ArrayList<>();
        for (int i = 0; i < 1_500; i++) {
            docs.add(randomValue(0, i));
        }
        for (String valid : VALID) {
            for (int cut = 0; cut < valid.length(); cut += 3) {
                docs.add(valid.substring(0, cut));
            }
            for (int i = 0; i < 150; i++) {
                docs.add(wrongTyped(valid, i));
            }
        }
        for (int i = 0; i < 200; i++) {
            docs.add(VALID[i % VALID.length].replace("e-1", "e-" + i).replace("a-1", "a-" + i));
        }
        docs.add("[".repeat(100_000) + "]".repeat(100_000));
        docs.add("{\"a\":".repeat(5_000) + "1" + "}".repeat(5_000));
        docs.add(VALID[0].replace("contoso", "x".repeat(5_000_000)));
        docs.add("{\"kind\":\"usage\",\"timestamp\":\"2025-06-01T10:00:00Z\",\"model\":\"gpt-4o\",\"inputTokens\":1" + "0".repeat(400) + "}");
        docs.add("{\"records\":[" + "{\"x\":1},".repeat(50_000) + "{}]}");
        docs.add("\"just a string\"");
        docs.add("\u0000\u0001\u0002");
        return docs;
    }

    /** A valid document with one field's value replaced by a random value of another type. */
    private String wrongTyped(String valid, int i) {
        String[] parts = valid.split(",");
        int at = random.nextInt(parts.length);
        int colon = parts[at].indexOf(':');
        if (colon < 0) {
            return valid;
        }
        parts[at] = parts[at].substring(0, colon + 1) + randomValue(3, i) + (parts[at].endsWith("}") ? "}" : "");
        return String.join(",", parts);
    }

    private String randomValue(int depth, int i) {
        int kind = depth > 5 ? random.nextInt(6) : random.nextInt(8);
        return switch (kind) {
            case 0 -> "null";
            case 1 -> random.nextBoolean() ? "true" : "false";
            case 2 -> Long.toString(random.nextLong());
            case 3 -> Double.toString(random.nextDouble() * 1e6 - 5e5);
            case 4 -> "\"" + randomText() + "\"";
            case 5 -> "\"" + (random.nextBoolean() ? "2025-06-01T10:00:00Z" : "NA") + "\"";
            case 6 -> {
                StringBuilder array = new StringBuilder("[");
                for (int n = random.nextInt(4); n > 0; n--) {
                    array.append(randomValue(depth + 1, i)).append(n > 1 ? "," : "");
                }
                yield array.append(']').toString();
            }
            default -> {
                StringBuilder object = new StringBuilder("{");
                int n = random.nextInt(6);
                for (int f = 0; f < n; f++) {
                    object.append('"').append(FIELDS[random.nextInt(FIELDS.length)]).append("\":").append(randomValue(depth + 1, i))
                            .append(f < n - 1 ? "," : "");
                }
                if (depth == 0 && random.nextInt(4) == 0) {
                    object.append(n > 0 ? "," : "").append("\"kind\":\"usage\",\"eventId\":\"r-").append(i)
                            .append("\",\"timestamp\":\"2025-06-01T10:00:00Z\",\"model\":\"gpt-4o\"");
                }
                yield object.append('}').toString();
            }
        };
    }

    private String randomText() {
        String alphabet = "abcXYZ019 _-:/\\\\\u00e9\u4e2d";
        StringBuilder text = new StringBuilder();
        for (int n = random.nextInt(12); n > 0; n--) {
            text.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return text.toString().replace("\\\"", "");
    }

    private static String abbreviated(String doc) {
        return doc.length() > 200 ? doc.substring(0, 200) + "..." : doc;
    }
}
