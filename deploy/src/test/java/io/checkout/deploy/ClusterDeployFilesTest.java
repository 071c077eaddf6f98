package io.checkout.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.checkout.cluster.ClusterMemberConfig;
import io.checkout.server.ServerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The cluster variant's deploy files (k8s/cluster/, compose-cluster.yaml and their settings, the
 * cluster alerts and dashboard row) parse and agree with each other and with the server: three
 * members that name each other the same way, ports, probes, /dev/shm, volumes, settings the server
 * accepts as a valid cluster member, and memory.
 */
class ClusterDeployFilesTest {
    private static final String IMAGE = System.getProperty("checkout.image", "checkout-server:0.1.0");
    private static final int MEMBERS = 3;
    private static final int GRPC_PORT = 9090;
    private static final int METRICS_PORT = 9464;
    /** The five UDP ports a member listens on, base+1..base+5, by their container port names. */
    private static final List<String> AERON_PORTS =
            List.of("aeron-ingress", "aeron-consensus", "aeron-log", "aeron-catchup", "aeron-archive");
    /** What the pod's env gives $(POD_NAMESPACE) in these tests. */
    private static final String NAMESPACE = "shop";

    private static final Pattern COMPOSE_PORT = Pattern.compile("\"?(\\d+):(\\d+)\"?");
    private static final Pattern DOCKER_SIZE = Pattern.compile("(\\d+)([bkmg]?)", Pattern.CASE_INSENSITIVE);
    private static final List<String> CLUSTER_ALERTS = List.of(
            "CheckoutClusterNoLeader",
            "CheckoutClusterFrequentElections",
            "CheckoutClusterApplyLagHigh",
            "CheckoutClusterGatewayDisconnected",
            "CheckoutClusterOutcomesUnknown",
            "CheckoutClusterSnapshotTooOld",
            "CheckoutClusterMemberBehind",
            "CheckoutClusterHousekeepingFailing");

    // ---- Kubernetes -----------------------------------------------------------------------------

    /** Every document in k8s/cluster/, by kind (there are two Services). */
    private static Map<String, List<JsonNode>> kubernetesByKind() throws IOException {
        Map<String, List<JsonNode>> byKind = new HashMap<>();
        try (Stream<Path> files = Files.list(DeployFiles.DIR.resolve("k8s/cluster"))) {
            for (Path file :
                    files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                for (JsonNode document : DeployFiles.yamlDocuments(file)) {
                    assertThat(document.path("apiVersion").asText())
                            .as("apiVersion of a document in %s", file)
                            .isNotEmpty();
                    byKind.computeIfAbsent(document.path("kind").asText(), kind -> new ArrayList<>())
                            .add(document);
                }
            }
        }
        return byKind;
    }

    private static JsonNode one(String kind) throws IOException {
        List<JsonNode> documents = kubernetesByKind().getOrDefault(kind, List.of());
        assertThat(documents).as("one %s in k8s/cluster/", kind).hasSize(1);
        return documents.get(0);
    }

    private static JsonNode service(String name) throws IOException {
        for (JsonNode service : kubernetesByKind().getOrDefault("Service", List.of())) {
            if (service.path("metadata").path("name").asText().equals(name)) {
                return service;
            }
        }
        throw new AssertionError("no Service " + name + " in k8s/cluster/");
    }

    private static JsonNode statefulSet() throws IOException {
        return one("StatefulSet");
    }

    private static JsonNode podSpec() throws IOException {
        return statefulSet().path("spec").path("template").path("spec");
    }

    private static JsonNode container() throws IOException {
        return podSpec().path("containers").get(0);
    }

    private static JsonNode podLabels() throws IOException {
        return statefulSet().path("spec").path("template").path("metadata").path("labels");
    }

    /** The members' headless Service: the StatefulSet's governing Service. */
    private static JsonNode membersService() throws IOException {
        return service(statefulSet().path("spec").path("serviceName").asText());
    }

    private static Properties configMapSettings() throws IOException {
        return DeployFiles.properties(
                one("ConfigMap").path("data").path("checkout.properties").asText());
    }

