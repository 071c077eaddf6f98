package io.checkout.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.checkout.client.CheckoutClient;
import io.checkout.proto.v1.Campaign;
import io.checkout.proto.v1.CampaignKind;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.OrderState;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.UpsertSkuRequest;
import io.checkout.server.CheckoutServer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code checkout-settle} against the real server after a sale with payments, refunds in part and
 * in whole, cancellations, a rate change, two currencies and two campaigns (amount off some SKUs,
 * percent off all) on some orders: its per-merchant totals equal what the orders themselves say
 * (read back with GetOrder: paid is gross less discount, refunded what the lines' refunds gave
 * back), for the whole stream, for a time range, and when a run is split in two by its checkpoint
 * file.
 */
class SettleIT {
    @TempDir
    Path directory;

    private CheckoutServer server;
    private CheckoutClient admin;
    private final List<Long> orderIds = new ArrayList<>();

    @BeforeEach
    void startServer() {
        server = TestServers.start(directory.resolve("data"));
        admin = CheckoutClient.builder("127.0.0.1:" + server.port())
                .adminToken(TestServers.adminToken(directory.resolve("data")))
                .build();
    }

    @AfterEach
    void stopServer() {
        admin.close();
        server.close();
    }

    private void sku(String skuId, String merchantId, long price, String currency) {
        admin.upsertSku(UpsertSkuRequest.newBuilder()
                .setSkuId(skuId)
                .setPriceMinor(price)
                .setCurrency(currency)
                .setTotalStock(10_000)
                .setReservationTtlMillis(3_600_000)
                .setMerchantId(merchantId)
                .build());
    }

    /**
     * A seeded mix: most orders paid, some then refunded in part or whole, some cancelled or left
     * reserved; in EUR, a third name campaign SAVE5 and a third TENPC.
     */
    private List<Long> sell(SplittableRandom random, int orders, String currency) {
        List<String> skus = currency.equals("EUR") ? List.of("A", "B", "C") : List.of("D");
        List<Long> made = new ArrayList<>();
        for (int i = 0; i < orders; i++) {
            List<OrderLine> lines = new ArrayList<>();
            for (String sku : skus) {
                if (lines.isEmpty() || random.nextBoolean()) {
                    lines.add(OrderLine.newBuilder()
                            .setSkuId(sku)
                            .setQuantity(1 + random.nextInt(5))
                            .build());
                }
            }
            String campaignId =
                    currency.equals("EUR") ? List.of("", "SAVE5", "TENPC").get(random.nextInt(3)) : "";
            var reply = admin.reserve(admin.newRequestId(), "user-" + random.nextInt(1_000_000), lines, campaignId);
            assertThat(reply.getResult()).isEqualTo(ReserveResult.RESERVED);
            assertThat(reply.getDiscountMinor() > 0).isEqualTo(!campaignId.isEmpty());
            long orderId = reply.getOrderId();
            made.add(orderId);
            int fate = random.nextInt(10);
            if (fate == 0) {
                admin.cancel(orderId);
                continue;
            }
            if (fate == 1) {
                continue;
            }
            admin.confirm(orderId);
            if (fate < 5) {
                OrderLine first = lines.get(0);
                int units = 1 + random.nextInt(first.getQuantity());
                Order refunded = admin.refund(
                        admin.newRequestId(),
                        orderId,
                        List.of(first.toBuilder().setQuantity(units).build()),
                        "returned",
                        true);
                if (fate == 2 && refunded.getState() == OrderState.ORDER_STATE_PARTLY_REFUNDED) {
                    admin.refund(orderId);
                }
            }
        }
        orderIds.addAll(made);
        return made;
    }

    /**
     * What the orders say, per merchant and currency: the columns settle prints, paid (gross less
     * discount), refunded, commission kept, and the discount kept (the line's less that of its
     * refunded units, their gross less what they gave back).
     */
    private Map<String, long[]> expected(List<Long> ids) {
        Map<String, long[]> rows = new TreeMap<>();
        for (long id : ids) {
            Order order = admin.getOrder(id);
            if (order.getState() != OrderState.ORDER_STATE_PAID
                    && order.getState() != OrderState.ORDER_STATE_PARTLY_REFUNDED
                    && order.getState() != OrderState.ORDER_STATE_REFUNDED) {
                continue;
            }
            for (OrderLine line : order.getLinesList()) {
                String merchant = line.getMerchantId().isEmpty() ? SettlementLedger.NO_MERCHANT : line.getMerchantId();
                long[] row = rows.computeIfAbsent(merchant + "/" + order.getCurrency(), key -> new long[4]);
                row[0] += line.getGrossMinor() - line.getDiscountMinor();
                row[1] += line.getRefundedAmountMinor();
                row[2] += line.getCommissionMinor() - line.getRefundedCommissionMinor();
                row[3] += line.getDiscountMinor()
                        - (line.getRefundedQuantity() * line.getUnitPriceMinor() - line.getRefundedAmountMinor());
            }
        }
        return rows;
    }

