package io.tokenmeter.bills;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.tokenmeter.bills.FocusExportWriter.Format;
import io.tokenmeter.bills.RowProblem.Effect;
import io.tokenmeter.event.BillLine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Finding export runs: Azure's folder layout at every level, manifests, single files. */
class FocusExportsTest {

    private static final Instant FIRST_RUN = Instant.parse("2026-11-04T06:12:44.523Z");
    private static final Instant SECOND_RUN = Instant.parse("2026-11-05T06:10:02.118Z");

    @TempDir
    Path container;

    private static List<Map<String, String>> rows(int count) {
        List<Map<String, String>> rows = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Map<String, String> row = FocusExportWriter.usageRow();
            row.put("ChargePeriodStart", "2026-11-0" + (i % 9 + 1) + "T00:00:00Z");
            row.put("ChargePeriodEnd", "2026-11-" + String.format("%02d", i % 9 + 2) + "T00:00:00Z");
            rows.add(row);
        }
        return rows;
    }

    @ParameterizedTest(name = "from {0}")
    @ValueSource(strings = {"container", "export", "period", "runTime", "run", "manifest"})
    void findsARunFromAnyFolderAboveItOrItsManifest(String level) throws IOException {
        Path run = FocusExportWriter.into(container).rootFolder("exports/focus").export("focus-daily").rowsPerPart(2).write(rows(5));
        Path path = switch (level) {
            case "container" -> container;
            case "export" -> run.getParent().getParent().getParent();
            case "period" -> run.getParent().getParent();
            case "runTime" -> run.getParent();
            case "run" -> run;
            default -> run.resolve("manifest.json");
        };

        FocusExports.Found found = FocusExports.find(path);

        assertThat(found.problems()).isEmpty();
        ExportRun only = found.runs().get(0);
        assertThat(found.runs()).hasSize(1);
        assertThat(only.export()).isEqualTo("focus-daily");
        assertThat(only.billingPeriod()).isEqualTo("20261101-20261130");
        assertThat(only.runId()).isEqualTo("8b2f4c8e-6f0e-4a59-9d7e-1c3b5a7d9e01");
        assertThat(only.runSubmittedTime()).isEqualTo(FIRST_RUN);
        assertThat(only.files()).extracting(file -> file.getFileName().toString())
                .containsExactly("part_0_0001.csv", "part_1_0001.csv", "part_2_0001.csv");
        assertThat(only.manifestRowCount()).hasValue(5);
        CollectedRows read = CollectedRows.of(only);
        assertThat(read.problems).isEmpty();
        assertThat(read.read).isEqualTo(new RunRead(5, 5, 0, 0));
        assertThat(read.lines).extracting(BillLine::getSourceFile, BillLine::getSourceLine).containsExactly(
                tuple("20261101-20261130/202611040612/8b2f4c8e-6f0e-4a59-9d7e-1c3b5a7d9e01/part_0_0001.csv", 2L),
                tuple("20261101-20261130/202611040612/8b2f4c8e-6f0e-4a59-9d7e-1c3b5a7d9e01/part_0_0001.csv", 3L),
                tuple("20261101-20261130/202611040612/8b2f4c8e-6f0e-4a59-9d7e-1c3b5a7d9e01/part_1_0001.csv", 2L),
                tuple("20261101-20261130/202611040612/8b2f4c8e-6f0e-4a59-9d7e-1c3b5a7d9e01/part_1_0001.csv", 3L),
                tuple("20261101-20261130/202611040612/8b2f4c8e-6f0e-4a59-9d7e-1c3b5a7d9e01/part_2_0001.csv", 2L));
    }

    @Test
    void findsEveryRunOfAPeriodWithItsSubmittedTimeOldestFirst() throws IOException {
        FocusExportWriter writer = FocusExportWriter.into(container);
        writer.runId("run-b").submitted(SECOND_RUN).write(rows(3));
        writer.runId("run-a").submitted(FIRST_RUN).write(rows(2));

        FocusExports.Found found = FocusExports.find(writer.exportFolder().resolve("20261101-20261130"));

        assertThat(found.runs()).extracting(ExportRun::runId, ExportRun::runSubmittedTime, run -> run.manifestRowCount().getAsLong())
                .containsExactly(tuple("run-a", FIRST_RUN, 2L), tuple("run-b", SECOND_RUN, 3L));
    }

    @Test
    void findsTheRunsOfSeveralExportsAndPeriodsUnderAParent() throws IOException {
        FocusExportWriter.into(container).export("actual").period("20261001-20261031").write(rows(1));
        FocusExportWriter.into(container).export("actual").write(rows(1));
        FocusExportWriter.into(container).export("amortized").format(Format.PARQUET).write(rows(1));

        assertThat(FocusExports.find(container).runs()).extracting(ExportRun::export, ExportRun::billingPeriod).containsExactly(
                tuple("actual", "20261001-20261031"), tuple("actual", "20261101-20261130"), tuple("amortized", "20261101-20261130"));
    }

    @Test
    void reportsRowsThatDifferFromTheManifestCountAfterReadingThem() throws IOException {
        Path run = FocusExportWriter.into(container).manifestRowCount(7).write(rows(5));

        CollectedRows read = CollectedRows.of(FocusExports.find(run).runs().get(0));

        assertThat(read.lines).hasSize(5);
        assertThat(read.problems).containsExactly(new RowProblem(
                "20261101-20261130/202611040612/8b2f4c8e-6f0e-4a59-9d7e-1c3b5a7d9e01/manifest.json", 0, Effect.RUN_INCOMPLETE,
                "manifest.json counts 7 rows, the files hold 5", null));
    }

    @Test
    void reportsABlobOfTheManifestThatIsNotInTheRunFolderAndReadsTheOthers() throws IOException {
        Path run = FocusExportWriter.into(container).rowsPerPart(2).write(rows(4));
        Files.delete(run.resolve("part_1_0001.csv"));

        CollectedRows read = CollectedRows.of(FocusExports.find(container).runs().get(0));

        assertThat(read.lines).hasSize(2);
        assertThat(read.problems).extracting(RowProblem::effect, RowProblem::reason).containsExactly(
                tuple(Effect.RUN_INCOMPLETE, "blob focus-daily/20261101-20261130/202611040612/8b2f4c8e-6f0e-4a59-9d7e-1c3b5a7d9e01/"
                        + "part_1_0001.csv is not in the run folder"),
                tuple(Effect.RUN_INCOMPLETE, "manifest.json counts 4 rows, the files hold 2"));
    }

    @Test
    void leavesPartsWithoutAManifestUnreadAsARunStillBeingWritten() throws IOException {
        FocusExportWriter writer = FocusExportWriter.into(container);
        writer.write(rows(1));
        Path unfinished = writer.runId("still-writing").submitted(SECOND_RUN).write(rows(1));
        Files.delete(unfinished.resolve("manifest.json"));

        FocusExports.Found found = FocusExports.find(container);

        assertThat(found.runs()).extracting(ExportRun::runId).containsExactly("8b2f4c8e-6f0e-4a59-9d7e-1c3b5a7d9e01");
        assertThat(found.problems()).extracting(RowProblem::file, RowProblem::effect).containsExactly(
                tuple("focus-daily/20261101-20261130/202611050610/still-writing/part_0_0001.csv", Effect.WARNING));
        assertThat(found.problems().get(0).reason()).isEqualTo("no manifest.json in its folder (a run still being written?): not read");
    }

    @Test
    void reportsAManifestThatIsNotJson() throws IOException {
        Path run = FocusExportWriter.into(container).write(rows(1));
        Files.writeString(run.resolve("manifest.json"), "{\"blobs\": [");

        FocusExports.Found found = FocusExports.find(container);

        assertThat(found.runs()).isEmpty();
        assertThat(found.problems()).singleElement().satisfies(problem -> {
            assertThat(problem.file()).endsWith("/manifest.json");
            assertThat(problem.effect()).isEqualTo(Effect.FILE_SKIPPED);
            assertThat(problem.reason()).startsWith("cannot read the manifest: ");
        });
    }

    @Test
    void namesTheExportByItsFolderAndThePeriodByRunInfoWhenTheManifestAndFoldersDoNot() throws IOException {
        Path run = container.resolve("legacy-export").resolve("run-7");
        FocusExportWriter.into(container).writeFile(run.resolve("part0.csv"), rows(1));
        Files.writeString(run.resolve("manifest.json"), """
                {"manifestVersion": "2024-04-01", "dataRowCount": 1,
                 "runInfo": {"executionType": "OnDemand", "submittedTime": "2026-11-21T21:04:06.5234447Z",
                             "runId": "bbac73f1-9a05-4de6-84ab-c72b568a03b4", "startDate": "2026-11-01T00:00:00", "endDate": "2026-11-21T00:00:00Z"},
                 "blobs": [{"blobName": " folder/legacy-export/run-7/part0.csv", "byteCount": 100, "dataRowCount": 1}]}
                """);

        ExportRun found = FocusExports.find(container).runs().get(0);

        assertThat(found.export()).isEqualTo("legacy-export");
        assertThat(found.billingPeriod()).isEqualTo("20261101-20261130");
        assertThat(found.runId()).isEqualTo("bbac73f1-9a05-4de6-84ab-c72b568a03b4");
        assertThat(found.runSubmittedTime()).isEqualTo(Instant.parse("2026-11-21T21:04:06.5234447Z"));
        assertThat(CollectedRows.of(found).lines).singleElement().extracting(BillLine::getSourceFile).isEqualTo("part0.csv");
    }

    @Test
    void readsTheDataFilesOfTheRunFolderWithAWarningWhenTheManifestListsNoBlobs() throws IOException {
        Path run = FocusExportWriter.into(container).rowsPerPart(1).write(rows(2));
        Files.writeString(run.resolve("manifest.json"), """
                {"manifestVersion": "2024-04-01", "exportConfig": {"exportName": "focus-daily"},
                 "runInfo": {"submittedTime": "2026-11-04T06:12:44.523Z", "runId": "r1"}}
                """);

        CollectedRows read = CollectedRows.of(FocusExports.find(container).runs().get(0));

        assertThat(read.lines).hasSize(2);
        assertThat(read.problems).extracting(RowProblem::effect, RowProblem::reason).containsExactly(
                tuple(Effect.WARNING, "no blobs list: the data files of the run folder are read"));
    }

    @Test
    void takesAMonthToDateRunAsItsMonthAndOtherRangesAsWritten() {
        assertThat(FocusExports.period("2026-11-01T00:00:00", "2026-11-21T00:00:00Z")).isEqualTo("20261101-20261130");
        assertThat(FocusExports.period("2026-02-01T00:00:00", "2026-03-01T00:00:00+00:00")).isEqualTo("20260201-20260228");
        assertThat(FocusExports.period("2026-11-01", null)).isEqualTo("20261101-20261130");
        assertThat(FocusExports.period("2026-11-10T00:00:00", "2026-11-20T00:00:00Z")).isEqualTo("20261110-20261120");
        assertThat(FocusExports.period("not a date", "2026-11-20")).isNull();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Format.class)
    void readsASingleFileAsARunNamedByTheFileWithThePeriodOfItsRowsAndTheDigestOfItsBytes(Format format) throws Exception {
        FocusExportWriter writer = FocusExportWriter.into(container).format(format);
        Path file = writer.writeFile(container.resolve("downloads/focus-2026-11" + writer.extension()), rows(3));
        Instant modified = Instant.parse("2026-11-30T08:00:00Z");
        Files.setLastModifiedTime(file, FileTime.from(modified));

        FocusExports.Found found = FocusExports.find(file);

        assertThat(found.problems()).isEmpty();
        ExportRun run = found.runs().get(0);
        assertThat(run.export()).isEqualTo("focus-2026-11");
        assertThat(run.billingPeriod()).isEqualTo("20261101-20261130");
        assertThat(run.runId()).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file))));
        assertThat(run.runSubmittedTime()).isEqualTo(modified);
        assertThat(run.manifestRowCount()).isEmpty();
        assertThat(CollectedRows.of(run).lines).hasSize(3).allSatisfy(line ->
                assertThat(line.getSourceFile()).isEqualTo("focus-2026-11" + writer.extension()));
    }

    @Test
    void readsTheSameFileAnywhereAsTheSameRunUnderTheNameItIsGiven() throws IOException {
        FocusExportWriter writer = FocusExportWriter.into(container);
        Path first = writer.writeFile(container.resolve("a/bill.csv"), rows(2));
        Path copy = Files.copy(first, Files.createDirectories(container.resolve("b")).resolve("november.csv"));

        Function<Path, ExportRun> run = file -> {
            try {
                return FocusExports.find(file, "contoso-focus").runs().get(0);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        };

        assertThat(run.apply(copy).runId()).isEqualTo(run.apply(first).runId());
        assertThat(run.apply(copy).export()).isEqualTo("contoso-focus");
    }

    @Test
    void refusesASingleFileWhoseRowsStateTwoBillingPeriods() throws IOException {
        List<Map<String, String>> rows = rows(2);
        rows.get(1).put("BillingPeriodStart", "2026-10-01T00:00:00Z");
        rows.get(1).put("BillingPeriodEnd", "2026-11-01T00:00:00Z");
        Path file = FocusExportWriter.into(container).writeFile(container.resolve("mixed.csv"), rows);

        FocusExports.Found found = FocusExports.find(file);

        assertThat(found.runs()).isEmpty();
        assertThat(found.problems()).containsExactly(RowProblem.file("mixed.csv", 0,
                "the rows state more than one billing period (20261001-20261031, 20261101-20261130): give one period per file"));
    }

    @Test
    void refusesASingleFileWithoutBillingPeriodColumns() throws IOException {
        List<Map<String, String>> rows = rows(1);
        rows.get(0).remove("BillingPeriodStart");
        Path file = FocusExportWriter.into(container).writeFile(container.resolve("no-period.csv"), rows);

        assertThat(FocusExports.find(file).problems()).extracting(RowProblem::reason)
                .containsExactly("no column BillingPeriodStart or BillingPeriodEnd: the billing period of the file is unknown");
    }

    @Test
    void readsEachDataFileOfAFolderWithoutManifestsAsARun() throws IOException {
        FocusExportWriter writer = FocusExportWriter.into(container);
        writer.writeFile(container.resolve("loose/one.csv"), rows(1));
        writer.format(Format.PARQUET).writeFile(container.resolve("loose/two.parquet"), rows(2));

        assertThat(FocusExports.find(container.resolve("loose"), null).runs()).extracting(ExportRun::export).containsExactly("one", "two");
    }

    @Test
    void refusesAPathThatDoesNotExistAndNamesAFileThatIsNotAnExport() throws IOException {
        assertThatThrownBy(() -> FocusExports.find(container.resolve("missing"))).isInstanceOf(NoSuchFileException.class);
        Path notes = Files.writeString(container.resolve("notes.txt"), "hello");
        assertThat(FocusExports.find(notes).problems()).extracting(RowProblem::reason)
                .containsExactly("not an export file: give a folder, a manifest.json, or a .csv, .csv.gz or .parquet file");
    }
}
