package io.tokenmeter.billing;

import io.tokenmeter.event.AllocationBasis;
import io.tokenmeter.event.BillLine;
import io.tokenmeter.event.BillMeter;
import io.tokenmeter.event.BillMeterKind;
import io.tokenmeter.event.BillingRule;
import io.tokenmeter.money.Shares;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The allocation of one UTC day's bill, a pure function of the day's bill lines, its measured use and the sharing
 * rules: the same inputs give the same parts, whatever order they arrived in.
 *
 * <ul>
 *   <li>Token meters: a line's {@code EffectiveCost} is split among scopes by their tokens of the meter's kind (uncached
 *   input, cached input, output) of billed calls on the line's account, model and deployment type. When the bill has
 *   more tokens than were measured (Q billed, M measured), the share (Q − M)/Q stays unallocated as untracked use.</li>
 *   <li>Provisioned throughput: split by each scope's input + output tokens on the account's provisioned deployments;
 *   nothing measured is idle capacity.</li>
 *   <li>Other lines: the first sharing rule (by name) that matches claims the line and splits it by requests, tokens or
 *   estimated cost among the use it selects; no rule, or no such use, leaves it unallocated.</li>
 * </ul>
 * The parts of a line add up to its {@code EffectiveCost} to the nano ({@link Shares}).
 */
final class DayAllocation {

    static final String UNTRACKED = "untracked use";
    static final String NO_USE = "no measured use";
    static final String IDLE = "idle capacity";
    static final String NO_RULE = "no rule";

    /** One part of a line: a scope's, or (scope null) the unallocated rest with its reason. */
    record Part(String lineId, UseKey.Scope scope, String reason, String rule, long allocatedNanos, long estimatedNanos, long basis,
                long lineBasis) {

        String key() {
            return lineId + UseKey.SEPARATOR + (scope == null ? "" : scope.encode());
        }
    }

    /** Billed against measured tokens of one account, model, deployment type and token kind in the day. */
    record Reconciled(String account, String resourceId, String model, String deploymentType, BillMeterKind kind, long meteredTokens,
                      long billedTokens, long estimatedNanos, long effectiveNanos, long billedNanos) {

        String key() {
            return group(account, model, deploymentType, kind);
        }

        /** Another line of the same meter (a correction beside the original): the bill adds up, the measured use is the same. */
        Reconciled plusLine(Reconciled o) {
            return new Reconciled(account, resourceId, model, deploymentType, kind, meteredTokens, billedTokens + o.billedTokens,
                    estimatedNanos, effectiveNanos + o.effectiveNanos, billedNanos + o.billedNanos);
        }

        /** More measured use of a meter the bill has no line of. */
        Reconciled plusUse(Reconciled o) {
            return new Reconciled(account, resourceId, model, deploymentType, kind, meteredTokens + o.meteredTokens, 0,
                    estimatedNanos + o.estimatedNanos, 0, 0);
        }
    }

    private final List<Part> parts = new ArrayList<>();
    private final Map<String, Reconciled> reconciled = new TreeMap<>();
    private final List<String> unmatched = new ArrayList<>();
    private static final List<BillMeterKind> TOKEN_KINDS = List.of(BillMeterKind.INPUT, BillMeterKind.CACHED_INPUT, BillMeterKind.OUTPUT);

    private DayAllocation() {
    }

    /** Lines by id (sorted), the day's use, the rules (sorted by name). */
    static DayAllocation of(Map<String, BillLine> lines, Map<UseKey, Use> use, Collection<BillingRule> rules) {
        DayAllocation day = new DayAllocation();
        Map<UseKey, Use> sorted = new TreeMap<>(java.util.Comparator.comparing(UseKey::encode));
        sorted.putAll(use);
        java.util.Set<String> billedAccounts = new java.util.TreeSet<>();
        for (Map.Entry<String, BillLine> entry : new TreeMap<>(lines).entrySet()) {
            BillLine line = entry.getValue();
            BillMeter meter = line.getMeter();
            if (meter == null && line.getEffectiveCostNanos() == 0) {
                continue; // a purchase: its cost reaches the days through the amortized usage rows
            } else if (meter == null) {
                day.shared(entry.getKey(), line, sorted, rules);
            } else if (meter.getKind() == BillMeterKind.PROVISIONED) {
                billedAccounts.add(ResourceIds.account(line.getResourceId()));
                day.provisioned(entry.getKey(), line, sorted);
            } else {
                billedAccounts.add(ResourceIds.account(line.getResourceId()));
                day.tokens(entry.getKey(), line, sorted);
            }
        }
        day.meteredWithoutBill(sorted, billedAccounts);
        return day;
    }

