package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.client.BatchStreamingReserver;
import io.checkout.client.StreamingReserver;
import io.checkout.proto.v1.Campaign;
import io.checkout.proto.v1.CampaignKind;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderEvent;
import io.checkout.proto.v1.OrderEventType;
import io.checkout.proto.v1.OrderEventsGrpc;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.Payment;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.SubscribeRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Campaigns (coupons) over gRPC, as a shop runs them: one of each kind defined and redeemed, the
 * discount in the reply, split over the order's lines and settled so that every figure adds up, a
 * partial refund giving back what its units paid, the change feed showing the same figures, each
 * refusal named and reserving nothing, redemptions coming back on cancel but not on refund, and
 * mistakes named by field.
 */
class CampaignsIT {
    @TempDir
    Path dataDir;

    @RegisterExtension
    final ItServer running = new ItServer();

    /** SHOE 3.33 and HAT 5.00 of merchant acme (12.5%), SOCK 19.99 of no merchant; all USD. */
    private void catalog() {
        running.client().upsertMerchant("acme", 1_250);
        running.client()
                .upsertSku(ItFixtures.sku("SHOE", 1_000, 0).toBuilder()
                        .setPriceMinor(333)
                        .setMerchantId("acme")
                        .build());
        running.client().upsertSku(ItFixtures.sku("SOCK", 1_000, 0));
        running.client()
                .upsertSku(ItFixtures.sku("HAT", 1_000, 0).toBuilder()
                        .setPriceMinor(500)
                        .setMerchantId("acme")
                        .build());
    }

    /** An AMOUNT_OFF campaign in USD for every SKU, budget 100, 10 a user, changed by {@code terms}. */
    private Campaign define(String campaignId, UnaryOperator<Campaign.Builder> terms) {
        return running.client().upsertCampaign(campaign(campaignId, terms));
    }

    private static Campaign campaign(String campaignId, UnaryOperator<Campaign.Builder> terms) {
        return terms.apply(Campaign.newBuilder()
                        .setCampaignId(campaignId)
                        .setKind(CampaignKind.CAMPAIGN_KIND_AMOUNT_OFF)
                        .setCurrency("USD")
                        .setAmountOffMinor(100)
                        .setBudget(100)
                        .setPerUserLimit(10))
                .build();
    }

    private static OrderLine line(String skuId, int quantity) {
        return OrderLine.newBuilder().setSkuId(skuId).setQuantity(quantity).build();
    }

    private ReserveReply reserve(String userId, String campaignId, OrderLine... lines) {
        return running.client().reserve(running.client().newRequestId(), userId, List.of(lines), campaignId);
    }

    private static long grossLessDiscount(Order order) {
        return order.getLinesList().stream()
                .mapToLong(line -> line.getGrossMinor() - line.getDiscountMinor())
                .sum();
    }

    /** Every figure of the order adds up: the lines' discounts to the order's, gross less discount to its amount. */
    private static void assertAddsUp(Order order) {
        assertThat(order.getLinesList().stream()
                        .mapToLong(OrderLine::getDiscountMinor)
                        .sum())
                .as("the lines' discounts")
                .isEqualTo(order.getDiscountMinor());
        assertThat(grossLessDiscount(order)).as("gross less discount").isEqualTo(order.getAmountMinor());
        for (OrderLine line : order.getLinesList()) {
            assertThat(line.getDiscountMinor() + line.getCommissionMinor() + line.getNetMinor())
                    .as("discount + commission + net of %s", line.getSkuId())
                    .isEqualTo(line.getGrossMinor());
        }
        assertThat(order.getNetMinor()).isEqualTo(order.getAmountMinor() - order.getCommissionMinor());
    }

