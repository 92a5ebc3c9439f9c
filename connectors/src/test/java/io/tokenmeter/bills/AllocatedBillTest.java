package io.tokenmeter.bills;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenmeter.event.AllocatedCost;
import io.tokenmeter.event.BillLine;
import io.tokenmeter.event.BillingCost;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which lines the export takes: those of the run in force of each period, joined with their latest parts. */
class AllocatedBillTest {

    private static final Instant FROM = Instant.parse("2026-11-01T00:00:00Z");
    private static final Instant TO = Instant.parse("2026-12-01T00:00:00Z");

    private static List<BillingCost> run(String runId, String submitted, int lines, boolean end) {
        List<BillingCost> records = new ArrayList<>();
        for (int i = 0; i < lines; i++) {
            records.add(cost(runId, submitted, i, AllocatedLines.tokenLine(1_000 + i)));
        }
        if (end) {
            records.add(cost(runId, submitted, lines, null));
        }
        return records;
    }

    private static BillingCost cost(String runId, String submitted, int index, BillLine line) {
        return BillingCost.newBuilder().setExport(AllocatedLines.EXPORT).setBillingPeriod(AllocatedLines.PERIOD).setRunId(runId)
                .setRunSubmittedTime(Instant.parse(submitted)).setIndex(index).setLine(line).build();
    }

    private static List<AllocatedCost> parts(String runId, int lines) {
        List<AllocatedCost> parts = new ArrayList<>();
        for (int i = 0; i < lines; i++) {
            parts.addAll(AllocatedLines.allocated(runId, i, AllocatedLines.tokenLine(1_000 + i), List.of(new AllocatedLines.Use("contoso", "chat", 1)), 0)
                    .parts());
        }
        return parts;
    }

    private static AllocatedBill bill(List<BillingCost> records, List<AllocatedCost> parts, Instant from, Instant to) {
        AllocatedBill.InForce inForce = new AllocatedBill.InForce(from, to);
        records.forEach(inForce::add);
        return AllocatedBill.join(inForce.lines(), parts, from, to);
    }

    @Test
    void theNewestCompleteRunIsInForceAndPartsOfTheRunItReplacedAreLeftOut() {
        List<BillingCost> records = new ArrayList<>(run("run-2", "2026-11-06T06:00:00Z", 2, true));
        records.addAll(run("run-1", "2026-11-05T06:00:00Z", 3, true)); // older, loaded late
        List<AllocatedCost> parts = new ArrayList<>(parts("run-1", 3));
        parts.addAll(parts("run-2", 2));

        AllocatedBill bill = bill(records, parts, FROM, TO);

        assertThat(bill.lines()).extracting(AllocatedBill.Line::lineId)
                .containsExactly("daily-focus/20261101-20261130/run-2#0", "daily-focus/20261101-20261130/run-2#1");
        assertThat(bill.partsOutsideBill()).isEqualTo(3);
        assertThat(bill.linesWithoutParts()).isZero();
        assertThat(bill.lines()).allSatisfy(line -> assertThat(line.addsUp()).isTrue());
    }

    @Test
    void aNewerRunWithoutItsEndOrWithALineMissingIsNotTheBill() {
        List<BillingCost> records = new ArrayList<>(run("run-1", "2026-11-05T06:00:00Z", 2, true));
        records.addAll(run("run-2", "2026-11-06T06:00:00Z", 2, false));
        List<BillingCost> gap = run("run-3", "2026-11-07T06:00:00Z", 3, true);
        gap.remove(1);
        records.addAll(gap);

        AllocatedBill bill = bill(records, parts("run-1", 2), FROM, TO);

        assertThat(bill.lines()).extracting(AllocatedBill.Line::lineId).allMatch(id -> id.contains("/run-1#"));
        assertThat(bill.lines()).hasSize(2);
    }

    @Test
    void onlyDaysInTheRangeAreTakenAndLinesWithoutPartsAreCounted() {
        List<BillingCost> records = run("run-1", "2026-11-05T06:00:00Z", 2, true);

        AllocatedBill before = bill(records, parts("run-1", 1), FROM, AllocatedLines.DAY);
        AllocatedBill day = bill(records, parts("run-1", 1), AllocatedLines.DAY, AllocatedLines.DAY.plusSeconds(86_400));

        assertThat(before.lines()).isEmpty();
        assertThat(before.linesWithoutParts()).isZero();
        assertThat(day.lines()).hasSize(1);
        assertThat(day.linesWithoutParts()).as("line 1 has no parts yet").isEqualTo(1);
    }
}
