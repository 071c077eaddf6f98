package io.checkout.loadgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.checkout.proto.v1.Campaign;
import io.checkout.proto.v1.CampaignKind;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.OrderState;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.rng.simple.RandomSource;
import org.junit.jupiter.api.Test;

/** The coupon scenario's options, mix, tally, summary and audit checks; seeded, so deterministic. */
class CouponScenarioTest {

    /** What an order of the run costs at --quantity 1. */
    private static final long GROSS = LoadRun.PRICE_MINOR;
    /** Far in the future: no reservation of these tests expires. */
    private static final long LATER = 4_000_000_000_000L;

    private static final Coupon AMOUNT_OFF = new Coupon(Coupon.Kind.AMOUNT_OFF, 3, 1, 1_000, 0, 0, 0.8);

    private static RunSettings settings(String... args) {
        PrintStream discard = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        Loadgen loadgen = new Loadgen(discard, discard, null);
        Loadgen.commandLine(loadgen).parseArgs(args);
        return loadgen.settings("r1");
    }

    private static String[] coupon(String... more) {
        String[] all = new String[more.length + 3];
        all[0] = "--scenario";
        all[1] = "coupon";
        all[2] = "--setup";
        System.arraycopy(more, 0, all, 3, more.length);
        return all;
    }

    private static Scenario scenario(RunSettings settings, long seed) {
        return new Scenario(settings, RandomSource.XO_RO_SHI_RO_128_PP.create(seed), "r1");
    }

    static CouponTally tally(Coupon coupon, int partitions) {
        return new CouponTally(coupon, "r1", partitions, GROSS, 600_000, 1_000);
    }

    static ReserveReply reserved(long orderId, long discount, long expiresAt) {
        return ReserveReply.newBuilder()
                .setResult(ReserveResult.RESERVED)
                .setOrderId(orderId)
                .setDiscountMinor(discount)
                .setAmountMinor(GROSS - discount)
                .setExpiresAtEpochMillis(expiresAt)
                .build();
    }

    static ReserveReply refused(ReserveResult result) {
        return ReserveReply.newBuilder().setResult(result).build();
    }

    @Test
    void defaultsAreTheFlashSaleWithAnAmountOffCampaignOfAHundredRedemptionsOnePerUser() {
        RunSettings settings = settings(coupon());

        assertThat(settings.coupon()).isEqualTo(new Coupon(Coupon.Kind.AMOUNT_OFF, 100, 1, 1_000, 0, 0, 0.8));
        assertThat(settings.skus()).isEqualTo(3);
        assertThat(settings.stock()).isEqualTo(1_000);
        assertThat(settings.perUserLimit()).isEqualTo(1);
        assertThat(settings.confirmRatio()).isEqualTo(0.8);
        assertThat(settings.cancelRatio()).isEqualTo(0.05);
        assertThat(settings.abuse()).isNull();
        // The other scenarios have no campaign.
        assertThat(settings("--scenario", "flash-sale").coupon()).isNull();
        assertThat(settings("--scenario", "abuse", "--setup").coupon()).isNull();
        // Each kind's own defaults: 10% off; spend-and-save with a min spend one unit meets.
        assertThat(settings(coupon("--coupon-kind", "percent-off")).coupon())
                .isEqualTo(new Coupon(Coupon.Kind.PERCENT_OFF, 100, 1, 0, 1_000, 0, 0.8));
        assertThat(settings(coupon("--coupon-kind", "spend-and-save")).coupon())
                .isEqualTo(new Coupon(Coupon.Kind.SPEND_AND_SAVE, 100, 1, 1_000, 0, 10_000, 0.8));
        // The options are taken as given.
        assertThat(settings(coupon(
                                "--coupon-kind",
                                "spend-and-save",
                                "--coupon-budget",
                                "7",
                                "--coupon-per-user",
                                "2",
                                "--coupon-amount-off",
                                "2500",
                                "--coupon-min-spend",
                                "20000",
                                "--coupon-share",
                                "0.5"))
                        .coupon())
                .isEqualTo(new Coupon(Coupon.Kind.SPEND_AND_SAVE, 7, 2, 2_500, 0, 20_000, 0.5));
        assertThat(settings(coupon("--coupon-kind", "percent-off", "--coupon-percent-bps", "10000"))
                        .coupon()
                        .percentOffBps())
                .isEqualTo(10_000);
    }

