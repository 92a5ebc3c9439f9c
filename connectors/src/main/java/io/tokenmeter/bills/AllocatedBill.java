package io.tokenmeter.bills;

import io.tokenmeter.event.AllocatedCost;
import io.tokenmeter.event.BillLine;
import io.tokenmeter.event.BillingCost;
import io.tokenmeter.ingest.CompactedTopics;
import io.tokenmeter.topics.BillingKeys;
import io.tokenmeter.topics.BillingRun;
import io.tokenmeter.topics.Topic;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The allocation of the bill lines of some days, as the topics hold it now: the latest parts on cost.allocated joined
 * by line id with the lines of the runs in force on billing.costs (the newest complete run of each export and period,
 * {@link BillingRun}). Parts of lines no longer in force (a re-export replaced their run and the tombstones are still
 * on their way) are left out and counted, and so are lines in force that have no parts yet.
 *
 * @param lines the lines with their parts, by day, then line id
 * @param linesWithoutParts lines in force in the range that have no part (zero-cost purchases, or not yet allocated)
 * @param partsOutsideBill parts in the range whose line is not in force
 */
public record AllocatedBill(List<Line> lines, int linesWithoutParts, int partsOutsideBill) {

    /** One bill line in force and its parts: one per scope that used it, and the unallocated rest. */
    public record Line(String lineId, String export, String billingPeriod, BillLine line, List<AllocatedCost> parts) {

        /** The sum of the parts' allocatedCostNanos. */
        public long allocatedNanos() {
            return parts.stream().mapToLong(AllocatedCost::getAllocatedCostNanos).sum();
        }

        /** Whether the parts add up to the line's EffectiveCost (they do once the allocation of its day has settled). */
        public boolean addsUp() {
            return allocatedNanos() == line.getEffectiveCostNanos();
        }
    }

    /** Reads both topics from the beginning to their end offsets at the start (read_committed) and joins them for days in [from, to). */
    public static AllocatedBill read(Map<String, Object> clientProps, Topic<String, BillingCost> billingCosts, Topic<String, AllocatedCost> costAllocated,
                                     Instant from, Instant to) {
        InForce bill = new InForce(from, to);
        CompactedTopics.readToEnd(clientProps, billingCosts, (key, cost) -> bill.add(cost));
        Map<String, AllocatedCost> parts = CompactedTopics.latest(clientProps, costAllocated);
        return join(bill.lines(), parts.values(), from, to);
    }

    /** Parts (the latest value of each cost.allocated key) joined with the lines in force, for days in [from, to). */
    static AllocatedBill join(Map<String, Line> inForce, Iterable<AllocatedCost> latestParts, Instant from, Instant to) {
        Map<String, List<AllocatedCost>> byLine = new HashMap<>();
        int outside = 0;
        for (AllocatedCost part : latestParts) {
            if (!inRange(part.getDay(), from, to)) {
                continue;
            }
            if (inForce.containsKey(part.getLineId())) {
                byLine.computeIfAbsent(part.getLineId(), id -> new ArrayList<>()).add(part);
            } else {
                outside++;
            }
        }
        List<Line> lines = new ArrayList<>();
        int withoutParts = 0;
        for (Line line : inForce.values()) {
            List<AllocatedCost> parts = byLine.get(line.lineId());
            if (parts == null) {
                withoutParts++;
                continue;
            }
            parts.sort(PART_ORDER);
            lines.add(new Line(line.lineId(), line.export(), line.billingPeriod(), line.line(), List.copyOf(parts)));
        }
        lines.sort(Comparator.comparing((Line l) -> l.line().getChargePeriodStart()).thenComparing(Line::lineId));
        return new AllocatedBill(List.copyOf(lines), withoutParts, outside);
    }

    /** Scopes by tenant, application, use case, cost center and agent; the unallocated rest last. */
    private static final Comparator<AllocatedCost> PART_ORDER = Comparator
            .comparing((AllocatedCost p) -> p.getUnallocatedReason() != null)
            .thenComparing(p -> scopeKey(p));

    private static String scopeKey(AllocatedCost part) {
        return String.join("\u001F", String.valueOf(part.getTenant()), String.valueOf(part.getApplication()), String.valueOf(part.getUseCase()),
                String.valueOf(part.getCostCenter()), String.valueOf(part.getAgent()));
    }

    /**
     * The runs of every export and billing period as billing.costs records arrive, and which is in force: of the runs
     * whose end arrived with all their lines, the newest. Only lines of days in [from, to) are kept; the others are
     * only counted, so a long history costs little memory. A run is judged whole, whatever the order of its records:
     * {@code billing load} writes each run in one transaction with its end last, so the topology, which judges a run
     * when its end arrives, puts the same runs in force.
     */
    static final class InForce {

        private final Instant from;
        private final Instant to;
        /** period key -> run id -> what arrived of the run */
        private final Map<String, Map<String, Staged>> periods = new LinkedHashMap<>();

        InForce(Instant from, Instant to) {
            this.from = from;
            this.to = to;
        }

        private static final class Staged {
            final BitSet indexes = new BitSet();
            final Map<Integer, BillLine> kept = new TreeMap<>();
            BillingRun end;
            String export;
            String billingPeriod;
        }

        void add(BillingCost cost) {
            if (cost == null || cost.getIndex() < 0) {
                return; // not a record the topology would take either (it goes to the dead-letter topic there)
            }
            Staged run = periods.computeIfAbsent(BillingKeys.period(cost.getExport(), cost.getBillingPeriod()), p -> new LinkedHashMap<>())
                    .computeIfAbsent(cost.getRunId(), r -> new Staged());
            run.export = cost.getExport();
            run.billingPeriod = cost.getBillingPeriod();
            if (cost.getLine() == null) {
                run.end = BillingRun.ofEnd(cost);
                return;
            }
            run.indexes.set(cost.getIndex());
            if (inRange(day(cost.getLine()), from, to)) {
                run.kept.put(cost.getIndex(), cost.getLine());
            }
        }

        /** The kept lines of the run in force of every period, by line id. */
        Map<String, Line> lines() {
            Map<String, Line> lines = new LinkedHashMap<>();
            for (Map<String, Staged> runs : periods.values()) {
                Staged inForce = null;
                for (Staged run : runs.values()) {
                    if (run.end != null && run.end.completeWith(run.indexes.cardinality()) && run.indexes.length() == run.end.lines()
                            && run.end.newerThan(inForce == null ? null : inForce.end)) {
                        inForce = run;
                    }
                }
                if (inForce != null) {
                    for (Map.Entry<Integer, BillLine> line : inForce.kept.entrySet()) {
                        String id = BillingKeys.lineId(inForce.export, inForce.billingPeriod, inForce.end.runId(), line.getKey());
                        lines.put(id, new Line(id, inForce.export, inForce.billingPeriod, line.getValue(), List.of()));
                    }
                }
            }
            return lines;
        }
    }

    /** The UTC day of a line's ChargePeriodStart: the day the allocation gives its parts. */
    static Instant day(BillLine line) {
        return line.getChargePeriodStart().truncatedTo(ChronoUnit.DAYS);
    }

    private static boolean inRange(Instant day, Instant from, Instant to) {
        return !day.isBefore(from) && day.isBefore(to);
    }
}
