package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.rpc.ErrorInfo;
import io.checkout.client.CheckoutClient;
import io.checkout.client.PartitionedCheckoutClient;
import io.checkout.contract.PartitionTable;
import io.checkout.contract.Partitioning;
import io.checkout.proto.v1.Campaign;
import io.checkout.proto.v1.CampaignKind;
import io.checkout.proto.v1.GetPartitionMapRequest;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.OrderState;
import io.checkout.proto.v1.PartitionMap;
import io.checkout.proto.v1.PartitionsGrpc;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveResult;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two servers as partitions 0 and 1 of one map: each takes only its own SKUs and orders, refuses
 * the other's with WRONG_PARTITION (the owner and the map version named) before anything is
 * queued, refuses a reserve whose lines span partitions, makes order ids that carry its partition,
 * serves the map, and picks up a new version of the map file (but not one that moves its slots).
 */
class PartitionRoutingIT {
    private static final String MAP = """
            {"version": %d, "partitions": [
              {"id": 0, "targets": ["%s"], "slots": [{"first": 0, "last": 8191}]},
              {"id": 1, "targets": ["%s"], "slots": [{"first": %d, "last": 16383}]}
            ]}""";

    @TempDir
    Path directory;

    private Path mapFile;
    private CheckoutServer[] servers;
    private ManagedChannel[] channels;
    private CheckoutClient[] clients;
    private PartitionTable table;

    @BeforeEach
    void start() throws IOException {
        mapFile = directory.resolve("partition-map.json");
        writeMap(1, "p0.example:9090", "p1.example:9090", 8192);
        table = PartitionTable.parseJson(Files.readString(mapFile));
        servers = new CheckoutServer[2];
        channels = new ManagedChannel[2];
        clients = new CheckoutClient[2];
        for (int partition = 0; partition < 2; partition++) {
            servers[partition] = CheckoutServer.start(ItFixtures.smallConfig(directory.resolve("p" + partition))
                    .set(ServerConfig.Setting.PARTITION_MAP_FILE, mapFile.toAbsolutePath())
                    .set(ServerConfig.Setting.PARTITION_ID, partition)
                    .conclude());
            channels[partition] = ItFixtures.loopbackChannel(servers[partition]);
            clients[partition] = CheckoutClient.builder(channels[partition])
                    .deadline(Duration.ofSeconds(10))
                    .adminToken(ItFixtures.ADMIN_TOKEN)
                    .maxAttempts(1)
                    .build();
        }
    }

    @AfterEach
    void stop() {
        for (int partition = 0; partition < 2; partition++) {
            ItFixtures.closeQuietly(clients[partition]);
            ItFixtures.shutdownChannel(channels[partition]);
            ItFixtures.closeQuietly(servers[partition]);
        }
    }