    @Test
    void badOptionsAreRefusedNamingTheOption() {
        assertThatThrownBy(() -> settings("--scenario", "coupon"))
                .hasMessageContaining("--scenario coupon needs --setup");
        assertThatThrownBy(() -> settings("--coupon-budget", "3"))
                .hasMessageContaining("--coupon-kind, --coupon-budget, --coupon-per-user, --coupon-amount-off,"
                        + " --coupon-percent-bps, --coupon-min-spend and --coupon-share are for --scenario coupon");
        assertThatThrownBy(() -> settings("--scenario", "abuse", "--setup", "--coupon-share", "0.2"))
                .hasMessageContaining("are for --scenario coupon");
        assertThatThrownBy(() -> settings(coupon("--coupon-kind", "bogo")))
                .hasMessageContaining("--coupon-kind must be amount-off, percent-off or spend-and-save, got bogo");
        assertThatThrownBy(() -> settings(coupon("--coupon-budget", "0")))
                .hasMessageContaining("--coupon-budget must be 1..1000000000, got 0");
        assertThatThrownBy(() -> settings(coupon("--coupon-budget", "1000000001")))
                .hasMessageContaining("--coupon-budget must be 1..1000000000");
        assertThatThrownBy(() -> settings(coupon("--coupon-per-user", "0")))
                .hasMessageContaining("--coupon-per-user must be 1..1000000, got 0");
        assertThatThrownBy(() -> settings(coupon("--coupon-per-user", "1000001")))
                .hasMessageContaining("--coupon-per-user must be 1..1000000");
        assertThatThrownBy(() -> settings(coupon("--coupon-amount-off", "0")))
                .hasMessageContaining("--coupon-amount-off must be 1..1000000000000, got 0");
        assertThatThrownBy(() -> settings(coupon("--coupon-amount-off", "1000000000001")))
                .hasMessageContaining("--coupon-amount-off must be 1..1000000000000");
        assertThatThrownBy(() -> settings(coupon("--coupon-kind", "percent-off", "--coupon-percent-bps", "0")))
                .hasMessageContaining("--coupon-percent-bps must be 1..10000, got 0");
        assertThatThrownBy(() -> settings(coupon("--coupon-kind", "percent-off", "--coupon-percent-bps", "10001")))
                .hasMessageContaining("--coupon-percent-bps must be 1..10000");
        assertThatThrownBy(() -> settings(coupon("--coupon-kind", "percent-off", "--coupon-amount-off", "100")))
                .hasMessageContaining("--coupon-amount-off is for --coupon-kind amount-off or spend-and-save");
        assertThatThrownBy(() -> settings(coupon("--coupon-percent-bps", "500")))
                .hasMessageContaining("--coupon-percent-bps is for --coupon-kind percent-off, not amount-off");
        assertThatThrownBy(() -> settings(coupon("--coupon-min-spend", "-1")))
                .hasMessageContaining("--coupon-min-spend must be 0..1000000000000000, got -1");
        assertThatThrownBy(() -> settings(coupon("--coupon-kind", "spend-and-save", "--coupon-min-spend", "0")))
                .hasMessageContaining("--coupon-min-spend must be 1..1000000000000000 with spend-and-save");
        assertThatThrownBy(() -> settings(coupon("--coupon-share", "1.5")))
                .hasMessageContaining("--coupon-share must be 0..1, got 1.5");
        assertThatThrownBy(() -> settings(coupon("--coupon-share", "-0.1")))
                .hasMessageContaining("--coupon-share must be 0..1");
    }

    @Test
    void theDiscountIsWhatTheServersTermsGive() {
        Coupon amountOff = new Coupon(Coupon.Kind.AMOUNT_OFF, 1, 1, 1_000, 0, 0, 1);
        assertThat(amountOff.discountMinor(12_999)).isEqualTo(1_000);
        assertThat(amountOff.discountMinor(600))
                .as("at most what the lines cost")
                .isEqualTo(600);
        assertThat(amountOff.discountMinor(0)).isZero();
        Coupon percent = new Coupon(Coupon.Kind.PERCENT_OFF, 1, 1, 0, 1_250, 0, 1);
        assertThat(percent.discountMinor(12_999)).as("rounded down").isEqualTo(1_624);
        assertThat(percent.discountMinor(7)).as("rounds to 0: does not qualify").isZero();
        assertThat(percent.discountMinor(Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE / 8);
        Coupon spendAndSave = new Coupon(Coupon.Kind.SPEND_AND_SAVE, 1, 1, 2_000, 0, 20_000, 1);
        assertThat(spendAndSave.discountMinor(12_999)).as("below the min spend").isZero();
        assertThat(spendAndSave.discountMinor(25_998)).isEqualTo(2_000);

        Campaign campaign = spendAndSave.campaign("cp-r1", "EUR", List.of("a", "b"), 1_000);
        assertThat(campaign.getKind()).isEqualTo(CampaignKind.CAMPAIGN_KIND_SPEND_AND_SAVE);
        assertThat(campaign.getAmountOffMinor()).isEqualTo(2_000);
        assertThat(campaign.getMinSpendMinor()).isEqualTo(20_000);
        assertThat(campaign.getSkuIdsList()).containsExactly("a", "b");
        assertThat(campaign.getStartsAtEpochMillis()).isEqualTo(1_000);
        assertThat(campaign.getEndsAtEpochMillis()).isZero();
        assertThat(campaign.getBudget()).isEqualTo(1);
        assertThat(campaign.getPerUserLimit()).isEqualTo(1);
        assertThat(Coupon.campaignId("r1")).isEqualTo("cp-r1");
    }

    @Test
    void theShareOfReservesNamingTheCampaignFollowsTheOptionAndTheSeed() {
        Scenario scenario = scenario(settings(coupon("--coupon-share", "0.8")), 5);
        int draws = 100_000;
        int named = 0;
        for (int i = 0; i < draws; i++) {
            named += scenario.nextNamesCampaign() ? 1 : 0;
        }
        assertThat(named / (double) draws).isCloseTo(0.8, within(0.005));

        Scenario first = scenario(settings(coupon()), 7);
        Scenario second = scenario(settings(coupon()), 7);
        List<String> firstDraws = new ArrayList<>();
        List<String> secondDraws = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            firstDraws.add(first.nextSkuId() + " " + first.nextUserId() + " " + first.nextNamesCampaign());
            secondDraws.add(second.nextSkuId() + " " + second.nextUserId() + " " + second.nextNamesCampaign());
        }
        assertThat(firstDraws).isEqualTo(secondDraws);
        // None and all; the other scenarios never name one.
        Scenario none = scenario(settings(coupon("--coupon-share", "0")), 5);
        Scenario all = scenario(settings(coupon("--coupon-share", "1")), 5);
        Scenario flashSale = scenario(settings(), 5);
        for (int i = 0; i < 1_000; i++) {
            assertThat(none.nextNamesCampaign()).isFalse();
            assertThat(all.nextNamesCampaign()).isTrue();
            assertThat(flashSale.nextNamesCampaign()).isFalse();
        }
    }

