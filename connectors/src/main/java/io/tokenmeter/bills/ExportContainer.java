package io.tokenmeter.bills;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.LongConsumer;

/** The storage container Cost Management writes its exports to, as {@link ExportWatch} sees it: blobs to list and download. */
public interface ExportContainer {

    /** A blob of the container: its full name, its size in bytes and its ETag (a new one whenever the blob is written again). */
    record Blob(String name, long size, String eTag) {
    }

    /**
     * Every blob whose name starts with {@code prefix} ("" for all). Throws {@link IllegalStateException} with one
     * line without secrets when the container cannot be listed.
     */
    List<Blob> list(String prefix);

    /**
     * Writes the blob to {@code target} as it arrives, never holding it in memory, and tells {@code progress} the bytes
     * written so far now and then.
     *
     * @throws NoSuchFileException when the blob is not there (any more)
     * @throws IOException         with one line without secrets when it cannot be downloaded
     */
    void download(String name, Path target, LongConsumer progress) throws IOException;

    /** The container and account, for messages: never a key or a SAS. */
    String describe();
}
