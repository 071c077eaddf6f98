package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.google.rpc.BadRequest;
import io.checkout.client.BearerTokenCredentials;
import io.checkout.client.CheckoutClient;
import io.checkout.client.StreamingReserver;
import io.checkout.proto.v1.AdjustStockRequest;
import io.checkout.proto.v1.CancelRequest;
import io.checkout.proto.v1.CheckoutGrpc;
import io.checkout.proto.v1.ConfirmRequest;
import io.checkout.proto.v1.GetOrderRequest;
import io.checkout.proto.v1.GetStockRequest;
import io.checkout.proto.v1.InventoryGrpc;
import io.checkout.proto.v1.ListSkusReply;
import io.checkout.proto.v1.ListSkusRequest;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.OrderState;
import io.checkout.proto.v1.RefundRequest;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.Sku;
import io.checkout.proto.v1.UpsertSkuRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests the server cannot process. The contract promises INVALID_ARGUMENT with the offending
 * field named twice (in the description for people, in a BadRequest detail for programs), and that
 * nothing changes. Requests go through the raw stubs because the SDK refuses some of them before
 * they reach the wire.
 */
class BadInputIT {
    private static final String SKU_A = "SKU-A";
    private static final String SKU_B = "SKU-B";

    @TempDir
    Path dataDir;

    @TempDir
    Path tinyDataDir;

    private CheckoutServer server;
    private ManagedChannel channel;
    private CheckoutClient client;
    private CheckoutServer tinyServer;
    private ManagedChannel tinyChannel;

    private long reservedOrderId;
    private long paidOrderId;
    private long cancelledOrderId;

    @BeforeEach
    void startServer() {
        server = CheckoutServer.start(ItFixtures.smallConfig(dataDir).conclude());
        channel = ItFixtures.loopbackChannel(server);
        client = ItFixtures.client(channel);
        client.upsertSku(ItFixtures.sku(SKU_A, 100, 0));
        client.upsertSku(ItFixtures.sku(SKU_B, 100, 0));
        reservedOrderId = client.reserve("setup-reserved", "buyer-1", SKU_A, 1).getOrderId();
        paidOrderId = client.reserve("setup-paid", "buyer-2", SKU_A, 2).getOrderId();
        client.confirm("setup-pay", paidOrderId);
        cancelledOrderId =
                client.reserve("setup-cancelled", "buyer-3", SKU_B, 3).getOrderId();
        client.cancel("setup-cancel", cancelledOrderId);
    }

    @AfterEach
    void stopServer() {
        ItFixtures.closeQuietly(client);
        ItFixtures.shutdownChannel(channel);
        ItFixtures.shutdownChannel(tinyChannel);
        ItFixtures.closeQuietly(server, tinyServer);
    }

    // ---- one check per validated field ---------------------------------------------------------

    @TestFactory
    Stream<DynamicTest> reserveShouldRejectEachInvalidFieldByNameAndChangeNothing() {
        List<OrderLine> seventeen = new ArrayList<>();
        for (int i = 0; i < 17; i++) {
            seventeen.add(line("MANY-" + i, 1));
        }
        List<OrderLine> sixtyFive = new ArrayList<>();
        for (int i = 0; i < 65; i++) {
            sixtyFive.add(line("MANY-" + i, 1));
        }
        return Stream.of(
                invalidReserve("request_id empty", "request_id", "REQUEST_ID_INVALID", r -> r.setRequestId("")),
                invalidReserve(
                        "request_id of 65 characters",
                        "request_id",
                        "REQUEST_ID_INVALID",
                        r -> r.setRequestId("r".repeat(65))),
                invalidReserve(
                        "request_id with a space", "request_id", "REQUEST_ID_INVALID", r -> r.setRequestId("retry 1")),
                invalidReserve("user_id empty", "user_id", "USER_ID_INVALID", r -> r.setUserId("")),
                invalidReserve(
                        "user_id of 65 characters", "user_id", "USER_ID_INVALID", r -> r.setUserId("u".repeat(65))),
                invalidReserve("lines empty", "lines", "LINES_EMPTY", ReserveRequest.Builder::clearLines),
                invalidReserve(
                        "17 lines, above lines-per-order-max 16",
                        "lines",
                        "TOO_MANY_LINES",
                        r -> r.clearLines().addAllLines(seventeen)),
                invalidReserve(
                        "65 lines, above the hard maximum 64",
                        "lines",
                        "TOO_MANY_LINES",
                        r -> r.clearLines().addAllLines(sixtyFive)),
                invalidReserve(
                        "lines[0].sku_id empty", "lines[0].sku_id", "SKU_ID_INVALID", r -> r.setLines(0, line("", 1))),
                invalidReserve(
                        "lines[1].sku_id with a forbidden character",
                        "lines[1].sku_id",
                        "SKU_ID_INVALID",
                        r -> r.addLines(line("SKU/B", 1))),
                invalidReserve(
                        "lines[0].quantity 0",
                        "lines[0].quantity",
                        "QUANTITY_MUST_BE_POSITIVE",
                        r -> r.setLines(0, line(SKU_A, 0))),
                invalidReserve(
                        "lines[1].quantity negative",
                        "lines[1].quantity",
                        "QUANTITY_MUST_BE_POSITIVE",
                        r -> r.addLines(line(SKU_B, -3))),
                invalidReserve(
                        "lines[0].quantity above quantity-per-line-max",
                        "lines[0].quantity",
                        "QUANTITY_TOO_LARGE",
                        r -> r.setLines(0, line(SKU_A, 1_001))),
                invalidReserve(
                        "the same SKU in two lines",
                        "lines[2].sku_id",
                        "DUPLICATE_SKU_IN_ORDER",
                        r -> r.addLines(line(SKU_B, 1)).addLines(line(SKU_A, 2))));
    }