    @Test
    void theTallyCountsEachOutcomeWithAndWithoutTheCampaignAndRemembersRedemptions() {
        CouponTally tally = tally(new Coupon(Coupon.Kind.AMOUNT_OFF, 2, 1, 1_000, 0, 0, 0.8), 1);
        ReserveResult[] refusals = {
            ReserveResult.CAMPAIGN_BUDGET_EXHAUSTED,
            ReserveResult.CAMPAIGN_BUDGET_EXHAUSTED,
            ReserveResult.CAMPAIGN_USER_LIMIT_REACHED,
            ReserveResult.CAMPAIGN_NOT_APPLICABLE,
            ReserveResult.CAMPAIGN_UNKNOWN,
            ReserveResult.CAMPAIGN_NOT_ACTIVE,
            ReserveResult.SOLD_OUT,
            ReserveResult.LIMIT_EXCEEDED,
            ReserveResult.REJECTED
        };
        for (ReserveResult result : refusals) {
            tally.sent(true);
            tally.answered(true, "u-r1-1", 0, refused(result), 1_000);
        }
        tally.sent(true);
        tally.answered(true, "u-r1-2", 0, reserved(11, 1_000, 900_000), 2_000);
        tally.sent(true);
        tally.answered(true, "u-r1-3", 0, reserved(12, 1_000, 900_000), 2_001);
        tally.sent(true);
        tally.failed(true);
        tally.sent(false);
        tally.answered(false, "u-r1-4", 0, reserved(13, 0, 900_000), 2_002);
        tally.sent(false);
        tally.answered(false, "u-r1-5", 0, refused(ReserveResult.SOLD_OUT), 2_003);
        tally.cancelSent(11, 3_000);
        tally.cancelSent(11, 3_500);
        tally.cancelSent(13, 3_000);

        assertThat(tally.campaignId()).isEqualTo("cp-r1");
        assertThat(tally.expectedDiscountMinor()).isEqualTo(1_000);
        assertThat(tally.count(true, CouponTally.Count.SENT)).isEqualTo(12);
        assertThat(tally.count(true, CouponTally.Count.RESERVED)).isEqualTo(2);
        assertThat(tally.count(true, CouponTally.Count.CAMPAIGN_BUDGET_EXHAUSTED))
                .isEqualTo(2);
        assertThat(tally.count(true, CouponTally.Count.CAMPAIGN_USER_LIMIT_REACHED))
                .isEqualTo(1);
        assertThat(tally.count(true, CouponTally.Count.CAMPAIGN_NOT_APPLICABLE)).isEqualTo(1);
        assertThat(tally.count(true, CouponTally.Count.CAMPAIGN_UNKNOWN)).isEqualTo(1);
        assertThat(tally.count(true, CouponTally.Count.CAMPAIGN_NOT_ACTIVE)).isEqualTo(1);
        assertThat(tally.count(true, CouponTally.Count.OTHER)).isEqualTo(2);
        assertThat(tally.count(true, CouponTally.Count.FAILED)).isEqualTo(2);
        assertThat(tally.count(false, CouponTally.Count.SENT)).isEqualTo(2);
        assertThat(tally.count(false, CouponTally.Count.RESERVED)).isEqualTo(1);
        assertThat(tally.count(false, CouponTally.Count.OTHER)).isEqualTo(1);
        // Only the redemptions: orders 11 and 12; the cancel of 11 counted once, 13 named no campaign.
        assertThat(tally.redemptions()).extracting(r -> r.orderId).containsExactlyInAnyOrder(11L, 12L);
        assertThat(tally.redemption(11).cancelSentAtMillis).isEqualTo(3_000);
        assertThat(tally.redemption(12).cancelSentAtMillis).isZero();
        assertThat(tally.cancelsSent()).isEqualTo(1);
        assertThat(tally.discountGivenMinor()).isEqualTo(2_000);
        assertThat(tally.replyMismatches()).isZero();
        assertThat(tally.untracked()).isZero();
    }

