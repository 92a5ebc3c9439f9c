package io.tokenmeter.billing;

import io.tokenmeter.anomaly.Alerts;
import io.tokenmeter.event.Alert;
import io.tokenmeter.event.AlertType;
import io.tokenmeter.event.AllocatedCost;
import io.tokenmeter.event.BillLine;
import io.tokenmeter.event.BillMeter;
import io.tokenmeter.event.BillingRule;
import io.tokenmeter.event.Severity;
import io.tokenmeter.streams.EventTime;
import io.tokenmeter.streams.PipelineMetrics;
import io.tokenmeter.topics.SharingRules;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The allocation of each UTC day (the key): keeps the day's bill lines and measured use, and on a short wall-clock
 * punctuation recomputes every day whose lines, use or sharing rules changed ({@link DayAllocation}), sending the parts
 * that changed to {@code cost.allocated} (with the next revision) and withdrawing parts that are gone (tombstones).
 * The result depends only on the day's inputs, never on their order, so replays and restarts end in the same parts.
 *
 * <p>Drift between billed and measured tokens is judged once the day is complete in event time (the watermark of the
 * usage stage has passed its end), so a bill loaded before the day's use caught up does not page; a later change of
 * the day (late use, a re-export) judges it again and may resolve it.
 */
final class Allocation extends ContextualProcessor<String, DaySignal, String, Allocation.Output> {

    static final String NAME = "billing-allocate";
    static final String STAGE = "billing";
    static final String LINES_STORE = "billing-lines-store";
    static final String USE_STORE = "billing-use-store";
    static final String ALLOCATED_STORE = "billing-allocated-store";
    static final String RECONCILED_STORE = "billing-reconciled-store";
    static final String DAYS_STORE = "billing-days-store";
    static final String DRIFT_STORE = "billing-drift-store";
    private static final char SEPARATOR = UseKey.SEPARATOR;
    private static final StringSerializer KEYS = new StringSerializer();

    /** What the allocation sends: a part of a bill line (or its withdrawal), or a drift alert. */
    sealed interface Output {
    }

    record Allocated(AllocatedCost cost) implements Output {
    }

    record Withdrawn() implements Output {
    }

    record AlertOut(Alert alert) implements Output {
    }

    private final BillingSettings settings;
    private final EventTime.Settings eventTimeSettings;
    private final PipelineMetrics metrics;
    private final String rulesStore;
    private EventTime eventTime;
    private KeyValueStore<String, BillLine> lines;
    private KeyValueStore<String, Use> use;
    private KeyValueStore<String, AllocatedCost> allocated;
    private KeyValueStore<String, DayAllocation.Reconciled> reconciled;
    private KeyValueStore<String, DayState> days;
    private KeyValueStore<String, Alert> drift;
    private KeyValueStore<String, BillingRule> rules;

    Allocation(BillingSettings settings, EventTime.Settings eventTimeSettings, PipelineMetrics metrics, String rulesStore) {
        this.settings = settings;
        this.eventTimeSettings = eventTimeSettings;
        this.metrics = metrics;
        this.rulesStore = rulesStore;
    }

    @Override
    public void init(ProcessorContext<String, Output> context) {
        super.init(context);
        lines = context.getStateStore(LINES_STORE);
        use = context.getStateStore(USE_STORE);
        allocated = context.getStateStore(ALLOCATED_STORE);
        reconciled = context.getStateStore(RECONCILED_STORE);
        days = context.getStateStore(DAYS_STORE);
        drift = context.getStateStore(DRIFT_STORE);
        rules = context.getStateStore(rulesStore);
        eventTime = EventTime.of(context, STAGE, eventTimeSettings);
        context.schedule(settings.recompute(), PunctuationType.WALL_CLOCK_TIME, now -> recomputeChanged());
    }

