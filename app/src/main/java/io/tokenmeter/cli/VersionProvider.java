package io.tokenmeter.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/** {@code tokenmeter --version}: this build and the versions it runs on. */
final class VersionProvider implements CommandLine.IVersionProvider {

    static String version() {
        return properties().getProperty("version", "unknown");
    }

    private static Properties properties() {
        Properties props = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream("/tokenmeter-version.properties")) {
            if (in != null) {
                props.load(in);
            }
        } catch (IOException ignored) {
            // a build without the resource still runs; it just cannot say its version
        }
        return props;
    }

    @Override
    public String[] getVersion() {
        Properties props = properties();
        return new String[] {
            "tokenmeter " + props.getProperty("version", "unknown"),
            "Kafka " + props.getProperty("kafka", "?") + ", Avro " + props.getProperty("avro", "?")
                    + ", Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"
        };
    }
}