    @Test
    void repliesThatDisagreeWithTheTermsAreNoted() {
        CouponTally tally = tally(new Coupon(Coupon.Kind.AMOUNT_OFF, 5, 1, 1_000, 0, 0, 0.8), 1);
        tally.answered(true, "u-r1-1", 0, reserved(21, 999, 900_000), 1_000);
        tally.answered(
                true,
                "u-r1-2",
                0,
                reserved(22, 1_000, 900_000).toBuilder().setAmountMinor(GROSS).build(),
                1_000);
        tally.answered(false, "u-r1-3", 0, reserved(23, 5, 900_000), 1_000);
        tally.answered(false, "u-r1-4", 0, refused(ReserveResult.CAMPAIGN_BUDGET_EXHAUSTED), 1_000);
        tally.answered(true, "u-r1-5", 0, reserved(24, 1_000, 900_000), 1_000);

        assertThat(tally.replyMismatches()).isEqualTo(4);
        assertThat(tally.replyExamples())
                .containsExactly(
                        "order 21 answered discount 999, amount 12000; the terms give 1000 off 12999, so 11999",
                        "order 22 answered discount 1000, amount 12999; the terms give 1000 off 12999, so 11999",
                        "order 23 named no campaign but was given a discount of 5");
    }

    @Test
    void redemptionsPastTheBoundAreCountedNotRemembered() {
        CouponTally tally =
                new CouponTally(new Coupon(Coupon.Kind.AMOUNT_OFF, 5, 1, 1_000, 0, 0, 0.8), "r1", 1, GROSS, 600_000, 2);
        for (long orderId = 1; orderId <= 5; orderId++) {
            tally.answered(true, "u-r1-" + orderId, 0, reserved(orderId, 1_000, 900_000), 1_000);
        }
        assertThat(tally.redemptions()).hasSize(2);
        assertThat(tally.untracked()).isEqualTo(3);
        assertThat(tally.count(true, CouponTally.Count.RESERVED)).isEqualTo(5);
    }

    @Test
    void thePeakHeldCountsAnswersLessTheCancelsSentAndTheExpiriesDueByThen() {
        // Reservations held 2 s: one sent at t expires no earlier than t + 2,000 on any clock.
        CouponTally tally = new CouponTally(
                new Coupon(Coupon.Kind.AMOUNT_OFF, 3, 1, 1_000, 0, 0, 0.8), "r1", 2, GROSS, 2_000, 1_000);
        // Partition 0: answers at 1,000 and 1,100 (two held), the first's cancel sent at 1,150 (one),
        // answers at 1,200 and 1,300 (two, then three).
        tally.answered(true, "u1", 0, reserved(1, 1_000, LATER), 1_000);
        tally.answered(true, "u2", 0, reserved(2, 1_000, LATER), 1_100);
        tally.cancelSent(1, 1_150);
        tally.answered(true, "u3", 0, reserved(3, 1_000, LATER), 1_200);
        tally.answered(true, "u4", 0, reserved(4, 1_000, LATER), 1_300);
        // Partition 1: a reserve sent at 1,000 (answered at 2,000) may have expired by 3,000, so the
        // answer at 3,000 counts one held, not two; a cancel sent at the same millisecond as an answer
        // counts first.
        tally.answered(true, "u5", 1, reserved(5, 1_000, LATER), 1_000, 2_000);
        tally.answered(true, "u6", 1, reserved(6, 1_000, LATER), 2_990, 3_000);
        tally.answered(true, "u7", 1, reserved(7, 1_000, LATER), 3_050, 3_100);
        tally.cancelSent(6, 3_200);
        tally.answered(true, "u8", 1, reserved(8, 1_000, LATER), 3_150, 3_200);

        assertThat(tally.peakHeld(0)).isEqualTo(3);
        assertThat(tally.peakHeld(1)).isEqualTo(2);
        // Held 10 minutes instead, the first has not expired at 3,100: three held then.
        List<CouponTally.Redemption> partitionOne = tally.redemptions().stream()
                .filter(redemption -> redemption.partition == 1)
                .toList();
        assertThat(CouponTally.peakHeld(partitionOne, 600_000)).isEqualTo(3);
        // A reservation that may have expired before its answer came counts for nothing.
        tally.answered(true, "u9", 1, reserved(9, 1_000, LATER), 5_000, 7_500);
        assertThat(tally.peakHeld(1)).isEqualTo(2);
        assertThat(CouponTally.peakHeld(List.of(), 0)).isZero();
    }

