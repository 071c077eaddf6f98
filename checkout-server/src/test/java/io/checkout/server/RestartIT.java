package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.checkout.proto.v1.ListSkusReply;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.OrderState;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.Sku;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The state files are the only record of a sale. After a clean shutdown a new server on the same
 * directory must carry on exactly where the old one stopped: same orders, same stock, same
 * remembered answers, same per-user allowances, and order ids that continue rather than restart.
 */
class RestartIT {
    private static final String ALPHA = "SKU-ALPHA";
    private static final String BETA = "SKU-BETA";
    private static final String GAMMA = "SKU-GAMMA";

    @TempDir
    Path dataDir;

    @RegisterExtension
    final ItServer running = new ItServer();

    private void start() {
        running.start(dataDir);
    }

    private void stop() {
        running.stop();
    }

    /** What the first server said, to hold the second one to. */
    private static final class Before {
        final Map<String, ReserveReply> reserves = new LinkedHashMap<>();
        final Map<String, Order> orderAnswers = new LinkedHashMap<>();
        final Map<String, Sku> adjustAnswers = new LinkedHashMap<>();
        final List<Order> orders = new ArrayList<>();
        final List<Sku> skus = new ArrayList<>();
    }

    @Test
    void restartAfterCleanShutdownShouldKeepEveryOrderStockLevelAndRememberedAnswer() {
        start();
        Before before = runASale();
        stop();

        start();

        for (Order order : before.orders) {
            assertThat(running.client().getOrder(order.getOrderId())).isEqualTo(order);
        }
        for (Sku sku : before.skus) {
            assertThat(running.client().getStock(sku.getSkuId())).isEqualTo(sku);
        }
        assertThat(running.client().listAllSkus()).isEqualTo(before.skus);
    }

    @Test
    void restartShouldContinueOrderIdsAfterTheLastOrder() {
        start();
        Before before = runASale();
        long lastOrderId = before.orders.get(before.orders.size() - 1).getOrderId();
        stop();

        start();
        ReserveReply next = running.client().reserve("after-restart-1", "newcomer", ALPHA, 1);
        ReserveReply nextButOne = running.client().reserve("after-restart-2", "newcomer-2", GAMMA, 1);

        assertThat(next.getResult()).isEqualTo(ReserveResult.RESERVED);
        assertThat(next.getOrderId()).isEqualTo(lastOrderId + 1);
        assertThat(nextButOne.getOrderId()).isEqualTo(lastOrderId + 2);
        assertThat(running.client().getOrder(before.orders.get(0).getOrderId())).isEqualTo(before.orders.get(0));
    }

    @Test
    void requestIdRepeatedAfterRestartShouldReturnItsFirstAnswerAndChangeNothing() {
        start();
        Before before = runASale();
        stop();

        start();

        before.reserves.forEach((requestId, first) -> {
            ReserveReply repeat = running.client().reserve(requestId, userOf(requestId), lineOf(requestId));
            assertThat(repeat).as("repeat of %s", requestId).isEqualTo(first);
        });
        assertThat(running.client()
                        .confirm("pay-1", before.reserves.get("reserve-1").getOrderId()))
                .isEqualTo(before.orderAnswers.get("pay-1"));
        assertThat(running.client()
                        .cancel("cancel-2", before.reserves.get("reserve-2").getOrderId()))
                .isEqualTo(before.orderAnswers.get("cancel-2"));
        assertThat(running.client()
                        .refund("refund-4", before.reserves.get("reserve-4").getOrderId()))
                .isEqualTo(before.orderAnswers.get("refund-4"));
        // Order 4 was paid, then refunded: the repeated confirm reports the state its first answer did.
        Order payRepeat = running.client()
                .confirm("pay-4", before.reserves.get("reserve-4").getOrderId());
        Order payFirst = before.orderAnswers.get("pay-4");
        assertThat(payRepeat.getState()).isEqualTo(OrderState.ORDER_STATE_PAID);
        assertThat(payRepeat.getOrderId()).isEqualTo(payFirst.getOrderId());
        assertThat(payRepeat.getLinesList()).isEqualTo(payFirst.getLinesList());
        assertThat(payRepeat.getAmountMinor()).isEqualTo(payFirst.getAmountMinor());
        assertThat(running.client().adjustStock("restock-alpha", ALPHA, 10))
                .isEqualTo(before.adjustAnswers.get("restock-alpha"));
        assertThat(running.client().adjustStock("shrink-gamma", GAMMA, -2))
                .isEqualTo(before.adjustAnswers.get("shrink-gamma"));

        for (Order order : before.orders) {
            assertThat(running.client().getOrder(order.getOrderId()))
                    .as("order %d after repeats", order.getOrderId())
                    .isEqualTo(order);
        }
        assertThat(running.client().listAllSkus()).as("stock after repeats").isEqualTo(before.skus);
    }

