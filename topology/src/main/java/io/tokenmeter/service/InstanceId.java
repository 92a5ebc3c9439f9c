package io.tokenmeter.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The identity of one instance's state directory, kept in it: a restart on the same state is the same member of the
 * consumer group (static membership), just as Kafka Streams keeps its process id, which names the transactional
 * producers, in the state directory. A wiped or new state directory is a new instance.
 */
public final class InstanceId {

    private static final Logger LOG = LoggerFactory.getLogger(InstanceId.class);

    private InstanceId() {
    }

    /** {@code <applicationId>-<uuid>}, the uuid read from {@code <stateDir>/<applicationId>.instance-id} or written there first. */
    public static String of(Path stateDir, String applicationId) {
        Path file = stateDir.resolve(applicationId + ".instance-id");
        try {
            Optional<UUID> kept = read(file);
            if (kept.isPresent()) {
                return applicationId + "-" + kept.get();
            }
            UUID created = UUID.randomUUID();
            Files.createDirectories(stateDir);
            // written aside and moved into place: a crash while writing never leaves a half-written id behind
            Path temporary = Files.createTempFile(stateDir, applicationId, ".instance-id.tmp");
            Files.writeString(temporary, created + "\n", StandardCharsets.UTF_8);
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            LOG.info("new instance id {} for state directory {}", created, stateDir);
            return applicationId + "-" + created;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the instance id " + file + ": " + e.getMessage(), e);
        }
    }

    private static Optional<UUID> read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        String text = Files.readString(file, StandardCharsets.UTF_8).strip();
        try {
            return Optional.of(UUID.fromString(text));
        } catch (IllegalArgumentException e) {
            LOG.warn("instance id file {} does not hold a UUID ('{}'); this start takes a new id", file, text);
            return Optional.empty();
        }
    }
}