    @Test
    void theSummaryShowsTheCampaignAndBothRows() {
        RunSettings settings = settings(coupon("--coupon-budget", "2", "--users", "500"));
        CouponTally tally = tally(settings.coupon(), 1);
        tally.defined(0, settings.coupon().campaign("cp-r1", "EUR", List.of(), 0));
        tally.sent(true);
        tally.answered(true, "u-r1-1", 0, reserved(1, 1_000, 900_000), 1_000);
        tally.sent(true);
        tally.answered(true, "u-r1-2", 0, refused(ReserveResult.CAMPAIGN_BUDGET_EXHAUSTED), 1_001);
        tally.sent(false);
        tally.answered(false, "u-r1-3", 0, reserved(2, 0, 900_000), 1_002);
        tally.cancelSent(1, 2_000);
        tally.readAtAudit(
                0,
                Campaign.newBuilder()
                        .setCampaignId("cp-r1")
                        .setRedeemed(0)
                        .setRedeemingUsers(0)
                        .build());
        tally.afterwards("after the audit: campaign cp-r1 closed");

        Report.CouponSummary summary = Report.CouponSummary.of(tally);

        assertThat(summary.campaignId()).isEqualTo("cp-r1");
        assertThat(summary.kind()).isEqualTo("amount-off");
        assertThat(summary.terms()).isEqualTo("amount-off 1,000 minor");
        assertThat(summary.budget()).isEqualTo(2);
        assertThat(summary.partitions()).isEqualTo(1);
        assertThat(summary.orderGrossMinor()).isEqualTo(12_999);
        assertThat(summary.discountPerOrderMinor()).isEqualTo(1_000);
        assertThat(summary.named())
                .isEqualTo(new Report.CouponSummary.Counts("with coupon", 2, 1, 1, 0, 0, 0, 0, 0, 0));
        assertThat(summary.notNamed()).isEqualTo(new Report.CouponSummary.Counts("without", 1, 1, 0, 0, 0, 0, 0, 0, 0));
        assertThat(summary.discountGivenMinor()).isEqualTo(1_000);
        assertThat(summary.cancelsSent()).isEqualTo(1);
        assertThat(summary.peakHeld()).isEqualTo(1);
        assertThat(summary.redeemed()).isZero();
        assertThat(summary.afterwards()).isEqualTo("after the audit: campaign cp-r1 closed");
        assertThat(settings.coupon().describe("r1", settings.users(), GROSS))
                .startsWith("coupon: campaign cp-r1, amount-off 1,000 minor, budget 2 redemptions held at once, 1 per"
                        + " user; 80% of reserves name it, from 500 users; an order of 12,999 minor gets 1,000 off");
        assertThat(new Coupon(Coupon.Kind.SPEND_AND_SAVE, 2, 1, 500, 0, 20_000, 0.8).describe("r1", 10, GROSS))
                .contains("spend-and-save 500 minor off a spend of 20,000")
                .contains("does not qualify (CAMPAIGN_NOT_APPLICABLE)");
    }

    // ---- the audit -----------------------------------------------------------------------------

    /** A tally whose campaign stands on partition 0 for SKUs lg-0 and lg-1. */
    private static CouponTally definedTally(Coupon coupon) {
        CouponTally tally = tally(coupon, 1);
        tally.defined(0, coupon.campaign("cp-r1", "EUR", List.of("lg-0", "lg-1"), 0));
        return tally;
    }

    /** The campaign as GetCampaign answers it at the audit. */
    private static void redeemed(CouponTally tally, long redeemed, long users) {
        tally.readAtAudit(
                0,
                tally.defined().get(0).toBuilder()
                        .setRedeemed(redeemed)
                        .setRedeemingUsers(users)
                        .build());
    }

    /** A one-line order of lg-0 as the server keeps it, {@code discount} off, without a merchant. */
    private static Order order(long orderId, String userId, OrderState state, String campaignId, long discount) {
        return Order.newBuilder()
                .setOrderId(orderId)
                .setUserId(userId)
                .setState(state)
                .setCampaignId(campaignId)
                .setDiscountMinor(discount)
                .setAmountMinor(GROSS - discount)
                .setExpiresAtEpochMillis(LATER)
                .addLines(OrderLine.newBuilder()
                        .setSkuId("lg-0")
                        .setQuantity(1)
                        .setUnitPriceMinor(GROSS)
                        .setGrossMinor(GROSS)
                        .setDiscountMinor(discount)
                        .setNetMinor(GROSS - discount))
                .build();
    }

    private static CouponAudit.OrderReads reads(CouponTally tally, Order... orders) {
        CouponAudit.OrderReads reads = new CouponAudit.OrderReads(tally, orderId -> 0, () -> 1_000_000);
        for (Order order : orders) {
            reads.accept(null, order);
        }
        return reads;
    }

