package io.tokenmeter.service;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.config.MeterFilterReply;
import java.util.Arrays;
import java.util.Set;

/**
 * Keeps /metrics within Prometheus' naming rules ({@code promtool check metrics} finds nothing), for the meters tokenmeter
 * does not name itself: the Kafka client metrics of Kafka Streams and Micrometer's process and system binders.
 * <ul>
 *   <li>meters counted in abbreviated units ({@code *-time-ns-total}, {@code start-time-ms}, {@code process.cpu.time} in
 *       nanoseconds) are left out: a filter can rename but not rescale them to seconds, and they are tuning detail;</li>
 *   <li>gauges called {@code *.count} ({@code connection-count}, {@code system.cpu.count}) would read as a histogram's
 *       {@code _count}: Kafka's connection count becomes {@code *_connections}, the constant CPU count is left out;</li>
 *   <li>a Kafka metric without a description gets one that names its Kafka group and name, so it has help text.</li>
 * </ul>
 */
public final class PrometheusConventions implements MeterFilter {

    private static final Set<String> ABBREVIATED_UNITS = Set.of("ns", "us", "ms");
    private static final Set<String> LEFT_OUT = Set.of("system.cpu.count", "process.cpu.time");

    @Override
    public MeterFilterReply accept(Meter.Id id) {
        String name = id.getName();
        if (LEFT_OUT.contains(name)) {
            return MeterFilterReply.DENY;
        }
        if (name.startsWith("kafka.") && Arrays.stream(name.split("\\.")).anyMatch(ABBREVIATED_UNITS::contains)) {
            return MeterFilterReply.DENY;
        }
        return MeterFilterReply.NEUTRAL;
    }

    @Override
    public Meter.Id map(Meter.Id id) {
        if (!id.getName().startsWith("kafka.")) {
            return id;
        }
        String name = id.getName().endsWith(".connection.count")
                ? id.getName().substring(0, id.getName().length() - ".connection.count".length()) + ".connections"
                : id.getName();
        String description = id.getDescription() == null || id.getDescription().isBlank()
                ? "Kafka client metric " + id.getName() + " (Kafka documents no description)"
                : id.getDescription();
        if (name.equals(id.getName()) && description.equals(id.getDescription())) {
            return id;
        }
        return new Meter.Id(name, Tags.of(id.getTags()), id.getBaseUnit(), description, id.getType());
    }
}
