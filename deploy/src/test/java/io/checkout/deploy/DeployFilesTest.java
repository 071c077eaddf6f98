package io.checkout.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.checkout.server.ServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The deploy files parse and agree with each other and with the server: kinds, ports, probes,
 * volumes, labels, image names, settings and the memory the JVM is given.
 */
class DeployFilesTest {
    private static final String IMAGE = System.getProperty("checkout.image", "checkout-server:0.1.0");
    private static final int GRPC_PORT = 9090;
    private static final int METRICS_PORT = 9464;

    // ---- Kubernetes -----------------------------------------------------------------------------

    private static Map<String, JsonNode> kubernetesByKind() throws IOException {
        Map<String, JsonNode> byKind = new HashMap<>();
        try (Stream<Path> files = Files.list(DeployFiles.DIR.resolve("k8s"))) {
            for (Path file :
                    files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                for (JsonNode document : DeployFiles.yamlDocuments(file)) {
                    assertThat(document.path("apiVersion").asText())
                            .as("apiVersion of a document in %s", file)
                            .isNotEmpty();
                    String kind = document.path("kind").asText();
                    assertThat(byKind.put(kind, document))
                            .as("one %s in k8s/", kind)
                            .isNull();
                }
            }
        }
        return byKind;
    }

    @Test
    void kubernetesFilesShouldHoldEachNeededKindWithTheRightApiVersion() throws IOException {
        Map<String, JsonNode> byKind = kubernetesByKind();

        assertThat(byKind.keySet())
                .containsExactlyInAnyOrder(
                        "Kustomization",
                        "ConfigMap",
                        "Service",
                        "StatefulSet",
                        "PodDisruptionBudget",
                        "ServiceMonitor");
        assertThat(byKind.get("StatefulSet").path("apiVersion").asText()).isEqualTo("apps/v1");
        assertThat(byKind.get("PodDisruptionBudget").path("apiVersion").asText())
                .isEqualTo("policy/v1");
        assertThat(byKind.get("ServiceMonitor").path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(byKind.get("Service").path("apiVersion").asText()).isEqualTo("v1");
    }

    @Test
    void kustomizationShouldListEveryManifest() throws IOException {
        JsonNode kustomization = DeployFiles.yaml("k8s/kustomization.yaml");
        Set<String> listed = new HashSet<>();
        kustomization.path("resources").forEach(resource -> listed.add(resource.asText()));
        Set<String> present = new HashSet<>();
        try (Stream<Path> files = Files.list(DeployFiles.DIR.resolve("k8s"))) {
            files.map(f -> f.getFileName().toString())
                    .filter(name -> name.endsWith(".yaml") && !name.equals("kustomization.yaml"))
                    .forEach(present::add);
        }

        assertThat(listed).isEqualTo(present);
    }

    @Test
    void statefulSetShouldRunTheImageAsNonRootWithAVolumePerPodAndGrpcProbes() throws IOException {
        Map<String, JsonNode> byKind = kubernetesByKind();
        JsonNode set = byKind.get("StatefulSet");
        JsonNode pod = set.path("spec").path("template").path("spec");
        JsonNode container = pod.path("containers").get(0);

        assertThat(set.path("spec").path("serviceName").asText())
                .isEqualTo(byKind.get("Service").path("metadata").path("name").asText());
        assertThat(container.path("image").asText()).isEqualTo(IMAGE);
        assertThat(pod.path("securityContext").path("runAsNonRoot").asBoolean()).isTrue();
        assertThat(pod.path("securityContext").path("runAsUser").asInt()).isPositive();

        Map<String, Integer> ports = new HashMap<>();
        container
                .path("ports")
                .forEach(port -> ports.put(
                        port.path("name").asText(), port.path("containerPort").asInt()));
        assertThat(ports).containsEntry("grpc", GRPC_PORT).containsEntry("metrics", METRICS_PORT);

        assertThat(container.path("readinessProbe").path("grpc").path("port").asInt())
                .isEqualTo(GRPC_PORT);
        assertThat(container.path("startupProbe").path("grpc").path("port").asInt())
                .isEqualTo(GRPC_PORT);
        JsonNode live = container.path("livenessProbe").path("httpGet");
        assertThat(live.path("path").asText()).isEqualTo("/live");
        assertThat(ports).containsKey(live.path("port").asText());

        Set<String> volumes = new HashSet<>();
        pod.path("volumes").forEach(volume -> volumes.add(volume.path("name").asText()));
        set.path("spec")
                .path("volumeClaimTemplates")
                .forEach(
                        claim -> volumes.add(claim.path("metadata").path("name").asText()));
        Map<String, String> mounts = new HashMap<>();
        container
                .path("volumeMounts")
                .forEach(mount -> mounts.put(
                        mount.path("name").asText(), mount.path("mountPath").asText()));
        assertThat(volumes).containsAll(mounts.keySet());
        assertThat(set.path("spec")
                        .path("volumeClaimTemplates")
                        .get(0)
                        .path("metadata")
                        .path("name")
                        .asText())
                .isEqualTo("data");

        Properties settings = DeployFiles.properties(
                byKind.get("ConfigMap").path("data").path("checkout.properties").asText());
        assertThat(mounts.get("data"))
                .as("the data volume is the data directory")
                .isEqualTo(settings.getProperty("data-dir"));
        assertThat(settings.getProperty("port")).isEqualTo(String.valueOf(GRPC_PORT));
        assertThat(settings.getProperty("metrics-port")).isEqualTo(String.valueOf(METRICS_PORT));
        assertThat(settings.getProperty("admin-token-file")).startsWith(mounts.get("admin-token") + "/");
        assertThat(container.path("args").toString()).contains(mounts.get("config") + "/checkout.properties");
    }

    @Test
    void memoryLimitShouldCoverTheHeapDirectMemoryAndTheRestOfTheProcess() throws IOException {
        JsonNode container = kubernetesByKind()
                .get("StatefulSet")
                .path("spec")
                .path("template")
                .path("spec")
                .path("containers")
                .get(0);
        String javaOptions = "";
        for (JsonNode env : container.path("env")) {
            if (env.path("name").asText().equals("JAVA_TOOL_OPTIONS")) {
                javaOptions = env.path("value").asText();
            }
        }
        long heap = DeployFiles.jvmSize(javaOptions, "-Xmx");
        long direct = DeployFiles.jvmSize(javaOptions, "-XX:MaxDirectMemorySize=");
        long limit = DeployFiles.kubernetesQuantity(
                container.path("resources").path("limits").path("memory").asText());
        long request = DeployFiles.kubernetesQuantity(
                container.path("resources").path("requests").path("memory").asText());

        assertThat(DeployFiles.jvmSize(javaOptions, "-Xms"))
                .as("heap fixed at start")
                .isEqualTo(heap);
        // Beyond heap and direct buffers: metaspace, code cache, thread stacks and the state's pages.
        assertThat(limit).as("memory limit").isGreaterThanOrEqualTo(heap + direct + (1L << 30));
        assertThat(request)
                .as("request = limit, so the pod is never the first one evicted")
                .isEqualTo(limit);
        // A JVM that sees one CPU would pick the serial collector and its long young pauses.
        assertThat(javaOptions)
                .as("collector named, not left to the CPUs the pod sees")
                .contains("-XX:+UseG1GC");
        // What outlives a young collection is state: promoted at once, not copied up to 15 times.
        assertThat(javaOptions).as("survivors promoted at once").contains("-XX:MaxTenuringThreshold=1");
    }

    @Test
    void serviceMonitorAndDisruptionBudgetShouldSelectThePodsAndTheMetricsPort() throws IOException {
        Map<String, JsonNode> byKind = kubernetesByKind();
        JsonNode podLabels = byKind.get("StatefulSet")
                .path("spec")
                .path("template")
                .path("metadata")
                .path("labels");
        JsonNode service = byKind.get("Service");

        assertThat(service.path("spec").path("selector")).isEqualTo(podLabels);
        assertThat(byKind.get("PodDisruptionBudget")
                        .path("spec")
                        .path("selector")
                        .path("matchLabels"))
                .isEqualTo(podLabels);
        assertThat(byKind.get("StatefulSet").path("spec").path("selector").path("matchLabels"))
                .isEqualTo(podLabels);
        JsonNode monitored = byKind.get("ServiceMonitor").path("spec");
        assertThat(monitored.path("selector").path("matchLabels"))
                .isEqualTo(service.path("metadata").path("labels"));
        Set<String> servicePorts = new HashSet<>();
        service.path("spec")
                .path("ports")
                .forEach(port -> servicePorts.add(port.path("name").asText()));
        assertThat(servicePorts)
                .contains(monitored.path("endpoints").get(0).path("port").asText());
        assertThat(monitored.path("endpoints").get(0).path("path").asText()).isEqualTo("/metrics");
        assertThat(service.path("metadata").path("name").asText())
                .as("the job label the alerts select")
                .isEqualTo("checkout");
    }

    @Test
    void everySettingInTheConfigFilesShouldBeOneTheServerKnows() throws IOException {
        List<String> known = Stream.of(ServerConfig.Setting.values())
                .map(ServerConfig.Setting::key)
                .toList();
        Properties compose =
                DeployFiles.properties(Files.readString(DeployFiles.DIR.resolve("checkout/checkout.properties")));
        Properties kubernetes = DeployFiles.properties(kubernetesByKind()
                .get("ConfigMap")
                .path("data")
                .path("checkout.properties")
                .asText());

        assertThat(known).containsAll(compose.stringPropertyNames());
        assertThat(known).containsAll(kubernetes.stringPropertyNames());
    }

    @Test
    void jibShouldBuildTheImageTheDeployFilesNameAsANonRootUserWithTheJvmOptions() throws Exception {
        var document = javax.xml.parsers.DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(DeployFiles.DIR.resolve("../checkout-server/pom.xml").toFile());
        var xpath = javax.xml.xpath.XPathFactory.newInstance().newXPath();
        String plugin = "//profile[id='image']//plugin[artifactId='jib-maven-plugin']/configuration";

        assertThat(xpath.evaluate(plugin + "/to/image", document)).isEqualTo(IMAGE);
        assertThat(xpath.evaluate(plugin + "/container/user", document))
                .doesNotStartWith("0")
                .doesNotStartWith("root")
                .isNotEmpty();
        assertThat(xpath.evaluate(plugin + "/container/jvmFlags/jvmFlag", document))
                .isEqualTo("@/app/config/jvm.options");
        assertThat(xpath.evaluate(plugin + "/extraDirectories/paths/path[into='/app/config']/includes", document))
                .isEqualTo("jvm.options");
        assertThat(xpath.evaluate(plugin + "/container/mainClass", document)).isEqualTo("io.checkout.server.Main");
    }

    // ---- compose --------------------------------------------------------------------------------

    @Test
    void composeShouldRunTheServerPrometheusAndGrafanaWithTheirFilesMounted() {
        JsonNode services = DeployFiles.yaml("compose.yaml").path("services");

        assertThat(fieldNames(services)).containsExactlyInAnyOrder("checkout", "prometheus", "grafana");
        JsonNode checkout = services.path("checkout");
        assertThat(checkout.path("image").asText()).isEqualTo(IMAGE);
        assertThat(checkout.path("ports").toString())
                .contains(GRPC_PORT + ":" + GRPC_PORT, METRICS_PORT + ":" + METRICS_PORT);
        assertThat(checkout.path("command").toString()).contains("/etc/checkout/checkout.properties");
        for (String service : List.of("checkout", "prometheus", "grafana")) {
            for (JsonNode volume : services.path(service).path("volumes")) {
                String source = volume.asText().split(":")[0];
                if (source.startsWith("./")) {
                    assertThat(DeployFiles.DIR.resolve(source))
                            .as("%s mounts %s", service, source)
                            .exists();
                }
            }
        }
        JsonNode scrape = DeployFiles.yaml("prometheus/prometheus.yml")
                .path("scrape_configs")
                .get(0);
        assertThat(scrape.path("job_name").asText()).isEqualTo("checkout");
        assertThat(scrape.path("static_configs").get(0).path("targets").get(0).asText())
                .isEqualTo("checkout:" + METRICS_PORT);
        Properties settings =
                DeployFiles.properties(DeployFiles.read(DeployFiles.DIR.resolve("checkout/checkout.properties")));
        assertThat(checkout.path("volumes").toString()).contains("checkout-data:" + settings.getProperty("data-dir"));
    }

    @Test
    void grafanaShouldBeProvisionedWithThePrometheusDatasourceTheDashboardUses() {
        JsonNode datasource = DeployFiles.yaml("grafana/provisioning/datasources/prometheus.yml")
                .path("datasources")
                .get(0);
        JsonNode provider = DeployFiles.yaml("grafana/provisioning/dashboards/checkout.yml")
                .path("providers")
                .get(0);
        JsonNode dashboard = DeployFiles.json("grafana/dashboards/checkout.json");

        assertThat(datasource.path("url").asText()).isEqualTo("http://prometheus:9090");
        assertThat(provider.path("options").path("path").asText()).isEqualTo("/var/lib/grafana/dashboards");
        List<String> uids = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                uids.add(target.path("datasource").path("uid").asText());
            }
        }
        assertThat(uids).isNotEmpty().containsOnly(datasource.path("uid").asText());
    }

    // ---- dashboard and alerts -------------------------------------------------------------------

    @Test
    void dashboardShouldHavePanelsForTrafficOutcomesStockEngineAndJvm() {
        JsonNode dashboard = DeployFiles.json("grafana/dashboards/checkout.json");
        List<String> titles = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : dashboard.path("panels")) {
            titles.add(panel.path("title").asText());
            assertThat(ids.add(panel.path("id").asInt()))
                    .as("panel ids are unique")
                    .isTrue();
        }
        List<String> expressions = DeployFiles.dashboardExpressions();

        assertThat(dashboard.path("uid").asText()).isNotEmpty();
        assertThat(titles)
                .anyMatch(t -> t.contains("Calls per second"))
                .anyMatch(t -> t.contains("Errors"))
                .anyMatch(t -> t.contains("Latency"))
                .anyMatch(t -> t.contains("Reserve outcomes"))
                .anyMatch(t -> t.contains("stock"))
                .anyMatch(t -> t.contains("Ring"))
                .anyMatch(t -> t.contains("Journal"))
                .anyMatch(t -> t.contains("Heap"))
                .anyMatch(t -> t.contains("GC"));
        assertThat(expressions)
                .isNotEmpty()
                .allMatch(expr -> !expr.isBlank())
                .allMatch(expr -> count(expr, '(') == count(expr, ')') && count(expr, '{') == count(expr, '}'));
        assertThat(String.join("\n", expressions)).contains("histogram_quantile(0.99", "_bucket");
    }

    @Test
    void alertRulesShouldCoverTheFiveConditionsOperatorsAskedFor() {
        List<String> alerts = new ArrayList<>();
        for (JsonNode rule :
                DeployFiles.yaml("prometheus/alerts.yml").path("groups").get(0).path("rules")) {
            alerts.add(rule.path("alert").asText());
            assertThat(rule.path("labels").path("severity").asText())
                    .as("severity of %s", rule.path("alert"))
                    .isNotEmpty();
            assertThat(rule.path("annotations").path("summary").asText()).isNotEmpty();
        }

        assertThat(alerts)
                .contains(
                        "CheckoutServerDown",
                        "CheckoutHighErrorRatio",
                        "CheckoutHighLatencyP99",
                        "CheckoutRingNearlyFull",
                        "CheckoutJournalSyncSlow");
    }

    @Test
    void metricNamesShouldComeOutOfPromQlWithoutLabelsOrFunctions() {
        assertThat(
                        DeployFiles.metricNames(
                                "histogram_quantile(0.99, sum by (instance, le) (rate(checkout_journal_sync_seconds_bucket{job=\"checkout\"}[5m]))) > 0.02"))
                .containsExactly("checkout_journal_sync_seconds_bucket");
        assertThat(DeployFiles.metricNames("a_total{x=\"y\"} / on (instance) b_slots{instance=~\"$instance\"}"))
                .containsExactly("a_total", "b_slots");
        assertThat(DeployFiles.metricNames("a_total * on (instance) group_left (partition) info_c"))
                .containsExactly("a_total", "info_c");
    }

    // ---- helpers --------------------------------------------------------------------------------

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static long count(String text, char c) {
        return text.chars().filter(ch -> ch == c).count();
    }
}