    private static Audit.Check named(List<Audit.Check> checks, String prefix) {
        return checks.stream()
                .filter(check -> check.name().startsWith(prefix))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no check " + prefix + " in " + checks));
    }

    @Test
    void theAuditPassesWhenTheBudgetTheUserLimitAndTheDiscountsHold() {
        CouponTally tally = definedTally(AMOUNT_OFF);
        // Three redemptions of a budget of 3; the first cancelled (sent at 2,500), a fourth after it.
        tally.answered(true, "u1", 0, reserved(1, 1_000, LATER), 1_000);
        tally.answered(true, "u2", 0, reserved(2, 1_000, LATER), 2_000);
        tally.answered(true, "u3", 0, reserved(3, 1_000, LATER), 2_200);
        tally.cancelSent(1, 2_500);
        tally.answered(true, "u4", 0, reserved(4, 1_000, LATER), 3_000);
        tally.answered(true, "u5", 0, refused(ReserveResult.CAMPAIGN_BUDGET_EXHAUSTED), 3_100);
        tally.answered(false, "u6", 0, reserved(5, 0, LATER), 3_200);
        redeemed(tally, 3, 3);
        CouponAudit.OrderReads reads = reads(
                tally,
                order(1, "u1", OrderState.ORDER_STATE_CANCELLED, "cp-r1", 1_000),
                order(2, "u2", OrderState.ORDER_STATE_PAID, "cp-r1", 1_000),
                order(3, "u3", OrderState.ORDER_STATE_RESERVED, "cp-r1", 1_000),
                order(4, "u4", OrderState.ORDER_STATE_PAID, "cp-r1", 1_000),
                order(5, "u6", OrderState.ORDER_STATE_PAID, "", 0));

        List<Audit.Check> checks = CouponAudit.checks(tally, reads, null);

        assertThat(checks).extracting(Audit.Check::verdict).containsOnly(Audit.Verdict.PASS);
        assertThat(checks).hasSize(7);
        assertThat(checks.get(0).detail()).isEqualTo("redeemed 3 of budget 3 by 3 user(s)");
        assertThat(checks.get(1).detail())
                .isEqualTo("3 of the run's 4 orders with the campaign hold a redemption, GetCampaign.redeemed 3");
        assertThat(checks.get(2).detail())
                .isEqualTo("at each of the 4 RESERVED answers naming the campaign, the answers so far less the 1"
                        + " cancels of them sent so far and the reservations sent a TTL or more before peaked at 3"
                        + " of budget 3");
        assertThat(checks.get(3).detail())
                .isEqualTo("3 user(s) hold redemptions in the run's orders, the most 1 (limit 1); GetCampaign"
                        + " redeemed 3 by 3 user(s)");
        assertThat(checks.get(4).detail()).startsWith("5 orders read (4 with the campaign)");
        assertThat(new Audit(checks, 0, 0, Map.of()).passed()).isTrue();
    }

    @Test
    void aBudgetExceededOnTheServerOrAsTheRunSawItFailsTheAudit() {
        CouponTally tally = definedTally(AMOUNT_OFF);
        // Four RESERVED answers, no cancel, no expiry: four held at once against a budget of 3.
        for (long orderId = 1; orderId <= 4; orderId++) {
            tally.answered(true, "u" + orderId, 0, reserved(orderId, 1_000, LATER), 1_000 + orderId);
        }
        redeemed(tally, 4, 4);
        CouponAudit.OrderReads reads = reads(
                tally,
                order(1, "u1", OrderState.ORDER_STATE_PAID, "cp-r1", 1_000),
                order(2, "u2", OrderState.ORDER_STATE_PAID, "cp-r1", 1_000),
                order(3, "u3", OrderState.ORDER_STATE_REFUNDED, "cp-r1", 1_000),
                order(4, "u4", OrderState.ORDER_STATE_PARTLY_REFUNDED, "cp-r1", 1_000));

        List<Audit.Check> checks = CouponAudit.checks(tally, reads, null);

        assertThat(named(checks, "campaign budget never exceeded").verdict()).isEqualTo(Audit.Verdict.FAIL);
        assertThat(named(checks, "campaign budget never exceeded").detail())
                .isEqualTo("over: redeemed 4 of budget 3 by 4 user(s)");
        // Refunded orders keep their redemption: the four orders are the four redeemed.
        assertThat(named(checks, "the run's orders holding").verdict()).isEqualTo(Audit.Verdict.PASS);
        assertThat(named(checks, "the run's count").verdict()).isEqualTo(Audit.Verdict.FAIL);
        assertThat(named(checks, "the run's count").detail()).startsWith("over: 4 > 3;");
        // The refusals were right and the budget never ran out: a warning, not a failure.
        assertThat(named(checks, "the campaign's refusals").verdict()).isEqualTo(Audit.Verdict.PASS);
        assertThat(named(checks, "the budget ran out").verdict()).isEqualTo(Audit.Verdict.WARN);
        assertThat(named(checks, "the budget ran out").detail())
                .startsWith("never: 4 RESERVED naming the campaign against a budget of 3");
        assertThat(new Audit(checks, 0, 0, Map.of()).passed()).isFalse();
    }

