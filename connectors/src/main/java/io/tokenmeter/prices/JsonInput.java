package io.tokenmeter.prices;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Reads a price document that is either one JSON value or JSON lines, keeping decimals exact. */
final class JsonInput {

    /** One line of JSON lines: its value, or why it could not be read. */
    record Line(int number, JsonNode value, String error) {
    }

    /** The whole document as one value, or its lines, or why it is not JSON at all. */
    record Document(JsonNode whole, List<Line> lines, String failure) {
    }

    // Floats as BigDecimal so that a price written as a JSON number is never rounded through a double;
    // duplicate keys are refused because two different prices for one field cannot both be right.
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS, DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final int SHOWN_CHARS = 60;

    private JsonInput() {
    }

    static String text(Reader reader) throws IOException {
        StringWriter text = new StringWriter();
        reader.transferTo(text);
        return text.toString();
    }

    static String text(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    /**
     * One JSON value if the text is one; otherwise JSON lines when its first non-blank line is a JSON value of its
     * own, so that one bad line costs only that line; otherwise the document is not JSON.
     */
    static Document read(String text) {
        String body = text.startsWith("\uFEFF") ? text.substring(1) : text;
        if (body.isBlank()) {
            return new Document(null, List.of(), "empty document");
        }
        try {
            return new Document(MAPPER.readTree(body), List.of(), null);
        } catch (JsonProcessingException wholeFailed) {
            List<Line> lines = lines(body);
            if (lines.isEmpty() || lines.get(0).value() == null) {
                return new Document(null, List.of(), "not JSON" + describe(wholeFailed));
            }
            return new Document(null, lines, null);
        }
    }

    /** A value as it would appear in JSON, shortened for a message. */
    static String show(JsonNode node) {
        String json = node.toString();
        return json.length() <= SHOWN_CHARS ? json : json.substring(0, SHOWN_CHARS) + "...";
    }

    private static List<Line> lines(String body) {
        List<Line> lines = new ArrayList<>();
        String[] split = body.split("\\R", -1);
        for (int i = 0; i < split.length; i++) {
            if (split[i].isBlank()) {
                continue;
            }
            try {
                lines.add(new Line(i + 1, MAPPER.readTree(split[i]), null));
            } catch (JsonProcessingException e) {
                lines.add(new Line(i + 1, null, "not JSON: " + e.getOriginalMessage()));
            }
        }
        return lines;
    }

    private static String describe(JsonProcessingException e) {
        JsonLocation at = e.getLocation();
        String where = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
        return where + ": " + e.getOriginalMessage();
    }
}