    @TestFactory
    Stream<DynamicTest> orderCommandsShouldRejectEachInvalidFieldByNameAndChangeNothing() {
        return Stream.of(
                invalid(
                        "confirm: order_id 0",
                        "order_id",
                        "ORDER_ID_INVALID",
                        () -> checkout()
                                .confirm(ConfirmRequest.newBuilder()
                                        .setRequestId("c-1")
                                        .build())),
                invalid(
                        "confirm: request_id empty",
                        "request_id",
                        "REQUEST_ID_INVALID",
                        () -> checkout()
                                .confirm(ConfirmRequest.newBuilder()
                                        .setOrderId(reservedOrderId)
                                        .build())),
                invalid(
                        "cancel: order_id 0",
                        "order_id",
                        "ORDER_ID_INVALID",
                        () -> checkout()
                                .cancel(CancelRequest.newBuilder()
                                        .setRequestId("x-1")
                                        .build())),
                invalid(
                        "cancel: request_id of 65 characters",
                        "request_id",
                        "REQUEST_ID_INVALID",
                        () -> checkout()
                                .cancel(CancelRequest.newBuilder()
                                        .setRequestId("x".repeat(65))
                                        .setOrderId(reservedOrderId)
                                        .build())),
                invalid(
                        "refund: order_id 0",
                        "order_id",
                        "ORDER_ID_INVALID",
                        () -> checkout()
                                .refund(RefundRequest.newBuilder()
                                        .setRequestId("f-1")
                                        .build())),
                invalid(
                        "refund: request_id with a space",
                        "request_id",
                        "REQUEST_ID_INVALID",
                        () -> checkout()
                                .refund(RefundRequest.newBuilder()
                                        .setRequestId("f 1")
                                        .setOrderId(paidOrderId)
                                        .build())),
                invalid(
                        "getOrder: order_id 0",
                        "order_id",
                        "ORDER_ID_INVALID",
                        () -> checkout().getOrder(GetOrderRequest.getDefaultInstance())),
                invalid(
                        "getStock: sku_id empty",
                        "sku_id",
                        "SKU_ID_INVALID",
                        () -> checkout().getStock(GetStockRequest.getDefaultInstance())),
                invalid(
                        "getStock: sku_id with a space",
                        "sku_id",
                        "SKU_ID_INVALID",
                        () -> checkout()
                                .getStock(GetStockRequest.newBuilder()
                                        .setSkuId("SKU A")
                                        .build())));
    }