    @Test
    void heldOrdersThatDisagreeWithRedeemedFailUnlessTheRunCannotKnowOrReservationsExpired() {
        CouponTally tally = definedTally(AMOUNT_OFF);
        tally.answered(true, "u1", 0, reserved(1, 1_000, LATER), 1_000);
        tally.answered(true, "u2", 0, reserved(2, 1_000, LATER), 1_100);
        CouponAudit.OrderReads reads = reads(
                tally,
                order(1, "u1", OrderState.ORDER_STATE_PAID, "cp-r1", 1_000),
                order(2, "u2", OrderState.ORDER_STATE_PAID, "cp-r1", 1_000));

        // The server holds more than the run's orders: a failure.
        redeemed(tally, 3, 3);
        assertThat(CouponAudit.heldEqualsRedeemed(tally, reads, null).verdict()).isEqualTo(Audit.Verdict.FAIL);
        // Or fewer, with nothing expiring.
        redeemed(tally, 1, 1);
        Audit.Check fewer = CouponAudit.heldEqualsRedeemed(tally, reads, null);
        assertThat(fewer.verdict()).isEqualTo(Audit.Verdict.FAIL);
        assertThat(fewer.detail())
                .isEqualTo("2 of the run's 2 orders with the campaign hold a redemption, GetCampaign.redeemed 1;"
                        + " 2 orders hold it, redeemed 1");
        // Calls without an answer: the run cannot know.
        assertThat(CouponAudit.heldEqualsRedeemed(tally, reads, "3 reserves ended without an answer"))
                .isEqualTo(new Audit.Check(
                        "the run's orders holding the campaign (reserved or paid) == GetCampaign.redeemed",
                        Audit.Verdict.SKIPPED,
                        "3 reserves ended without an answer"));
        // A reservation due to expire as the audit read it may have given its redemption back since.
        tally.answered(true, "u3", 0, reserved(3, 1_000, 1_002_000), 1_200);
        CouponAudit.OrderReads expiring = reads(
                tally,
                order(1, "u1", OrderState.ORDER_STATE_PAID, "cp-r1", 1_000),
                order(2, "u2", OrderState.ORDER_STATE_PAID, "cp-r1", 1_000),
                order(3, "u3", OrderState.ORDER_STATE_RESERVED, "cp-r1", 1_000).toBuilder()
                        .setExpiresAtEpochMillis(1_002_000)
                        .build());
        redeemed(tally, 2, 2);
        Audit.Check expired = CouponAudit.heldEqualsRedeemed(tally, expiring, null);
        assertThat(expired.verdict()).isEqualTo(Audit.Verdict.SKIPPED);
        assertThat(expired.detail())
                .endsWith("1 of those reservations were due to expire as the audit read them,"
                        + " which gives their redemptions back");
        // A redemption whose order was not read.
        assertThat(CouponAudit.heldEqualsRedeemed(tally, reads, null).detail())
                .isEqualTo("1 orders that redeemed the campaign could not be read");
    }

    @Test
    void aUserPastTheLimitFailsTheAudit() {
        CouponTally tally = definedTally(new Coupon(Coupon.Kind.AMOUNT_OFF, 10, 2, 1_000, 0, 0, 0.8));
        for (long orderId = 1; orderId <= 3; orderId++) {
            tally.answered(true, "u1", 0, reserved(orderId, 1_000, LATER), 1_000 + orderId);
        }
        redeemed(tally, 3, 1);
        CouponAudit.OrderReads reads = reads(
                tally,
                order(1, "u1", OrderState.ORDER_STATE_PAID, "cp-r1", 1_000),
                order(2, "u1", OrderState.ORDER_STATE_RESERVED, "cp-r1", 1_000),
                order(3, "u1", OrderState.ORDER_STATE_PAID, "cp-r1", 1_000));

        Audit.Check check = CouponAudit.perUser(tally, reads);

        assertThat(check.verdict()).isEqualTo(Audit.Verdict.FAIL);
        assertThat(check.detail())
                .startsWith("over: u1 holds 3; GetCampaign: redeemed 3 by 1 user(s), more than 2 each;");
    }

