package io.checkout.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderEvent;
import io.checkout.proto.v1.OrderEventType;
import io.checkout.proto.v1.OrderLine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The settlement ledger on events made by hand: what buyers paid is the lines' gross less their
 * campaign discount, a refund gives back its refund lines' gross less their discount, a payment too
 * late is what was paid, and net is the sum of the lines' net (gross - discount - commission).
 */
class SettlementLedgerTest {

    @TempDir
    Path directory;

    private long sequence;

    private static OrderLine line(
            String merchant, int quantity, long price, long discount, int bps, long commission, long net) {
        return OrderLine.newBuilder()
                .setSkuId("sku-" + merchant)
                .setMerchantId(merchant)
                .setQuantity(quantity)
                .setUnitPriceMinor(price)
                .setGrossMinor(quantity * price)
                .setDiscountMinor(discount)
                .setCommissionBps(bps)
                .setCommissionMinor(commission)
                .setNetMinor(net)
                .build();
    }

    private OrderEvent event(OrderEventType type, String currency, List<OrderLine> lines, List<OrderLine> refund) {
        long discount = lines.stream().mapToLong(OrderLine::getDiscountMinor).sum();
        long gross = lines.stream().mapToLong(OrderLine::getGrossMinor).sum();
        return OrderEvent.newBuilder()
                .setSequence(++sequence)
                .setType(type)
                .setAtEpochMillis(1_000 + sequence)
                .setOrder(Order.newBuilder()
                        .setOrderId(sequence)
                        .setCurrency(currency)
                        .addAllLines(lines)
                        .setDiscountMinor(discount)
                        .setAmountMinor(gross - discount))
                .addAllRefundLines(refund)
                .build();
    }

    /** The report's cells by merchant/currency, without the two key columns. */
    private static Map<String, List<String>> cells(SettlementLedger ledger) {
        Map<String, List<String>> rows = new TreeMap<>();
        for (SettlementLedger.Row row : ledger.rows()) {
            List<String> cells = SettlementReport.cells(row);
            rows.put(cells.get(0) + "/" + cells.get(1), cells.subList(2, cells.size()));
        }
        return rows;
    }

    private SettlementLedger saleWithDiscounts() {
        SettlementLedger ledger = new SettlementLedger(0, 0, 0);
        // An order of 2 x 10.00 from acme (12.5%) and 1 x 5.00 without a merchant, 4.00 off split
        // 3.20 / 0.80 by gross: acme's commission is on the 16.80 paid, 2.10; net 14.70.
        OrderLine acme = line("acme", 2, 1_000, 320, 1_250, 210, 1_470);
        OrderLine none = line("", 1, 500, 80, 0, 0, 420);
        ledger.apply(event(OrderEventType.ORDER_EVENT_TYPE_ORDER_PAID, "EUR", List.of(acme, none), List.of()));
        // One of acme's two units back: paid(2) - paid(1) = 16.80 - (10.00 - 1.60) = 8.40, its discount
        // share 1.60; commission back 2.10 less that of the 8.40 kept (1.05) = 1.05; net back 7.35.
        OrderLine refundLine = line("acme", 1, 1_000, 160, 1_250, 105, 735);
        ledger.apply(event(
                OrderEventType.ORDER_EVENT_TYPE_ORDER_PARTLY_REFUNDED,
                "EUR",
                List.of(acme, none),
                List.of(refundLine)));
        // A payment too late: what the buyer paid, 10.00 less 1.00 off, is what goes back.
        ledger.apply(event(
                OrderEventType.ORDER_EVENT_TYPE_ORDER_PAID_TOO_LATE,
                "EUR",
                List.of(line("acme", 1, 1_000, 100, 1_250, 113, 787)),
                List.of()));
        // Without a campaign nothing changes: paid is the gross.
        ledger.apply(event(
                OrderEventType.ORDER_EVENT_TYPE_ORDER_PAID,
                "USD",
                List.of(line("acme", 1, 777, 0, 1_250, 97, 680)),
                List.of()));
        // A reservation and a cancel settle nothing.
        ledger.apply(event(
                OrderEventType.ORDER_EVENT_TYPE_ORDER_RESERVED,
                "EUR",
                List.of(line("acme", 1, 1_000, 500, 1_250, 63, 437)),
                List.of()));
        return ledger;
    }

    @Test
    void paidAndRefundedAreWhatBuyersPaidAndGotBackAfterTheirDiscount() {
        SettlementLedger ledger = saleWithDiscounts();

        assertThat(SettlementReport.COLUMNS)
                .containsExactly(
                        "merchant",
                        "currency",
                        "paid_minor",
                        "refunded_minor",
                        "commission_minor",
                        "net_minor",
                        "paid_lines",
                        "refunded_lines",
                        "paid_too_late_minor",
                        "discount_minor");
        // paid, refunded, commission kept, net, paid lines, refunded lines, paid too late, discount kept.
        assertThat(cells(ledger))
                .containsExactly(
                        Map.entry("(none)/EUR", List.of("420", "0", "0", "420", "1", "0", "0", "80")),
                        Map.entry("acme/EUR", List.of("1680", "840", "105", "735", "1", "1", "900", "160")),
                        Map.entry("acme/USD", List.of("777", "0", "97", "680", "1", "0", "0", "0")));
        // net is the lines' net less the refund lines' net: 14.70 - 7.35 for acme, 4.20 without a merchant.
        SettlementLedger.Row acme = ledger.rows().stream()
                .filter(row -> row.merchant.equals("acme") && row.currency.equals("EUR"))
                .findFirst()
                .orElseThrow();
        assertThat(acme.netMinor()).isEqualTo(1_470 - 735);
        assertThat(acme.paidMinor + acme.discountMinor)
                .as("paid + discount == gross")
                .isEqualTo(2_000);
        assertThat(acme.refundedMinor + acme.discountReturnedMinor)
                .as("refunded + its discount == refunded gross")
                .isEqualTo(1_000);
    }

    @Test
    void aCheckpointKeepsTheDiscountsAndAnOlderOneReadsThemAsZero() throws Exception {
        SettlementLedger ledger = saleWithDiscounts();
        Path checkpoint = directory.resolve("settle.json");

        ledger.writeCheckpoint(checkpoint);
        SettlementLedger resumed = SettlementLedger.resume(checkpoint, 0, 0);

        assertThat(cells(resumed)).isEqualTo(cells(ledger));
        assertThat(resumed.lastSequence()).isEqualTo(ledger.lastSequence());

        // A checkpoint written before discounts were kept has no discount fields: they read as 0.
        Path older = directory.resolve("older.json");
        Files.writeString(older, """
                {"lastSequence": 7, "sinceEpochMillis": 0, "untilEpochMillis": 0, "rows": [
                  {"merchant": "acme", "currency": "EUR", "paidMinor": 1000, "refundedMinor": 0,
                   "commissionMinor": 125, "commissionReturnedMinor": 0, "paidTooLateMinor": 0,
                   "paidLines": 1, "refundedLines": 0}]}
                """);
        assertThat(cells(SettlementLedger.resume(older, 0, 0)))
                .containsExactly(Map.entry("acme/EUR", List.of("1000", "0", "125", "875", "1", "0", "0", "0")));
    }
}
