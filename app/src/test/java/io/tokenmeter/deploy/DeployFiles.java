package io.tokenmeter.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Where the deploy files are (tests run in the app module) and which outside tools this machine has. */
public final class DeployFiles {

    /** The repository root. */
    public static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private DeployFiles() {
    }

    public static Path path(String relative) {
        return ROOT.resolve(relative);
    }

    /** An executable from Debian's {@code prometheus} package ({@code promtool}, {@code prometheus}), if installed. */
    public static Optional<Path> tool(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** The message of a skipped test when a tool is missing: what to install. */
    public static String missing(String tool, String debianPackage) {
        return tool + " is not installed: apt-get install --no-install-recommends " + debianPackage + " (.ci/run does)";
    }
}