    @Override
    public void process(Record<String, DaySignal> record) {
        if (eventTime.absorb(record)) {
            return; // days the watermark has completed are judged on the next punctuation
        }
        String day = record.key();
        DayState state = days.get(day);
        state = state == null ? DayState.EMPTY : state;
        if (record.value() instanceof DaySignal.Line line) {
            String key = day + SEPARATOR + line.lineId();
            boolean had = lines.get(key) != null;
            if (line.line() == null) {
                lines.delete(key);
            } else {
                lines.put(key, line.line());
            }
            int count = state.lines() + (line.line() == null ? (had ? -1 : 0) : (had ? 0 : 1));
            days.put(day, state.withLines(count).markDirty());
        } else {
            DaySignal.Used used = (DaySignal.Used) record.value();
            String key = day + SEPARATOR + used.key().encode();
            Use before = use.get(key);
            use.put(key, before == null ? used.use() : before.plus(used.use()));
            if (state.lines() > 0) {
                days.put(day, state.markDirty());
            } else if (state == DayState.EMPTY) {
                days.put(day, state); // known, so its use is forgotten after the retention
            }
        }
    }

    private void recomputeChanged() {
        long watermark = eventTime.watermark();
        long fingerprint = rulesFingerprint();
        List<KeyValue<String, DayState>> all = new ArrayList<>();
        try (KeyValueIterator<String, DayState> it = days.all()) {
            it.forEachRemaining(all::add);
        }
        for (KeyValue<String, DayState> entry : all) {
            String day = entry.key;
            DayState state = entry.value;
            if (watermark != EventTime.UNKNOWN && Days.end(day) + settings.retention().toMillis() < watermark) {
                forget(day);
                continue;
            }
            boolean complete = complete(day, watermark);
            if (state.lines() > 0 && (state.dirty() || state.rulesFingerprint() != fingerprint || (complete && !state.judged()))) {
                recompute(day, state, fingerprint, complete);
            } else if (state.lines() == 0 && state.dirty()) {
                withdrawAll(day); // the day's last line left the bill
                days.put(day, state.computed(fingerprint, complete, List.of()));
            }
        }
    }

    private boolean complete(String day, long watermark) {
        return watermark != EventTime.UNKNOWN && watermark >= Days.end(day);
    }

    private void recompute(String day, DayState state, long fingerprint, boolean complete) {
        Map<String, BillLine> dayLines = new TreeMap<>();
        scan(lines, day).forEach(kv -> dayLines.put(kv.key.substring(day.length() + 1), kv.value));
        Map<UseKey, Use> dayUse = new HashMap<>();
        scan(use, day).forEach(kv -> dayUse.put(UseKey.decode(kv.key.substring(day.length() + 1)), kv.value));
        DayAllocation allocation = DayAllocation.of(dayLines, dayUse, rules());

        Map<String, AllocatedCost> before = new HashMap<>();
        scan(allocated, day).forEach(kv -> before.put(kv.key, kv.value));
        for (DayAllocation.Part part : allocation.parts()) {
            String key = day + SEPARATOR + part.key();
            AllocatedCost old = before.remove(key);
            AllocatedCost now = cost(day, dayLines.get(part.lineId()), part, old == null ? 0 : old.getRevision() + 1);
            if (old == null || !sameBut(old, now)) {
                allocated.put(key, now);
                context().forward(new Record<>(topicKey(part), new Allocated(now), Days.start(day)));
                if (old != null) {
                    metrics.revised("allocation");
                }
            }
        }
        for (String gone : before.keySet()) {
            allocated.delete(gone);
            context().forward(new Record<>(topicKey(gone.substring(day.length() + 1)), new Withdrawn(), Days.start(day)));
        }

        Map<String, DayAllocation.Reconciled> groups = new HashMap<>();
        allocation.reconciled().forEach(r -> groups.put(day + SEPARATOR + r.key(), r));
        for (KeyValue<String, DayAllocation.Reconciled> old : scan(reconciled, day)) {
            if (!groups.containsKey(old.key)) {
                reconciled.delete(old.key);
            }
        }
        groups.forEach(reconciled::put);
        if (complete) {
            judgeDrift(day, groups);
        }
        days.put(day, state.computed(fingerprint, complete, allocation.unmatched()));
        metrics.billing("day-recomputed");
    }

