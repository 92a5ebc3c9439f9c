package io.tokenmeter.history;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Rows of named text fields by key: one result of a run (a topic's latest records, an API answer) or what the truth
 * says it should be, in a form two of which can be compared field by field and the differences shown to a person.
 */
public final class Table {

    private final String name;
    private final SortedMap<String, SortedMap<String, String>> rows = new TreeMap<>();
    private final List<String> repeatedKeys = new ArrayList<>();

    public Table(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    /** Adds a row; a key given twice is remembered as a difference of its own (two records where one belongs). */
    public Table put(String key, Map<String, ?> fields) {
        SortedMap<String, String> row = new TreeMap<>();
        fields.forEach((field, value) -> row.put(field, String.valueOf(value)));
        if (rows.put(key, row) != null) {
            repeatedKeys.add(key);
        }
        return this;
    }

    public SortedMap<String, SortedMap<String, String>> rows() {
        return Collections.unmodifiableSortedMap(rows);
    }

    public int size() {
        return rows.size();
    }

    /** A decimal in one spelling: 0.50, 0.5 and 5E-1 are all 0.5; "null" stays. */
    public static String decimal(Object value) {
        if (value == null || "null".equals(String.valueOf(value))) {
            return "null";
        }
        BigDecimal number = new BigDecimal(String.valueOf(value)).stripTrailingZeros();
        return number.scale() < 0 ? number.setScale(0).toPlainString() : number.toPlainString();
    }

    /** How {@code actual} differs from this table, taken as the expected one. */
    public Diff diff(Table actual) {
        List<String> missing = new ArrayList<>();
        List<String> extra = new ArrayList<>();
        List<String> changed = new ArrayList<>();
        rows.forEach((key, expected) -> {
            SortedMap<String, String> got = actual.rows.get(key);
            if (got == null) {
                missing.add(key + "  " + expected);
                return;
            }
            Map<String, String> fields = new LinkedHashMap<>();
            for (String field : union(expected, got)) {
                String want = expected.get(field);
                String have = got.get(field);
                if (want == null ? have != null : !want.equals(have)) {
                    fields.put(field, want + " -> " + have);
                }
            }
            if (!fields.isEmpty()) {
                changed.add(key + "  " + fields);
            }
        });
        actual.rows.forEach((key, got) -> {
            if (!rows.containsKey(key)) {
                extra.add(key + "  " + got);
            }
        });
        actual.repeatedKeys.forEach(key -> extra.add(key + "  (more than one record for this key)"));
        return new Diff(name, rows.size(), actual.rows.size(), missing, extra, changed);
    }

    private static List<String> union(Map<String, String> a, Map<String, String> b) {
        TreeMap<String, Boolean> all = new TreeMap<>();
        a.keySet().forEach(k -> all.put(k, true));
        b.keySet().forEach(k -> all.put(k, true));
        return new ArrayList<>(all.keySet());
    }

    /** Rows expected but absent, present but not expected, and present with other values (field: expected -> actual). */
    public record Diff(String table, int expectedRows, int actualRows, List<String> missing, List<String> extra, List<String> changed) {

        public int differing() {
            return missing.size() + extra.size() + changed.size();
        }

        public boolean none() {
            return differing() == 0;
        }

        /** One line of counts. */
        public String summary() {
            return String.format("%-34s %6d of %6d rows differ (%d missing, %d extra, %d changed; %d actual rows)", table, differing(),
                    expectedRows, missing.size(), extra.size(), changed.size(), actualRows);
        }

        /** The counts and the first {@code max} differing rows of each kind. */
        public String describe(int max) {
            StringBuilder out = new StringBuilder(summary()).append('\n');
            section(out, "missing", missing, max);
            section(out, "extra", extra, max);
            section(out, "changed", changed, max);
            return out.toString();
        }

        private static void section(StringBuilder out, String what, List<String> lines, int max) {
            for (int i = 0; i < Math.min(max, lines.size()); i++) {
                out.append("    ").append(what).append(": ").append(lines.get(i)).append('\n');
            }
            if (lines.size() > max) {
                out.append("    ... and ").append(lines.size() - max).append(" more ").append(what).append('\n');
            }
        }
    }
}
