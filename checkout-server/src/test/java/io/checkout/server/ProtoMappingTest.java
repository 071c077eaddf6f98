package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.engine.CurrencyCode;
import io.checkout.engine.LineParties;
import io.checkout.engine.OrderRecord;
import io.checkout.engine.OrderState;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderEvent;
import io.checkout.proto.v1.OrderLine;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The settlement figures of orders with and without a campaign's discount, as answers and order
 * events show them: every split sums exactly, a refund in any number of steps gives back exactly
 * what one refund of the same units would, and an order without a discount shows what it always
 * did.
 */
class ProtoMappingTest {
    private static final String[] SKUS = {"A", "B", "C", "D"};

    /** An order of {@code quantities} at {@code prices}, lines eligible per {@code eligible}, discounted by {@code discount}. */
    private static OrderRecord order(int[] quantities, long[] prices, long eligible, long discount) {
        OrderRecord order = new OrderRecord();
        order.orderId = 7;
        order.userId.set("alice");
        order.lineCount = quantities.length;
        long gross = 0;
        for (int i = 0; i < quantities.length; i++) {
            order.quantities[i] = quantities[i];
            order.unitPricesMinor[i] = prices[i];
            gross += quantities[i] * prices[i];
        }
        order.eligibleLines = eligible;
        order.discountMinor = discount;
        order.campaignNumber = discount == 0 ? -1 : 0;
        order.amountMinor = gross - discount;
        order.currency = CurrencyCode.pack("USD");
        order.state(OrderState.PAID);
        return order;
    }

    private static LineParties parties(int[] bps, String campaignId) {
        LineParties parties = new LineParties();
        for (int i = 0; i < bps.length; i++) {
            parties.set(i, bps[i] == 0 ? null : "m" + i, null, bps[i]);
        }
        parties.campaignId = campaignId;
        return parties;
    }

    @Test
    void anOrderWithoutADiscountShouldShowTheFiguresItAlwaysDid() {
        OrderRecord order = order(new int[] {3, 1}, new long[] {333, 1_999}, 0, 0);
        order.state(OrderState.PARTLY_REFUNDED);
        order.refundedQuantities[0] = 1;

        Order shown = ProtoMapping.toOrder(order, SKUS, parties(new int[] {1_250, 333}, null), 0);

        OrderLine shoes = shown.getLines(0);
        assertThat(shoes.getGrossMinor()).isEqualTo(999);
        assertThat(shoes.getDiscountMinor()).isZero();
        assertThat(shoes.getCommissionMinor()).as("124.875 rounds half up").isEqualTo(125);
        assertThat(shoes.getNetMinor()).isEqualTo(874);
        assertThat(shoes.getRefundedAmountMinor()).isEqualTo(333);
        assertThat(shoes.getRefundedCommissionMinor())
                .as("125 - commission of 666 (83)")
                .isEqualTo(42);
        assertThat(shown.getLines(1).getCommissionMinor()).isEqualTo(67);
        assertThat(shown.getAmountMinor()).isEqualTo(999 + 1_999);
        assertThat(shown.getNetMinor()).isEqualTo(999 + 1_999 - 125 - 67);
        assertThat(shown.getDiscountMinor()).isZero();
        assertThat(shown.getCampaignId()).isEmpty();
        assertThat(shown.getRefundedAmountMinor()).isEqualTo(333);
    }

    @Test
    void aDiscountShouldBeSplitOverTheEligibleLinesAndSettledOnWhatTheBuyerPays() {
        // 1,001 off SHOE (999) and SOCK (1,999), not HAT: 333.55 and 667.44, the unit left to SHOE's larger remainder.
        OrderRecord order = order(new int[] {3, 1, 1}, new long[] {333, 1_999, 500}, 0b011, 1_001);

        Order shown = ProtoMapping.toOrder(order, SKUS, parties(new int[] {1_250, 0, 1_250}, "TENOFF"), 0);

        assertThat(shown.getLinesList()).extracting(OrderLine::getDiscountMinor).containsExactly(334L, 667L, 0L);
        assertThat(shown.getDiscountMinor()).isEqualTo(1_001);
        assertThat(shown.getCampaignId()).isEqualTo("TENOFF");
        assertThat(shown.getAmountMinor()).isEqualTo(999 + 1_999 + 500 - 1_001);
        OrderLine shoes = shown.getLines(0);
        assertThat(shoes.getCommissionMinor()).as("12.5% of 665 = 83.125").isEqualTo(83);
        assertThat(shoes.getNetMinor()).isEqualTo(999 - 334 - 83);
        assertThat(shown.getLines(2).getCommissionMinor())
                .as("12.5% of 500 = 62.5, half up")
                .isEqualTo(63);
        long grossLessDiscount = 0;
        for (OrderLine line : shown.getLinesList()) {
            assertThat(line.getDiscountMinor() + line.getCommissionMinor() + line.getNetMinor())
                    .isEqualTo(line.getGrossMinor());
            grossLessDiscount += line.getGrossMinor() - line.getDiscountMinor();
        }
        assertThat(grossLessDiscount).isEqualTo(shown.getAmountMinor());
        assertThat(shown.getNetMinor()).isEqualTo(shown.getAmountMinor() - shown.getCommissionMinor());
    }