    @Test
    void discountsThatDoNotAddUpOrDisagreeWithTheAnswerFailTheAudit() {
        CouponTally tally = definedTally(AMOUNT_OFF);
        tally.answered(true, "u1", 0, reserved(1, 1_000, LATER), 1_000);
        tally.answered(true, "u2", 0, reserved(2, 1_000, LATER), 1_000);
        tally.answered(true, "u3", 0, reserved(3, 1_000, LATER), 1_000);
        tally.answered(false, "u4", 0, reserved(4, 0, LATER), 1_000);
        tally.answered(false, "u5", 0, reserved(5, 0, LATER), 1_000);
        Order good = order(1, "u1", OrderState.ORDER_STATE_PAID, "cp-r1", 1_000);
        // The lines' discounts do not sum to the order's, nor gross - discount to the amount.
        Order lines = good.toBuilder()
                .setOrderId(2)
                .setDiscountMinor(900)
                .setLines(0, good.getLines(0).toBuilder().setCommissionMinor(5))
                .build();
        // More off than the terms give, and than the answer said.
        Order more = order(3, "u3", OrderState.ORDER_STATE_PAID, "cp-r1", 1_200);
        // The campaign on an order whose reserve did not name it.
        Order unnamed = order(4, "u4", OrderState.ORDER_STATE_PAID, "cp-r1", 1_000);
        // A discount without a campaign.
        Order stray = order(5, "u5", OrderState.ORDER_STATE_PAID, "", 10);

        CouponAudit.OrderReads reads = reads(tally, good, lines, more, unnamed, stray);
        Audit.Check check = CouponAudit.discounts(tally, reads);

        assertThat(check.verdict()).isEqualTo(Audit.Verdict.FAIL);
        // Order 2: its line's figures, its discount against the lines', against the amount, against the
        // terms and against the answer (5); order 3: against the terms and the answer (2); 4 and 5.
        assertThat(reads.mismatchCount()).isEqualTo(9);
        assertThat(check.detail())
                .startsWith("9 disagree, e.g. order 2 line lg-0: discount 1000 + commission 5 + net 11999 != gross"
                        + " 12999; order 2: discount 900 != its lines' 1000; order 2: gross 12999 - discount 900 !="
                        + " amount 11999;");
        assertThat(reads.mismatches()).hasSize(3);

        // Each on its own.
        assertThat(reads(tally, more).mismatches())
                .containsExactly(
                        "order 3: discount 1200, the terms give 1000 off 12999",
                        "order 3: answered discount 1000, amount 11999; the order has 1200, 11799");
        assertThat(reads(tally, unnamed).mismatches())
                .containsExactly("order 4: carries the campaign, but its reserve did not name it");
        assertThat(reads(tally, stray).mismatches()).containsExactly("order 5: no campaign, but a discount of 10");
        assertThat(reads(tally, good.toBuilder().setCampaignId("").build()).mismatches())
                .contains("order 1: was RESERVED naming the campaign, but has none on the server");
        // An order of a SKU the campaign does not list has nothing eligible.
        Order unlisted = good.toBuilder()
                .setLines(0, good.getLines(0).toBuilder().setSkuId("lg-9"))
                .build();
        assertThat(reads(tally, unlisted).mismatches())
                .contains(
                        "order 1: discount 1000 > eligible gross 0", "order 1: discount 1000, the terms give 0 off 0");
        // A reply that disagreed with the terms fails it too.
        CouponTally replies = definedTally(AMOUNT_OFF);
        replies.answered(true, "u1", 0, reserved(1, 999, LATER), 1_000);
        assertThat(CouponAudit.discounts(replies, reads(replies)).detail())
                .startsWith("1 disagree, e.g. order 1 answered discount 999, amount 12000; the terms give 1000 off"
                        + " 12999, so 11999;");
    }

    @Test
    void refusalsTheTermsDoNotGiveFailTheAudit() {
        CouponTally unknown = definedTally(AMOUNT_OFF);
        unknown.answered(true, "u1", 0, refused(ReserveResult.CAMPAIGN_UNKNOWN), 1_000);
        unknown.answered(true, "u2", 0, refused(ReserveResult.CAMPAIGN_NOT_APPLICABLE), 1_000);
        Audit.Check check = CouponAudit.refusals(unknown);
        assertThat(check.verdict()).isEqualTo(Audit.Verdict.FAIL);
        assertThat(check.detail())
                .startsWith("1 CAMPAIGN_UNKNOWN, 1 CAMPAIGN_NOT_APPLICABLE to orders that qualify; the campaign was"
                        + " defined and open, and an order of 12,999 qualifies (1,000 off)");

        // A min spend above what an order costs: every reserve naming it is CAMPAIGN_NOT_APPLICABLE.
        Coupon tooDear = new Coupon(Coupon.Kind.SPEND_AND_SAVE, 3, 1, 1_000, 0, 20_000, 0.8);
        CouponTally notApplicable = definedTally(tooDear);
        notApplicable.answered(true, "u1", 0, refused(ReserveResult.CAMPAIGN_NOT_APPLICABLE), 1_000);
        assertThat(CouponAudit.refusals(notApplicable).verdict()).isEqualTo(Audit.Verdict.PASS);
        notApplicable.answered(true, "u2", 0, reserved(7, 0, LATER), 1_000);
        assertThat(CouponAudit.refusals(notApplicable).detail())
                .startsWith("1 RESERVED with the campaign for orders that do not qualify");
    }
}
