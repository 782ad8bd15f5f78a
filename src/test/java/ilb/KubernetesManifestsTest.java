package ilb;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import ilb.backend.Durations;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * deploy/kubernetes, read with SnakeYAML (the engine camel-yaml-dsl reads routes with): the manifests say what ilb needs, and agree with each other and with ilb's own files. */
class KubernetesManifestsTest {

    private static final Path DIR = Path.of("deploy", "kubernetes");

    private final List<Map<String, Object>> objects = load();

    @Test
    void everyFileTheKustomizationNamesExists() throws IOException {
        Map<String, Object> kustomization = yaml(DIR.resolve("kustomization.yaml")).get(0);
        List<String> files = new ArrayList<>(strings(kustomization.get("resources")));
        for (Map<String, Object> generator : maps(kustomization.get("configMapGenerator"))) {
            files.addAll(strings(generator.get("files")));
        }
        assertThat(files).isNotEmpty().allSatisfy(file -> assertThat(DIR.resolve(file)).isRegularFile());
    }

    @Test
    void theDeploymentProbesDrainsAndRunsLockedDown() {
        Map<String, Object> deployment = object("Deployment", "ilb");
        assertThat((Integer) at(deployment, "spec", "replicas")).isGreaterThanOrEqualTo(2);
        Map<String, Object> pod = at(deployment, "spec", "template", "spec");
        Map<String, Object> container = ilbContainer();
        List<String> ports = maps(container.get("ports")).stream().map(p -> (String) p.get("name")).toList();
        assertThat(ports).contains("http", "grpc", "management");

        for (var probe : Map.of("startupProbe", "/observe/health/live", "livenessProbe", "/observe/health/live",
                "readinessProbe", "/observe/health/ready").entrySet()) {
            assertThat((String) at(container, probe.getKey(), "httpGet", "path")).isEqualTo(probe.getValue());
            assertThat((String) at(container, probe.getKey(), "httpGet", "port")).isEqualTo("management");
        }
        assertThat(containerPort("management")).isEqualTo(9876);

        assertThat(strings(at(container, "lifecycle", "preStop", "exec", "command")))
                .containsExactly("/opt/ilb/bin/ilb", "drain");
        // the grace period covers the drain delay, the requests in flight and the stop of the rest (Camel Main's
        // extra shutdown timeout: 15 s), and bin/ilb drain gives up within it
        Properties settings = settings();
        long drainSeconds = TimeUnit.MILLISECONDS.toSeconds(Durations.millis(settings.getProperty("ilb.shutdown.drainDelay")));
        long shutdownSeconds = Long.parseLong(settings.getProperty("camel.main.shutdownTimeout").trim());
        int grace = (Integer) pod.get("terminationGracePeriodSeconds");
        assertThat(grace).isGreaterThan((int) (drainSeconds + shutdownSeconds + 15));
        assertThat(Integer.parseInt(env(container, "ILB_DRAIN_TIMEOUT"))).isLessThan(grace)
                .isGreaterThan((int) (drainSeconds + shutdownSeconds));

        assertThat((Boolean) at(pod, "securityContext", "runAsNonRoot")).isTrue();
        assertThat((Integer) at(pod, "securityContext", "runAsUser")).isEqualTo(10001);
        assertThat((String) at(pod, "securityContext", "seccompProfile", "type")).isEqualTo("RuntimeDefault");
        assertThat((Boolean) at(container, "securityContext", "readOnlyRootFilesystem")).isTrue();
        assertThat((Boolean) at(container, "securityContext", "allowPrivilegeEscalation")).isFalse();
        assertThat(strings(at(container, "securityContext", "capabilities", "drop"))).containsExactly("ALL");
        assertThat((Map<String, Object>) at(container, "resources", "requests")).containsKeys("cpu", "memory");
        assertThat((Map<String, Object>) at(container, "resources", "limits")).containsKeys("memory");
        assertThat(maps(pod.get("topologySpreadConstraints")))
                .anySatisfy(spread -> assertThat(spread.get("topologyKey")).isEqualTo("kubernetes.io/hostname"));
    }