    List<Part> parts() {
        return parts;
    }

    Collection<Reconciled> reconciled() {
        return reconciled.values();
    }

    /** Lines nothing could be matched to: no meter rule or sharing rule claims them, or nobody measured their use. */
    List<String> unmatched() {
        return unmatched;
    }

    private void tokens(String lineId, BillLine line, Map<UseKey, Use> use) {
        BillMeter meter = line.getMeter();
        String account = ResourceIds.account(line.getResourceId());
        String model = meter.getModel() == null ? null : meter.getModel().toLowerCase(Locale.ROOT);
        Map<UseKey.Scope, long[]> byScope = new TreeMap<>(); // tokens, estimate
        for (Map.Entry<UseKey, Use> e : use.entrySet()) {
            UseKey key = e.getKey();
            if (key.account().equals(account) && key.model().equals(model) && key.deploymentType().equals(meter.getDeploymentType())) {
                long[] sum = byScope.computeIfAbsent(key.scope(), s -> new long[2]);
                sum[0] += tokensOf(meter.getKind(), e.getValue());
                sum[1] += estimateOf(meter.getKind(), e.getValue());
            }
        }
        byScope.values().removeIf(sum -> sum[0] == 0 && sum[1] == 0);
        long measured = byScope.values().stream().mapToLong(sum -> sum[0]).sum();
        long estimated = byScope.values().stream().mapToLong(sum -> sum[1]).sum();
        long billed = meter.getTokens();
        reconciled.merge(group(account, model, meter.getDeploymentType(), meter.getKind()),
                new Reconciled(account, line.getResourceId(), model, meter.getDeploymentType(), meter.getKind(), measured, billed, estimated,
                        line.getEffectiveCostNanos(), line.getBilledCostNanos()), Reconciled::plusLine);
        if (measured == 0) {
            unallocated(lineId, line, NO_USE, null, billed, billed);
            return;
        }
        long untracked = Math.max(0, billed - measured);
        split(lineId, line, null, byScope, untracked, UNTRACKED);
    }

    private void provisioned(String lineId, BillLine line, Map<UseKey, Use> use) {
        BillMeter meter = line.getMeter();
        String account = ResourceIds.account(line.getResourceId());
        String model = meter.getModel() == null ? null : meter.getModel().toLowerCase(Locale.ROOT);
        Map<UseKey.Scope, long[]> byScope = new TreeMap<>();
        for (Map.Entry<UseKey, Use> e : use.entrySet()) {
            UseKey key = e.getKey();
            if (key.account().equals(account) && key.deploymentType().equals("provisioned") && (model == null || key.model().equals(model))) {
                long[] sum = byScope.computeIfAbsent(key.scope(), s -> new long[2]);
                sum[0] += e.getValue().tokens();
                sum[1] += e.getValue().estimatedNanos();
            }
        }
        byScope.values().removeIf(sum -> sum[0] == 0);
        if (byScope.isEmpty()) {
            unallocated(lineId, line, IDLE, null, 0, 0);
            unmatched.add(lineId);
            return;
        }
        split(lineId, line, null, byScope, 0, null);
    }

