package io.checkout.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.client.CheckoutClient;
import io.checkout.proto.v1.Campaign;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.OrderState;
import io.checkout.server.CheckoutServer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coupon scenario through the real server on loopback: a campaign whose budget is smaller than
 * the crowd runs out, cancels give redemptions back, and the audit (its campaign checks included)
 * passes.
 */
class CouponIT {

    @TempDir
    Path directory;

    private CheckoutServer server;

    @BeforeEach
    void startServer() {
        server = TestServers.start(directory.resolve("data"));
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void aBudgetSmallerThanTheCrowdRunsOutAndTheAuditPasses() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Path json = directory.resolve("coupon.json");
        Path html = directory.resolve("coupon.html");
        String adminToken = TestServers.adminToken(directory.resolve("data"));
        // 300/s for 4 s, 80% of the reserves naming an amount-off campaign of 40 redemptions, one per
        // user, from 300 buyers of the flash sale's 3 SKUs (one unit each per buyer): about 960 reserves
        // name it, so the budget runs out early; a fifth of the orders are cancelled, giving a
        // redemption back to the next in line.
        int exit = TestServers.loadgen(
                out,
                "--target",
                "127.0.0.1:" + server.port(),
                "--quiet",
                "--admin-token",
                adminToken,
                "--scenario",
                "coupon",
                "--setup",
                "--sku-prefix",
                "cp-",
                "--users",
                "300",
                "--coupon-budget",
                "40",
                "--coupon-amount-off",
                "1500",
                "--coupon-share",
                "0.8",
                "--confirm-ratio",
                "0.6",
                "--cancel-ratio",
                "0.2",
                "--rate",
                "300",
                "--duration",
                "4s",
                "--seed",
                "20",
                "--json",
                json.toString(),
                "--html",
                html.toString());
        String summary = out.toString(StandardCharsets.UTF_8);

        assertThat(exit).as(summary).isZero();
        Matcher runId = Pattern.compile("loadgen run (\\S+):").matcher(summary);
        assertThat(runId.find()).as(summary).isTrue();
        String campaignId = "cp-" + runId.group(1);
        assertThat(summary)
                .contains("coupon: campaign " + campaignId + ", amount-off 1,500 minor, budget 40 redemptions held at"
                        + " once, 1 per user; 80% of reserves name it, from 300 users; an order of 12,999 minor gets"
                        + " 1,500 off")
                .contains("[PASS   ] campaign budget never exceeded: GetCampaign.redeemed <= budget")
                .contains("[PASS   ] the run's orders holding the campaign (reserved or paid) =="
                        + " GetCampaign.redeemed")
                .contains("[PASS   ] the run's count of redemptions held never exceeded the budget")
                .contains("[PASS   ] no user past the per-user redemption limit")
                .contains("[PASS   ] discounts add up on every order read and agree with the answers")
                .contains("[PASS   ] the campaign's refusals were the ones its terms give")
                .contains("[PASS   ] the budget ran out: CAMPAIGN_BUDGET_EXHAUSTED answered")
                .contains("after the audit: campaign " + campaignId + " closed")
                .contains("AUDIT: PASS");

        Report report = Report.fromJson(Files.readString(json));
        assertThat(report.scenario()).isEqualTo("coupon");
        assertThat(report.audit().passed()).isTrue();
        assertThat(report.grpcErrors()).isEmpty();
        assertThat(report.reserveResults())
                .containsKeys(
                        "CAMPAIGN_UNKNOWN",
                        "CAMPAIGN_NOT_ACTIVE",
                        "CAMPAIGN_NOT_APPLICABLE",
                        "CAMPAIGN_BUDGET_EXHAUSTED",
                        "CAMPAIGN_USER_LIMIT_REACHED");
        assertThat(report.reserveResults().get("CAMPAIGN_BUDGET_EXHAUSTED")).isPositive();
        assertThat(report.reserveResults().get("CAMPAIGN_UNKNOWN")).isZero();

        Report.CouponSummary coupon = report.coupon();
        assertThat(coupon.campaignId()).isEqualTo(campaignId);
        assertThat(coupon.kind()).isEqualTo("amount-off");
        assertThat(coupon.budget()).isEqualTo(40);
        assertThat(coupon.partitions()).isEqualTo(1);
        assertThat(coupon.discountPerOrderMinor()).isEqualTo(1_500);
        Report.CouponSummary.Counts named = coupon.named();
        Report.CouponSummary.Counts notNamed = coupon.notNamed();
        // The crowd is far larger than the budget: most reserves naming it find it exhausted.
        assertThat(named.sent()).isGreaterThan(10 * coupon.budget());
        assertThat(named.budgetExhausted()).isGreaterThan(named.reserved());
        assertThat(named.reserved()).isGreaterThanOrEqualTo(coupon.budget());
        assertThat(named.unknown() + named.notActive() + named.notApplicable() + named.failed())
                .isZero();
        assertThat(named.sent())
                .isEqualTo(named.reserved()
                        + named.budgetExhausted()
                        + named.userLimitReached()
                        + named.other()
                        + named.failed());
        // The others buy without it, never refused for it.
        assertThat(notNamed.reserved()).isPositive();
        assertThat(notNamed.budgetExhausted() + notNamed.userLimitReached() + notNamed.notApplicable())
                .isZero();
        assertThat(coupon.discountGivenMinor()).isEqualTo(1_500 * named.reserved());
        assertThat(coupon.peakHeld()).isPositive().isLessThanOrEqualTo(coupon.budget());
        assertThat(coupon.redeemed()).isPositive().isLessThanOrEqualTo(coupon.budget());
        assertThat(coupon.redeemingUsers()).isEqualTo(coupon.redeemed());
        assertThat(Files.readString(html)).contains("Coupon campaign").contains("CAMPAIGN_BUDGET_EXHAUSTED");

        try (CheckoutClient client = CheckoutClient.builder("127.0.0.1:" + server.port())
                .callCredentials(new io.checkout.client.BearerTokenCredentials(adminToken))
                .build()) {
            // The server agrees: the budget held, and the run closed the campaign's window.
            Campaign campaign = client.getCampaign(campaignId);
            assertThat(campaign.getRedeemed()).isEqualTo(coupon.redeemed()).isLessThanOrEqualTo(40);
            assertThat(campaign.getEndsAtEpochMillis()).isPositive();
            assertThat(campaign.getSkuIdsList()).containsExactlyInAnyOrder("cp-0", "cp-1", "cp-2");
            // Its redemptions are the buyers' orders with it, reserved or paid, one per buyer, each 1,500 off.
            Map<String, Integer> byUser = new HashMap<>();
            long held = 0;
            for (int user = 0; user < 300; user++) {
                String userId = "u-" + runId.group(1) + "-" + user;
                for (Order order : client.listUserOrders(userId, 100, null).getOrdersList()) {
                    if (!order.getCampaignId().equals(campaignId)) {
                        assertThat(order.getDiscountMinor()).isZero();
                        continue;
                    }
                    assertThat(order.getDiscountMinor()).isEqualTo(1_500);
                    assertThat(order.getAmountMinor()).isEqualTo(12_999 - 1_500);
                    for (OrderLine line : order.getLinesList()) {
                        assertThat(line.getDiscountMinor() + line.getCommissionMinor() + line.getNetMinor())
                                .isEqualTo(line.getGrossMinor());
                    }
                    if (order.getState() == OrderState.ORDER_STATE_RESERVED
                            || order.getState() == OrderState.ORDER_STATE_PAID) {
                        held++;
                        byUser.merge(userId, 1, Integer::sum);
                    }
                }
            }
            assertThat(held).isEqualTo(campaign.getRedeemed());
            assertThat(byUser.values()).allMatch(count -> count == 1);
        }
    }
}