    @Test
    void eachKindShouldDiscountTheOrderAndEveryFigureShouldAddUpInAnswersAndEvents() {
        running.start(dataDir);
        catalog();
        Campaign tenOff = define(
                "TENOFF", c -> c.setAmountOffMinor(1_001).addSkuIds("SHOE").addSkuIds("SOCK"));
        assertThat(tenOff.getSkuIdsList()).containsExactly("SHOE", "SOCK");
        assertThat(tenOff.getRedeemed()).isZero();
        define(
                "ACME15",
                c -> c.setKind(CampaignKind.CAMPAIGN_KIND_PERCENT_OFF)
                        .setAmountOffMinor(0)
                        .setPercentOffBps(1_500)
                        .setPercentCapMinor(150)
                        .setMerchantId("acme"));
        define(
                "SPEND20",
                c -> c.setKind(CampaignKind.CAMPAIGN_KIND_SPEND_AND_SAVE)
                        .setMinSpendMinor(2_000)
                        .setAmountOffMinor(300));

        // AMOUNT_OFF on SHOE (999) and SOCK (1,999), not HAT: 1,001 split 333.55 / 667.44, the unit
        // left over to SHOE's larger remainder.
        ReserveReply amountOff = reserve("alice", "TENOFF", line("SHOE", 3), line("SOCK", 1), line("HAT", 1));
        assertThat(amountOff.getResult()).isEqualTo(ReserveResult.RESERVED);
        assertThat(amountOff.getDiscountMinor()).isEqualTo(1_001);
        assertThat(amountOff.getAmountMinor()).isEqualTo(999 + 1_999 + 500 - 1_001);
        Order alice = running.client().getOrder(amountOff.getOrderId());
        assertAddsUp(alice);
        assertThat(alice.getCampaignId()).isEqualTo("TENOFF");
        assertThat(alice.getDiscountMinor()).isEqualTo(1_001);
        assertThat(alice.getLinesList()).extracting(OrderLine::getDiscountMinor).containsExactly(334L, 667L, 0L);
        OrderLine shoes = alice.getLines(0);
        assertThat(shoes.getCommissionMinor()).as("12.5% of 999 - 334 = 83.125").isEqualTo(83);
        assertThat(shoes.getNetMinor()).isEqualTo(582);
        assertThat(alice.getLines(2).getCommissionMinor())
                .as("HAT undiscounted: 62.5 half up")
                .isEqualTo(63);

        // PERCENT_OFF of acme's SHOE (666) and HAT (500): 15% of 1,166 is 174, capped at 150.
        ReserveReply percent = reserve("bob", "ACME15", line("SHOE", 2), line("SOCK", 1), line("HAT", 1));
        assertThat(percent.getDiscountMinor()).isEqualTo(150);
        Order bob = running.client().getOrder(percent.getOrderId());
        assertAddsUp(bob);
        assertThat(bob.getLines(1).getDiscountMinor()).as("SOCK is not acme's").isZero();

        // SPEND_AND_SAVE: 300 off once at least 20.00 is spent.
        assertThat(reserve("carol", "SPEND20", line("SOCK", 1)).getResult())
                .as("19.99 is under the min spend")
                .isEqualTo(ReserveResult.CAMPAIGN_NOT_APPLICABLE);
        ReserveReply spend = reserve("carol", "SPEND20", line("SOCK", 2));
        assertThat(spend.getDiscountMinor()).isEqualTo(300);
        assertThat(spend.getAmountMinor()).isEqualTo(3_998 - 300);
        assertAddsUp(running.client().getOrder(spend.getOrderId()));

        // The payment carries what the buyer pays; then a refund of one SHOE gives back what it paid:
        // paid(n) = 333n - floor(334n / 3), so paid(3) - paid(2) = 665 - 444.
        Order paid = running.client()
                .confirm(
                        amountOff.getOrderId(),
                        Payment.newBuilder()
                                .setProvider("psp")
                                .setPaymentId("pay-alice")
                                .setAmountMinor(amountOff.getAmountMinor())
                                .setCurrency("USD")
                                .build());
        assertThat(paid.getPayment().getAmountMinor()).isEqualTo(2_497);
        Order partly = running.client()
                .refund("refund-1", amountOff.getOrderId(), List.of(line("SHOE", 1)), "too small", true);
        assertThat(partly.getLines(0).getRefundedAmountMinor()).isEqualTo(221);
        assertThat(partly.getRefundedAmountMinor()).isEqualTo(221);
        assertThat(partly.getLines(0).getRefundedCommissionMinor())
                .as("83 less the commission of the 444 kept (55.5 -> 56)")
                .isEqualTo(27);
        Order refunded = running.client().refund(amountOff.getOrderId());
        assertThat(refunded.getRefundedAmountMinor()).as("all of what was paid").isEqualTo(2_497);
        assertThat(refunded.getRefundedCommissionMinor()).isEqualTo(refunded.getCommissionMinor());

        // The change feed shows the same figures, the discount included.
        List<OrderEvent> ofAlice = new ArrayList<>();
        Iterator<OrderEvent> events = OrderEventsGrpc.newBlockingStub(running.channel())
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .subscribe(SubscribeRequest.newBuilder().setFromSequence(0).build());
        while (ofAlice.size() < 4) {
            OrderEvent event = events.next();
            if (event.hasOrder() && event.getOrder().getOrderId() == amountOff.getOrderId()) {
                ofAlice.add(event);
            }
        }
        assertThat(ofAlice)
                .extracting(OrderEvent::getType)
                .containsExactly(
                        OrderEventType.ORDER_EVENT_TYPE_ORDER_RESERVED,
                        OrderEventType.ORDER_EVENT_TYPE_ORDER_PAID,
                        OrderEventType.ORDER_EVENT_TYPE_ORDER_PARTLY_REFUNDED,
                        OrderEventType.ORDER_EVENT_TYPE_ORDER_REFUNDED);
        assertThat(ofAlice.get(0).getOrder()).isEqualTo(alice);
        assertThat(ofAlice.get(2).getOrder()).isEqualTo(partly);
        assertThat(ofAlice.get(3).getOrder()).isEqualTo(refunded);
        OrderLine back = ofAlice.get(2).getRefundLines(0);
        assertThat(back.getQuantity()).isEqualTo(1);
        assertThat(back.getGrossMinor()).isEqualTo(333);
        assertThat(back.getDiscountMinor()).as("333 - 221").isEqualTo(112);
        assertThat(back.getCommissionMinor()).isEqualTo(27);
        assertThat(back.getNetMinor()).isEqualTo(333 - 112 - 27);
        long discountBack = back.getDiscountMinor();
        long paidBack = back.getGrossMinor() - back.getDiscountMinor();
        for (OrderLine rest : ofAlice.get(3).getRefundLinesList()) {
            discountBack += rest.getDiscountMinor();
            paidBack += rest.getGrossMinor() - rest.getDiscountMinor();
        }
        assertThat(discountBack).isEqualTo(1_001);
        assertThat(paidBack).isEqualTo(2_497);

        // Metrics: the campaign tables and each campaign's redemptions against its budget.
        ItFixtures.awaitTrue(
                "campaign gauges",
                Duration.ofSeconds(10),
                () -> Double.valueOf(1.0)
                        .equals(MetricsEndpointIT.sampleOrNull(
                                ItFixtures.metricsText(running.server()),
                                "checkout_campaign_redeemed{campaign=\"TENOFF\"}")));
        String scrape = ItFixtures.metricsText(running.server());
        assertThat(MetricsEndpointIT.sample(scrape, "checkout_campaign_budget{campaign=\"TENOFF\"}"))
                .isEqualTo(100);
        assertThat(MetricsEndpointIT.sample(scrape, "checkout_campaign_redeemed{campaign=\"SPEND20\"}"))
                .isEqualTo(1);
        assertThat(MetricsEndpointIT.sample(scrape, "checkout_table_used_entries{table=\"campaigns\"}"))
                .isEqualTo(3);
        assertThat(MetricsEndpointIT.sample(scrape, "checkout_table_capacity_entries{table=\"campaigns\"}"))
                .as("the default campaign-capacity")
                .isEqualTo(4_096);
        assertThat(MetricsEndpointIT.sample(scrape, "checkout_table_used_entries{table=\"redemptions\"}"))
                .as("alice, bob and carol each hold one campaign's")
                .isEqualTo(3);
    }

