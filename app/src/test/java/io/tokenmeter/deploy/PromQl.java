package io.tokenmeter.deploy;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Just enough PromQL reading for the deploy tests: which metric names an expression (or a Grafana variable query) selects. */
public final class PromQl {

    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right", "bool",
            "and", "or", "unless", "offset", "inf", "nan");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w:$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\\w:])(\\s*\\()?");
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\(\\s*([^,)]+?)\\s*,\\s*(\\w+)\\s*\\)");

    private PromQl() {
    }

    /** The metric names {@code expr} reads: identifiers outside label matchers, strings and ranges that are not functions or keywords. */
    public static Set<String> metricNames(String expr) {
        Matcher labelValues = LABEL_VALUES.matcher(expr);
        if (labelValues.matches()) {
            return metricNames(labelValues.group(1));
        }
        String bare = expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")      // string literals
                .replaceAll("\\{[^}]*}", "")                                  // label matchers
                .replaceAll("\\[[^]]*]", "")                                  // ranges and subqueries
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");  // label lists
        Set<String> names = new TreeSet<>();
        Matcher m = IDENTIFIER.matcher(bare);
        while (m.find()) {
            String name = m.group(1);
            if (m.group(2) == null && !KEYWORDS.contains(name.toLowerCase(java.util.Locale.ROOT))) {
                names.add(name);
            }
        }
        return names;
    }

    /**
     * {@code expr} as Prometheus can run it: Grafana's variables replaced (every tenant, a one-minute rate window, a six-hour
     * range) and Grafana's {@code label_values(metric, label)} as the PromQL that finds the same values.
     */
    public static String withGrafanaVariables(String expr) {
        Matcher labelValues = LABEL_VALUES.matcher(expr);
        if (labelValues.matches()) {
            return "count by (" + labelValues.group(2) + ") (" + labelValues.group(1) + ")";
        }
        return expr.replace("$__rate_interval", "1m").replace("$__interval", "1m").replace("$__range", "6h")
                .replace("${tenant:regex}", ".*").replace("$tenant", ".*");
    }
}
