package io.tokenmeter.bills;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongConsumer;
import java.util.stream.Stream;

/**
 * A storage container that is a local folder (as {@link FocusExportWriter} writes one): blob names are paths relative
 * to it. Blobs can be hidden (not yet written), made to fail, or claimed larger than they are; downloads are counted.
 */
final class FolderContainer implements ExportContainer {

    final Path root;
    final Set<String> hidden = new HashSet<>();
    final Set<String> failing = new HashSet<>();
    final List<String> downloads = new ArrayList<>();
    /** A blob listed with this size, and downloaded in 1 MiB steps up to it, to test progress. */
    String large;
    long largeSize;

    FolderContainer(Path root) {
        this.root = root;
    }

    @Override
    public List<Blob> list(String prefix) {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.filter(Files::isRegularFile).map(p -> root.relativize(p).toString().replace('\\', '/'))
                    .filter(name -> name.startsWith(prefix) && !hidden.contains(name)).sorted()
                    .map(name -> new Blob(name, name.equals(large) ? largeSize : size(name), eTag(name))).toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void download(String name, Path target, LongConsumer progress) throws IOException {
        downloads.add(name);
        Path source = root.resolve(name);
        if (hidden.contains(name) || !Files.exists(source)) {
            throw new NoSuchFileException(name);
        }
        if (failing.contains(name)) {
            throw new IOException("HTTP 500 InternalError");
        }
        try (InputStream in = Files.newInputStream(source); OutputStream out = Files.newOutputStream(target)) {
            in.transferTo(out);
        }
        if (name.equals(large)) {
            for (long bytes = 1L << 20; bytes <= largeSize; bytes += 1L << 20) {
                progress.accept(bytes);
            }
        }
    }

    @Override
    public String describe() {
        return "folder " + root;
    }

    private long size(String name) {
        try {
            return Files.size(root.resolve(name));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private String eTag(String name) {
        try {
            return "\"" + Files.getLastModifiedTime(root.resolve(name)).toMillis() + "-" + size(name) + "\"";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