    @Test
    void eachRefusalShouldBeAnsweredByNameAndReserveNothing() throws Exception {
        running.start(dataDir);
        catalog();
        define("TENOFF", c -> c.addSkuIds("SHOE").addSkuIds("SOCK"));
        define("OVER", c -> c.setStartsAtEpochMillis(1).setEndsAtEpochMillis(2));
        define("EUROS", c -> c.setCurrency("EUR"));
        define("ONCE", c -> c.setBudget(1));
        define("ONEEACH", c -> c.setPerUserLimit(1));

        assertThat(reserve("dave", "NOPE", line("SHOE", 1)).getResult()).isEqualTo(ReserveResult.CAMPAIGN_UNKNOWN);
        assertThat(reserve("dave", "OVER", line("SHOE", 1)).getResult()).isEqualTo(ReserveResult.CAMPAIGN_NOT_ACTIVE);
        assertThat(reserve("dave", "TENOFF", line("HAT", 1)).getResult())
                .as("no line it applies to")
                .isEqualTo(ReserveResult.CAMPAIGN_NOT_APPLICABLE);
        assertThat(reserve("dave", "EUROS", line("HAT", 1)).getResult())
                .as("another currency")
                .isEqualTo(ReserveResult.CAMPAIGN_NOT_APPLICABLE);
        assertThat(reserve("dave", "ONCE", line("HAT", 1)).getResult()).isEqualTo(ReserveResult.RESERVED);
        ReserveReply exhausted = reserve("erin", "ONCE", line("HAT", 1));
        assertThat(exhausted.getResult()).isEqualTo(ReserveResult.CAMPAIGN_BUDGET_EXHAUSTED);
        assertThat(exhausted.getFailedSkuId())
                .as("the campaign, not a line, refused it")
                .isEmpty();
        assertThat(exhausted.getOrderId()).isZero();
        assertThat(reserve("erin", "ONEEACH", line("HAT", 1)).getResult()).isEqualTo(ReserveResult.RESERVED);
        assertThat(reserve("erin", "ONEEACH", line("HAT", 1)).getResult())
                .isEqualTo(ReserveResult.CAMPAIGN_USER_LIMIT_REACHED);
        assertThat(reserve("frank", "ONEEACH", line("HAT", 1)).getResult())
                .as("another user has their own")
                .isEqualTo(ReserveResult.RESERVED);

        assertThat(running.client().getStock("SHOE").getReserved())
                .as("nothing reserved")
                .isZero();
        assertThat(running.client().getStock("HAT").getReserved())
                .as("the three RESERVED")
                .isEqualTo(3);
        assertThat(running.client().getCampaign("ONEEACH").getRedeemed()).isEqualTo(2);
        assertThat(running.client().getCampaign("ONEEACH").getRedeemingUsers()).isEqualTo(2);
        assertThat(reserve("gina", "", line("HAT", 1)).getDiscountMinor())
                .as("no campaign")
                .isZero();

        // The reserve streams answer the same way, item by item.
        try (StreamingReserver stream = running.client().openReserveStream(4);
                BatchStreamingReserver batches = running.client().openReserveBatchStream(4, 4)) {
            ReserveReply streamed =
                    stream.submit(streamed("s-1", "hana", "TENOFF")).get(10, TimeUnit.SECONDS);
            assertThat(streamed.getResult()).isEqualTo(ReserveResult.RESERVED);
            assertThat(streamed.getDiscountMinor()).isEqualTo(100);
            List<CompletableFuture<ReserveReply>> batched =
                    batches.submit(List.of(streamed("b-1", "ivan", "TENOFF"), streamed("b-2", "ivan", "ONCE")));
            assertThat(batched.get(0).get(10, TimeUnit.SECONDS).getAmountMinor())
                    .isEqualTo(1_999 - 100);
            assertThat(batched.get(1).get(10, TimeUnit.SECONDS).getResult())
                    .isEqualTo(ReserveResult.CAMPAIGN_BUDGET_EXHAUSTED);
        }
    }

