package io.tokenmeter.topics;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The headers a dead letter carries: why it was rejected, where it came from (topic, partition, offset) and when.
 * The record's own key, value and headers are kept as received.
 */
public final class DeadLetters {

    public static final String REASON = "tokenmeter.dlq.reason";
    public static final String DETAIL = "tokenmeter.dlq.detail";
    public static final String STAGE = "tokenmeter.dlq.stage";
    public static final String SOURCE_TOPIC = "tokenmeter.dlq.source.topic";
    public static final String SOURCE_PARTITION = "tokenmeter.dlq.source.partition";
    public static final String SOURCE_OFFSET = "tokenmeter.dlq.source.offset";
    public static final String REJECTED_AT = "tokenmeter.dlq.rejected.at";

    /** Reason codes, stable strings that dashboards and tools can count by. */
    public static final String MALFORMED_JSON = "malformed-json";
    public static final String UNKNOWN_SHAPE = "unknown-shape";
    public static final String INVALID_FIELD = "invalid-field";
    public static final String DESERIALIZATION = "deserialization";
    public static final String PROCESSING = "processing";
    public static final String LATE = "late";

    private static final int MAX_DETAIL = 1000;

    private DeadLetters() {
    }

    /** Where a rejected record came from and when it was rejected. */
    public record Origin(String topic, int partition, long offset, Instant rejectedAt) {
    }

    /** The original headers plus the dead-letter headers. */
    public static Headers headers(Headers original, String reason, String detail, String stage, Origin origin) {
        RecordHeaders headers = new RecordHeaders();
        if (original != null) {
            for (Header header : original) {
                if (!header.key().startsWith("tokenmeter.dlq.")) {
                    headers.add(header);
                }
            }
        }
        add(headers, REASON, reason);
        add(headers, DETAIL, detail == null ? "" : truncate(detail));
        add(headers, STAGE, stage);
        add(headers, SOURCE_TOPIC, origin.topic() == null ? "" : origin.topic());
        add(headers, SOURCE_PARTITION, Integer.toString(origin.partition()));
        add(headers, SOURCE_OFFSET, Long.toString(origin.offset()));
        add(headers, REJECTED_AT, origin.rejectedAt().toString());
        return headers;
    }

    /** The text of a header, or null when absent. */
    public static String header(Headers headers, String key) {
        Header header = headers.lastHeader(key);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static void add(RecordHeaders headers, String key, String value) {
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }

    private static String truncate(String detail) {
        return detail.length() <= MAX_DETAIL ? detail : detail.substring(0, MAX_DETAIL) + "...";
    }
}
