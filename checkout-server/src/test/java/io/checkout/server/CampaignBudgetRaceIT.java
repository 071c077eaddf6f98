package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.proto.v1.Campaign;
import io.checkout.proto.v1.CampaignKind;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A coupon with a budget of 100 raced by 4,000 buyers on 64 threads, with stock for all of them:
 * exactly 100 get it and the rest are told the budget is spent; cancelling 10 lets exactly 10 more
 * in; and no reading of the campaign while they race ever shows more than 100 held.
 */
class CampaignBudgetRaceIT {
    private static final int BUDGET = 100;
    private static final int BUYERS = 4_000;
    private static final int THREADS = 64;

    @TempDir
    Path dataDir;

    @RegisterExtension
    final ItServer running = new ItServer();

    private Map<ReserveResult, List<ReserveReply>> race(String userPrefix, int buyers, ExecutorService pool)
            throws Exception {
        List<Future<ReserveReply>> replies = new ArrayList<>();
        List<OrderLine> lines =
                List.of(OrderLine.newBuilder().setSkuId("DROP").setQuantity(1).build());
        for (int i = 0; i < buyers; i++) {
            String userId = userPrefix + i;
            replies.add(pool.submit(() -> running.client().reserveWithCampaign(userId, lines, "LAUNCH")));
        }
        Map<ReserveResult, List<ReserveReply>> byResult = new EnumMap<>(ReserveResult.class);
        for (Future<ReserveReply> reply : replies) {
            ReserveReply answer = reply.get();
            byResult.computeIfAbsent(answer.getResult(), result -> new ArrayList<>())
                    .add(answer);
        }
        return byResult;
    }

    @Test
    void exactlyTheBudgetShouldBeRedeemedHoweverManyRaceForIt() throws Exception {
        running.start(dataDir);
        running.client().upsertSku(ItFixtures.sku("DROP", 10 * BUYERS, 0));
        running.client()
                .upsertCampaign(Campaign.newBuilder()
                        .setCampaignId("LAUNCH")
                        .setKind(CampaignKind.CAMPAIGN_KIND_PERCENT_OFF)
                        .setCurrency("USD")
                        .setPercentOffBps(2_000)
                        .setBudget(BUDGET)
                        .setPerUserLimit(1)
                        .build());

        AtomicBoolean racing = new AtomicBoolean(true);
        AtomicLong mostSeen = new AtomicLong();
        AtomicLong readings = new AtomicLong();
        Thread watcher = new Thread(() -> {
            while (racing.get()) {
                mostSeen.accumulateAndGet(running.client().getCampaign("LAUNCH").getRedeemed(), Math::max);
                readings.incrementAndGet();
            }
        });
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        Map<ReserveResult, List<ReserveReply>> first;
        Map<ReserveResult, List<ReserveReply>> second;
        try {
            watcher.start();
            first = race("buyer-", BUYERS, pool);

            assertThat(first.keySet()).containsOnly(ReserveResult.RESERVED, ReserveResult.CAMPAIGN_BUDGET_EXHAUSTED);
            assertThat(first.get(ReserveResult.RESERVED)).hasSize(BUDGET);
            assertThat(first.get(ReserveResult.CAMPAIGN_BUDGET_EXHAUSTED)).hasSize(BUYERS - BUDGET);
            assertThat(first.get(ReserveResult.RESERVED)).allSatisfy(reply -> {
                assertThat(reply.getDiscountMinor()).as("20% of 19.99").isEqualTo(399);
                assertThat(reply.getAmountMinor()).isEqualTo(1_999 - 399);
            });
            assertThat(running.client().getCampaign("LAUNCH").getRedeemed()).isEqualTo(BUDGET);
            assertThat(running.client().getStock("DROP").getReserved()).isEqualTo(BUDGET);

            // Ten give theirs back; ten more of a new crowd get one, and no more.
            for (ReserveReply cancelled : first.get(ReserveResult.RESERVED).subList(0, 10)) {
                running.client().cancel(cancelled.getOrderId());
            }
            assertThat(running.client().getCampaign("LAUNCH").getRedeemed()).isEqualTo(BUDGET - 10);
            second = race("late-", 1_000, pool);
        } finally {
            racing.set(false);
            pool.shutdownNow();
            watcher.join();
        }

        assertThat(second.get(ReserveResult.RESERVED)).hasSize(10);
        assertThat(second.get(ReserveResult.CAMPAIGN_BUDGET_EXHAUSTED)).hasSize(1_000 - 10);
        assertThat(running.client().getCampaign("LAUNCH").getRedeemed()).isEqualTo(BUDGET);
        assertThat(running.client().getCampaign("LAUNCH").getRedeemingUsers()).isEqualTo(BUDGET);
        assertThat(running.client().getStock("DROP").getReserved()).isEqualTo(BUDGET);
        assertThat(readings.get()).as("the campaign was read while they raced").isPositive();
        assertThat(mostSeen.get()).as("never more than the budget held").isEqualTo(BUDGET);
    }
}