    /** The container's --set name=value arguments, in order. */
    private static Map<String, String> setArguments(JsonNode args) {
        List<String> list = new ArrayList<>();
        args.forEach(arg -> list.add(arg.asText()));
        Map<String, String> settings = new LinkedHashMap<>();
        for (int i = 0; i < list.size(); i++) {
            String arg = list.get(i);
            String setting = null;
            if ((arg.equals("--set") || arg.equals("-s")) && i + 1 < list.size()) {
                setting = list.get(++i);
            } else if (arg.startsWith("--set=")) {
                setting = arg.substring("--set=".length());
            }
            if (setting != null) {
                int equals = setting.indexOf('=');
                assertThat(equals).as("--set %s is name=value", setting).isPositive();
                settings.put(setting.substring(0, equals), setting.substring(equals + 1));
            }
        }
        return settings;
    }

    /** The env var's downward-API field path, or "" if it is not one. */
    private static String fieldPath(JsonNode container, String name) {
        for (JsonNode env : container.path("env")) {
            if (env.path("name").asText().equals(name)) {
                return env.path("valueFrom").path("fieldRef").path("fieldPath").asText();
            }
        }
        return "";
    }

    private static String envValue(JsonNode container, String name) {
        for (JsonNode env : container.path("env")) {
            if (env.path("name").asText().equals(name)) {
                return env.path("value").asText();
            }
        }
        return "";
    }

    /**
     * The settings pod {@code ordinal} runs with: the ConfigMap's file, then the args' --set values
     * with $(POD_INDEX) and $(POD_NAMESPACE) expanded as the kubelet would.
     */
    private static Map<String, String> podSettings(int ordinal) throws IOException {
        Map<String, String> settings = new LinkedHashMap<>();
        Properties file = configMapSettings();
        file.stringPropertyNames().forEach(name -> settings.put(name, file.getProperty(name)));
        setArguments(container().path("args"))
                .forEach((name, value) -> settings.put(
                        name,
                        value.replace("$(POD_INDEX)", String.valueOf(ordinal)).replace("$(POD_NAMESPACE)", NAMESPACE)));
        return settings;
    }

    /**
     * The server's own view of these settings: validated by {@link ServerConfig.Builder#conclude()}
     * (which checks the cluster settings too). Files the pod mounts (the admin token) are not on
     * this machine, so those settings are left out; the data directory is one of the test's.
     */
    private static ServerConfig concluded(Map<String, String> settings) {
        ServerConfig.Builder builder = ServerConfig.builder();
        settings.forEach((name, value) -> {
            if (!name.equals("admin-token-file") && !name.startsWith("tls-")) {
                builder.set(name, value);
            }
        });
        return builder.conclude();
    }

