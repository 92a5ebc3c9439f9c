package io.tokenmeter.prices;

import com.fasterxml.jackson.databind.JsonNode;
import io.tokenmeter.event.PriceEntry;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * Reads tokenmeter price catalogs (a JSON array of entries, JSON lines, or an object with source, retrieved, notes and
 * entries), and names the record key each entry has in the compacted prices topic.
 */
public final class PriceCatalogs {

    private static final String DEFAULT_CATALOG = "default-catalog.json";

    private PriceCatalogs() {
    }

    /**
     * Good entries are returned even when others are bad; each bad one is a problem naming its position ("entry 3",
     * counted from 1, or "line 5" of JSON lines) and its fields.
     *
     * @param text the catalog document
     * @param sourceName where the document came from, e.g. its file name; the source of entries that name none
     */
    public static CatalogRead readTokenmeter(String text, String sourceName) {
        CatalogCollector out = new CatalogCollector();
        JsonInput.Document doc = JsonInput.read(text);
        if (JsonInput.eachEntry(doc, entries(out, sourceName))) {
            return out.result();
        }
        if (doc.whole().isObject() && doc.whole().has("entries")) {
            wrapped(out, doc.whole(), sourceName);
        } else if (doc.whole().isObject()) {
            entry(out, "entry 1", doc.whole(), sourceName);
        } else {
            out.problem("expected an array of entries, JSON lines or an object with 'entries', got " + JsonInput.show(doc.whole()));
        }
        return out.result();
    }

    public static CatalogRead readTokenmeter(Reader reader, String sourceName) throws IOException {
        return readTokenmeter(JsonInput.text(reader), sourceName);
    }

    /** Reads UTF-8. */
    public static CatalogRead readTokenmeter(InputStream in, String sourceName) throws IOException {
        return readTokenmeter(JsonInput.text(in), sourceName);
    }

    /** The catalog shipped with tokenmeter: Azure OpenAI list prices, see the notes inside it. */
    public static CatalogRead defaultCatalog() {
        try (InputStream in = PriceCatalogs.class.getResourceAsStream(DEFAULT_CATALOG)) {
            if (in == null) {
                throw new IllegalStateException(DEFAULT_CATALOG + " is missing from the classpath");
            }
            return readTokenmeter(in, DEFAULT_CATALOG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The record key in the compacted prices topic. It includes effectiveFrom, so that compaction keeps every
     * effective-dated price rather than only the latest one of a scope: {@code gpt-4o|*|global|*|2025-01-01T00:00:00Z}.
     */
    public static String key(PriceEntry e) {
        return String.join("|", e.getModel().toLowerCase(Locale.ROOT), e.getVersion() == null ? "*" : e.getVersion(),
                e.getDeploymentType(), e.getRegion(), e.getEffectiveFrom().toString());
    }

    private static void wrapped(CatalogCollector out, JsonNode doc, String sourceName) {
        JsonNode entries = doc.get("entries");
        if (!entries.isArray()) {
            out.problem("field 'entries': must be an array of entries, got " + JsonInput.show(entries));
            return;
        }
        String source = doc.path("source").isTextual() && !doc.path("source").asText().isBlank()
                ? doc.get("source").asText().strip() : sourceName;
        JsonNode retrieved = doc.path("retrieved");
        if (retrieved.isTextual()) {
            try {
                String date = LocalDate.parse(retrieved.asText().strip()).toString();
                source = (source == null ? "" : source + " ") + "(retrieved " + date + ")";
            } catch (DateTimeParseException e) {
                out.problem("field 'retrieved': must be a date such as 2026-11-22, got " + JsonInput.show(retrieved));
            }
        } else if (!retrieved.isMissingNode() && !retrieved.isNull()) {
            out.problem("field 'retrieved': must be a date such as 2026-11-22, got " + JsonInput.show(retrieved));
        }
        JsonInput.eachEntry(entries, entries(out, source));
    }

    private static JsonInput.Entries entries(CatalogCollector out, String source) {
        return new JsonInput.Entries() {
            @Override
            public void entry(String position, JsonNode value) {
                PriceCatalogs.entry(out, position, value, source);
            }

            @Override
            public void problem(String message) {
                out.problem(message);
            }
        };
    }

    private static void entry(CatalogCollector out, String position, JsonNode node, String source) {
        CatalogEntries.Parsed parsed = CatalogEntries.parse(node, source);
        if (parsed.entry() == null) {
            out.problem(position + ": " + String.join("; ", parsed.errors()));
        } else {
            out.entry(position, parsed.entry());
        }
    }
}
