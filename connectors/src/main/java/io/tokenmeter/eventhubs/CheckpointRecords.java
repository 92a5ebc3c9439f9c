package io.tokenmeter.eventhubs;

import com.azure.messaging.eventhubs.models.Checkpoint;
import com.azure.messaging.eventhubs.models.PartitionOwnership;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The records of the checkpoint topic. Keys are {@code checkpoint|ns|hub|group|partition} and
 * {@code ownership|ns|hub|group|partition} (all lower-cased as the processor passes them), values small JSON
 * documents, so compaction keeps exactly the latest checkpoint and ownership of every partition.
 */
final class CheckpointRecords {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String CHECKPOINT = "checkpoint";
    static final String OWNERSHIP = "ownership";

    private CheckpointRecords() {
    }

    static String key(String kind, String namespace, String hub, String group, String partition) {
        return String.join("|", kind, namespace, hub, group, partition);
    }

    static String groupPrefix(String kind, String namespace, String hub, String group) {
        return String.join("|", kind, namespace, hub, group) + "|";
    }

    static String checkpointKey(Checkpoint c) {
        return key(CHECKPOINT, c.getFullyQualifiedNamespace(), c.getEventHubName(), c.getConsumerGroup(), c.getPartitionId());
    }

    static String ownershipKey(PartitionOwnership o) {
        return key(OWNERSHIP, o.getFullyQualifiedNamespace(), o.getEventHubName(), o.getConsumerGroup(), o.getPartitionId());
    }

    static byte[] encode(Checkpoint c) {
        ObjectNode node = JSON.createObjectNode()
                .put("namespace", c.getFullyQualifiedNamespace()).put("eventHub", c.getEventHubName())
                .put("consumerGroup", c.getConsumerGroup()).put("partitionId", c.getPartitionId());
        if (c.getSequenceNumber() != null) {
            node.put("sequenceNumber", c.getSequenceNumber());
        }
        String offset = offsetString(c);
        if (offset != null) {
            node.put("offset", offset);
        }
        return bytes(node);
    }

    /** The offset string, or the deprecated numeric offset when only that is set (EventContext#updateCheckpoint). */
    @SuppressWarnings("deprecation")
    static String offsetString(Checkpoint c) {
        if (c.getOffsetString() != null) {
            return c.getOffsetString();
        }
        return c.getOffset() == null ? null : String.valueOf(c.getOffset());
    }

    static Checkpoint decodeCheckpoint(byte[] value) {
        JsonNode node = tree(value);
        Checkpoint c = new Checkpoint().setFullyQualifiedNamespace(node.path("namespace").asText())
                .setEventHubName(node.path("eventHub").asText()).setConsumerGroup(node.path("consumerGroup").asText())
                .setPartitionId(node.path("partitionId").asText());
        if (node.hasNonNull("sequenceNumber")) {
            c.setSequenceNumber(node.get("sequenceNumber").asLong());
        }
        if (node.hasNonNull("offset")) {
            c.setOffsetString(node.get("offset").asText());
        }
        return c;
    }

    static byte[] encode(PartitionOwnership o) {
        return bytes(JSON.createObjectNode()
                .put("namespace", o.getFullyQualifiedNamespace()).put("eventHub", o.getEventHubName())
                .put("consumerGroup", o.getConsumerGroup()).put("partitionId", o.getPartitionId())
                .put("ownerId", o.getOwnerId()).put("eTag", o.getETag()).put("lastModifiedTime", o.getLastModifiedTime()));
    }

    static PartitionOwnership decodeOwnership(byte[] value) {
        JsonNode node = tree(value);
        return new PartitionOwnership().setFullyQualifiedNamespace(node.path("namespace").asText())
                .setEventHubName(node.path("eventHub").asText()).setConsumerGroup(node.path("consumerGroup").asText())
                .setPartitionId(node.path("partitionId").asText()).setOwnerId(node.path("ownerId").asText(""))
                .setETag(node.path("eTag").asText()).setLastModifiedTime(node.path("lastModifiedTime").asLong());
    }

    static PartitionOwnership copy(PartitionOwnership o) {
        return decodeOwnership(encode(o));
    }

    static Checkpoint copy(Checkpoint c) {
        return decodeCheckpoint(encode(c));
    }

    private static byte[] bytes(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode tree(byte[] value) {
        try {
            return JSON.readTree(new String(value, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