    @Test
    void aRefundOfPartOfADiscountedLineShouldGiveBackWhatItsUnitsPaid() {
        OrderRecord order = order(new int[] {3, 1, 1}, new long[] {333, 1_999, 500}, 0b011, 1_001);
        LineParties parties = parties(new int[] {1_250, 0, 1_250}, "TENOFF");
        order.state(OrderState.PARTLY_REFUNDED);
        order.refundedQuantities[0] = 1;

        OrderEvent.Builder event = OrderEvent.newBuilder();
        ProtoMapping.addRefundLines(order, SKUS, parties, new int[] {1, 0, 0}, event);
        Order shown = ProtoMapping.toOrder(order, SKUS, parties, 0);

        // SHOE: 3 units, discount 334: paid(n) = 333n - floor(334n / 3): 665 for 3, 444 for the 2 kept.
        assertThat(shown.getLines(0).getRefundedAmountMinor()).isEqualTo(665 - 444);
        assertThat(shown.getRefundedAmountMinor()).isEqualTo(221);
        assertThat(shown.getLines(0).getRefundedCommissionMinor())
                .as("83 (of 665) - 56 (of 444: 55.5 half up)")
                .isEqualTo(27);
        OrderLine back = event.getRefundLines(0);
        assertThat(back.getQuantity()).isEqualTo(1);
        assertThat(back.getGrossMinor()).isEqualTo(333);
        assertThat(back.getDiscountMinor()).isEqualTo(112);
        assertThat(back.getGrossMinor() - back.getDiscountMinor()).isEqualTo(221);
        assertThat(back.getCommissionMinor()).isEqualTo(27);
        assertThat(back.getNetMinor()).isEqualTo(333 - 112 - 27);
    }

    /**
     * Random orders refunded a unit or a few at a time: the refund lines add up to the order's
     * refunded figures at every step, and once everything is refunded to exactly what was paid, the
     * discount, and the commission charged.
     */
    @Test
    void refundsInAnyStepsShouldAddUpToTheOrdersFigures() {
        Random random = new Random(20);
        for (int round = 0; round < 2_000; round++) {
            int lines = 1 + random.nextInt(4);
            int[] quantities = new int[lines];
            long[] prices = new long[lines];
            int[] bps = new int[lines];
            long eligible = 0;
            long eligibleGross = 0;
            for (int i = 0; i < lines; i++) {
                quantities[i] = 1 + random.nextInt(7);
                prices[i] = random.nextInt(5) == 0 ? 0 : 1 + random.nextInt(random.nextBoolean() ? 100 : 100_000);
                bps[i] = random.nextInt(3) == 0 ? 0 : random.nextInt(10_001);
                if (random.nextInt(3) != 0) {
                    eligible |= 1L << i;
                    eligibleGross += quantities[i] * prices[i];
                }
            }
            long discount = eligibleGross == 0
                    ? 0
                    : random.nextInt(4) == 0 ? eligibleGross : random.nextLong(eligibleGross + 1);
            OrderRecord order = order(quantities, prices, eligible, discount);
            LineParties parties = parties(bps, discount == 0 ? null : "C");
            Order paid = ProtoMapping.toOrder(order, SKUS, parties, 0);
            assertThat(paid.getLinesList().stream()
                            .mapToLong(OrderLine::getDiscountMinor)
                            .sum())
                    .isEqualTo(discount);

            long backGross = 0;
            long backDiscount = 0;
            long backCommission = 0;
            long backNet = 0;
            order.state(OrderState.PARTLY_REFUNDED);
            boolean left = true;
            while (left) {
                int[] now = new int[lines];
                for (int i = 0; i < lines; i++) {
                    int rest = quantities[i] - order.refundedQuantities[i];
                    now[i] = rest == 0 || random.nextBoolean() ? 0 : 1 + random.nextInt(rest);
                    order.refundedQuantities[i] += now[i];
                }
                OrderEvent.Builder event = OrderEvent.newBuilder();
                ProtoMapping.addRefundLines(order, SKUS, parties, now, event);
                for (OrderLine line : event.getRefundLinesList()) {
                    assertThat(line.getDiscountMinor()).isBetween(0L, line.getGrossMinor());
                    assertThat(line.getDiscountMinor() + line.getCommissionMinor() + line.getNetMinor())
                            .isEqualTo(line.getGrossMinor());
                    backGross += line.getGrossMinor();
                    backDiscount += line.getDiscountMinor();
                    backCommission += line.getCommissionMinor();
                    backNet += line.getNetMinor();
                }
                Order shown = ProtoMapping.toOrder(order, SKUS, parties, 0);
                assertThat(backGross - backDiscount).isEqualTo(shown.getRefundedAmountMinor());
                assertThat(backCommission).isEqualTo(shown.getRefundedCommissionMinor());
                left = false;
                for (int i = 0; i < lines; i++) {
                    left |= order.refundedQuantities[i] < quantities[i];
                }
            }
            assertThat(backGross - backDiscount).isEqualTo(paid.getAmountMinor());
            assertThat(backDiscount).isEqualTo(discount);
            assertThat(backCommission).isEqualTo(paid.getCommissionMinor());
            assertThat(backNet).isEqualTo(paid.getNetMinor());
        }
    }
}
