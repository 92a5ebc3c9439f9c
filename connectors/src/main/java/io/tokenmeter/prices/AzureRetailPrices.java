package io.tokenmeter.prices;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;

/**
 * Maps a saved Azure Retail Prices API response (one page, a JSON array of items, or JSON lines of pages or items)
 * to price entries. Items that are not pay-as-you-go token meters are reported as problems, each with its reason.
 */
public final class AzureRetailPrices {

    private final CatalogCollector out = new CatalogCollector();
    private final AzurePriceSeries series;
    private int items;
    private JsonNode lastPage;

    private AzureRetailPrices(String sourceName) {
        series = new AzurePriceSeries(sourceName == null ? "Azure Retail Prices API" : "Azure Retail Prices API (" + sourceName + ")", out);
    }

    /**
     * @param text the saved response
     * @param sourceName where it came from, e.g. its file name; entries say "Azure Retail Prices API (sourceName)"
     */
    public static CatalogRead read(String text, String sourceName) {
        AzureRetailPrices reader = new AzureRetailPrices(sourceName);
        JsonInput.Document doc = JsonInput.read(text);
        if (doc.failure() != null) {
            reader.out.problem(doc.failure());
            return reader.out.result();
        }
        if (doc.whole() != null) {
            reader.value(doc.whole());
        } else {
            for (JsonInput.Line line : doc.lines()) {
                if (line.error() != null) {
                    reader.out.problem("line " + line.number() + ": " + line.error());
                } else {
                    reader.value(line.value());
                }
            }
        }
        return reader.finish();
    }

    public static CatalogRead read(Reader reader, String sourceName) throws IOException {
        return read(JsonInput.text(reader), sourceName);
    }

    /** Reads UTF-8. */
    public static CatalogRead read(InputStream in, String sourceName) throws IOException {
        return read(JsonInput.text(in), sourceName);
    }

    private void value(JsonNode node) {
        if (node.isArray()) {
            node.forEach(this::pageOrItem);
        } else {
            pageOrItem(node);
        }
    }

    private void pageOrItem(JsonNode node) {
        if (!node.has("Items")) {
            item(node, null);
            return;
        }
        lastPage = node;
        JsonNode pageItems = node.get("Items");
        if (!pageItems.isArray()) {
            out.problem("field 'Items': must be an array of items, got " + JsonInput.show(pageItems));
            return;
        }
        String currency = node.path("BillingCurrency").isTextual() ? node.get("BillingCurrency").asText().strip() : null;
        pageItems.forEach(item -> item(item, currency));
    }

    private void item(JsonNode item, String pageCurrency) {
        items++;
        String position = "item " + items + AzureMeter.describe(item);
        try {
            series.add(position, AzureMeter.of(item, pageCurrency));
        } catch (IllegalArgumentException unmappable) {
            out.problem(position + ": " + unmappable.getMessage());
        }
    }

    private CatalogRead finish() {
        // The API pages its answers; a saved response whose last page points further is missing prices.
        if (lastPage != null && lastPage.path("NextPageLink").isTextual() && !lastPage.get("NextPageLink").asText().isBlank()) {
            out.problem("the last page read has a NextPageLink, so later pages are missing: " + lastPage.get("NextPageLink").asText());
        }
        series.emit();
        return out.result();
    }
}
