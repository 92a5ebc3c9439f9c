package io.tokenmeter.bills;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The passes of {@link ExportWatch} over a container that is a local folder: which runs are new, which wait, which fail. */
class ExportWatchTest {

    private static final String PERIOD = "20261101-20261130";
    private static final RunKey RUN_1 = new RunKey("focus-daily", PERIOD, "run-1");
    private static final RunKey RUN_2 = new RunKey("focus-daily", PERIOD, "run-2");

    @TempDir
    Path root;
    @TempDir
    Path work;

    private FolderContainer container;
    private final List<ExportRun> loads = new ArrayList<>();
    private final List<Long> lines = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private final List<String> progress = new ArrayList<>();

    private static List<Map<String, String>> rows(int count) {
        List<Map<String, String>> rows = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            rows.add(FocusExportWriter.usageRow());
        }
        return rows;
    }

    private Path write(String runId, Instant submitted, int rows) {
        return FocusExportWriter.into(root).rootFolder("exports").export("focus-daily").period(PERIOD).runId(runId).submitted(submitted)
                .rowsPerPart(2).write(rows(rows));
    }

    private String blob(Path file) {
        return root.relativize(file).toString().replace('\\', '/');
    }

    private ExportWatch watch(String prefix) {
        container = container == null ? new FolderContainer(root) : container;
        return new ExportWatch(container, prefix, work, run -> {
            loads.add(run);
            lines.add(CollectedRows.of(run).read.lines());
        }, new ExportWatch.Listener() {
            @Override
            public void problem(String line) {
                problems.add(line);
            }

            @Override
            public void progress(String blob, long bytes, long size) {
                progress.add(blob + " " + (bytes >> 20) + "/" + (size >> 20));
            }
        });
    }

    private Set<RunKey> loadedSoFar() {
        Set<RunKey> keys = new HashSet<>();
        loads.forEach(r -> keys.add(r.key()));
        return keys;
    }

    private List<Path> leftInWorkDir() throws IOException {
        try (Stream<Path> files = Files.list(work)) {
            return files.toList();
        }
    }

    @Test
    void everyNewRunIsLoadedOnceWithAllItsPartsAndTheNextPassLoadsNothing() throws IOException {
        write("run-2", Instant.parse("2026-11-05T06:00:00Z"), 3);
        write("run-1", Instant.parse("2026-11-04T06:00:00Z"), 5);
        ExportWatch watch = watch("exports");

        ExportWatch.Pass first = watch.pass(Set.of());

        assertThat(first.loaded()).as("in the order Azure's folders sort: by run time").containsExactly(RUN_1, RUN_2);
        assertThat(loads).extracting(r -> r.files().size()).containsExactly(3, 2);
        assertThat(lines).containsExactly(5L, 3L);
        assertThat(first.manifests()).isEqualTo(2);
        assertThat(first.waiting()).isEmpty();
        assertThat(first.failed()).isEmpty();
        assertThat(problems).isEmpty();
        assertThat(leftInWorkDir()).as("each run's download folder is deleted").isEmpty();

        int downloads = container.downloads.size();
        ExportWatch.Pass second = watch.pass(loadedSoFar());

        assertThat(second.loaded()).isEmpty();
        assertThat(second.alreadyLoaded()).isEqualTo(2);
        assertThat(container.downloads).as("a loaded run's manifest is not downloaded again").hasSize(downloads);
    }

    @Test
    void runsLoadedBeforeAreSkippedAfterOnlyTheirManifestIsRead() {
        write("run-1", Instant.parse("2026-11-04T06:00:00Z"), 5);
        write("run-2", Instant.parse("2026-11-05T06:00:00Z"), 3);

        ExportWatch.Pass pass = watch("").pass(Set.of(RUN_1));

        assertThat(pass.loaded()).containsExactly(RUN_2);
        assertThat(pass.alreadyLoaded()).isEqualTo(1);
        assertThat(container.downloads).filteredOn(name -> name.contains("/run-1/")).singleElement()
                .satisfies(name -> assertThat(name).endsWith("manifest.json"));
    }

    @Test
    void aRunWhoseManifestListsABlobNotThereYetWaitsAndIsLoadedWhenItArrives() throws IOException {
        Path run = write("run-1", Instant.parse("2026-11-04T06:00:00Z"), 5);
        String lastPart = blob(run.resolve("part_2_0001.csv"));
        container = new FolderContainer(root);
        container.hidden.add(lastPart);
        ExportWatch watch = watch("exports/");

        ExportWatch.Pass waiting = watch.pass(Set.of());

        assertThat(waiting.loaded()).isEmpty();
        assertThat(waiting.waiting()).singleElement().satisfies(s -> {
            assertThat(s.manifest()).isEqualTo(blob(run.resolve("manifest.json")));
            assertThat(s.reason()).isEqualTo("blob part_2_0001.csv is not in the container yet");
        });
        assertThat(problems).containsExactly("waiting: focus-daily 20261101-20261130 run run-1 (" + blob(run.resolve("manifest.json"))
                + "): blob part_2_0001.csv is not in the container yet; tried again next pass");
        assertThat(loads).isEmpty();
        assertThat(container.downloads).as("nothing but the manifest is downloaded while a part is missing")
                .allSatisfy(name -> assertThat(name).endsWith("manifest.json"));
        assertThat(leftInWorkDir()).isEmpty();

        assertThat(watch.pass(loadedSoFar()).waiting()).as("still waiting").hasSize(1);

        container.hidden.clear();
        ExportWatch.Pass complete = watch.pass(loadedSoFar());

        assertThat(complete.loaded()).containsExactly(RUN_1);
        assertThat(complete.waiting()).isEmpty();
        assertThat(lines).containsExactly(5L);
    }

    @Test
    void aBlobThatCannotBeDownloadedFailsItsRunOnlyAndIsTriedAgainNextPass() {
        Path broken = write("run-1", Instant.parse("2026-11-04T06:00:00Z"), 5);
        write("run-2", Instant.parse("2026-11-05T06:00:00Z"), 3);
        container = new FolderContainer(root);
        container.failing.add(blob(broken.resolve("part_1_0001.csv")));
        ExportWatch watch = watch("exports");

        ExportWatch.Pass pass = watch.pass(Set.of());

        assertThat(pass.loaded()).containsExactly(RUN_2);
        assertThat(pass.failed()).singleElement().satisfies(s -> assertThat(s.reason())
                .isEqualTo("cannot download part_1_0001.csv: HTTP 500 InternalError"));
        assertThat(problems).singleElement().satisfies(p -> assertThat(p).startsWith("not loaded: focus-daily 20261101-20261130 run run-1 (")
                .endsWith("): cannot download part_1_0001.csv: HTTP 500 InternalError; tried again next pass"));

        container.failing.clear();
        assertThat(watch.pass(loadedSoFar()).loaded()).containsExactly(RUN_1);
    }

    @Test
    void aManifestThatCannotBeReadIsReportedEveryPassAndTheOtherRunsLoad() throws IOException {
        Path bad = write("run-1", Instant.parse("2026-11-04T06:00:00Z"), 2);
        Files.writeString(bad.resolve("manifest.json"), "{\"runInfo\":");
        write("run-2", Instant.parse("2026-11-05T06:00:00Z"), 3);
        ExportWatch watch = watch("exports");

        ExportWatch.Pass pass = watch.pass(Set.of());

        assertThat(pass.loaded()).containsExactly(RUN_2);
        assertThat(pass.failed()).singleElement().satisfies(s -> assertThat(s.reason()).startsWith("cannot read the manifest: not JSON"));
        assertThat(watch.pass(loadedSoFar()).failed()).hasSize(1);
    }

    @Test
    void aManifestWrittenAgainUnderTheSameNameIsReadAgain() throws IOException {
        Path run = write("run-1", Instant.parse("2026-11-04T06:00:00Z"), 2);
        ExportWatch watch = watch("exports");
        assertThat(watch.pass(Set.of()).loaded()).containsExactly(RUN_1);

        // Azure's "overwrite" delivery writes each run into the same folder, with a new runId in the manifest
        Path manifest = run.resolve("manifest.json");
        Files.writeString(manifest, Files.readString(manifest).replace("\"run-1\"", "\"run-9\""));
        Files.setLastModifiedTime(manifest, java.nio.file.attribute.FileTime.from(Instant.parse("2026-11-06T06:00:00Z")));

        assertThat(watch.pass(loadedSoFar()).loaded()).containsExactly(new RunKey("focus-daily", PERIOD, "run-9"));
    }

    @Test
    void onlyRunsUnderThePrefixAreSeen() {
        write("run-1", Instant.parse("2026-11-04T06:00:00Z"), 2);
        FocusExportWriter.into(root).rootFolder("elsewhere").export("other").runId("run-x").write(rows(1));

        ExportWatch.Pass pass = watch("/exports/").pass(Set.of());

        assertThat(pass.manifests()).isEqualTo(1);
        assertThat(pass.loaded()).containsExactly(RUN_1);
    }

    @Test
    void aFailingLoadStopsThePassAndLeavesNoDownloadBehind() throws IOException {
        write("run-1", Instant.parse("2026-11-04T06:00:00Z"), 2);
        write("run-2", Instant.parse("2026-11-05T06:00:00Z"), 2);
        List<RunKey> tried = new ArrayList<>();
        ExportWatch watch = new ExportWatch(new FolderContainer(root), "exports", work, run -> {
            tried.add(run.key());
            throw new IllegalStateException("broker unreachable");
        }, new ExportWatch.Listener() {
            @Override
            public void problem(String line) {
                problems.add(line);
            }

            @Override
            public void progress(String blob, long bytes, long size) {
            }
        });

        assertThatThrownBy(() -> watch.pass(Set.of())).isInstanceOf(IllegalStateException.class).hasMessage("broker unreachable");
        assertThat(tried).containsExactly(RUN_1);
        assertThat(leftInWorkDir()).isEmpty();
    }

    @Test
    void stoppingEndsThePassAfterTheRunUnderWay() {
        write("run-1", Instant.parse("2026-11-04T06:00:00Z"), 2);
        write("run-2", Instant.parse("2026-11-05T06:00:00Z"), 2);
        ExportWatch[] watch = new ExportWatch[1];
        watch[0] = new ExportWatch(new FolderContainer(root), "exports", work, run -> {
            loads.add(run);
            watch[0].stop();
        }, new ExportWatch.Listener() {
            @Override
            public void problem(String line) {
                problems.add(line);
            }

            @Override
            public void progress(String blob, long bytes, long size) {
            }
        });

        assertThat(watch[0].pass(Set.of()).loaded()).containsExactly(RUN_1);
        assertThat(watch[0].pass(loadedSoFar()).loaded()).as("a stopped watch loads nothing more").isEmpty();
    }

    @Test
    void aLargeBlobReportsItsProgressEvery64MiB() {
        Path run = write("run-1", Instant.parse("2026-11-04T06:00:00Z"), 2);
        container = new FolderContainer(root);
        container.large = blob(run.resolve("part_0_0001.csv"));
        container.largeSize = 200L << 20;

        watch("exports").pass(Set.of());

        assertThat(progress).containsExactly(container.large + " 64/200", container.large + " 128/200", container.large + " 192/200");
    }

    @ParameterizedTest
    @CsvSource(value = {"exports/focus, exports/focus/", "/exports/focus/, exports/focus/", "' ', ''", "/, ''", "NULL, ''"}, nullValues = "NULL")
    void thePrefixIsAFolder(String given, String listed) {
        assertThat(ExportWatch.folderPrefix(given)).isEqualTo(listed);
    }

    @ParameterizedTest
    @CsvSource({"exports/../../etc/passwd", "exports/./manifest.json", "a\\b/manifest.json"})
    void aBlobNameThatWouldLeaveTheDownloadFolderIsRefused(String name) {
        assertThatThrownBy(() -> ExportWatch.localPath(Path.of("/tmp/run"), name)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("blob name '" + name + "' cannot be a local path");
    }
}
