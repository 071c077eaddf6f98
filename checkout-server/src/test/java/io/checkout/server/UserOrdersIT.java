package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.proto.v1.ListUserOrdersReply;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * ListUserOrders over gRPC, as a "your reservation expires in 8 minutes" page would call it: a
 * user's orders newest first, page by page, as they stand now, the same after a restart; a token
 * that is not the user's is refused naming it.
 */
class UserOrdersIT {
    private static final String SKU = "TICKET-1";

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

    /** Every order of {@code userId}, page after page. */
    private List<Order> allPages(String userId, int pageSize) {
        List<Order> orders = new ArrayList<>();
        String token = "";
        for (int page = 0; page < 100; page++) {
            ListUserOrdersReply reply = running.client().listUserOrders(userId, pageSize, token);
            orders.addAll(reply.getOrdersList());
            token = reply.getNextPageToken();
            if (token.isEmpty()) {
                return orders;
            }
            assertThat(reply.getOrdersCount()).isEqualTo(pageSize);
        }
        throw new AssertionError("more than 100 pages");
    }

    @Test
    void aUsersOrdersShouldComeNewestFirstPageByPageAndSurviveARestart() {
        start();
        running.client().upsertSku(ItFixtures.sku(SKU, 1_000, 0));
        List<Long> mine = new ArrayList<>();
        for (int i = 0; i < 23; i++) {
            mine.add(running.client().reserve("carol", SKU, 1).getOrderId());
            running.client().reserve("dave", SKU, 1);
        }
        running.client().confirm(mine.get(22));
        running.client().cancel(mine.get(21));

        List<Order> listed = allPages("carol", 5);

        List<Long> newestFirst = new ArrayList<>(mine);
        Collections.reverse(newestFirst);
        assertThat(listed).extracting(Order::getOrderId).containsExactlyElementsOf(newestFirst);
        assertThat(listed.get(0).getState()).isEqualTo(OrderState.ORDER_STATE_PAID);
        assertThat(listed.get(1).getState()).isEqualTo(OrderState.ORDER_STATE_CANCELLED);
        assertThat(listed.get(2).getState()).isEqualTo(OrderState.ORDER_STATE_RESERVED);
        assertThat(listed.get(2).getExpiresAtEpochMillis()).isPositive();
        assertThat(listed.get(2)).isEqualTo(running.client().getOrder(mine.get(20)));
        assertThat(running.client().listUserOrders("carol", 0, null).getOrdersCount())
                .as("the default page")
                .isEqualTo(20);
        assertThat(running.client().listUserOrders("nobody", 0, "").getOrdersList())
                .isEmpty();

        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client().listUserOrders("dave", 5, Long.toString(mine.get(3)))),
                "page_token");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client().listUserOrders("dave", 5, "not-a-number")), "page_token");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client().listUserOrders("dave", 101, "")), "page_size");

        stop();
        start();
        assertThat(allPages("carol", 7)).as("after a restart").isEqualTo(listed);
    }
}