    private void judgeDrift(String day, Map<String, DayAllocation.Reconciled> groups) {
        Map<String, Alert> firing = new HashMap<>();
        scan(drift, day).forEach(kv -> firing.put(kv.key, kv.value));
        Instant at = Instant.ofEpochMilli(Days.end(day));
        for (Map.Entry<String, DayAllocation.Reconciled> group : groups.entrySet()) {
            DayAllocation.Reconciled r = group.getValue();
            double share = r.billedTokens() == 0 ? (r.meteredTokens() > 0 ? 1.0 : 0.0)
                    : Math.abs(r.billedTokens() - r.meteredTokens()) / (double) r.billedTokens();
            boolean drifting = Math.max(r.billedTokens(), r.meteredTokens()) >= settings.driftMinTokens() && share > settings.driftShare();
            Alert fired = firing.remove(group.getKey());
            if (drifting && fired == null) {
                Alert alert = driftAlert(day, r, share, at);
                drift.put(group.getKey(), alert);
                context().forward(new Record<>(alert.getDedupKey(), new AlertOut(alert), at.toEpochMilli()));
            } else if (!drifting && fired != null) {
                resolve(group.getKey(), fired, at, String.format(Locale.ROOT, "billed %,d and measured %,d tokens now agree within %.1f %%",
                        r.billedTokens(), r.meteredTokens(), settings.driftShare() * 100));
            }
        }
        firing.forEach((key, fired) -> resolve(key, fired, at, "the bill no longer has this meter and day"));
    }

    private void resolve(String key, Alert fired, Instant at, String why) {
        drift.delete(key);
        Alert resolved = Alerts.resolved(fired, at, "Bill drift resolved: " + why, Map.of());
        context().forward(new Record<>(resolved.getDedupKey(), new AlertOut(resolved), at.toEpochMilli()));
    }

    private Alert driftAlert(String day, DayAllocation.Reconciled r, double share, Instant at) {
        String resource = r.resourceId() != null ? r.resourceId() : r.account();
        Map<String, String> evidence = new LinkedHashMap<>();
        evidence.put("resourceId", resource);
        evidence.put("day", day);
        evidence.put("tokenKind", r.kind().name());
        evidence.put("deploymentType", r.deploymentType());
        evidence.put("billedTokens", Long.toString(r.billedTokens()));
        evidence.put("meteredTokens", Long.toString(r.meteredTokens()));
        evidence.put("effectiveCostUsd", Nanos.decimal(r.effectiveNanos()));
        evidence.put("estimatedCostUsd", Nanos.decimal(r.estimatedNanos()));
        String why = r.billedTokens() > r.meteredTokens() ? "more billed than measured: traffic that bypassed the gateway, or telemetry that is missing"
                : "more measured than billed: calls attributed to the wrong resource or model, or a bill that is not complete";
        String message = String.format(Locale.ROOT, "Bill drift on %s %s %s %s tokens of %s: billed %,d, measured %,d (%.1f %% apart, threshold %.1f %%): %s",
                r.account(), r.model(), r.deploymentType(), r.kind().name().toLowerCase(Locale.ROOT).replace('_', ' '), day, r.billedTokens(),
                r.meteredTokens(), share * 100, settings.driftShare() * 100, why);
        return Alerts.firing(Alerts.dedupKey(AlertType.BILL_DRIFT, r.account(), r.model(), r.deploymentType(), r.kind(), day), AlertType.BILL_DRIFT,
                        Severity.WARNING, "billed-vs-measured-tokens", share, settings.driftShare(), Instant.ofEpochMilli(Days.start(day)), at, at,
                        message, evidence)
                .setModel(r.model()).build();
    }

