package io.tokenmeter.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layers of the topology module: {@code http} (server, routing, cluster queries) below the capabilities that
 * expose endpoints, {@code service} (the wiring of the whole service) above them. Read from the sources' imports.
 */
class PackageLayersTest {

    private static final Path SOURCES = Path.of("src/main/java/io/tokenmeter");
    private static final Set<String> CAPABILITIES = Set.of("anomaly", "budget", "normalize", "pricing", "task", "usage");

    @Test
    void noCapabilityImportsTheServicePackage() {
        for (String capability : CAPABILITIES) {
            assertThat(importsOf(capability)).as(capability).noneMatch(line -> line.startsWith("import io.tokenmeter.service"));
        }
        assertThat(importsOf("streams")).noneMatch(line -> line.startsWith("import io.tokenmeter.service"));
    }

    @Test
    void httpImportsNeitherCapabilitiesNorTheService() {
        assertThat(importsOf("http")).isNotEmpty().noneMatch(line -> CAPABILITIES.stream().anyMatch(c -> line.startsWith("import io.tokenmeter." + c + "."))
                || line.startsWith("import io.tokenmeter.service"));
    }

    private static List<String> importsOf(String pkg) {
        try (Stream<Path> files = Files.walk(SOURCES.resolve(pkg))) {
            return files.filter(f -> f.toString().endsWith(".java")).flatMap(f -> {
                try {
                    return Files.readAllLines(f).stream().filter(line -> line.startsWith("import "));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
