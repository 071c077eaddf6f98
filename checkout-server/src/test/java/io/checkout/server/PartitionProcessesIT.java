package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.client.CheckoutClient;
import io.checkout.client.PartitionedCheckoutClient;
import io.checkout.contract.PartitionTable;
import io.checkout.contract.Partitioning;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.OrderState;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.Sku;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three partitions as three server processes, as production runs them, and the SDK's partitioned
 * client: a sale over SKUs of all three, multi-line orders inside one partition, cross-partition
 * orders refused, ids unique and each made by the SKU's owner, then a partition moving to a new
 * address (map version 2) picked up without losing or doubling an order.
 */
class PartitionProcessesIT {
    private static final int PARTITIONS = 3;
    private static final int GRPC_BASE = 23_700;
    private static final int METRICS_BASE = 23_750;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path data;

    private final Process[] processes = new Process[PARTITIONS + 1];

    @AfterEach
    void stopAll() throws InterruptedException {
        for (Process process : processes) {
            if (process != null) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aSaleOverThreePartitionProcessesShouldRouteEveryCallAndSurviveAPartitionMoving() throws Exception {
        Path mapFile = data.resolve("partition-map.json");
        writeMap(mapFile, 1, GRPC_BASE + 2);
        for (int id = 0; id < PARTITIONS; id++) {
            processes[id] = start(mapFile, id, GRPC_BASE + id, METRICS_BASE + id);
        }
        for (int id = 0; id < PARTITIONS; id++) {
            awaitReady(processes[id], METRICS_BASE + id);
        }
        PartitionTable table = PartitionTable.parseJson(Files.readString(mapFile));
        Map<Long, String> skuOfOrder = new HashMap<>();
        Map<String, Long> unitsOfSku = new HashMap<>();
        Map<Long, Integer> requestOfOrder = new HashMap<>();
        try (PartitionedCheckoutClient client =
                PartitionedCheckoutClient.connect("127.0.0.1:" + GRPC_BASE, PartitionProcessesIT::partitionClient)) {
            List<String> skus = new ArrayList<>();
            for (int id = 0; id < PARTITIONS; id++) {
                String key = table.keyOwnedBy(id);
                for (String name : List.of("phone", "case")) {
                    String skuId = key + ":" + name;
                    client.upsertSku(ItFixtures.sku(skuId, 1_000, 10));
                    skus.add(skuId);
                    unitsOfSku.put(skuId, 0L);
                }
            }
            // A sale over all three: one-line orders, and two-line orders inside one partition.
            for (int i = 0; i < 60; i++) {
                String skuId = skus.get(i % skus.size());
                ReserveReply reply = client.reserve("r-" + i, "buyer-" + i, List.of(line(skuId, 1)));
                assertThat(reply.getResult()).isEqualTo(ReserveResult.RESERVED);
                skuOfOrder.put(reply.getOrderId(), skuId);
                requestOfOrder.put(reply.getOrderId(), i);
                unitsOfSku.merge(skuId, 1L, Long::sum);
            }
            for (int id = 0; id < PARTITIONS; id++) {
                String key = table.keyOwnedBy(id);
                ReserveReply both = client.reserve(
                        "pair-" + id, "pair-buyer", List.of(line(key + ":phone", 1), line(key + ":case", 2)));
                assertThat(both.getResult()).isEqualTo(ReserveResult.RESERVED);
                assertThat(Partitioning.partitionOfOrder(both.getOrderId())).isEqualTo(id);
                unitsOfSku.merge(key + ":phone", 1L, Long::sum);
                unitsOfSku.merge(key + ":case", 2L, Long::sum);
            }
            StatusRuntimeException spanning = ItFixtures.grpcFailure(() -> client.reserve(
                    "span", "buyer-x", List.of(line(skus.get(0), 1), line(skus.get(skus.size() - 1), 1))));
            ItFixtures.assertInvalidArgument(spanning, "lines[1].sku_id");

            // Ids unique, each made by the partition that owns its SKU.
            assertThat(skuOfOrder).hasSize(60);
            Set<Integer> partitionsUsed = new HashSet<>();
            skuOfOrder.forEach((orderId, skuId) -> {
                assertThat(Partitioning.partitionOfOrder(orderId))
                        .as("order %d of %s", orderId, skuId)
                        .isEqualTo(table.partitionOfSku(skuId));
                partitionsUsed.add(Partitioning.partitionOfOrder(orderId));
            });
            assertThat(partitionsUsed).containsExactlyInAnyOrder(0, 1, 2);
            long partitionTwoOrder = skuOfOrder.entrySet().stream()
                    .filter(entry -> Partitioning.partitionOfOrder(entry.getKey()) == 2)
                    .findFirst()
                    .orElseThrow()
                    .getKey();
            assertThat(client.confirm("pay-2", partitionTwoOrder).getState()).isEqualTo(OrderState.ORDER_STATE_PAID);
            assertStock(client, unitsOfSku);

            // Partition 2 moves: its process stops, the same data starts on another port, and map
            // version 2 says so. The client still holds version 1.
            processes[2].destroy();
            assertThat(processes[2].waitFor(30, TimeUnit.SECONDS)).isTrue();
            processes[PARTITIONS] = start(mapFile, 2, GRPC_BASE + 3, METRICS_BASE + 3);
            awaitReady(processes[PARTITIONS], METRICS_BASE + 3);
            writeMap(mapFile, 2, GRPC_BASE + 3);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            try (CheckoutClient first = partitionClient("127.0.0.1:" + GRPC_BASE)) {
                while (first.getPartitionMap().getVersion() != 2) {
                    assertThat(System.nanoTime()).as("map version 2 taken").isLessThan(deadline);
                    Thread.sleep(100);
                }
            }
            assertThat(client.getOrder(partitionTwoOrder).getState()).isEqualTo(OrderState.ORDER_STATE_PAID);
            assertThat(client.map().version()).isEqualTo(2);
            // A repeat of the paid order's reserve, at the new address: its first answer, nothing doubled.
            int request = requestOfOrder.get(partitionTwoOrder);
            ReserveReply again = client.reserve(
                    "r-" + request, "buyer-" + request, List.of(line(skuOfOrder.get(partitionTwoOrder), 1)));
            assertThat(again.getOrderId()).isEqualTo(partitionTwoOrder);
            assertStock(client, unitsOfSku);
        }
    }

    private static void assertStock(PartitionedCheckoutClient client, Map<String, Long> unitsOfSku) {
        for (Map.Entry<String, Long> sku : unitsOfSku.entrySet()) {
            Sku stock = client.getStock(sku.getKey());
            assertThat(stock.getReserved() + stock.getSold()).as(sku.getKey()).isEqualTo(sku.getValue());
            assertThat(stock.getAvailable() + stock.getReserved() + stock.getSold())
                    .as("%s conserved", sku.getKey())
                    .isEqualTo(1_000);
        }
    }

    private static CheckoutClient partitionClient(String target) {
        return CheckoutClient.builder(target)
                .deadline(Duration.ofSeconds(5))
                .adminToken(ItFixtures.ADMIN_TOKEN)
                .build();
    }

    private static OrderLine line(String skuId, int quantity) {
        return OrderLine.newBuilder().setSkuId(skuId).setQuantity(quantity).build();
    }

    /** Partitions 0 and 1 on their ports, partition 2 on {@code portOfTwo}; the slots in thirds. */
    private static void writeMap(Path mapFile, long version, int portOfTwo) throws IOException {
        Files.writeString(mapFile, """
                {"version": %d, "partitions": [
                  {"id": 0, "targets": ["127.0.0.1:%d"], "slots": [{"first": 0, "last": 5460}]},
                  {"id": 1, "targets": ["127.0.0.1:%d"], "slots": [{"first": 5461, "last": 10921}]},
                  {"id": 2, "targets": ["127.0.0.1:%d"], "slots": [{"first": 10922, "last": 16383}]}
                ]}""".formatted(version, GRPC_BASE, GRPC_BASE + 1, portOfTwo));
        Files.setLastModifiedTime(mapFile, FileTime.from(Instant.now().plusSeconds(version)));
    }

    private Process start(Path mapFile, int partition, int port, int metricsPort) throws IOException {
        Path dir = Files.createDirectories(data.resolve("partition-" + partition));
        Path adminToken = data.resolve("admin-token");
        Files.writeString(adminToken, ItFixtures.ADMIN_TOKEN);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("@" + ItFixtures.jvmOptions());
        command.add("-Xmx256m");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Main.class.getName());
        command.add("serve");
        command.addAll(List.of(
                "--port",
                String.valueOf(port),
                "--data-dir",
                dir.toString(),
                "--set",
                "metrics-port=" + metricsPort,
                "--set",
                "admin-token-file=" + adminToken,
                "--set",
                "host=127.0.0.1",
                "--set",
                "partition-map-file=" + mapFile,
                "--set",
                "partition-id=" + partition,
                "--set",
                "sku-capacity=100",
                "--set",
                "order-capacity=10000",
                "--set",
                "user-counter-capacity=10000",
                "--set",
                "idempotency-capacity=20000"));
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve("output.log").toFile()))
                .start();
    }

    private static void awaitReady(Process process, int metricsPort) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            assertThat(process.isAlive())
                    .as("partition process on metrics port %d alive", metricsPort)
                    .isTrue();
            try {
                HttpResponse<Void> response = HTTP.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/ready"))
                                .timeout(Duration.ofSeconds(2))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("partition on metrics port " + metricsPort + " not ready within 90 s");
    }
}