    @Test
    void whatIlbWritesIsAnEmptyDirAndTheRoutesAreAWholeConfigMapDirectory() {
        Map<String, Object> container = ilbContainer();
        Map<String, Map<String, Object>> volumes = new java.util.HashMap<>();
        maps(at(object("Deployment", "ilb"), "spec", "template", "spec", "volumes"))
                .forEach(volume -> volumes.put((String) volume.get("name"), volume));
        Map<String, Map<String, Object>> mounts = new java.util.HashMap<>();
        maps(container.get("volumeMounts")).forEach(mount -> mounts.put((String) mount.get("mountPath"), mount));

        // subPath mounts never update: a route edited in its ConfigMap would never reach ilb
        assertThat(mounts.values()).allSatisfy(mount -> assertThat(mount).doesNotContainKey("subPath"));
        assertThat(env(container, "ILB_ROUTES_DIR")).isEqualTo("/etc/ilb/routes");
        assertThat(env(container, "ILB_CONFIG_DIR")).isEqualTo("/etc/ilb/config");
        assertThat((String) at(volumes.get(mounts.get("/etc/ilb/routes").get("name")), "configMap", "name"))
                .isEqualTo("ilb-routes");
        assertThat((String) at(volumes.get(mounts.get("/etc/ilb/config").get("name")), "configMap", "name"))
                .isEqualTo("ilb-config");
        // the console's unpacked war goes under ILB_DATA_DIR; the JVM's and bin/ilb's files under /tmp
        for (String writable : List.of("/tmp", env(container, "ILB_DATA_DIR"))) {
            assertThat(volumes.get(mounts.get(writable).get("name"))).containsKey("emptyDir");
        }

        Map<String, Object> routes = maps(yaml(DIR.resolve("kustomization.yaml")).get(0).get("configMapGenerator"))
                .stream().filter(g -> g.get("name").equals("ilb-routes")).findFirst().orElseThrow();
        assertThat((Boolean) at(routes, "options", "disableNameSuffixHash")).isTrue();
    }

    @Test
    void everyTenantGetsItsKeysFromTheSecret() {
        Map<String, Object> container = ilbContainer();
        for (String tenant : settings().getProperty("ilb.tenants").split(",")) {
            String name = "ILB_TENANT_" + tenant.trim().toUpperCase().replace('-', '_') + "_APIKEYS";
            Map<String, Object> variable = maps(container.get("env")).stream().filter(e -> e.get("name").equals(name))
                    .findFirst().orElseThrow(() -> new AssertionError("no " + name));
            assertThat((String) at(variable, "valueFrom", "secretKeyRef", "name")).isEqualTo("ilb-tenant-keys");
        }
    }

    @Test
    void theServicesSelectTheIlbPodsAndTheirPortsExist() {
        Map<String, Object> podLabels = at(object("Deployment", "ilb"), "spec", "template", "metadata", "labels");
        for (String name : List.of("ilb", "ilb-management")) {
            Map<String, Object> service = object("Service", name);
            assertThat(podLabels).containsAllEntriesOf(at(service, "spec", "selector"));
            for (Map<String, Object> port : maps(at(service, "spec", "ports"))) {
                assertThat(containerPort((String) port.get("targetPort"))).isEqualTo(port.get("port"));
            }
        }
        Map<String, Object> grpc = maps(at(object("Service", "ilb"), "spec", "ports")).stream()
                .filter(p -> p.get("name").equals("grpc")).findFirst().orElseThrow();
        assertThat(grpc.get("appProtocol")).isEqualTo("kubernetes.io/h2c");

        Map<String, Object> budget = object("PodDisruptionBudget", "ilb");
        assertThat(budget.get("spec")).extracting("minAvailable").isEqualTo(1);
        assertThat(podLabels).containsAllEntriesOf(at(budget, "spec", "selector", "matchLabels"));

        Map<String, Object> monitor = object("ServiceMonitor", "ilb");
        Map<String, Object> management = object("Service", "ilb-management");
        assertThat((Map<String, Object>) at(management, "metadata", "labels"))
                .containsAllEntriesOf(at(monitor, "spec", "selector", "matchLabels"));
        Map<String, Object> scrape = maps(at(monitor, "spec", "endpoints")).get(0);
        assertThat(scrape).containsEntry("port", "management").containsEntry("path", "/observe/metrics");
    }