    @TestFactory
    Stream<DynamicTest> upsertSkuShouldRejectEachInvalidFieldByNameAndChangeNothing() {
        return Stream.of(
                invalidUpsert("request_id empty", "request_id", "REQUEST_ID_INVALID", u -> u.setRequestId("")),
                invalidUpsert("sku_id of 65 characters", "sku_id", "SKU_ID_INVALID", u -> u.setSkuId("S".repeat(65))),
                invalidUpsert("price_minor negative", "price_minor", "PRICE_INVALID", u -> u.setPriceMinor(-1)),
                invalidUpsert(
                        "price_minor above 10,000,000,000",
                        "price_minor",
                        "PRICE_INVALID",
                        u -> u.setPriceMinor(10_000_000_001L)),
                invalidUpsert("currency lower case", "currency", "CURRENCY_INVALID", u -> u.setCurrency("usd")),
                invalidUpsert("currency of two letters", "currency", "CURRENCY_INVALID", u -> u.setCurrency("US")),
                invalidUpsert("currency empty", "currency", "CURRENCY_INVALID", u -> u.setCurrency("")),
                invalidUpsert("total_stock negative", "total_stock", "TOTAL_STOCK_INVALID", u -> u.setTotalStock(-1)),
                invalidUpsert(
                        "total_stock above 1,000,000,000",
                        "total_stock",
                        "TOTAL_STOCK_INVALID",
                        u -> u.setTotalStock(1_000_000_001L)),
                invalidUpsert(
                        "per_user_limit negative",
                        "per_user_limit",
                        "PER_USER_LIMIT_INVALID",
                        u -> u.setPerUserLimit(-1)),
                invalidUpsert(
                        "sale_start_epoch_millis negative",
                        "sale_start_epoch_millis",
                        "SALE_START_INVALID",
                        u -> u.setSaleStartEpochMillis(-1)),
                invalidUpsert(
                        "sale_start_epoch_millis after the year 2999",
                        "sale_start_epoch_millis",
                        "SALE_START_INVALID",
                        u -> u.setSaleStartEpochMillis(40_000_000_000_000L)),
                invalidUpsert(
                        "sale_end_epoch_millis before the start",
                        "sale_end_epoch_millis",
                        "SALE_END_INVALID",
                        u -> u.setSaleStartEpochMillis(2_000).setSaleEndEpochMillis(1_000)),
                invalidUpsert(
                        "sale_end_epoch_millis equal to the start",
                        "sale_end_epoch_millis",
                        "SALE_END_INVALID",
                        u -> u.setSaleStartEpochMillis(2_000).setSaleEndEpochMillis(2_000)),
                invalidUpsert(
                        "reservation_ttl_millis below 1 s",
                        "reservation_ttl_millis",
                        "RESERVATION_TTL_INVALID",
                        u -> u.setReservationTtlMillis(999)),
                invalidUpsert(
                        "reservation_ttl_millis above 24 h",
                        "reservation_ttl_millis",
                        "RESERVATION_TTL_INVALID",
                        u -> u.setReservationTtlMillis(86_400_001L)));
    }

    @TestFactory
    Stream<DynamicTest> adjustStockAndListSkusShouldRejectEachInvalidFieldByNameAndChangeNothing() {
        AdjustStockRequest adjust = AdjustStockRequest.newBuilder()
                .setRequestId("adj-1")
                .setSkuId(SKU_A)
                .setDelta(5)
                .build();
        return Stream.of(
                invalid(
                        "adjustStock: delta 0",
                        "delta",
                        "DELTA_INVALID",
                        () -> inventory()
                                .adjustStock(adjust.toBuilder().setDelta(0).build())),
                invalid(
                        "adjustStock: delta above 1,000,000,000",
                        "delta",
                        "DELTA_INVALID",
                        () -> inventory()
                                .adjustStock(adjust.toBuilder()
                                        .setDelta(1_000_000_001L)
                                        .build())),
                invalid(
                        "adjustStock: request_id empty",
                        "request_id",
                        "REQUEST_ID_INVALID",
                        () -> inventory()
                                .adjustStock(adjust.toBuilder().setRequestId("").build())),
                invalid(
                        "adjustStock: sku_id empty",
                        "sku_id",
                        "SKU_ID_INVALID",
                        () -> inventory()
                                .adjustStock(adjust.toBuilder().setSkuId("").build())),
                invalid(
                        "listSkus: page_size 1001",
                        "page_size",
                        "PAGE_SIZE_INVALID",
                        () -> inventory()
                                .listSkus(ListSkusRequest.newBuilder()
                                        .setPageSize(1_001)
                                        .build())),
                invalid(
                        "listSkus: page_size -1",
                        "page_size",
                        "PAGE_SIZE_INVALID",
                        () -> inventory()
                                .listSkus(ListSkusRequest.newBuilder()
                                        .setPageSize(-1)
                                        .build())),
                invalid(
                        "listSkus: page_token that no page gave out",
                        "page_token",
                        "PAGE_TOKEN_INVALID",
                        () -> inventory()
                                .listSkus(ListSkusRequest.newBuilder()
                                        .setPageToken("not a token!")
                                        .build())));
    }