    @Test
    void perUserAllowancesShouldSurviveRestart() {
        start();
        runASale();
        stop();

        start();

        // user-3 still holds one BETA of a limit of two, so two more are too many and one is fine.
        assertThat(running.client().reserve("u3-two-more", "user-3", BETA, 2).getResult())
                .isEqualTo(ReserveResult.LIMIT_EXCEEDED);
        assertThat(running.client().reserve("u3-one-more", "user-3", BETA, 1).getResult())
                .isEqualTo(ReserveResult.RESERVED);
        // user-2's BETA went back with the cancel, so the whole allowance is free again.
        assertThat(running.client().reserve("u2-again", "user-2", BETA, 2).getResult())
                .isEqualTo(ReserveResult.RESERVED);
    }

    @Test
    void listSkusShouldPageThroughAllSkusInOrderAfterRestart() {
        start();
        runASale();
        stop();

        start();
        List<String> seen = new ArrayList<>();
        List<String> tokens = new ArrayList<>();
        String token = "";
        do {
            ListSkusReply page = running.client().listSkus(1, token);
            assertThat(page.getSkusList()).hasSize(1);
            page.getSkusList().forEach(sku -> seen.add(sku.getSkuId()));
            token = page.getNextPageToken();
            tokens.add(token);
        } while (!token.isEmpty() && seen.size() < 10);

        assertThat(seen).containsExactly(ALPHA, BETA, GAMMA);
        assertThat(tokens.get(tokens.size() - 1))
                .as("no token after the last page")
                .isEmpty();
        ListSkusReply firstTwo = running.client().listSkus(2, "");
        ListSkusReply rest = running.client().listSkus(2, firstTwo.getNextPageToken());
        assertThat(firstTwo.getSkusList()).extracting(Sku::getSkuId).containsExactly(ALPHA, BETA);
        assertThat(rest.getSkusList()).extracting(Sku::getSkuId).containsExactly(GAMMA);
        assertThat(rest.getNextPageToken()).isEmpty();
    }

    @Test
    void startOnATakenPortShouldFailNamingItAndLeaveTheDataDirectoryUsable() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            ServerConfig onTakenPort = ItFixtures.smallConfig(dataDir)
                    .set(ServerConfig.Setting.PORT, taken.getLocalPort())
                    .conclude();