    private static ReserveRequest streamed(String requestId, String userId, String campaignId) {
        return ReserveRequest.newBuilder()
                .setRequestId(requestId)
                .setUserId(userId)
                .addLines(line("SOCK", 1))
                .setCampaignId(campaignId)
                .build();
    }

    @Test
    void aRedemptionShouldComeBackOnCancelButNotOnRefund() {
        running.start(dataDir);
        catalog();
        define("TWO", c -> c.setBudget(2).setPerUserLimit(1));

        ReserveReply first = reserve("alice", "TWO", line("SOCK", 1));
        assertThat(running.client().getCampaign("TWO").getRedeemed()).isEqualTo(1);
        ReserveReply second = reserve("bob", "TWO", line("SOCK", 1));
        assertThat(running.client().getCampaign("TWO").getRedeemed()).isEqualTo(2);
        assertThat(reserve("carol", "TWO", line("SOCK", 1)).getResult())
                .isEqualTo(ReserveResult.CAMPAIGN_BUDGET_EXHAUSTED);

        running.client().cancel(first.getOrderId());
        Campaign afterCancel = running.client().getCampaign("TWO");
        assertThat(afterCancel.getRedeemed()).as("a cancel gives it back").isEqualTo(1);
        assertThat(afterCancel.getRedeemingUsers()).isEqualTo(1);
        assertThat(reserve("alice", "TWO", line("SOCK", 1)).getResult())
                .as("and the buyer's own limit with it")
                .isEqualTo(ReserveResult.RESERVED);

        running.client().confirm(second.getOrderId());
        Order refunded = running.client().refund(second.getOrderId());
        assertThat(refunded.getRefundedAmountMinor()).isEqualTo(1_999 - 100);
        assertThat(running.client().getCampaign("TWO").getRedeemed())
                .as("a refund does not give it back")
                .isEqualTo(2);
        assertThat(reserve("bob", "TWO", line("SOCK", 1)).getResult())
                .isEqualTo(ReserveResult.CAMPAIGN_BUDGET_EXHAUSTED);

        // Terms may change at any time; an order keeps its discount.
        Campaign raised = define("TWO", c -> c.setBudget(3).setPerUserLimit(1).setAmountOffMinor(500));
        assertThat(raised.getRedeemed()).isEqualTo(2);
        assertThat(reserve("carol", "TWO", line("SOCK", 1)).getDiscountMinor()).isEqualTo(500);
        assertThat(running.client().getOrder(second.getOrderId()).getDiscountMinor())
                .isEqualTo(100);
    }