    @Test
    void invalidReserveShouldNotBeRememberedSoTheCorrectedRequestMayReuseItsRequestId() {
        StatusRuntimeException failure = ItFixtures.grpcFailure(() -> checkout()
                .reserve(validReserve()
                        .setRequestId("fix-and-retry")
                        .setLines(0, line(SKU_A, 0))
                        .build()));
        ItFixtures.assertInvalidArgument(failure, "lines[0].quantity");

        ReserveReply corrected =
                checkout().reserve(validReserve().setRequestId("fix-and-retry").build());

        assertThat(corrected.getResult()).isEqualTo(ReserveResult.RESERVED);
    }

    // ---- missing and conflicting -------------------------------------------------------------

    @Test
    void unknownOrderShouldBeNotFoundForEveryOrderCall() {
        long unknown = cancelledOrderId + 1_000;
        List<ThrowingCallable> calls = List.of(
                () -> checkout()
                        .getOrder(
                                GetOrderRequest.newBuilder().setOrderId(unknown).build()),
                () -> checkout()
                        .confirm(ConfirmRequest.newBuilder()
                                .setRequestId("nf-1")
                                .setOrderId(unknown)
                                .build()),
                () -> checkout()
                        .cancel(CancelRequest.newBuilder()
                                .setRequestId("nf-2")
                                .setOrderId(unknown)
                                .build()),
                () -> checkout()
                        .refund(RefundRequest.newBuilder()
                                .setRequestId("nf-3")
                                .setOrderId(unknown)
                                .build()));

        for (ThrowingCallable call : calls) {
            StatusRuntimeException failure = ItFixtures.grpcFailure(call);
            assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
            assertThat(failure.getStatus().getDescription()).contains(String.valueOf(unknown));
            assertThat(ItFixtures.errorInfo(failure).getReason()).isEqualTo("ORDER_NOT_FOUND");
        }
    }

    @Test
    void unknownSkuShouldBeNotFoundForStockCalls() {
        StatusRuntimeException read = ItFixtures.grpcFailure(() -> checkout()
                .getStock(GetStockRequest.newBuilder().setSkuId("NO-SUCH-SKU").build()));
        StatusRuntimeException adjust = ItFixtures.grpcFailure(() -> inventory()
                .adjustStock(AdjustStockRequest.newBuilder()
                        .setRequestId("adj-missing")
                        .setSkuId("NO-SUCH-SKU")
                        .setDelta(1)
                        .build()));

        for (StatusRuntimeException failure : List.of(read, adjust)) {
            assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
            assertThat(failure.getStatus().getDescription()).contains("NO-SUCH-SKU");
            assertThat(ItFixtures.errorInfo(failure).getReason()).isEqualTo("SKU_NOT_FOUND");
        }
    }