    @Test
    void eachPartitionShouldTakeOnlyItsOwnSkusAndOrders() throws Exception {
        String sku0 = skuIn(0, "phone-");
        String sku1 = skuIn(1, "phone-");
        String tag0 = tagIn(0);

        // Admin calls land on the owner only.
        StatusRuntimeException misplaced =
                ItFixtures.grpcFailure(() -> clients[0].upsertSku(ItFixtures.sku(sku1, 10, 5)));
        assertWrongPartition(misplaced, 1, 1, "p1.example:9090");
        clients[0].upsertSku(ItFixtures.sku(sku0, 10, 5));
        clients[0].upsertSku(ItFixtures.sku(tag0 + "case", 10, 5));
        clients[0].upsertSku(ItFixtures.sku(tag0 + "charger", 10, 5));
        clients[1].upsertSku(ItFixtures.sku(sku1, 10, 5));
        assertWrongPartition(ItFixtures.grpcFailure(() -> clients[1].getStock(sku0)), 0, 1, "p0.example:9090");

        // Order ids carry their partition: unique across partitions.
        ReserveReply first0 = clients[0].reserve("buyer-a", sku0, 1);
        ReserveReply first1 = clients[1].reserve("buyer-a", sku1, 1);
        assertThat(first0.getResult()).isEqualTo(ReserveResult.RESERVED);
        assertThat(first1.getResult()).isEqualTo(ReserveResult.RESERVED);
        assertThat(first0.getOrderId()).isEqualTo(1);
        assertThat(first1.getOrderId()).isEqualTo(Partitioning.orderIdBase(1) + 1);
        assertThat(Partitioning.partitionOfOrder(first1.getOrderId())).isEqualTo(1);

        // An order of several SKUs of one partition (one partition key) is fine; across partitions it is refused.
        ReserveReply tagged = clients[0].reserve("buyer-b", List.of(line(tag0 + "case", 1), line(tag0 + "charger", 2)));
        assertThat(tagged.getResult()).isEqualTo(ReserveResult.RESERVED);
        StatusRuntimeException spanning =
                ItFixtures.grpcFailure(() -> clients[0].reserve("buyer-c", List.of(line(sku0, 1), line(sku1, 1))));
        ItFixtures.assertInvalidArgument(spanning, "lines[1].sku_id");
        assertThat(ItFixtures.errorInfo(spanning).getReason()).isEqualTo("CROSS_PARTITION_ORDER");
        assertThat(clients[0].getStock(sku0).getReserved())
                .as("nothing reserved")
                .isEqualTo(1);

        // A reserve sent to the wrong partition changes nothing there.
        assertWrongPartition(
                ItFixtures.grpcFailure(() -> clients[1].reserve("buyer-d", sku0, 1)), 0, 1, "p0.example:9090");

        // Order calls route by the id's partition.
        assertWrongPartition(
                ItFixtures.grpcFailure(() -> clients[0].confirm(first1.getOrderId())), 1, 1, "p1.example:9090");
        Order paid = clients[1].confirm(first1.getOrderId());
        assertThat(paid.getOrderId()).isEqualTo(first1.getOrderId());
        assertThat(paid.getState()).isEqualTo(OrderState.ORDER_STATE_PAID);
        assertThat(clients[1].getOrder(first1.getOrderId()).getState()).isEqualTo(OrderState.ORDER_STATE_PAID);
        assertThat(clients[0].getOrder(first0.getOrderId()).getState()).isEqualTo(OrderState.ORDER_STATE_RESERVED);
        StatusRuntimeException missing =
                ItFixtures.grpcFailure(() -> clients[1].getOrder(Partitioning.orderIdBase(1) + 99));
        assertThat(missing.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(missing.getStatus().getDescription()).contains(Long.toString(Partitioning.orderIdBase(1) + 99));

        // Every server serves the map.
        PartitionMap served = PartitionsGrpc.newBlockingStub(channels[1])
                .getPartitionMap(GetPartitionMapRequest.getDefaultInstance());
        assertThat(served).isEqualTo(table.map());
    }

    @Test
    void aNewMapVersionShouldBeTakenButNotOneThatMovesThisPartitionsSlots() throws Exception {
        writeMap(2, "p0.example:9090", "p1-moved.example:9090", 8192);
        ItFixtures.awaitTrue("version 2 in force on partition 0", Duration.ofSeconds(20), () -> mapVersion(0) == 2);
        assertWrongPartition(
                ItFixtures.grpcFailure(() -> clients[0].getStock(skuIn(1, "x-"))), 1, 2, "p1-moved.example:9090");

        // Moving slots between partitions needs their SKUs moved: refused, version 2 stays.
        writeMap(3, "p0.example:9090", "p1-moved.example:9090", 8000);
        ItFixtures.awaitTrue(
                "the refused map counted",
                Duration.ofSeconds(20),
                () -> metricsText(servers[0]).contains("checkout_partition_map_reload_failures_total 1.0"));
        assertThat(mapVersion(0)).isEqualTo(2);
    }

    @Test
    void aServerWithoutAMapShouldBePartitionZeroAndRefuseOtherPartitionsOrderIds() {
        try (CheckoutServer single = CheckoutServer.start(
                        ItFixtures.smallConfig(directory.resolve("single")).conclude());
                CheckoutClient client = ItFixtures.client(ItFixtures.loopbackChannel(single))) {
            client.upsertSku(ItFixtures.sku(skuIn(1, "any-"), 10, 5));
            assertThat(client.reserve("buyer-a", skuIn(1, "any-"), 1).getOrderId())
                    .isEqualTo(1);
            long elsewhere = Partitioning.orderIdBase(3) + 1;
            assertWrongPartition(ItFixtures.grpcFailure(() -> client.getOrder(elsewhere)), 3, 0, "");
        }
        assertThatThrownBy(() -> CheckoutServer.start(ItFixtures.smallConfig(directory.resolve("bad"))
                        .set(ServerConfig.Setting.PARTITION_MAP_FILE, mapFile.toAbsolutePath())
                        .set(ServerConfig.Setting.PARTITION_ID, 2)
                        .conclude()))
                .hasMessageContaining("partition-map-file")
                .hasMessageContaining("partition-id 2 is not in the partition map");
    }

    @Test
    void thePartitionedClientShouldRouteEveryCallAndFollowAPartitionThatMoved() throws Exception {
        // The map with the servers' real addresses.
        writeMap(2, target(servers[0]), target(servers[1]), 8192);
        awaitVersion(2);
        String sku0 = skuIn(0, "tv-");
        String sku1 = skuIn(1, "tv-");
        String tag1 = tagIn(1);
        try (PartitionedCheckoutClient client =
                PartitionedCheckoutClient.connect(target(servers[0]), PartitionRoutingIT::partitionClient)) {
            assertThat(client.map().version()).isEqualTo(2);
            client.upsertSku(ItFixtures.sku(sku0, 100, 5));
            client.upsertSku(ItFixtures.sku(sku1, 100, 5));
            client.upsertSku(ItFixtures.sku(tag1 + "a", 100, 5));
            client.upsertSku(ItFixtures.sku(tag1 + "b", 100, 5));
            ReserveReply in0 = client.reserve("r-0", "buyer-a", List.of(line(sku0, 1)));
            ReserveReply in1 = client.reserve("r-1", "buyer-a", List.of(line(tag1 + "a", 1), line(tag1 + "b", 1)));
            ReserveReply other1 = client.reserve("buyer-b", sku1, 2);
            assertThat(Partitioning.partitionOfOrder(in0.getOrderId())).isZero();
            assertThat(Partitioning.partitionOfOrder(in1.getOrderId())).isEqualTo(1);
            assertThat(Partitioning.partitionOfOrder(other1.getOrderId())).isEqualTo(1);
            assertThat(client.confirm("pay-1", in1.getOrderId()).getState()).isEqualTo(OrderState.ORDER_STATE_PAID);
            assertThat(client.getStock(sku1).getReserved()).isEqualTo(2);
            assertThat(client.listAllSkus())
                    .extracting(io.checkout.proto.v1.Sku::getSkuId)
                    .containsExactlyInAnyOrder(sku0, sku1, tag1 + "a", tag1 + "b");

            // Partition 1 moves: the same data served from a new address, announced by map version 3.
            ItFixtures.closeQuietly(clients[1]);
            ItFixtures.shutdownChannel(channels[1]);
            servers[1].close();
            servers[1] = CheckoutServer.start(ItFixtures.smallConfig(directory.resolve("p1"))
                    .set(ServerConfig.Setting.PARTITION_MAP_FILE, mapFile.toAbsolutePath())
                    .set(ServerConfig.Setting.PARTITION_ID, 1)
                    .conclude());
            channels[1] = ItFixtures.loopbackChannel(servers[1]);
            clients[1] = ItFixtures.client(channels[1]);
            writeMap(3, target(servers[0]), target(servers[1]), 8192);
            awaitVersion(3);

            // The client still has version 2: its call to the old address fails, it fetches the
            // map, and sends the same request to the new address. Nothing lost, nothing doubled.
            assertThat(client.getOrder(in1.getOrderId()).getState()).isEqualTo(OrderState.ORDER_STATE_PAID);
            assertThat(client.map().version()).isEqualTo(3);
            ReserveReply repeat = client.reserve("r-1", "buyer-a", List.of(line(tag1 + "a", 1), line(tag1 + "b", 1)));
            assertThat(repeat.getOrderId()).as("a repeat gets its first answer").isEqualTo(in1.getOrderId());
            assertThat(client.getStock(tag1 + "a").getSold()).isEqualTo(1);
            assertThat(client.getStock(sku1).getReserved()).isEqualTo(2);
        }
    }

    @Test
    void thePartitionedClientShouldDefineACampaignWhereItsSkusAreAndSumItsRedemptions() throws Exception {
        writeMap(2, target(servers[0]), target(servers[1]), 8192);
        awaitVersion(2);
        String sku0 = skuIn(0, "bag-");
        String sku1 = skuIn(1, "bag-");
        try (PartitionedCheckoutClient client =
                PartitionedCheckoutClient.connect(target(servers[0]), PartitionRoutingIT::partitionClient)) {
            client.upsertSku(ItFixtures.sku(sku0, 100, 0));
            client.upsertSku(ItFixtures.sku(sku1, 100, 0));
            Campaign.Builder bags = Campaign.newBuilder()
                    .setCampaignId("BAGS")
                    .setKind(CampaignKind.CAMPAIGN_KIND_AMOUNT_OFF)
                    .setCurrency("USD")
                    .setAmountOffMinor(500)
                    .addSkuIds(sku0)
                    .addSkuIds(sku1)
                    .setBudget(5)
                    .setPerUserLimit(1);
            client.upsertCampaign(bags.build());
            client.upsertCampaign(bags.setCampaignId("ALL").clearSkuIds().build());

            // Each partition holds the campaign with the SKUs it owns; one for every SKU, on every partition.
            assertThat(clients[0].getCampaign("BAGS").getSkuIdsList()).containsExactly(sku0);
            assertThat(clients[1].getCampaign("BAGS").getSkuIdsList()).containsExactly(sku1);
            assertThat(clients[0].getCampaign("ALL").getSkuIdsList()).isEmpty();
            assertThat(clients[1].getCampaign("ALL").getBudget()).isEqualTo(5);

            // Each partition counts its own redemptions: the per-user limit of 1 holds on each.
            ReserveReply in0 = client.reserve("r-0", "buyer-a", List.of(line(sku0, 1)), "BAGS");
            ReserveReply in1 = client.reserve("r-1", "buyer-a", List.of(line(sku1, 1)), "BAGS");
            assertThat(in0.getDiscountMinor()).isEqualTo(500);
            assertThat(in1.getDiscountMinor()).isEqualTo(500);
            assertThat(client.reserve("r-2", "buyer-a", List.of(line(sku1, 1)), "BAGS")
                            .getResult())
                    .isEqualTo(ReserveResult.CAMPAIGN_USER_LIMIT_REACHED);
            Campaign total = client.getCampaign("BAGS");
            assertThat(total.getSkuIdsList()).containsExactlyInAnyOrder(sku0, sku1);
            assertThat(total.getRedeemed()).isEqualTo(2);
            assertThat(total.getRedeemingUsers())
                    .as("counted on each partition")
                    .isEqualTo(2);
            assertThat(ItFixtures.grpcFailure(() -> client.getCampaign("NEVER"))
                            .getStatus()
                            .getCode())
                    .isEqualTo(Status.Code.NOT_FOUND);
        }
    }

    private void awaitVersion(long version) {
        for (int partition = 0; partition < 2; partition++) {
            int p = partition;
            ItFixtures.awaitTrue(
                    "map version " + version + " on partition " + p,
                    Duration.ofSeconds(20),
                    () -> mapVersion(p) == version);
        }
    }

    private static String target(CheckoutServer server) {
        return "127.0.0.1:" + server.port();
    }

    private static CheckoutClient partitionClient(String target) {
        return CheckoutClient.builder(target)
                .deadline(Duration.ofSeconds(3))
                .adminToken(ItFixtures.ADMIN_TOKEN)
                .build();
    }

    /** The server's metrics, or "" while they cannot be read (the caller polls). */
    private static String metricsText(CheckoutServer server) {
        try {
            return ItFixtures.metricsText(server);
        } catch (java.io.UncheckedIOException e) {
            return "";
        }
    }

    private long mapVersion(int partition) {
        return PartitionsGrpc.newBlockingStub(channels[partition])
                .getPartitionMap(GetPartitionMapRequest.getDefaultInstance())
                .getVersion();
    }

    private void writeMap(long version, String target0, String target1, int firstSlotOfOne) throws IOException {
        Files.writeString(
                mapFile,
                MAP.formatted(version, target0, target1, firstSlotOfOne)
                        .replace("\"last\": 8191", "\"last\": " + (firstSlotOfOne - 1)));
        // A new modification time even within the file system's timestamp granularity.
        Files.setLastModifiedTime(mapFile, FileTime.from(Instant.now().plusSeconds(version)));
    }

    private String skuIn(int partition, String prefix) {
        for (int i = 0; ; i++) {
            String skuId = prefix + i;
            if (table.partitionOfSku(skuId) == partition) {
                return skuId;
            }
        }
    }

    private String tagIn(int partition) {
        for (int i = 0; ; i++) {
            String tag = "sale-" + i + ":";
            if (table.partitionOfSku(tag) == partition) {
                return tag;
            }
        }
    }

    private static OrderLine line(String skuId, int quantity) {
        return OrderLine.newBuilder().setSkuId(skuId).setQuantity(quantity).build();
    }

    private static void assertWrongPartition(
            StatusRuntimeException failure, int owner, long mapVersion, String targets) {
        assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        ErrorInfo info = ItFixtures.errorInfo(failure);
        assertThat(info.getReason()).isEqualTo("WRONG_PARTITION");
        assertThat(info.getMetadataMap())
                .containsEntry("partition", Integer.toString(owner))
                .containsEntry("map_version", Long.toString(mapVersion))
                .containsEntry("targets", targets);
    }
}
