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
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads a document that is either one JSON value or JSON lines, keeping decimals exact: price catalogs, and the budget
 * files of {@code io.tokenmeter.budgets}.
 */
public final class JsonInput {

    /** One line of JSON lines: its value, or why it could not be read. */
    public record Line(int number, JsonNode value, String error) {
    }

    /** The whole document as one value, or its lines, or why it is not JSON at all. */
    public record Document(JsonNode whole, List<Line> lines, String failure) {
    }

    /** Receives the entries of a document, each with its position, and what could not be read. */
    public interface Entries {

        /** @param position "entry 3" (of an array, counted from 1) or "line 5" (of JSON lines) */
        void entry(String position, JsonNode value);

        void problem(String message);
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

    public static String text(Reader reader) throws IOException {
        StringWriter text = new StringWriter();
        reader.transferTo(text);
        return text.toString();
    }

    public static String text(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    /**
     * One JSON value if the text is one; otherwise JSON lines when its first non-blank line is a JSON value of its
     * own, so that one bad line costs only that line; otherwise the document is not JSON.
     */
    public static Document read(String text) {
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

    /**
     * Hands each entry of a document that is JSON lines or a JSON array to {@code to}, and a document that is not JSON,
     * or a line that is not, as a problem. Returns false, handing over nothing, when the document is one JSON value
     * other than an array: what that means is the caller's to decide.
     */
    public static boolean eachEntry(Document doc, Entries to) {
        if (doc.failure() != null) {
            to.problem(doc.failure());
        } else if (doc.whole() == null) {
            for (Line line : doc.lines()) {
                if (line.error() != null) {
                    to.problem("line " + line.number() + ": " + line.error());
                } else {
                    to.entry("line " + line.number(), line.value());
                }
            }
        } else if (doc.whole().isArray()) {
            eachEntry(doc.whole(), to);
        } else {
            return false;
        }
        return true;
    }

    /** Hands each element of a JSON array to {@code to} as "entry N", counted from 1. */
    public static void eachEntry(JsonNode array, Entries to) {
        for (int i = 0; i < array.size(); i++) {
            to.entry("entry " + (i + 1), array.get(i));
        }
    }

    /** An exact decimal written as a JSON number or as a string such as "12.50"; empty for anything else. */
    public static Optional<BigDecimal> decimal(JsonNode value) {
        if (value != null && value.isNumber()) {
            return Optional.of(value.decimalValue());
        }
        return value != null && value.isTextual() ? PriceValues.decimal(value.asText()) : Optional.empty();
    }

    /** A value as it would appear in JSON, shortened for a message. */
    public static String show(JsonNode node) {
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
