package io.tokenmeter.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokenmeter.config.TokenmeterConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose.yml as far as this machine can check it without a Docker engine: its own parsers (dclint with the current
 * compose-spec schema, Debian's docker-compose v1), every file it mounts or builds from, every TOKENMETER_* variable a real
 * setting, the instances wired for interactive queries, and Prometheus and Grafana pointing at services that exist.
 */
class ComposeFileTest {

    private static final Path COMPOSE = DeployFiles.path("docker-compose.yml");
    /** Produced by the Kafka Connect sink work (deploy/connect): checked once that directory exists. */
    private static final String CONNECT_DIR = "deploy/connect";
    /** Assembled by the build, not kept in git. */
    private static final String CONNECT_PLUGINS = "deploy/connect/plugins";

    @SuppressWarnings("unchecked")
    private static Map<String, Object> compose() throws IOException {
        return new Yaml().load(Files.readString(COMPOSE));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> services() throws IOException {
        return (Map<String, Map<String, Object>>) (Map<?, ?>) compose().get("services");
    }

    /** The services that run the tokenmeter image (built from this repository). */
    private static Map<String, Map<String, Object>> tokenmeterServices() throws IOException {
        return services().entrySet().stream().filter(e -> e.getValue().containsKey("build"))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> environment(Map<String, Object> service) {
        return (Map<String, Object>) service.getOrDefault("environment", Map.of());
    }

    @SuppressWarnings("unchecked")
    private static List<String> list(Map<String, Object> service, String key) {
        return (List<String>) service.getOrDefault(key, List.of());
    }

    @Test
    void theStackHasEveryServiceTheDeploymentNeeds() throws IOException {
        assertThat(services()).containsKeys("kafka", "schema-registry", "tokenmeter-1", "tokenmeter-2", "pager", "bridge", "prometheus",
                "alertmanager", "grafana", "postgres", "connect", "connect-init", "prices-init");
        assertThat(environment(services().get("kafka"))).containsEntry("KAFKA_PROCESS_ROLES", "broker,controller");
        assertThat(list(services().get("connect"), "volumes")).contains("./" + CONNECT_PLUGINS + ":/opt/connect-plugins:ro");
    }

    @Test
    void everyFileItBuildsFromOrMountsExists() throws IOException {
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> service : services().entrySet()) {
            Object build = service.getValue().get("build");
            if (build instanceof Map<?, ?> b) {
                Path context = DeployFiles.ROOT.resolve(String.valueOf(b.get("context")));
                Path dockerfile = context.resolve(String.valueOf(((Map<?, ?>) b).containsKey("dockerfile") ? b.get("dockerfile") : "Dockerfile"));
                if (!Files.isRegularFile(dockerfile)) {
                    missing.add(service.getKey() + ": " + dockerfile);
                } else {
                    missing.addAll(dockerfileSources(context, dockerfile));
                }
            }
            for (String volume : list(service.getValue(), "volumes")) {
                String source = volume.split(":")[0];
                if (source.startsWith("./") && !source.startsWith("./" + CONNECT_DIR) && !Files.exists(DeployFiles.ROOT.resolve(source))) {
                    missing.add(service.getKey() + ": " + source);
                }
            }
        }
        assertThat(missing).isEmpty();
    }

    @Test
    void theConnectFilesItMountsExist() throws IOException {
        assumeTrue(Files.isDirectory(DeployFiles.path(CONNECT_DIR)), CONNECT_DIR + " (the Kafka Connect sink configuration) is not in this checkout yet");
        for (Map.Entry<String, Map<String, Object>> service : services().entrySet()) {
            for (String volume : list(service.getValue(), "volumes")) {
                String source = volume.split(":")[0];
                if (source.startsWith("./" + CONNECT_DIR) && !source.equals("./" + CONNECT_PLUGINS)) {
                    assertThat(DeployFiles.ROOT.resolve(source)).as(service.getKey()).exists();
                }
            }
        }
        try (var files = Files.list(DeployFiles.path(CONNECT_DIR))) {
            assertThat(files.filter(f -> f.toString().endsWith(".json"))).as("connectors for connect-init to register").isNotEmpty();
        }
    }

    @Test
    void everyTokenmeterVariableIsARealSetting() throws IOException {
        Set<String> settings = TokenmeterConfig.DEFINITION.names().stream().map(TokenmeterConfig::envName).collect(Collectors.toSet());
        boolean pagerSettingsDefined = TokenmeterConfig.DEFINITION.names().stream().anyMatch(n -> n.startsWith("pager."));
        List<String> unknown = new ArrayList<>();
        tokenmeterServices().forEach((name, service) -> environment(service).keySet().stream()
                .filter(k -> k.startsWith(TokenmeterConfig.ENV_PREFIX))
                .filter(k -> !settings.contains(k))
                .filter(k -> !k.startsWith(TokenmeterConfig.envName(TokenmeterConfig.KAFKA_PASSTHROUGH_PREFIX)))
                .filter(k -> !k.equals("TOKENMETER_JAVA_OPTS"))   // the JVM options, as for ./tokenmeter
                // the pager's settings arrive with `tokenmeter pager`; until then they cannot be checked here
                .filter(k -> pagerSettingsDefined || !k.startsWith("TOKENMETER_PAGER_"))
                .forEach(k -> unknown.add(name + ": " + k)));
        assertThat(unknown).isEmpty();
    }

    @Test
    void theInstancesShareOneApplicationAndEachAdvertisesItselfWithItsOwnState() throws IOException {
        Map<String, Map<String, Object>> services = services();
        Set<Object> applicationIds = new TreeSet<>();
        for (String instance : List.of("tokenmeter-1", "tokenmeter-2")) {
            Map<String, Object> env = environment(services.get(instance));
            applicationIds.add(env.get("TOKENMETER_APPLICATION_ID"));
            assertThat(env).containsEntry("TOKENMETER_HTTP_ADVERTISED_HOST", instance).containsEntry("TOKENMETER_HTTP_PORT", "8080");
            String stateDir = (String) env.get("TOKENMETER_STATE_DIR");
            assertThat(list(services.get(instance), "volumes")).contains(instance + "-state:" + stateDir);
            assertThat(list(services.get(instance), "ports")).anyMatch(p -> p.endsWith(":8080"));
        }
        assertThat(applicationIds).hasSize(1);
        assertThat(environment(services.get("bridge"))).containsKey("EVENTHUBS_CONNECTION_STRING");
    }

    @Test
    void prometheusScrapesEveryInstanceAndGrafanaReadsThatPrometheus() throws IOException {
        Map<String, Map<String, Object>> services = services();
        JsonNode prometheus = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper().readTree(DeployFiles.path("deploy/prometheus/prometheus.yml").toFile());
        Set<String> targets = new TreeSet<>();
        prometheus.path("scrape_configs").forEach(job -> job.path("static_configs").forEach(c -> c.path("targets").forEach(t -> targets.add(t.asText()))));
        assertThat(targets).contains("tokenmeter-1:8080", "tokenmeter-2:8080", "alertmanager:9093");
        targets.stream().filter(t -> !t.startsWith("localhost:")).forEach(t -> assertThat(services).containsKey(t.split(":")[0]));

        JsonNode datasources = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper()
                .readTree(DeployFiles.path("deploy/grafana/provisioning/datasources/prometheus.yml").toFile());
        JsonNode datasource = datasources.path("datasources").get(0);
        assertThat(datasource.path("url").asText()).isEqualTo("http://prometheus:9090");
        JsonNode providers = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper()
                .readTree(DeployFiles.path("deploy/grafana/provisioning/dashboards/tokenmeter.yml").toFile());
        String dashboardsPath = providers.path("providers").get(0).path("options").path("path").asText();
        assertThat(list(services.get("grafana"), "volumes")).contains("./deploy/grafana/dashboards:" + dashboardsPath + ":ro");

        JsonNode dashboard = new ObjectMapper().readTree(DeployFiles.path("deploy/grafana/dashboards/tokenmeter.json").toFile());
        Set<Integer> ids = new TreeSet<>();
        for (JsonNode panel : dashboard.path("panels")) {
            assertThat(ids.add(panel.path("id").asInt())).as("panel ids are unique").isTrue();
            assertThat(panel.path("datasource").path("uid").asText()).as(panel.path("title").asText()).isEqualTo(datasource.path("uid").asText());
            panel.path("targets").forEach(t -> assertThat(t.path("datasource").path("uid").asText()).isEqualTo(datasource.path("uid").asText()));
        }
    }

    @Test
    void everyVariableTheFileReadsIsInTheEnvExample() throws IOException {
        Matcher m = Pattern.compile("(?<!\\$)\\$\\{(\\w+)").matcher(Files.readString(COMPOSE));
        Set<String> used = new TreeSet<>();
        while (m.find()) {
            used.add(m.group(1));
        }
        Set<String> documented = Files.readAllLines(DeployFiles.path(".env.example")).stream().filter(l -> l.matches("\\w+=.*"))
                .map(l -> l.substring(0, l.indexOf('='))).collect(Collectors.toSet());
        assertThat(documented).containsAll(used);
    }

    @Test
    void dclintFindsNothingWithTheCurrentComposeSpecSchema() throws IOException {
        var node = DeployFiles.tool("node");
        var npm = DeployFiles.tool("npm");
        assumeTrue(node.isPresent() && npm.isPresent(), "node and npm are not on the PATH: skipping dclint; .ci/run installs them");
        Path tools = DeployFiles.path("tools/dclint");
        if (!Files.exists(tools.resolve("node_modules/.bin/dclint"))) {
            Tools ci = Tools.run(tools, null, npm.get().toString(), "ci", "--no-audit", "--no-fund", "--loglevel=error");
            assertThat(ci.exit()).as("npm ci in tools/dclint: " + ci.output()).isZero();
        }
        Tools lint = Tools.run(DeployFiles.ROOT, null, tools.resolve("node_modules/.bin/dclint").toString(), "--color=false",
                "-c", "tools/dclint/dclint.config.json", "--max-warnings", "0", "docker-compose.yml");
        assertThat(lint.exit()).as(lint.output()).isZero();
    }

    @Test
    void debiansDockerComposeParsesIt() {
        var dockerCompose = DeployFiles.tool("docker-compose");
        assumeTrue(dockerCompose.isPresent(), DeployFiles.missing("docker-compose", "docker-compose"));
        Tools config = Tools.run(DeployFiles.ROOT, null, dockerCompose.get().toString(), "-f", "docker-compose.yml", "--profile", "eventhubs", "config", "-q");
        assertThat(config.exit()).as(config.output()).isZero();
    }

    /** The sources of the Dockerfile's COPY instructions (not those from another stage) that are missing in the context. */
    private static List<String> dockerfileSources(Path context, Path dockerfile) throws IOException {
        List<String> missing = new ArrayList<>();
        for (String line : Files.readAllLines(dockerfile)) {
            String[] words = line.trim().split("\\s+");
            if (words.length >= 3 && words[0].equals("COPY") && !words[1].startsWith("--from")) {
                for (int i = 1; i < words.length - 1; i++) {
                    if (!words[i].startsWith("--") && !Files.exists(context.resolve(words[i]))) {
                        missing.add(dockerfile + ": COPY " + words[i]);
                    }
                }
            }
        }
        return missing;
    }
}
