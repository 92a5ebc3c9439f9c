package io.tokenmeter.budgets;

import com.fasterxml.jackson.databind.JsonNode;
import io.tokenmeter.event.Budget;
import io.tokenmeter.prices.JsonInput;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a budget file: a JSON array of budget entries, JSON lines of them, or a single entry (see
 * {@link BudgetSpecs#read}). Every entry is checked, and each bad one is a problem naming its position.
 */
public final class BudgetFiles {

    /** The budgets that could be read, and one message per entry (or line) that could not. */
    public record Read(List<Budget> budgets, List<String> problems) {

        public Read {
            budgets = List.copyOf(budgets);
            problems = List.copyOf(problems);
        }

        public boolean hasProblems() {
            return !problems.isEmpty();
        }
    }

    private BudgetFiles() {
    }

    /**
     * @param text the document
     * @param updatedAt the updatedAt of every budget read
     */
    public static Read read(String text, Instant updatedAt) {
        Collector out = new Collector(updatedAt);
        JsonInput.Document doc = JsonInput.read(text);
        if (!JsonInput.eachEntry(doc, out)) {
            if (doc.whole().isObject()) {
                out.entry("entry 1", doc.whole());
            } else {
                out.problem("expected an array of budgets, JSON lines or one budget object, got " + JsonInput.show(doc.whole()));
            }
        }
        return new Read(out.budgets, out.problems);
    }

    /** Reads UTF-8. */
    public static Read read(InputStream in, Instant updatedAt) throws IOException {
        return read(JsonInput.text(in), updatedAt);
    }

    /** Gathers budgets and problems, refusing a second budget for a scope: only one of them could stay in the topic. */
    private static final class Collector implements JsonInput.Entries {

        private final Instant updatedAt;
        private final Map<String, String> positionByKey = new HashMap<>();
        private final List<Budget> budgets = new ArrayList<>();
        private final List<String> problems = new ArrayList<>();

        Collector(Instant updatedAt) {
            this.updatedAt = updatedAt;
        }

        @Override
        public void entry(String position, JsonNode value) {
            BudgetSpecs.Parsed parsed = BudgetSpecs.read(value, BudgetSpecs.FILE_FIELD, updatedAt);
            if (parsed.budget() == null) {
                problems.add(position + ": " + String.join("; ", parsed.problems()));
                return;
            }
            String key = BudgetSpecs.scopeOf(parsed.budget()).key();
            String earlier = positionByKey.putIfAbsent(key, position);
            if (earlier != null) {
                problems.add(position + ": scope " + key + " already has a budget in " + earlier + "; a scope has one budget");
                return;
            }
            budgets.add(parsed.budget());
        }

        @Override
        public void problem(String message) {
            problems.add(message);
        }
    }
}