    private void shared(String lineId, BillLine line, Map<UseKey, Use> use, Collection<BillingRule> rules) {
        BillingRule rule = rules.stream().filter(r -> Rules.matches(r, line)).findFirst().orElse(null);
        if (rule == null) {
            unallocated(lineId, line, NO_RULE, null, 0, 0);
            unmatched.add(lineId);
            return;
        }
        Map<UseKey.Scope, long[]> byScope = new TreeMap<>();
        for (Map.Entry<UseKey, Use> e : use.entrySet()) {
            if (Rules.among(rule, e.getKey())) {
                long basis = basisOf(rule.getAllocateBy(), e.getValue());
                if (basis > 0) {
                    byScope.computeIfAbsent(e.getKey().scope(), s -> new long[2])[0] += basis;
                }
            }
        }
        if (byScope.isEmpty()) {
            unallocated(lineId, line, NO_USE, rule.getName(), 0, 0);
            unmatched.add(lineId);
            return;
        }
        split(lineId, line, rule.getName(), byScope, 0, null);
    }

    /** Splits the line among the scopes by their basis, and {@code rest} of the basis to the unallocated part. */
    private void split(String lineId, BillLine line, String rule, Map<UseKey.Scope, long[]> byScope, long rest, String restReason) {
        List<Long> weights = new ArrayList<>();
        byScope.values().forEach(sum -> weights.add(sum[0]));
        if (rest > 0) {
            weights.add(rest);
        }
        long total = weights.stream().mapToLong(Long::longValue).sum();
        long[] split = Shares.split(line.getEffectiveCostNanos(), weights);
        int i = 0;
        for (Map.Entry<UseKey.Scope, long[]> e : byScope.entrySet()) {
            parts.add(new Part(lineId, e.getKey(), null, rule, split[i++], e.getValue()[1], e.getValue()[0], total));
        }
        if (rest > 0) {
            parts.add(new Part(lineId, null, restReason, rule, split[i], 0, rest, total));
        }
    }

    private void unallocated(String lineId, BillLine line, String reason, String rule, long basis, long lineBasis) {
        parts.add(new Part(lineId, null, reason, rule, line.getEffectiveCostNanos(), 0, basis, lineBasis));
        if (NO_USE.equals(reason) && rule == null) {
            unmatched.add(lineId);
        }
    }

    /** Use on accounts the day's bill has lines for, of meters the bill has no line of: measured, never billed. */
    private void meteredWithoutBill(Map<UseKey, Use> use, java.util.Set<String> billedAccounts) {
        java.util.Set<String> billedGroups = java.util.Set.copyOf(reconciled.keySet());
        for (Map.Entry<UseKey, Use> e : use.entrySet()) {
            UseKey key = e.getKey();
            if (!billedAccounts.contains(key.account()) || key.deploymentType().equals("provisioned")) {
                continue; // provisioned use is billed by the hour, not by the token
            }
            for (BillMeterKind kind : TOKEN_KINDS) {
                String group = group(key.account(), key.model(), key.deploymentType(), kind);
                long tokens = tokensOf(kind, e.getValue());
                if (tokens > 0 && !billedGroups.contains(group)) {
                    reconciled.merge(group, new Reconciled(key.account(), null, key.model(), key.deploymentType(), kind, tokens, 0,
                            estimateOf(kind, e.getValue()), 0, 0), Reconciled::plusUse);
                }
            }
        }
    }

    private static String group(String account, String model, String deploymentType, BillMeterKind kind) {
        return String.join(String.valueOf(UseKey.SEPARATOR), account, String.valueOf(model), deploymentType, kind.name());
    }

    static long tokensOf(BillMeterKind kind, Use use) {
        return switch (kind) {
            case INPUT -> use.uncachedInput();
            case CACHED_INPUT -> use.cachedInput();
            case OUTPUT -> use.output();
            case PROVISIONED -> use.tokens();
        };
    }

    static long estimateOf(BillMeterKind kind, Use use) {
        return switch (kind) {
            case INPUT -> use.estimatedInputNanos();
            case CACHED_INPUT -> use.estimatedCachedNanos();
            case OUTPUT -> use.estimatedOutputNanos();
            case PROVISIONED -> use.estimatedNanos();
        };
    }

    private static long basisOf(AllocationBasis basis, Use use) {
        return switch (basis) {
            case REQUESTS -> use.calls();
            case TOKENS -> use.tokens();
            case ESTIMATED_COST -> use.estimatedNanos();
        };
    }
}
