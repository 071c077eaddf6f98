package io.checkout.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.checkout.contract.PartitionTable;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The two-partition deploy files (compose-partitions.yaml, k8s-partitions/, the partition map and
 * Prometheus' scrape config) against each other: every partition is started with its own id and
 * the shared map, the map is valid and names each partition's own gRPC address, and both are
 * scraped under the job the alerts select.
 */
class PartitionDeployFilesTest {
    private static final int PARTITIONS = 2;

    @Test
    void theComposeMapShouldBeValidAndNameEachPartitionsService() {
        PartitionTable table =
                PartitionTable.parseJson(DeployFiles.read(DeployFiles.DIR.resolve("checkout/partition-map.json")));
        assertThat(table.partitionCount()).isEqualTo(PARTITIONS);
        JsonNode services = DeployFiles.yaml("compose-partitions.yaml").path("services");
        for (int id = 0; id < PARTITIONS; id++) {
            assertThat(table.targetOf(id)).isEqualTo("checkout-p" + id + ":9090");
            JsonNode service = services.path("checkout-p" + id);
            assertThat(service.isMissingNode()).as("service checkout-p%d", id).isFalse();
            List<String> command = texts(service.path("command"));
            assertThat(command)
                    .as("checkout-p%d's command", id)
                    .contains("partition-id=" + id, "partition-map-file=/etc/checkout/partition-map.json");
            assertThat(texts(service.path("volumes")))
                    .contains("./checkout/partition-map.json:/etc/checkout/partition-map.json:ro")
                    .anyMatch(volume ->
                            volume.startsWith(service.path("volumes").get(0).asText()));
            assertThat(service.path("volumes").get(0).asText()).startsWith("checkout-p" + id + "-data:");
        }
        assertThat(texts(services.path("prometheus").path("command")))
                .contains("--config.file=/etc/prometheus/prometheus-partitions.yml");
        JsonNode scrape = DeployFiles.yaml("prometheus/prometheus-partitions.yml")
                .path("scrape_configs")
                .get(0);
        assertThat(scrape.path("job_name").asText()).isEqualTo("checkout");
        assertThat(texts(scrape.path("static_configs").get(0).path("targets")))
                .containsExactly("checkout-p0:9464", "checkout-p1:9464");
    }

    @Test
    void theKubernetesPartitionsShouldShareOneValidMapAndEachStartAsItsOwnPartition() {
        JsonNode configMap = DeployFiles.yaml("k8s-partitions/partition-map.yaml");
        assertThat(configMap.path("metadata").path("name").asText()).isEqualTo("checkout-partition-map");
        PartitionTable table = PartitionTable.parseJson(
                configMap.path("data").path("partition-map.json").asText());
        assertThat(table.map())
                .as("the same map as compose's")
                .isEqualTo(PartitionTable.parseJson(
                                DeployFiles.read(DeployFiles.DIR.resolve("checkout/partition-map.json")))
                        .map());
        assertThat(texts(DeployFiles.yaml("k8s-partitions/kustomization.yaml").path("resources")))
                .containsExactlyInAnyOrder("partition-map.yaml", "p0", "p1");
        for (int id = 0; id < PARTITIONS; id++) {
            JsonNode overlay = DeployFiles.yaml("k8s-partitions/p" + id + "/kustomization.yaml");
            // The Service of partition N is checkout-pN, the target the map names.
            assertThat(overlay.path("nameSuffix").asText()).isEqualTo("-p" + id);
            assertThat(table.targetOf(id))
                    .isEqualTo("checkout" + overlay.path("nameSuffix").asText() + ":9090");
            assertThat(texts(overlay.path("resources"))).containsExactly("../../k8s");
            assertThat(overlay.path("labels")
                            .get(0)
                            .path("pairs")
                            .path("checkout.io/partition")
                            .asText())
                    .isEqualTo(Integer.toString(id));
            assertThat(overlay.path("labels").get(0).path("includeSelectors").asBoolean())
                    .as("each partition's Service selects its own pods only")
                    .isTrue();
            String patches = overlay.path("patches").toString();
            assertThat(patches)
                    .contains("partition-id=" + id)
                    .contains("partition-map-file=/etc/checkout/partition-map/partition-map.json")
                    .contains("checkout-partition-map")
                    .contains("jobLabel");
        }
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(node -> texts.add(node.asText()));
        return texts;
    }
}