    @Test
    void kubernetesFilesShouldHoldEachNeededKindWithTheRightApiVersion() throws IOException {
        Map<String, List<JsonNode>> byKind = kubernetesByKind();
        Map<String, Integer> counts = new HashMap<>();
        byKind.forEach((kind, documents) -> counts.put(kind, documents.size()));

        assertThat(counts)
                .isEqualTo(Map.of(
                        "Kustomization", 1,
                        "ConfigMap", 1,
                        "Service", 2,
                        "StatefulSet", 1,
                        "PodDisruptionBudget", 1,
                        "ServiceMonitor", 1));
        assertThat(one("StatefulSet").path("apiVersion").asText()).isEqualTo("apps/v1");
        assertThat(one("PodDisruptionBudget").path("apiVersion").asText()).isEqualTo("policy/v1");
        assertThat(one("ServiceMonitor").path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
        byKind.get("Service")
                .forEach(service ->
                        assertThat(service.path("apiVersion").asText()).isEqualTo("v1"));
    }

    @Test
    void kustomizationShouldListEveryManifest() throws IOException {
        JsonNode kustomization = DeployFiles.yaml("k8s/cluster/kustomization.yaml");
        Set<String> listed = new HashSet<>();
        kustomization.path("resources").forEach(resource -> listed.add(resource.asText()));
        Set<String> present = new HashSet<>();
        try (Stream<Path> files = Files.list(DeployFiles.DIR.resolve("k8s/cluster"))) {
            files.map(f -> f.getFileName().toString())
                    .filter(name -> name.endsWith(".yaml") && !name.equals("kustomization.yaml"))
                    .forEach(present::add);
        }

        assertThat(listed).isEqualTo(present);
        assertThat(kustomization.path("labels").toString())
                .as("the same part-of label as deploy/k8s/")
                .isEqualTo(DeployFiles.yaml("k8s/kustomization.yaml")
                        .path("labels")
                        .toString());
    }

    @Test
    void statefulSetShouldRunThreeMembersTogetherWithIdsFromThePodIndex() throws IOException {
        JsonNode set = statefulSet();
        JsonNode pod = podSpec();
        JsonNode container = container();

        assertThat(set.path("metadata").path("name").asText()).isEqualTo("checkout");
        assertThat(set.path("spec").path("replicas").asInt()).isEqualTo(MEMBERS);
        assertThat(set.path("spec").path("podManagementPolicy").asText()).isEqualTo("Parallel");
        assertThat(set.path("spec").path("selector").path("matchLabels")).isEqualTo(podLabels());
        assertThat(container.path("image").asText()).isEqualTo(IMAGE);
        assertThat(pod.path("securityContext").path("runAsNonRoot").asBoolean()).isTrue();
        assertThat(pod.path("securityContext").path("runAsUser").asInt()).isPositive();

        assertThat(fieldPath(container, "POD_INDEX")).isEqualTo("metadata.labels['apps.kubernetes.io/pod-index']");
        assertThat(fieldPath(container, "POD_NAMESPACE")).isEqualTo("metadata.namespace");
        Map<String, String> set0 = setArguments(container.path("args"));
        assertThat(set0).containsEntry("cluster-member-id", "$(POD_INDEX)");
        assertThat(container.path("args").toString()).contains("--config", "/etc/checkout/config/checkout.properties");
        for (int ordinal = 0; ordinal < MEMBERS; ordinal++) {
            ClusterMemberConfig member = concluded(podSettings(ordinal)).clusterMemberConfig();
            assertThat(member.memberId()).as("member id of pod %d", ordinal).isEqualTo(ordinal);
            assertThat(member.members()).hasSize(MEMBERS);
        }
    }

    @Test
    void clusterMembersShouldNameEveryPodThroughTheHeadlessServiceOnTheContainersUdpPorts() throws IOException {
        JsonNode container = container();
        String setName = statefulSet().path("metadata").path("name").asText();
        String serviceName = membersService().path("metadata").path("name").asText();
        ServerConfig config = concluded(podSettings(0));
        ClusterMemberConfig member = config.clusterMemberConfig();

        assertThat(config.mode()).isEqualTo(ServerConfig.Mode.CLUSTER);
        int basePort = member.members().get(0).basePort();
        for (int id = 0; id < MEMBERS; id++) {
            ClusterMemberConfig.Endpoint endpoint = member.members().get(id);
            assertThat(endpoint.host())
                    .as("member %d: the pod's full name, which its own /etc/hosts maps to itself", id)
                    .isEqualTo(setName + "-" + id + "." + serviceName + "." + NAMESPACE + ".svc.cluster.local");
            assertThat(endpoint.basePort()).as("base port of member %d", id).isEqualTo(basePort);
        }

        Map<String, JsonNode> ports = new HashMap<>();
        container.path("ports").forEach(port -> ports.put(port.path("name").asText(), port));
        assertThat(ports.get("grpc").path("containerPort").asInt()).isEqualTo(GRPC_PORT);
        assertThat(ports.get("metrics").path("containerPort").asInt()).isEqualTo(METRICS_PORT);
        assertThat(config.port()).isEqualTo(GRPC_PORT);
        assertThat(config.metricsPort()).isEqualTo(METRICS_PORT);
        Map<String, Integer> servicePorts = new HashMap<>();
        membersService().path("spec").path("ports").forEach(port -> {
            if (port.path("protocol").asText().equals("UDP")) {
                servicePorts.put(
                        port.path("targetPort").asText(), port.path("port").asInt());
            }
        });
        for (int offset = 1; offset <= AERON_PORTS.size(); offset++) {
            String name = AERON_PORTS.get(offset - 1);
            assertThat(ports).as("container port %s", name).containsKey(name);
            assertThat(ports.get(name).path("containerPort").asInt())
                    .as("%s = base port + %d", name, offset)
                    .isEqualTo(basePort + offset);
            assertThat(ports.get(name).path("protocol").asText())
                    .as("%s protocol", name)
                    .isEqualTo("UDP");
            assertThat(servicePorts).as("members Service port %s", name).containsEntry(name, basePort + offset);
        }
    }

    @Test
    void membersServiceShouldPublishNotReadyMembersAndTheClientServiceOnlyReadyOnes() throws IOException {
        JsonNode members = membersService().path("spec");
        JsonNode client = service("checkout-grpc").path("spec");

        assertThat(members.path("clusterIP").asText()).as("headless").isEqualTo("None");
        assertThat(members.path("publishNotReadyAddresses").asBoolean())
                .as("members find each other before any is ready")
                .isTrue();
        assertThat(members.path("selector")).isEqualTo(podLabels());
        assertThat(client.path("clusterIP").asText())
                .as("one load-balanced address")
                .isNotEqualTo("None");
        assertThat(client.path("publishNotReadyAddresses").asBoolean())
                .as("clients reach ready members only")
                .isFalse();
        assertThat(client.path("selector")).isEqualTo(podLabels());
        JsonNode grpc = client.path("ports").get(0);
        assertThat(client.path("ports")).hasSize(1);
        assertThat(grpc.path("port").asInt()).isEqualTo(GRPC_PORT);
        assertThat(grpc.path("targetPort").asText()).isEqualTo("grpc");
    }

    @Test
    void probesShouldAskReadyForReadinessAndLiveForLiveness() throws IOException {
        JsonNode container = container();
        Set<String> portNames = new HashSet<>();
        container.path("ports").forEach(port -> portNames.add(port.path("name").asText()));

        JsonNode ready = container.path("readinessProbe").path("httpGet");
        assertThat(ready.path("path").asText()).isEqualTo("/ready");
        assertThat(ready.path("port").asText()).isEqualTo("metrics");
        JsonNode live = container.path("livenessProbe").path("httpGet");
        assertThat(live.path("path").asText()).isEqualTo("/live");
        assertThat(live.path("port").asText()).isEqualTo("metrics");
        assertThat(portNames).contains("metrics");
    }

    @Test
    void volumesShouldPutTheLogOnTheClaimAndAeronOnAMemoryDevShm() throws IOException {
        JsonNode pod = podSpec();
        JsonNode container = container();
        ServerConfig config = concluded(podSettings(0));
        ClusterMemberConfig member = config.clusterMemberConfig();

        Map<String, JsonNode> volumes = new HashMap<>();
        pod.path("volumes").forEach(volume -> volumes.put(volume.path("name").asText(), volume));
        Set<String> claims = new HashSet<>();
        statefulSet()
                .path("spec")
                .path("volumeClaimTemplates")
                .forEach(claim -> claims.add(claim.path("metadata").path("name").asText()));
        Map<String, String> mounts = new HashMap<>();
        container
                .path("volumeMounts")
                .forEach(mount -> mounts.put(
                        mount.path("name").asText(), mount.path("mountPath").asText()));
        Set<String> known = new HashSet<>(volumes.keySet());
        known.addAll(claims);
        assertThat(known).containsAll(mounts.keySet());

        assertThat(claims).containsExactly("data");
        assertThat(mounts.get("data"))
                .as("the data volume is the data directory")
                .isEqualTo(config.dataDirectory().toString());
        assertThat(member.clusterDirectory())
                .as("the archived log and snapshots are on the persistent volume")
                .startsWithRaw(Path.of(mounts.get("data")));

        String shm = mounts.entrySet().stream()
                .filter(mount -> mount.getValue().equals("/dev/shm"))
                .map(Map.Entry::getKey)
                .findFirst()
                .orElseThrow(() -> new AssertionError("nothing is mounted at /dev/shm"));
        JsonNode emptyDir = volumes.get(shm).path("emptyDir");
        assertThat(emptyDir.path("medium").asText()).as("/dev/shm on memory").isEqualTo("Memory");
        long shmBytes =
                DeployFiles.kubernetesQuantity(emptyDir.path("sizeLimit").asText());
        assertThat(shmBytes)
                .as("/dev/shm sizeLimit holds Aeron's buffers with room to spare")
                .isGreaterThanOrEqualTo(2 * aeronBytes(member))
                .isGreaterThanOrEqualTo(256L << 20);
        assertThat(setArguments(container.path("args")).keySet())
                .as("aeron-dir stays at its default under /dev/shm")
                .doesNotContain("aeron-dir");
        assertThat(configMapSettings().stringPropertyNames()).doesNotContain("aeron-dir");
        assertThat(member.termBytes()).as("the default log term").isEqualTo(4 << 20);
        assertThat(member.fileSyncLevel())
                .as("answers mean on the disk of a majority")
                .isEqualTo(1);
        assertThat(configMapSettings().getProperty("admin-token-file"))
                .as("the admin token comes from the Secret's mount")
                .startsWith(mounts.get("admin-token") + "/");
    }

    /**
     * What the server's start-up check (ClusterMember.needsBytes) asks of the Aeron directory's
     * file system: three terms per log stream (one per member plus two) and 36 MiB for the rest.
     */
    private static long aeronBytes(ClusterMemberConfig member) {
        return 3L * member.termBytes() * (member.members().size() + 2L) + (36L << 20);
    }

    @Test
    void memoryLimitShouldCoverTheHeapDirectMemoryTheRestOfTheProcessAndDevShm() throws IOException {
        JsonNode container = container();
        String javaOptions = envValue(container, "JAVA_TOOL_OPTIONS");
        assertThat(javaOptions)
                .as("collector named, not left to the CPUs the pod sees")
                .contains("-XX:+UseG1GC")
                .as("survivors promoted at once: what outlives a young collection is state")
                .contains("-XX:MaxTenuringThreshold=1");
        long heap = DeployFiles.jvmSize(javaOptions, "-Xmx");
        long direct = DeployFiles.jvmSize(javaOptions, "-XX:MaxDirectMemorySize=");
        long limit = DeployFiles.kubernetesQuantity(
                container.path("resources").path("limits").path("memory").asText());
        long request = DeployFiles.kubernetesQuantity(
                container.path("resources").path("requests").path("memory").asText());
        long shm = 0;
        for (JsonNode volume : podSpec().path("volumes")) {
            if (volume.path("emptyDir").path("medium").asText().equals("Memory")) {
                shm += DeployFiles.kubernetesQuantity(
                        volume.path("emptyDir").path("sizeLimit").asText());
            }
        }
        JsonNode single = DeployFiles.yamlDocuments(DeployFiles.DIR.resolve("k8s/statefulset.yaml"))
                .get(0)
                .path("spec")
                .path("template")
                .path("spec")
                .path("containers")
                .get(0);

        assertThat(DeployFiles.jvmSize(javaOptions, "-Xms"))
                .as("heap fixed at start")
                .isEqualTo(heap);
        assertThat(javaOptions)
                .as("the same JVM settings as the single-node StatefulSet")
                .isEqualTo(envValue(single, "JAVA_TOOL_OPTIONS"));
        assertThat(shm).as("a memory /dev/shm").isPositive();
        // A memory-backed emptyDir is charged to the container's memory: it comes on top.
        assertThat(limit)
                .as("memory limit")
                .isGreaterThanOrEqualTo(heap + direct + (1L << 30) + shm)
                .isEqualTo(DeployFiles.kubernetesQuantity(single.path("resources")
                                .path("limits")
                                .path("memory")
                                .asText())
                        + shm);
        assertThat(request)
                .as("request = limit, so the pod is never the first one evicted")
                .isEqualTo(limit);
    }

    @Test
    void disruptionBudgetAntiAffinityAndServiceMonitorShouldSelectTheMembers() throws IOException {
        JsonNode labels = podLabels();
        JsonNode budget = one("PodDisruptionBudget").path("spec");
        JsonNode affinity = podSpec().path("affinity").path("podAntiAffinity");
        JsonNode monitored = one("ServiceMonitor").path("spec");
        JsonNode members = membersService();

        assertThat(budget.path("maxUnavailable").asInt())
                .as("a majority stays up")
                .isEqualTo(1);
        assertThat(budget.path("selector").path("matchLabels")).isEqualTo(labels);

        JsonNode preferred = affinity.path("preferredDuringSchedulingIgnoredDuringExecution");
        assertThat(preferred).as("preferred anti-affinity").hasSize(1);
        JsonNode term = preferred.get(0).path("podAffinityTerm");
        assertThat(term.path("topologyKey").asText()).isEqualTo("kubernetes.io/hostname");
        assertThat(term.path("labelSelector").path("matchLabels")).isEqualTo(labels);

        JsonNode selector = monitored.path("selector").path("matchLabels");
        assertThat(matches(selector, members.path("metadata").path("labels")))
                .as("the ServiceMonitor selects the members Service")
                .isTrue();
        assertThat(matches(selector, service("checkout-grpc").path("metadata").path("labels")))
                .as("and not the client Service (ready members only, no metrics port)")
                .isFalse();
        Set<String> servicePorts = new HashSet<>();
        members.path("spec")
                .path("ports")
                .forEach(port -> servicePorts.add(port.path("name").asText()));
        assertThat(servicePorts)
                .contains(monitored.path("endpoints").get(0).path("port").asText());
        assertThat(monitored.path("endpoints").get(0).path("path").asText()).isEqualTo("/metrics");
        assertThat(members.path("metadata").path("name").asText())
                .as("the job label the alerts select")
                .isEqualTo("checkout");
    }

    private static boolean matches(JsonNode selector, JsonNode labels) {
        List<String> names = new ArrayList<>();
        selector.fieldNames().forEachRemaining(names::add);
        return names.stream()
                .allMatch(name ->
                        labels.path(name).asText().equals(selector.path(name).asText()));
    }

    @Test
    void everySettingInTheClusterFilesShouldBeOneTheServerKnows() throws IOException {
        List<String> known = Stream.of(ServerConfig.Setting.values())
                .map(ServerConfig.Setting::key)
                .toList();
        Properties compose = DeployFiles.properties(
                DeployFiles.read(DeployFiles.DIR.resolve("checkout/checkout-cluster.properties")));

        assertThat(known).containsAll(configMapSettings().stringPropertyNames());
        assertThat(known).containsAll(setArguments(container().path("args")).keySet());
        assertThat(known).containsAll(compose.stringPropertyNames());
        for (JsonNode member : composeMembers().values()) {
            assertThat(known).containsAll(setArguments(member.path("command")).keySet());
        }
    }

    // ---- compose --------------------------------------------------------------------------------

    /** checkout-0, checkout-1, checkout-2 of compose-cluster.yaml, by service name. */
    private static Map<String, JsonNode> composeMembers() {
        JsonNode services = DeployFiles.yaml("compose-cluster.yaml").path("services");
        Map<String, JsonNode> members = new LinkedHashMap<>();
        services.fieldNames().forEachRemaining(name -> {
            if (name.startsWith("checkout-")) {
                members.put(name, services.path(name));
            }
        });
        return members;
    }

    /** The settings compose member {@code id} runs with: the mounted file, then its --set values. */
    private static Map<String, String> composeSettings(JsonNode member) {
        Map<String, String> settings = new LinkedHashMap<>();
        Properties file = DeployFiles.properties(
                DeployFiles.read(DeployFiles.DIR.resolve("checkout/checkout-cluster.properties")));
        file.stringPropertyNames().forEach(name -> settings.put(name, file.getProperty(name)));
        settings.putAll(setArguments(member.path("command")));
        return settings;
    }

    @Test
    void composeShouldRunThreeMembersPrometheusAndGrafanaWithTheirFilesMounted() {
        JsonNode compose = DeployFiles.yaml("compose-cluster.yaml");
        JsonNode services = compose.path("services");
        List<String> names = new ArrayList<>();
        services.fieldNames().forEachRemaining(names::add);

        assertThat(names).containsExactlyInAnyOrder("checkout-0", "checkout-1", "checkout-2", "prometheus", "grafana");
        assertThat(compose.path("name").asText())
                .as("its own project, so its volumes are not the single-node ones")
                .isNotEqualTo(DeployFiles.yaml("compose.yaml").path("name").asText());
        Set<String> hostPorts = new HashSet<>();
        for (String service : names) {
            for (JsonNode volume : services.path(service).path("volumes")) {
                String source = volume.asText().split(":")[0];
                if (source.startsWith("./")) {
                    assertThat(DeployFiles.DIR.resolve(source))
                            .as("%s mounts %s", service, source)
                            .exists();
                } else {
                    assertThat(compose.path("volumes").has(source))
                            .as("%s's volume %s is declared", service, source)
                            .isTrue();
                }
            }
            for (JsonNode port : services.path(service).path("ports")) {
                Matcher matcher = COMPOSE_PORT.matcher(port.asText());
                assertThat(matcher.matches()).as("port %s of %s", port, service).isTrue();
                assertThat(hostPorts.add(matcher.group(1)))
                        .as("host port %s used once", matcher.group(1))
                        .isTrue();
            }
        }
        JsonNode grafana = services.path("grafana");
        assertThat(grafana.path("volumes"))
                .isEqualTo(DeployFiles.yaml("compose.yaml")
                        .path("services")
                        .path("grafana")
                        .path("volumes"));
    }

    @Test
    void composeMembersShouldEachHaveTheirIdVolumeShmAndPorts() {
        Map<String, JsonNode> members = composeMembers();
        Set<String> dataVolumes = new HashSet<>();

        assertThat(members).hasSize(MEMBERS);
        for (int id = 0; id < MEMBERS; id++) {
            String name = "checkout-" + id;
            JsonNode member = members.get(name);
            assertThat(member).as(name).isNotNull();
            ServerConfig config = concluded(composeSettings(member));
            ClusterMemberConfig cluster = config.clusterMemberConfig();

            assertThat(member.path("image").asText()).isEqualTo(IMAGE);
            assertThat(member.path("hostname").asText())
                    .as("hostname = service name, so the member's own name is its own address")
                    .isEqualTo(name);
            assertThat(config.mode()).isEqualTo(ServerConfig.Mode.CLUSTER);
            assertThat(cluster.memberId()).as("member id of %s", name).isEqualTo(id);
            assertThat(cluster.self().host())
                    .as("%s's own entry in cluster-members", name)
                    .isEqualTo(name);
            assertThat(member.path("command").toString()).contains("--config", "/etc/checkout/checkout.properties");
            assertThat(member.path("volumes").toString())
                    .contains("./checkout/checkout-cluster.properties:/etc/checkout/checkout.properties");
            assertThat(dockerSize(member.path("shm_size").asText()))
                    .as("shm_size of %s holds Aeron's buffers with room to spare", name)
                    .isGreaterThanOrEqualTo(2 * aeronBytes(cluster));
            String dataVolume = null;
            for (JsonNode volume : member.path("volumes")) {
                String[] parts = volume.asText().split(":");
                if (parts[1].equals(config.dataDirectory().toString())) {
                    dataVolume = parts[0];
                }
            }
            assertThat(dataVolume).as("%s's data directory is a volume", name).isNotNull();
            assertThat(dataVolumes.add(dataVolume))
                    .as("%s has a data volume of its own", name)
                    .isTrue();
            assertThat(cluster.clusterDirectory()).startsWithRaw(config.dataDirectory());
            assertThat(member.path("ports").toString())
                    .contains((GRPC_PORT + id) + ":" + config.port(), (METRICS_PORT + id) + ":" + config.metricsPort());
        }
    }

    @Test
    void composeMembersShouldAgreeOnTheMemberList() {
        Map<String, JsonNode> members = composeMembers();
        List<ClusterMemberConfig.Endpoint> first = null;

        for (JsonNode member : members.values()) {
            List<ClusterMemberConfig.Endpoint> list =
                    concluded(composeSettings(member)).clusterMemberConfig().members();
            if (first == null) {
                first = list;
            }
            assertThat(list).as("every member has the same member list").isEqualTo(first);
        }
        assertThat(first).hasSize(MEMBERS);
        for (int id = 0; id < MEMBERS; id++) {
            assertThat(first.get(id).host()).as("member %d's host", id).isEqualTo("checkout-" + id);
            assertThat(first.get(id).basePort()).isEqualTo(first.get(0).basePort());
        }
    }

    @Test
    void prometheusShouldScrapeEveryComposeMemberAndLoadTheRules() {
        JsonNode prometheus =
                DeployFiles.yaml("compose-cluster.yaml").path("services").path("prometheus");
        JsonNode config = DeployFiles.yaml("prometheus/prometheus-cluster.yml");
        JsonNode scrape = config.path("scrape_configs").get(0);

        assertThat(prometheus.path("command").toString())
                .contains("--config.file=/etc/prometheus/prometheus-cluster.yml");
        assertThat(prometheus.path("volumes").toString()).contains("./prometheus:/etc/prometheus");
        assertThat(config.path("rule_files").toString()).contains("alerts.yml");
        assertThat(scrape.path("job_name").asText())
                .as("the job the alerts select")
                .isEqualTo("checkout");
        List<String> targets = new ArrayList<>();
        scrape.path("static_configs").get(0).path("targets").forEach(target -> targets.add(target.asText()));
        List<String> expected = new ArrayList<>();
        for (JsonNode member : composeMembers().values()) {
            ServerConfig settings = concluded(composeSettings(member));
            expected.add(settings.clusterMemberConfig().self().host() + ":" + settings.metricsPort());
        }
        assertThat(targets).containsExactlyInAnyOrderElementsOf(expected);
    }

    private static long dockerSize(String size) {
        Matcher matcher = DOCKER_SIZE.matcher(size);
        assertThat(matcher.matches()).as("size %s", size).isTrue();
        long value = Long.parseLong(matcher.group(1));
        return switch (matcher.group(2).toLowerCase()) {
            case "k" -> value << 10;
            case "m" -> value << 20;
            case "g" -> value << 30;
            default -> value;
        };
    }

    // ---- alerts and dashboard -------------------------------------------------------------------

    @Test
    void clusterAlertsShouldCoverTheConditionsOperatorsAskedForAndEachHaveAUnitTest() {
        JsonNode group = null;
        for (JsonNode candidate : DeployFiles.yaml("prometheus/alerts.yml").path("groups")) {
            if (candidate.path("name").asText().equals("checkout-cluster")) {
                group = candidate;
            }
        }
        assertThat(group).as("the checkout-cluster rule group").isNotNull();
        List<String> alerts = new ArrayList<>();
        for (JsonNode rule : group.path("rules")) {
            String alert = rule.path("alert").asText();
            alerts.add(alert);
            assertThat(rule.path("labels").path("severity").asText())
                    .as("severity of %s", alert)
                    .isNotEmpty();
            assertThat(rule.path("annotations").path("summary").asText()).isNotEmpty();
            assertThat(rule.path("annotations").path("description").asText()).isNotEmpty();
            assertThat(DeployFiles.metricNames(rule.path("expr").asText()))
                    .as("%s reads a cluster series", alert)
                    .anyMatch(name -> name.startsWith("checkout_cluster_"));
        }
        Set<String> tested = new HashSet<>();
        for (JsonNode test : DeployFiles.yaml("prometheus/alerts.test.yml").path("tests")) {
            for (JsonNode check : test.path("alert_rule_test")) {
                if (!check.path("exp_alerts").isEmpty()) {
                    tested.add(check.path("alertname").asText());
                }
            }
        }

        assertThat(alerts).containsExactlyInAnyOrderElementsOf(CLUSTER_ALERTS);
        assertThat(tested).as("cluster alerts a unit test sees firing").containsAll(CLUSTER_ALERTS);
    }

    @Test
    void dashboardShouldShowTheClusterInItsOwnRowBelowTheSingleNodePanels() {
        JsonNode dashboard = DeployFiles.json("grafana/dashboards/checkout.json");
        JsonNode row = null;
        for (JsonNode panel : dashboard.path("panels")) {
            if (panel.path("type").asText().equals("row")
                    && panel.path("title").asText().startsWith("Cluster")) {
                row = panel;
            }
        }
        assertThat(row).as("a row titled Cluster...").isNotNull();
        int rowY = row.path("gridPos").path("y").asInt();
        List<String> titles = new ArrayList<>();
        StringBuilder expressions = new StringBuilder();
        for (JsonNode panel : dashboard.path("panels")) {
            if (panel == row) {
                continue;
            }
            StringBuilder panelExpressions = new StringBuilder();
            panel.path("targets")
                    .forEach(target -> panelExpressions
                            .append(target.path("expr").asText())
                            .append('\n'));
            boolean cluster = panelExpressions.toString().contains("checkout_cluster_");
            int y = panel.path("gridPos").path("y").asInt();
            if (cluster) {
                assertThat(y)
                        .as("%s is below the Cluster row", panel.path("title"))
                        .isGreaterThan(rowY);
                titles.add(panel.path("title").asText());
                expressions.append(panelExpressions);
            } else {
                assertThat(y)
                        .as("single-node panel %s stays above the Cluster row", panel.path("title"))
                        .isLessThan(rowY);
            }
        }

        assertThat(titles)
                .anyMatch(t -> t.contains("Role"))
                .anyMatch(t -> t.contains("Leadership term"))
                .anyMatch(t -> t.contains("elections"))
                .anyMatch(t -> t.contains("Commit"))
                .anyMatch(t -> t.contains("Apply lag"))
                .anyMatch(t -> t.contains("Snapshot age"))
                .anyMatch(t -> t.contains("pending") && t.contains("outcomes unknown"));
        assertThat(expressions.toString())
                .contains(
                        "checkout_cluster_role",
                        "checkout_cluster_leadership_term",
                        "checkout_cluster_elections_total",
                        "checkout_cluster_commit_position_bytes",
                        "checkout_cluster_apply_lag_bytes",
                        "checkout_cluster_snapshot_last_seconds",
                        "checkout_cluster_gateway_pending",
                        "checkout_cluster_gateway_outcomes_unknown_total");
    }
}
