package io.tokenmeter.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.tokenmeter.config.TokenmeterConfig;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * deploy/k8s read as typed Kubernetes objects (fabric8's model): every document is a known kind, no field is misspelled
 * (an unknown field lands in additionalProperties), and the pieces fit: selectors match labels, the StatefulSet names the
 * headless Service, the probes ask /health, the state volume is mounted where state.dir points, references resolve.
 */
class KubernetesManifestsTest {

    private static final Path DIR = DeployFiles.path("deploy/k8s");

    private static List<HasMetadata> resources() throws IOException {
        KubernetesSerialization serialization = new KubernetesSerialization();
        List<HasMetadata> all = new ArrayList<>();
        for (String file : kustomizationResources()) {
            try (InputStream in = Files.newInputStream(DIR.resolve(file))) {
                Object parsed = serialization.unmarshal(in);
                if (parsed instanceof Collection<?> many) {
                    many.forEach(r -> all.add((HasMetadata) r));
                } else {
                    all.add((HasMetadata) parsed);
                }
            }
        }
        return all;
    }

    private static List<String> kustomizationResources() throws IOException {
        JsonNode kustomization = new YAMLMapper().readTree(DIR.resolve("kustomization.yaml").toFile());
        List<String> files = new ArrayList<>();
        kustomization.path("resources").forEach(r -> files.add(r.asText()));
        return files;
    }

    private static <T extends HasMetadata> T one(List<HasMetadata> all, Class<T> kind, String name) {
        return all.stream().filter(kind::isInstance).map(kind::cast).filter(r -> r.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind.getSimpleName() + " " + name));
    }

    @Test
    void theKustomizationListsEveryManifest() throws IOException {
        try (Stream<Path> files = Files.list(DIR)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml")))
                    .containsExactlyInAnyOrderElementsOf(kustomizationResources());
        }
    }

    @Test
    void everyDocumentIsAKnownKindWithoutUnknownFields() throws Exception {
        List<HasMetadata> all = resources();
        assertThat(all).noneMatch(r -> r instanceof GenericKubernetesResource);
        List<String> unknown = new ArrayList<>();
        for (HasMetadata resource : all) {
            unknownFields(resource, resource.getKind() + "/" + resource.getMetadata().getName(), unknown);
        }
        assertThat(unknown).isEmpty();
    }

    @Test
    void theStatefulSetKeepsItsStateAndReachesItsPeersThroughTheHeadlessService() throws IOException {
        List<HasMetadata> all = resources();
        StatefulSet streams = one(all, StatefulSet.class, "tokenmeter");
        Service headless = one(all, Service.class, streams.getSpec().getServiceName());
        assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
        assertThat(headless.getSpec().getPublishNotReadyAddresses()).isTrue();
        Map<String, String> labels = streams.getSpec().getTemplate().getMetadata().getLabels();
        assertThat(labels).containsAllEntriesOf(streams.getSpec().getSelector().getMatchLabels());
        assertThat(labels).containsAllEntriesOf(headless.getSpec().getSelector());
        assertThat(labels).containsAllEntriesOf(one(all, Service.class, "tokenmeter").getSpec().getSelector());

        Container container = streams.getSpec().getTemplate().getSpec().getContainers().get(0);
        String stateVolume = streams.getSpec().getVolumeClaimTemplates().get(0).getMetadata().getName();
        String stateDir = env(container, TokenmeterConfig.envName(TokenmeterConfig.STATE_DIR));
        assertThat(container.getVolumeMounts()).anyMatch(m -> m.getName().equals(stateVolume) && m.getMountPath().equals(stateDir));
        assertThat(env(container, TokenmeterConfig.envName(TokenmeterConfig.HTTP_ADVERTISED_HOST)))
                .isEqualTo("$(POD_NAME)." + headless.getMetadata().getName() + ".$(POD_NAMESPACE).svc.cluster.local");
        int httpPort = Integer.parseInt(env(container, TokenmeterConfig.envName(TokenmeterConfig.HTTP_PORT)));
        assertThat(container.getPorts()).anyMatch(p -> p.getName().equals("http") && p.getContainerPort() == httpPort);
        for (Probe probe : List.of(container.getStartupProbe(), container.getReadinessProbe(), container.getLivenessProbe())) {
            assertThat(probe.getHttpGet().getPath()).isEqualTo("/health");
            assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("http");
        }
        assertThat(streams.getSpec().getReplicas()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void everyWorkloadsSelectorMatchesItsPodsAndItsReferencesResolve() throws IOException {
        List<HasMetadata> all = resources();
        ConfigMap config = one(all, ConfigMap.class, "tokenmeter-config");
        Secret secret = one(all, Secret.class, "tokenmeter-secrets");
        List<PodTemplateSpec> templates = new ArrayList<>();
        for (HasMetadata r : all) {
            if (r instanceof Deployment d) {
                assertThat(d.getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(d.getSpec().getSelector().getMatchLabels());
                templates.add(d.getSpec().getTemplate());
            } else if (r instanceof StatefulSet s) {
                templates.add(s.getSpec().getTemplate());
            }
        }
        assertThat(templates).hasSize(3);
        for (PodTemplateSpec template : templates) {
            for (Container c : template.getSpec().getContainers()) {
                c.getEnvFrom().forEach(e -> assertThat(e.getConfigMapRef().getName()).isEqualTo(config.getMetadata().getName()));
                for (EnvVar var : c.getEnv()) {
                    if (var.getValueFrom() != null && var.getValueFrom().getSecretKeyRef() != null) {
                        assertThat(var.getValueFrom().getSecretKeyRef().getName()).isEqualTo(secret.getMetadata().getName());
                        assertThat(secret.getStringData()).containsKey(var.getValueFrom().getSecretKeyRef().getKey());
                    }
                }
            }
        }
        Deployment bridge = one(all, Deployment.class, "tokenmeter-bridge");
        assertThat(bridge.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs()).containsExactly("bridge", "eventhubs");
        assertThat(bridge.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv()).as("the connection string comes from the secret")
                .anyMatch(e -> e.getName().equals("EVENTHUBS_CONNECTION_STRING") && e.getValue() == null
                        && e.getValueFrom().getSecretKeyRef().getKey().equals("EVENTHUBS_CONNECTION_STRING"));
    }

    @Test
    void everyTokenmeterVariableIsARealSetting() throws IOException {
        List<HasMetadata> all = resources();
        Set<String> settings = TokenmeterConfig.DEFINITION.names().stream().map(TokenmeterConfig::envName).collect(Collectors.toSet());
        boolean pagerSettingsDefined = TokenmeterConfig.DEFINITION.names().stream().anyMatch(n -> n.startsWith("pager."));
        List<String> names = new ArrayList<>(one(all, ConfigMap.class, "tokenmeter-config").getData().keySet());
        names.addAll(one(all, Secret.class, "tokenmeter-secrets").getStringData().keySet());
        for (HasMetadata r : all) {
            PodTemplateSpec template = r instanceof Deployment d ? d.getSpec().getTemplate() : r instanceof StatefulSet s ? s.getSpec().getTemplate() : null;
            if (template != null) {
                template.getSpec().getContainers().forEach(c -> c.getEnv().forEach(e -> names.add(e.getName())));
            }
        }
        assertThat(names.stream().filter(n -> n.startsWith(TokenmeterConfig.ENV_PREFIX))
                .filter(n -> !settings.contains(n) && !n.startsWith("TOKENMETER_KAFKA_") && !n.equals("TOKENMETER_JAVA_OPTS"))
                .filter(n -> pagerSettingsDefined || !n.startsWith("TOKENMETER_PAGER_")))
                .isEmpty();
    }

    /** The value of a plain env var of the container, or null when it is absent or comes from a reference. */
    private static String env(Container container, String name) {
        return container.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst().map(EnvVar::getValue).orElse(null);
    }

    /** Walks fabric8's model objects; a misspelled field shows up as a non-empty additionalProperties map. */
    private static void unknownFields(Object node, String path, List<String> unknown) throws Exception {
        if (node == null) {
            return;
        }
        if (node instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                unknownFields(item, path + "[" + i++ + "]", unknown);
            }
            return;
        }
        if (node instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                unknownFields(e.getValue(), path + "." + e.getKey(), unknown);
            }
            return;
        }
        if (!node.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method getter : node.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers()) || getter.getDeclaringClass() == Object.class
                    || !(getter.getName().startsWith("get"))) {
                continue;
            }
            Object value = getter.invoke(node);
            if (getter.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    unknown.add(path + ": " + extra.keySet());
                }
            } else {
                unknownFields(value, path + "." + getter.getName().substring(3), unknown);
            }
        }
    }
}