            assertThatThrownBy(() -> CheckoutServer.start(onTakenPort))
                    .hasMessageContaining("127.0.0.1:" + taken.getLocalPort());
        }
        // The failed start must have closed the state files it opened, or this start would fail.
        start();
        running.client().upsertSku(ItFixtures.sku(ALPHA, 1, 0));
        assertThat(running.client().getStock(ALPHA).getAvailable()).isEqualTo(1);
    }

    // ---- the sale before the restart -----------------------------------------------------------

    /**
     * Three SKUs (created out of order, so listing order is by id rather than by creation), six
     * orders ending in every state but EXPIRED, two remembered refusals, and stock moved both ways.
     */
    private Before runASale() {
        Before before = new Before();
        running.client()
                .upsertSku(ItFixtures.sku(GAMMA, 10, 0).toBuilder()
                        .setCurrency("EUR")
                        .setPriceMinor(4_500)
                        .build());
        running.client().upsertSku(ItFixtures.sku(ALPHA, 50, 0));
        running.client()
                .upsertSku(ItFixtures.sku(BETA, 20, 2).toBuilder()
                        .setPriceMinor(999)
                        .build());

        reserve(before, "reserve-1");
        reserve(before, "reserve-2");
        reserve(before, "reserve-3");
        reserve(before, "reserve-4");
        reserve(before, "reserve-5");
        reserve(before, "reserve-6");
        reserve(before, "reserve-7");
        reserve(before, "reserve-8");
        assertThat(before.reserves.get("reserve-6").getResult()).isEqualTo(ReserveResult.LIMIT_EXCEEDED);
        assertThat(before.reserves.get("reserve-8").getResult()).isEqualTo(ReserveResult.CURRENCY_MISMATCH);

        before.orderAnswers.put(
                "pay-1",
                running.client()
                        .confirm("pay-1", before.reserves.get("reserve-1").getOrderId()));
        before.orderAnswers.put(
                "cancel-2",
                running.client()
                        .cancel("cancel-2", before.reserves.get("reserve-2").getOrderId()));
        before.orderAnswers.put(
                "pay-4",
                running.client()
                        .confirm("pay-4", before.reserves.get("reserve-4").getOrderId()));
        before.orderAnswers.put(
                "refund-4",
                running.client()
                        .refund("refund-4", before.reserves.get("reserve-4").getOrderId()));
        before.orderAnswers.put(
                "pay-7",
                running.client()
                        .confirm("pay-7", before.reserves.get("reserve-7").getOrderId()));
        before.adjustAnswers.put("restock-alpha", running.client().adjustStock("restock-alpha", ALPHA, 10));
        before.adjustAnswers.put("shrink-gamma", running.client().adjustStock("shrink-gamma", GAMMA, -2));

        for (long orderId = 1; orderId <= 6; orderId++) {
            before.orders.add(running.client().getOrder(orderId));
        }
        assertThat(before.orders)
                .extracting(Order::getState)
                .containsExactly(
                        OrderState.ORDER_STATE_PAID,
                        OrderState.ORDER_STATE_CANCELLED,
                        OrderState.ORDER_STATE_RESERVED,
                        OrderState.ORDER_STATE_REFUNDED,
                        OrderState.ORDER_STATE_RESERVED,
                        OrderState.ORDER_STATE_PAID);
        before.skus.addAll(running.client().listAllSkus());
        assertThat(before.skus).extracting(Sku::getSkuId).containsExactly(ALPHA, BETA, GAMMA);
        assertThat(before.skus)
                .extracting(Sku::getTotalStock, Sku::getAvailable, Sku::getReserved, Sku::getSold)
                .containsExactly(tuple(60L, 53L, 5L, 2L), tuple(20L, 19L, 1L, 0L), tuple(8L, 7L, 0L, 1L));
        return before;
    }

    private void reserve(Before before, String requestId) {
        before.reserves.put(requestId, running.client().reserve(requestId, userOf(requestId), lineOf(requestId)));
    }

    /** reserve-N is made by user-N, so a repeat can be rebuilt from its request id alone. */
    private static String userOf(String requestId) {
        return "user-" + requestId.substring(requestId.indexOf('-') + 1);
    }

    private static List<OrderLine> lineOf(String requestId) {
        return switch (requestId) {
            case "reserve-1" -> List.of(line(ALPHA, 2));
            case "reserve-2" -> List.of(line(ALPHA, 1), line(BETA, 2));
            case "reserve-3" -> List.of(line(BETA, 1));
            case "reserve-4" -> List.of(line(GAMMA, 3));
            case "reserve-5" -> List.of(line(ALPHA, 5));
            case "reserve-6" -> List.of(line(BETA, 3));
            case "reserve-7" -> List.of(line(GAMMA, 1));
            case "reserve-8" -> List.of(line(GAMMA, 1), line(ALPHA, 1));
            default -> throw new IllegalArgumentException(requestId);
        };
    }

    private static OrderLine line(String skuId, int quantity) {
        return OrderLine.newBuilder().setSkuId(skuId).setQuantity(quantity).build();
    }
}