    private JsonNode settle(String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<String> all = new ArrayList<>(
                List.of("settle", "--target", "127.0.0.1:" + server.port(), "--format", "json", "--idle", "1s"));
        all.addAll(List.of(args));
        assertThat(TestServers.loadgen(out, all.toArray(String[]::new))).isZero();
        return new ObjectMapper().readTree(out.toString(StandardCharsets.UTF_8));
    }

    private static Map<String, long[]> totals(JsonNode report) {
        Map<String, long[]> rows = new TreeMap<>();
        for (JsonNode row : report.get("merchants")) {
            long paid = row.get("paid_minor").asLong();
            long refunded = row.get("refunded_minor").asLong();
            long commission = row.get("commission_minor").asLong();
            long discount = row.get("discount_minor").asLong();
            assertThat(row.get("net_minor").asLong()).isEqualTo(paid - refunded - commission);
            if (paid == 0 && refunded == 0 && commission == 0 && discount == 0) {
                continue;
            }
            rows.put(
                    row.get("merchant").asText() + "/" + row.get("currency").asText(),
                    new long[] {paid, refunded, commission, discount});
        }
        return rows;
    }

    @Test
    void totalsShouldEqualTheOrdersFiguresForTheStreamARangeAndACheckpointedRun() throws Exception {
        admin.upsertMerchant("acme", 1_250);
        admin.upsertMerchant("bolt", 333);
        sku("A", "acme", 333, "EUR");
        sku("B", "bolt", 1_999, "EUR");
        sku("C", "", 500, "EUR");
        sku("D", "acme", 777, "USD");
        admin.upsertCampaign(Campaign.newBuilder()
                .setCampaignId("SAVE5")
                .setKind(CampaignKind.CAMPAIGN_KIND_AMOUNT_OFF)
                .setCurrency("EUR")
                .setAmountOffMinor(500)
                .addSkuIds("A")
                .addSkuIds("B")
                .setBudget(1_000_000)
                .setPerUserLimit(1_000)
                .build());
        admin.upsertCampaign(Campaign.newBuilder()
                .setCampaignId("TENPC")
                .setKind(CampaignKind.CAMPAIGN_KIND_PERCENT_OFF)
                .setCurrency("EUR")
                .setPercentOffBps(1_000)
                .setBudget(1_000_000)
                .setPerUserLimit(1_000)
                .build());
        SplittableRandom random = new SplittableRandom(19);
        List<Long> before = new ArrayList<>(sell(random, 40, "EUR"));
        before.addAll(sell(random, 10, "USD"));
        Thread.sleep(20);
        long boundary = System.currentTimeMillis();
        Thread.sleep(20);
        admin.upsertMerchant("acme", 2_000);
        List<Long> after = new ArrayList<>(sell(random, 40, "EUR"));

        Map<String, long[]> expectedAll = expected(orderIds);
        JsonNode all = settle();
        assertThat(totals(all)).usingRecursiveComparison().isEqualTo(expectedAll);
        assertThat(totals(all)).containsKeys("acme/EUR", "acme/USD", "bolt/EUR", "(none)/EUR");
        assertThat(totals(all).get("acme/EUR")[3])
                .as("acme's EUR sales carried discounts")
                .isPositive();
        assertThat(totals(all).get("acme/USD")[3]).as("no campaign in USD").isZero();

        assertThat(totals(settle("--until", Long.toString(boundary))))
                .as("up to the boundary: the first orders only")
                .usingRecursiveComparison()
                .isEqualTo(expected(before));
        assertThat(totals(settle("--since", Long.toString(boundary))))
                .as("from the boundary: the later orders only")
                .usingRecursiveComparison()
                .isEqualTo(expected(after));

        Path checkpoint = directory.resolve("settle.checkpoint.json");
        JsonNode first = settle("--checkpoint", checkpoint.toString(), "--max-events", "50");
        assertThat(first.get("last_sequence").asLong()).isEqualTo(50);
        assertThat(Files.readString(checkpoint)).contains("\"lastSequence\" : 50");
        JsonNode resumed = settle("--checkpoint", checkpoint.toString());
        assertThat(totals(resumed))
                .as("a run split by its checkpoint adds up to one whole run")
                .usingRecursiveComparison()
                .isEqualTo(expectedAll);
        assertThat(resumed.get("last_sequence").asLong())
                .isEqualTo(all.get("last_sequence").asLong());
    }

    @Test
    void badOptionsShouldBeNamed() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(TestServers.loadgen(out, "settle", "--target", "127.0.0.1:" + server.port(), "--format", "xml"))
                .isEqualTo(SettleCommand.EXIT_USAGE);
        assertThat(TestServers.loadgen(out, "settle", "--target", "127.0.0.1:" + server.port(), "--since", "yesterday"))
                .isEqualTo(SettleCommand.EXIT_USAGE);
    }
}