    @Test
    void campaignMistakesShouldBeNamedAndChangeNothing() {
        running.start(dataDir);
        catalog();
        assertInvalid(c -> c.setKind(CampaignKind.CAMPAIGN_KIND_UNSPECIFIED), "campaign.kind");
        assertInvalid(c -> c.setCurrency("usd"), "campaign.currency");
        assertInvalid(c -> c.setAmountOffMinor(0), "campaign.amount_off_minor");
        assertInvalid(
                c -> c.setKind(CampaignKind.CAMPAIGN_KIND_PERCENT_OFF)
                        .setAmountOffMinor(0)
                        .setPercentOffBps(10_001),
                "campaign.percent_off_bps");
        assertInvalid(c -> c.setPercentCapMinor(5), "campaign.percent_cap_minor");
        assertInvalid(c -> c.setKind(CampaignKind.CAMPAIGN_KIND_SPEND_AND_SAVE), "campaign.min_spend_minor");
        assertInvalid(c -> c.addSkuIds("SHOE").setMerchantId("acme"), "campaign.sku_ids");
        assertInvalid(c -> c.addSkuIds("SHOE").addSkuIds("SHOE"), "campaign.sku_ids");
        assertInvalid(c -> c.setMerchantId("no spaces"), "campaign.merchant_id");
        assertInvalid(c -> c.setStartsAtEpochMillis(10).setEndsAtEpochMillis(10), "campaign.ends_at_epoch_millis");
        assertInvalid(c -> c.setBudget(0), "campaign.budget");
        assertInvalid(c -> c.setPerUserLimit(1_000_001), "campaign.per_user_limit");
        assertInvalid(c -> c.setCampaignId("bad id"), "campaign.campaign_id");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> running.client().getCampaign("bad id")), "campaign_id");

        StatusRuntimeException unknownSku = ItFixtures.grpcFailure(() -> define("X", c -> c.addSkuIds("NEVER")));
        assertThat(unknownSku.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(ItFixtures.errorInfo(unknownSku).getReason()).isEqualTo("CAMPAIGN_SKU_UNKNOWN");
        assertThat(ItFixtures.errorInfo(unknownSku).getMetadataMap()).containsEntry("field", "campaign.sku_ids");
        StatusRuntimeException unknownMerchant =
                ItFixtures.grpcFailure(() -> define("X", c -> c.setMerchantId("bolt")));
        assertThat(unknownMerchant.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(ItFixtures.errorInfo(unknownMerchant).getReason()).isEqualTo("CAMPAIGN_MERCHANT_UNKNOWN");
        StatusRuntimeException missing =
                ItFixtures.grpcFailure(() -> running.client().getCampaign("X"));
        assertThat(missing.getStatus().getCode()).as("nothing was defined").isEqualTo(Status.Code.NOT_FOUND);
        assertThat(ItFixtures.errorInfo(missing).getReason()).isEqualTo("CAMPAIGN_NOT_FOUND");

        // A reserve's campaign id: checked like every id, an over-long one included.
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> reserve("alice", "bad id", line("SOCK", 1))), "campaign_id");
        ItFixtures.assertInvalidArgument(
                ItFixtures.grpcFailure(() -> reserve("alice", "C".repeat(200), line("SOCK", 1))), "campaign_id");
        assertThat(running.client().getStock("SOCK").getReserved()).isZero();
    }

    private void assertInvalid(UnaryOperator<Campaign.Builder> terms, String field) {
        ItFixtures.assertInvalidArgument(ItFixtures.grpcFailure(() -> define("BAD", terms)), field);
    }
}
