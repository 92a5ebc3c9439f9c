package io.tokenmeter.pager;

import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.event.Severity;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.kafka.common.config.ConfigException;

/**
 * Which alerts a target gets: a set of types (empty: all) and a minimum severity. A RESOLVED record carries the
 * type and severity of its FIRING record, so an incident's two records always take the same route.
 */
public record Route(Set<AlertType> types, Severity minSeverity) {

    public static final Route ALL = new Route(EnumSet.noneOf(AlertType.class), Severity.INFO);

    public Route {
        types = types.isEmpty() ? EnumSet.noneOf(AlertType.class) : EnumSet.copyOf(types);
    }

    public boolean accepts(Alert alert) {
        return (types.isEmpty() || types.contains(alert.getType())) && alert.getSeverity().ordinal() >= minSeverity.ordinal();
    }

    /** The route of config values {@code typesKey} (list of type names) and {@code severityKey}. */
    static Route parse(String typesKey, List<String> types, String severityKey, String severity) {
        Set<AlertType> parsed = EnumSet.noneOf(AlertType.class);
        for (String type : types) {
            String name = type.strip().toUpperCase(Locale.ROOT).replace('-', '_');
            if (name.isEmpty()) {
                continue;
            }
            try {
                parsed.add(AlertType.valueOf(name));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(typesKey, type, "an alert type is one of " + EnumSet.allOf(AlertType.class));
            }
        }
        try {
            return new Route(parsed, Severity.valueOf(severity.strip().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(severityKey, severity, "a severity is INFO, WARNING or CRITICAL");
        }
    }

    @Override
    public String toString() {
        return (types.isEmpty() ? "all types" : types.toString()) + ", " + minSeverity + " and above";
    }
}
