package io.tokenmeter.bills;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongConsumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Finds the export runs Cost Management has written to a storage container and loads those not loaded yet. A pass
 * lists the blobs under the export root folder and takes every {@code manifest.json} (Azure writes it after the
 * run's blobs). A run that is already loaded is skipped; any other is downloaded, manifest and listed blobs, into a
 * temporary folder in Azure's layout, read there by {@link FocusExports} exactly as {@code billing load} reads a
 * local folder, and handed to the loader. The folder is deleted afterwards.
 *
 * <p>A run is never half-taken: one whose manifest lists a blob that is not in the container yet waits for the next
 * pass, and one whose manifest cannot be read or whose blob cannot be downloaded is reported and tried again next
 * pass; the other runs go on. Which runs are loaded is the caller's to say at each pass; this class only remembers,
 * for as long as it lives, which manifest (by name and ETag) is which run, so a loaded run's manifest is downloaded once.
 */
public final class ExportWatch {

    /** Loads a run (publishes it); an exception stops the pass, since it is the target's trouble, not the run's. */
    @FunctionalInterface
    public interface Loader {
        void load(ExportRun run);
    }

    /** Hears what a pass meets as it goes. */
    public interface Listener {

        /** A run not loaded this pass, in one line: waiting for a blob, or not readable or not downloadable. */
        void problem(String line);

        /** A large blob on its way: the bytes downloaded so far, every 64 MiB. */
        void progress(String blob, long bytes, long size);
    }

    /** A run that a pass did not load, by its manifest blob, and why. */
    public record Skipped(String manifest, String reason) {
    }

    /**
     * What a pass came to.
     *
     * @param manifests     the manifests found under the prefix
     * @param loaded        the runs loaded, in order
     * @param alreadyLoaded manifests whose run was loaded before
     * @param waiting       runs with a listed blob not there yet (retried next pass)
     * @param failed        runs that could not be read or downloaded (retried next pass)
     */
    public record Pass(int manifests, List<RunKey> loaded, int alreadyLoaded, List<Skipped> waiting, List<Skipped> failed) {

        public Pass {
            loaded = List.copyOf(loaded);
            waiting = List.copyOf(waiting);
            failed = List.copyOf(failed);
        }
    }

    static final long PROGRESS_EVERY = 64L << 20;
    private static final String MANIFEST = "manifest.json";

    private final ExportContainer container;
    private final String prefix;
    private final Path workDir;
    private final Loader loader;
    private final Listener listener;
    private final Map<String, Seen> seen = new HashMap<>();
    private volatile boolean stopping;

    private record Seen(String eTag, RunKey key) {
    }

    /**
     * @param prefix  the export root folder in the container (deliveryConfig.rootFolderPath); "" or null for the whole container
     * @param workDir where each run is downloaded to, in a folder of its own that is deleted after the run
     */
    public ExportWatch(ExportContainer container, String prefix, Path workDir, Loader loader, Listener listener) {
        this.container = Objects.requireNonNull(container);
        this.prefix = folderPrefix(prefix);
        this.workDir = Objects.requireNonNull(workDir);
        this.loader = Objects.requireNonNull(loader);
        this.listener = Objects.requireNonNull(listener);
    }

    /** {@code exports/focus} and {@code /exports/focus/} are {@code exports/focus/}; nothing is "". */
    static String folderPrefix(String prefix) {
        if (prefix == null) {
            return "";
        }
        String trimmed = prefix.strip().replaceAll("^/+|/+$", "");
        return trimmed.isEmpty() ? "" : trimmed + "/";
    }

    /** The blob name prefix listed, "" for the whole container. */
    public String prefix() {
        return prefix;
    }

    /**
     * One pass over the container: every run under the prefix that is not in {@code loaded} is loaded, if it is complete.
     *
     * @throws IllegalStateException when the container cannot be listed
     */
    public Pass pass(Set<RunKey> loaded) {
        List<ExportContainer.Blob> blobs = container.list(prefix);
        Map<String, Map<String, ExportContainer.Blob>> folders = new HashMap<>();
        List<ExportContainer.Blob> manifests = new ArrayList<>();
        for (ExportContainer.Blob blob : blobs) {
            folders.computeIfAbsent(folder(blob.name()), f -> new LinkedHashMap<>()).put(fileName(blob.name()), blob);
            if (fileName(blob.name()).equalsIgnoreCase(MANIFEST)) {
                manifests.add(blob);
            }
        }
        manifests.sort(Comparator.comparing(ExportContainer.Blob::name));
        seen.keySet().retainAll(manifests.stream().map(ExportContainer.Blob::name).collect(Collectors.toSet()));

        Set<RunKey> done = new HashSet<>(loaded);
        List<RunKey> loadedNow = new ArrayList<>();
        List<Skipped> waiting = new ArrayList<>();
        List<Skipped> failed = new ArrayList<>();
        int already = 0;
        for (ExportContainer.Blob manifest : manifests) {
            if (stopping) {
                break;
            }
            Seen known = seen.get(manifest.name());
            if (known != null && known.eTag().equals(manifest.eTag()) && done.contains(known.key())) {
                already++;
                continue;
            }
            Path runDir = createRunDir();
            try {
                Outcome outcome = take(manifest, folders.getOrDefault(folder(manifest.name()), Map.of()), runDir, done);
                switch (outcome.kind) {
                    case LOADED -> {
                        loadedNow.add(outcome.key);
                        done.add(outcome.key);
                        seen.put(manifest.name(), new Seen(manifest.eTag(), outcome.key));
                    }
                    case ALREADY_LOADED -> {
                        already++;
                        seen.put(manifest.name(), new Seen(manifest.eTag(), outcome.key));
                    }
                    case WAITING -> {
                        waiting.add(new Skipped(manifest.name(), outcome.reason));
                        listener.problem("waiting: " + describe(manifest, outcome.key) + ": " + outcome.reason + "; tried again next pass");
                    }
                    case FAILED -> {
                        failed.add(new Skipped(manifest.name(), outcome.reason));
                        listener.problem("not loaded: " + describe(manifest, outcome.key) + ": " + outcome.reason + "; tried again next pass");
                    }
                }
            } finally {
                deleteRecursively(runDir);
            }
        }
        return new Pass(manifests.size(), loadedNow, already, waiting, failed);
    }

    /** Ends the pass under way after its current run (a run is never left half-published), and every later one at once. */
    public void stop() {
        stopping = true;
    }

    private enum Kind { LOADED, ALREADY_LOADED, WAITING, FAILED }

    private record Outcome(Kind kind, RunKey key, String reason) {
    }

    /** Downloads, reads and loads the run of one manifest, unless it is loaded or not complete. */
    private Outcome take(ExportContainer.Blob manifestBlob, Map<String, ExportContainer.Blob> folder, Path runDir, Set<RunKey> done) {
        Path local;
        try {
            local = localPath(runDir, manifestBlob.name());
        } catch (IllegalArgumentException e) {
            return new Outcome(Kind.FAILED, null, e.getMessage());
        }
        try {
            fetch(manifestBlob.name(), local, bytes -> { });
        } catch (NoSuchFileException e) {
            return new Outcome(Kind.WAITING, null, "the manifest was removed while it was read");
        } catch (IOException e) {
            return new Outcome(Kind.FAILED, null, "cannot download the manifest: " + e.getMessage());
        }
        ExportRun identified;
        Manifest manifest;
        try {
            identified = onlyRun(local);
            manifest = Manifest.read(local);
        } catch (IOException e) {
            return new Outcome(Kind.FAILED, null, e.getMessage());
        }
        RunKey key = identified.key();
        if (done.contains(key)) {
            return new Outcome(Kind.ALREADY_LOADED, key, null);
        }
        List<ExportContainer.Blob> parts = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        if (manifest.blobs() == null) {
            folder.values().stream().filter(b -> FocusFormat.of(Path.of(fileName(b.name()))) != null).forEach(parts::add);
        } else {
            for (Manifest.Blob listed : manifest.blobs()) {
                ExportContainer.Blob blob = folder.get(listed.fileName());
                if (blob == null) {
                    blob = folder.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(listed.fileName())).map(Map.Entry::getValue)
                            .findFirst().orElse(null);
                }
                if (blob == null) {
                    missing.add(listed.fileName());
                } else {
                    parts.add(blob);
                }
            }
        }
        if (!missing.isEmpty()) {
            return new Outcome(Kind.WAITING, key, (missing.size() == 1 ? "blob " : missing.size() + " blobs, ") + String.join(", ", missing)
                    + (missing.size() == 1 ? " is" : " are") + " not in the container yet");
        }
        for (ExportContainer.Blob part : parts) {
            try {
                fetch(part.name(), localPath(runDir, part.name()), progress(part));
            } catch (NoSuchFileException e) {
                return new Outcome(Kind.WAITING, key, "blob " + fileName(part.name()) + " was removed while it was downloaded");
            } catch (IOException | IllegalArgumentException e) {
                return new Outcome(Kind.FAILED, key, "cannot download " + fileName(part.name()) + ": " + e.getMessage());
            }
        }
        ExportRun run;
        try {
            run = onlyRun(local);
        } catch (IOException e) {
            return new Outcome(Kind.FAILED, key, e.getMessage());
        }
        loader.load(run);
        return new Outcome(Kind.LOADED, key, null);
    }

    private void fetch(String blob, Path target, LongConsumer progress) throws IOException {
        Files.createDirectories(target.getParent());
        container.download(blob, target, progress);
    }

    /** The run of a downloaded manifest, read as {@code billing load} reads it; an IOException says why there is none. */
    private static ExportRun onlyRun(Path manifest) throws IOException {
        FocusExports.Found found = FocusExports.find(manifest);
        if (found.runs().size() != 1) {
            throw new IOException(found.problems().stream().map(p -> p.reason()).distinct().collect(Collectors.joining("; ")));
        }
        return found.runs().get(0);
    }

    private LongConsumer progress(ExportContainer.Blob blob) {
        long[] next = {PROGRESS_EVERY};
        return bytes -> {
            if (bytes >= next[0] && blob.size() > PROGRESS_EVERY) {
                listener.progress(blob.name(), bytes, blob.size());
                next[0] = (bytes / PROGRESS_EVERY + 1) * PROGRESS_EVERY;
            }
        };
    }

    private String describe(ExportContainer.Blob manifest, RunKey key) {
        return key == null ? manifest.name() : key + " (" + manifest.name() + ")";
    }

    /** Where a blob goes in the run's folder: its name as a relative path, which keeps Azure's layout. */
    static Path localPath(Path runDir, String blobName) {
        List<String> segments = Stream.of(blobName.split("/")).filter(s -> !s.isEmpty()).toList();
        if (segments.isEmpty() || segments.stream().anyMatch(s -> s.equals(".") || s.equals("..") || s.contains("\\"))) {
            throw new IllegalArgumentException("blob name '" + blobName + "' cannot be a local path");
        }
        Path path = runDir;
        for (String segment : segments) {
            path = path.resolve(segment);
        }
        return path;
    }

    private Path createRunDir() {
        try {
            Files.createDirectories(workDir);
            return Files.createTempDirectory(workDir, "tokenmeter-export-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a download folder in " + workDir + ": " + e.getMessage(), e);
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // a file left in the temporary folder is no reason to stop
                }
            });
        } catch (IOException e) {
            // the same
        }
    }

    private static String folder(String blobName) {
        int slash = blobName.lastIndexOf('/');
        return slash < 0 ? "" : blobName.substring(0, slash + 1);
    }

    private static String fileName(String blobName) {
        return blobName.substring(blobName.lastIndexOf('/') + 1);
    }
}