    @Test
    void orderCallInTheWrongStateShouldBeFailedPreconditionNamingTheCurrentState() {
        record Case(String name, ThrowingCallable call, String currentState) {}
        List<Case> cases = List.of(
                new Case(
                        "confirm a PAID order",
                        () -> checkout()
                                .confirm(ConfirmRequest.newBuilder()
                                        .setRequestId("ws-1")
                                        .setOrderId(paidOrderId)
                                        .build()),
                        "PAID"),
                new Case(
                        "cancel a PAID order",
                        () -> checkout()
                                .cancel(CancelRequest.newBuilder()
                                        .setRequestId("ws-2")
                                        .setOrderId(paidOrderId)
                                        .build()),
                        "PAID"),
                new Case(
                        "confirm a CANCELLED order",
                        () -> checkout()
                                .confirm(ConfirmRequest.newBuilder()
                                        .setRequestId("ws-3")
                                        .setOrderId(cancelledOrderId)
                                        .build()),
                        "CANCELLED"),
                new Case(
                        "refund a RESERVED order",
                        () -> checkout()
                                .refund(RefundRequest.newBuilder()
                                        .setRequestId("ws-4")
                                        .setOrderId(reservedOrderId)
                                        .build()),
                        "RESERVED"),
                new Case(
                        "refund a CANCELLED order",
                        () -> checkout()
                                .refund(RefundRequest.newBuilder()
                                        .setRequestId("ws-5")
                                        .setOrderId(cancelledOrderId)
                                        .build()),
                        "CANCELLED"));
        List<Object> before = snapshot();

        for (Case c : cases) {
            StatusRuntimeException failure = ItFixtures.grpcFailure(c.call());
            assertThat(failure.getStatus().getCode()).as(c.name()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            assertThat(failure.getStatus().getDescription()).as(c.name()).contains(c.currentState());
            assertThat(ItFixtures.errorInfo(failure).getReason()).as(c.name()).isEqualTo("ORDER_STATE_CONFLICT");
            assertThat(ItFixtures.errorInfo(failure).getMetadataMap())
                    .as(c.name())
                    .containsEntry("current_state", c.currentState());
        }
        assertThat(snapshot()).isEqualTo(before);
    }

    // ---- streams and saturation ----------------------------------------------------------------

    @Test
    void reserveStreamShouldAnswerAnInvalidItemRejectedAndKeepServingTheNextOnes() throws Exception {
        List<OrderLine> sixtyFive = new ArrayList<>();
        for (int i = 0; i < 65; i++) {
            sixtyFive.add(line("MANY-" + i, 1));
        }
        try (StreamingReserver stream = client.openReserveStream(16)) {
            ReserveReply badQuantity = stream.submit(validReserve()
                            .setRequestId("s-bad")
                            .setLines(0, line(SKU_A, 0))
                            .build())
                    .get(10, TimeUnit.SECONDS);
            ReserveReply good =
                    stream.submit(validReserve().setRequestId("s-good").build()).get(10, TimeUnit.SECONDS);
            ReserveReply tooManyLines = stream.submit(validReserve()
                            .setRequestId("s-wide")
                            .clearLines()
                            .addAllLines(sixtyFive)
                            .build())
                    .get(10, TimeUnit.SECONDS);
            ReserveReply stillGood = stream.submit(validReserve()
                            .setRequestId("s-good-2")
                            .setUserId("other")
                            .build())
                    .get(10, TimeUnit.SECONDS);

            assertRejected(badQuantity, "s-bad", "lines[0].quantity");
            assertRejected(tooManyLines, "s-wide", "lines");
            assertThat(good.getResult()).isEqualTo(ReserveResult.RESERVED);
            assertThat(stillGood.getResult()).isEqualTo(ReserveResult.RESERVED);
            assertThat(stillGood.getOrderId()).isEqualTo(good.getOrderId() + 1);
        }
    }

    @Test
    void fullOrderTableShouldAnswerResourceExhaustedAndLeaveTheServerHealthy() {
        tinyServer = CheckoutServer.start(ItFixtures.smallConfig(tinyDataDir)
                .set(ServerConfig.Setting.ORDER_CAPACITY, 5)
                .conclude());
        tinyChannel = ItFixtures.loopbackChannel(tinyServer);
        // No retries: RESOURCE_EXHAUSTED is retryable and the SDK would otherwise hide the first answer.
        CheckoutClient tiny = CheckoutClient.builder(tinyChannel)
                .deadline(Duration.ofSeconds(10))
                .maxAttempts(1)
                .adminToken(ItFixtures.ADMIN_TOKEN)
                .build();
        try {
            tiny.upsertSku(ItFixtures.sku(SKU_A, 100, 0));
            List<Long> orders = new ArrayList<>();
            for (int i = 1; i <= 5; i++) {
                ReserveReply reply = tiny.reserve("fill-" + i, "buyer-" + i, SKU_A, 1);
                assertThat(reply.getResult()).isEqualTo(ReserveResult.RESERVED);
                orders.add(reply.getOrderId());
            }

            StatusRuntimeException sixth = ItFixtures.grpcFailure(() -> tiny.reserve("fill-6", "buyer-6", SKU_A, 1));
            StatusRuntimeException sixthAgain =
                    ItFixtures.grpcFailure(() -> tiny.reserve("fill-6", "buyer-6", SKU_A, 1));

            for (StatusRuntimeException failure : List.of(sixth, sixthAgain)) {
                assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                assertThat(failure.getStatus().getDescription()).contains("order-capacity");
                assertThat(ItFixtures.errorInfo(failure).getReason()).isEqualTo("ORDER_TABLE_FULL");
            }
            Sku stock = tiny.getStock(SKU_A);
            assertThat(stock.getReserved()).isEqualTo(5);
            assertThat(stock.getAvailable()).isEqualTo(95);
            assertThat(ItFixtures.health(tinyChannel, "")).isEqualTo(ServingStatus.SERVING);
            assertThat(ItFixtures.health(tinyChannel, CheckoutGrpc.SERVICE_NAME))
                    .isEqualTo(ServingStatus.SERVING);
            // Existing orders still move, and the stock they give back is reservable by nobody new
            // (no order slot) but counted correctly.
            assertThat(tiny.confirm(orders.get(0)).getState()).isEqualTo(OrderState.ORDER_STATE_PAID);
            assertThat(tiny.cancel(orders.get(1)).getState()).isEqualTo(OrderState.ORDER_STATE_CANCELLED);
            Sku after = tiny.getStock(SKU_A);
            assertThat(after.getSold()).isEqualTo(1);
            assertThat(after.getReserved()).isEqualTo(3);
            assertThat(after.getAvailable()).isEqualTo(96);
        } finally {
            tiny.close();
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    private CheckoutGrpc.CheckoutBlockingStub checkout() {
        // A fresh stub per call: withDeadlineAfter fixes the deadline when the stub is made.
        return CheckoutGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private InventoryGrpc.InventoryBlockingStub inventory() {
        return InventoryGrpc.newBlockingStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .withCallCredentials(new BearerTokenCredentials(ItFixtures.ADMIN_TOKEN));
    }

    private static OrderLine line(String skuId, int quantity) {
        return OrderLine.newBuilder().setSkuId(skuId).setQuantity(quantity).build();
    }

    private static ReserveRequest.Builder validReserve() {
        return ReserveRequest.newBuilder()
                .setRequestId("r-valid")
                .setUserId("buyer-9")
                .addLines(line(SKU_A, 1));
    }

    /**
     * A valid update of SKU A that differs from its current definition, so that if a broken
     * variant of it were applied the snapshot would show it.
     */
    private static UpsertSkuRequest.Builder validUpsert() {
        return ItFixtures.sku(SKU_A, 150, 0).toBuilder().setRequestId("u-valid").setPriceMinor(2_500);
    }

    private DynamicTest invalidReserve(
            String name, String field, String reason, UnaryOperator<ReserveRequest.Builder> breakIt) {
        ReserveRequest request = breakIt.apply(validReserve()).build();
        return invalid("reserve: " + name, field, reason, () -> checkout().reserve(request));
    }

    private DynamicTest invalidUpsert(
            String name, String field, String reason, UnaryOperator<UpsertSkuRequest.Builder> breakIt) {
        UpsertSkuRequest request = breakIt.apply(validUpsert()).build();
        return invalid("upsertSku: " + name, field, reason, () -> inventory().upsertSku(request));
    }

    private DynamicTest invalid(String name, String field, String reason, ThrowingCallable call) {
        return dynamicTest(name + " is INVALID_ARGUMENT naming " + field, () -> {
            List<Object> before = snapshot();

            StatusRuntimeException failure = ItFixtures.grpcFailure(call);

            ItFixtures.assertInvalidArgument(failure, field);
            assertThat(ItFixtures.errorInfo(failure).getReason()).isEqualTo(reason);
            assertThat(snapshot()).as("state after the refused request").isEqualTo(before);
        });
    }

    /**
     * Everything a refused request could have touched: every SKU with its stock, every order, and
     * whether an order was created after the last known one.
     */
    private List<Object> snapshot() {
        List<Object> world = new ArrayList<>();
        ListSkusReply skus = inventory()
                .listSkus(ListSkusRequest.newBuilder().setPageSize(1_000).build());
        world.add(skus);
        for (long orderId = 1; orderId <= cancelledOrderId; orderId++) {
            world.add(client.getOrder(orderId));
        }
        Status.Code next = ItFixtures.grpcFailure(() -> client.getOrder(cancelledOrderId + 1))
                .getStatus()
                .getCode();
        world.add("next order: " + next);
        return world;
    }

    private static void assertRejected(ReserveReply reply, String requestId, String field) {
        assertThat(reply.getRequestId()).isEqualTo(requestId);
        assertThat(reply.getResult()).isEqualTo(ReserveResult.REJECTED);
        assertThat(reply.getOrderId()).isZero();
        com.google.rpc.Status error = reply.getError();
        assertThat(error.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
        assertThat(error.getMessage()).contains(field);
        assertThat(ItFixtures.detail(error, BadRequest.class).orElseThrow().getFieldViolationsList())
                .extracting(BadRequest.FieldViolation::getField)
                .containsExactly(field);
    }
}
