package io.tokenmeter.bills;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokenmeter.prices.PriceValues;
import java.io.IOException;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The manifest.json Cost Management writes with every export run (manifestVersion 2024-04-01): exportConfig,
 * deliveryConfig, runInfo and the blobs of the run. Only what the reader uses is kept; absent values are null.
 */
record Manifest(String exportName, String runId, Instant submittedTime, String startDate, String endDate, Long dataRowCount,
                List<Blob> blobs) {

    /** One data blob of the run: its name in the storage container and its rows, when the manifest says. */
    record Blob(String blobName, Long dataRowCount) {

        /** The file name of the blob, which is how it is found in the run folder. */
        String fileName() {
            String name = blobName.strip();
            return name.substring(name.lastIndexOf('/') + 1).strip();
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** @throws IOException when the file cannot be read or is not a JSON object */
    static Manifest read(Path file) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new IOException("not JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr()), e);
        }
        if (root == null || !root.isObject()) {
            throw new IOException("not a JSON object");
        }
        JsonNode run = root.path("runInfo");
        List<Blob> blobs = null;
        if (root.path("blobs").isArray()) {
            blobs = new ArrayList<>();
            for (JsonNode blob : root.path("blobs")) {
                String name = text(blob.path("blobName"));
                if (name != null) {
                    blobs.add(new Blob(name, count(blob.path("dataRowCount"))));
                }
            }
        }
        return new Manifest(text(root.path("exportConfig").path("exportName")), text(run.path("runId")), instant(run.path("submittedTime")),
                text(run.path("startDate")), text(run.path("endDate")), count(root.path("dataRowCount")), blobs);
    }

    private static String text(JsonNode node) {
        return node.isTextual() && !node.asText().isBlank() ? node.asText().strip() : null;
    }

    private static Long count(JsonNode node) {
        return node.canConvertToExactIntegral() && node.canConvertToLong() ? node.asLong() : null;
    }

    // Azure writes seven fractional digits ("2025-03-21T21:04:06.5234447Z"); kept to the millisecond like every instant.
    private static Instant instant(JsonNode node) throws IOException {
        String text = text(node);
        if (text == null) {
            return null;
        }
        try {
            return PriceValues.isoInstant(text);
        } catch (DateTimeException e) {
            throw new IOException("runInfo.submittedTime '" + text + "' is not an ISO-8601 date-time");
        }
    }
}