    private void withdrawAll(String day) {
        for (KeyValue<String, AllocatedCost> old : scan(allocated, day)) {
            allocated.delete(old.key);
            context().forward(new Record<>(topicKey(old.key.substring(day.length() + 1)), new Withdrawn(), Days.start(day)));
        }
        for (KeyValue<String, DayAllocation.Reconciled> old : scan(reconciled, day)) {
            reconciled.delete(old.key);
        }
    }

    /** A day past the retention: forgotten, without withdrawing what was published about it. */
    private void forget(String day) {
        for (KeyValueStore<String, ?> store : List.of(lines, use, allocated, reconciled, drift)) {
            for (KeyValue<String, ?> kv : scan(store, day)) {
                store.delete(kv.key);
            }
        }
        days.delete(day);
    }

    private List<BillingRule> rules() {
        List<BillingRule> all = new ArrayList<>();
        try (KeyValueIterator<String, BillingRule> it = rules.all()) {
            it.forEachRemaining(kv -> {
                if (kv.value != null && SharingRules.problem(kv.value) == null) {
                    all.add(kv.value); // the loader refuses unusable rules; one written past it is ignored, not fatal
                }
            });
        }
        all.sort(java.util.Comparator.comparing(BillingRule::getName));
        return all;
    }

    /** A digest of the rules in force: a change recomputes every day with a bill. */
    private long rulesFingerprint() {
        long h = 0xcbf29ce484222325L;
        for (BillingRule rule : rules()) {
            BillingRule content = BillingRule.newBuilder(rule).setUpdatedAt(Instant.EPOCH).build(); // reloading the same rule changes nothing
            for (char c : content.toString().toCharArray()) {
                h = (h ^ c) * 0x100000001b3L;
            }
        }
        return h;
    }

    private static <V> List<KeyValue<String, V>> scan(KeyValueStore<String, V> store, String day) {
        List<KeyValue<String, V>> found = new ArrayList<>();
        try (KeyValueIterator<String, V> it = store.prefixScan(day + SEPARATOR, KEYS)) {
            it.forEachRemaining(found::add);
        }
        return found;
    }

    /** The key on cost.allocated: the line, then the scope's tenant|application|useCase|costCenter|agent, or "unallocated". */
    private static String topicKey(DayAllocation.Part part) {
        return topicKey(part.key());
    }

    private static String topicKey(String partKey) {
        int cut = partKey.indexOf(SEPARATOR);
        String scope = partKey.substring(cut + 1);
        return partKey.substring(0, cut) + '|' + (scope.isEmpty() ? "unallocated" : scope.replace(SEPARATOR, '|'));
    }

    private static boolean sameBut(AllocatedCost a, AllocatedCost b) {
        return AllocatedCost.newBuilder(a).setRevision(0).build().equals(AllocatedCost.newBuilder(b).setRevision(0).build());
    }

    private static AllocatedCost cost(String day, BillLine line, DayAllocation.Part part, int revision) {
        BillMeter meter = line.getMeter();
        UseKey.Scope scope = part.scope();
        return AllocatedCost.newBuilder()
                .setDay(Instant.ofEpochMilli(Days.start(day)))
                .setLineId(part.lineId())
                .setResourceId(line.getResourceId())
                .setServiceName(line.getServiceName())
                .setSkuMeter(line.getSkuMeter())
                .setMeterKind(meter == null ? null : meter.getKind())
                .setModel(meter == null ? null : meter.getModel())
                .setDeploymentType(meter == null ? null : meter.getDeploymentType())
                .setRule(part.rule())
                .setTenant(scope == null ? null : scope.tenant())
                .setApplication(scope == null ? null : scope.application())
                .setUseCase(scope == null ? null : scope.useCase())
                .setCostCenter(scope == null ? null : scope.costCenter())
                .setAgent(scope == null ? null : scope.agent())
                .setUnallocatedReason(part.reason())
                .setCurrency(line.getBillingCurrency())
                .setAllocatedCostNanos(part.allocatedNanos())
                .setEstimatedCostNanos(part.estimatedNanos())
                .setBasis(part.basis())
                .setLineBasis(part.lineBasis())
                .setRevision(revision)
                .build();
    }
}