    @Test
    void theModelServersHeadlessServiceIsWhatThePoolRouteResolves() throws IOException {
        Map<String, Object> headless = object("Service", "vllm-llama");
        assertThat((String) at(headless, "metadata", "namespace")).isEqualTo("models");
        assertThat((String) at(headless, "spec", "clusterIP")).isEqualTo("None");
        assertThat(maps(at(headless, "spec", "ports")).get(0)).containsEntry("name", "http").containsEntry("port", 8000);
        assertThat(Files.readString(DIR.resolve("routes/pool-llama.yaml")))
                .contains("dns://vllm-llama.models.svc.cluster.local:8000",
                        "srv://_http._tcp.vllm-llama-batch.models.svc.cluster.local");
        assertThat(object("Service", "vllm-llama-batch")).isNotNull();
    }

    @Test
    void thePrometheusRuleHasTheSameRulesAsPrometheusRulesYml() {
        Map<String, Object> rules = yaml(Path.of("deploy", "prometheus-rules.yml")).get(0);
        assertThat((List<?>) at(object("PrometheusRule", "ilb"), "spec", "groups")).isNotEmpty()
                .isEqualTo(rules.get("groups"));
    }

    @Test
    void theEntryRoutesInTheConfigMapAreIlbsOwn() throws IOException {
        for (String file : List.of("api.yaml", "api-grpc.yaml", "batch.yaml")) {
            assertThat(Files.readString(DIR.resolve("routes").resolve(file))).as(file)
                    .isEqualTo(Files.readString(Path.of("routes", file)));
        }
    }

    /** Every object of every manifest the kustomization lists. */
    private static List<Map<String, Object>> load() {
        List<Map<String, Object>> all = new ArrayList<>();
        for (String file : strings(yaml(DIR.resolve("kustomization.yaml")).get(0).get("resources"))) {
            all.addAll(yaml(DIR.resolve(file)));
        }
        return all;
    }

    private Map<String, Object> object(String kind, String name) {
        return objects.stream().filter(o -> kind.equals(o.get("kind")) && name.equals(at(o, "metadata", "name")))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    private Map<String, Object> ilbContainer() {
        return maps(at(object("Deployment", "ilb"), "spec", "template", "spec", "containers")).stream()
                .filter(c -> c.get("name").equals("ilb")).findFirst().orElseThrow();
    }

    private Object containerPort(String name) {
        return maps(ilbContainer().get("ports")).stream().filter(p -> p.get("name").equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("the container has no port " + name)).get("containerPort");
    }

    private static String env(Map<String, Object> container, String name) {
        return maps(container.get("env")).stream().filter(e -> e.get("name").equals(name)).findFirst()
                .map(e -> (String) e.get("value")).orElseThrow(() -> new AssertionError("no " + name));
    }

    /** ilb's defaults, overridden by the config ConfigMap's application.properties. */
    private static Properties settings() {
        Properties settings = new Properties();
        for (Path file : List.of(Path.of("src/main/resources/application.properties"),
                DIR.resolve("config/application.properties"))) {
            try (Reader reader = Files.newBufferedReader(file)) {
                settings.load(reader);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
        return settings;
    }

    private static List<Map<String, Object>> yaml(Path file) {
        try (Reader reader = Files.newBufferedReader(file)) {
            List<Map<String, Object>> documents = new ArrayList<>();
            for (Object document : new Load(LoadSettings.builder().build()).loadAllFromReader(reader)) {
                documents.add(cast(document));
            }
            return documents;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The value under the keys, e.g. {@code at(deployment, "spec", "replicas")}. */
    @SuppressWarnings("unchecked")
    private static <T> T at(Map<String, Object> map, String... keys) {
        Object value = map;
        for (String key : keys) {
            assertThat(value).as("%s in %s", key, String.join(".", keys)).isInstanceOf(Map.class);
            value = ((Map<String, Object>) value).get(key);
        }
        return (T) value;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Object map) {
        return (Map<String, Object>) map;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> maps(Object list) {
        return (List<Map<String, Object>>) list;
    }

    @SuppressWarnings("unchecked")
    private static List<String> strings(Object list) {
        return (List<String>) list;
    }
}
