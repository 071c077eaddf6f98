package io.checkout.loadgen;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderEvent;
import io.checkout.proto.v1.OrderEventType;
import io.checkout.proto.v1.OrderLine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Per-merchant settlement totals built from the order event stream, for one time range of engine
 * time, and the checkpoint that lets a run resume where the last one stopped. A payment (ORDER_PAID)
 * adds to its merchant what the buyer paid for each line, the line's gross less its share of the
 * campaign discount ({@code gross_minor - discount_minor}), and the line's commission (charged on
 * that); a refund (ORDER_REFUNDED, ORDER_PARTLY_REFUNDED) adds what it gave back, line by line
 * ({@code refund_lines}: {@code gross_minor - discount_minor} of the units refunded now, and the
 * commission returned); a payment too late (ORDER_PAID_TOO_LATE) is money to return, what the buyer
 * paid, counted apart. So {@code net = paid - refunded - commission} is the sum of the lines'
 * {@code net_minor = gross - discount - commission}. The discounts are kept beside (given on
 * payments less those of the refunded units). Amounts in different currencies never mix: a row is a
 * (merchant, currency) pair. Not thread-safe: one event handler feeds it.
 */
final class SettlementLedger {
    /** The merchant column of lines whose SKU had no merchant. */
    static final String NO_MERCHANT = "(none)";
    /** Most (merchant, currency) rows; a stream with more is refused rather than growing without bound. */
    static final int ROWS_MAX = 1_000_000;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** One (merchant, currency) row; amounts in minor units. */
    static final class Row {
        @JsonProperty
        final String merchant;

        @JsonProperty
        final String currency;

        /** What buyers paid: the lines' gross less their discounts. */
        @JsonProperty
        long paidMinor;

        /** What refunds gave back to buyers: the refunded units' gross less their discounts. */
        @JsonProperty
        long refundedMinor;
        /** Commission charged on payments. */
        @JsonProperty
        long commissionMinor;
        /** Commission given back by refunds. */
        @JsonProperty
        long commissionReturnedMinor;
        /** Payments that came after the units were gone: to be returned to the buyer, not settled. */
        @JsonProperty
        long paidTooLateMinor;
        /** Campaign discounts on the paid lines (0 in a checkpoint written before discounts were kept). */
        @JsonProperty
        long discountMinor;
        /** The discount share of the units refunded. */
        @JsonProperty
        long discountReturnedMinor;

        @JsonProperty
        long paidLines;

        @JsonProperty
        long refundedLines;

        @JsonCreator
        Row(@JsonProperty("merchant") String merchant, @JsonProperty("currency") String currency) {
            this.merchant = merchant;
            this.currency = currency;
        }

        /** What the merchant is owed: paid, less refunded, less the commission it keeps paying. */
        long netMinor() {
            return paidMinor - refundedMinor - (commissionMinor - commissionReturnedMinor);
        }
    }

    /** The checkpoint file's content: where the stream was read to, the range, and the rows so far. */
    record Checkpoint(
            @JsonProperty("lastSequence") long lastSequence,
            @JsonProperty("sinceEpochMillis") long sinceEpochMillis,
            @JsonProperty("untilEpochMillis") long untilEpochMillis,
            @JsonProperty("rows") List<Row> rows) {}

    private final long sinceEpochMillis;
    private final long untilEpochMillis;
    private final Map<String, Row> rows = new TreeMap<>();
    private long lastSequence;
    private long eventsApplied;

    /**
     * @param untilEpochMillis exclusive; 0 for no end
     */
    SettlementLedger(long afterSequence, long sinceEpochMillis, long untilEpochMillis) {
        this.lastSequence = afterSequence;
        this.sinceEpochMillis = sinceEpochMillis;
        this.untilEpochMillis = untilEpochMillis;
    }

    /** Whether an event at {@code atEpochMillis} is past the range: the stream is in time order, so nothing after it is in range. */
    boolean isPastRange(long atEpochMillis) {
        return untilEpochMillis != 0 && atEpochMillis >= untilEpochMillis;
    }

    long lastSequence() {
        return lastSequence;
    }

    long eventsApplied() {
        return eventsApplied;
    }

    /** Takes one event (in sequence order); events outside the range only move the sequence. */
    void apply(OrderEvent event) {
        if (event.getSequence() <= lastSequence) {
            throw new IllegalArgumentException(
                    "event " + event.getSequence() + " is not after the last applied, " + lastSequence);
        }
        lastSequence = event.getSequence();
        if (event.getAtEpochMillis() < sinceEpochMillis || isPastRange(event.getAtEpochMillis())) {
            return;
        }
        eventsApplied++;
        Order order = event.getOrder();
        OrderEventType type = event.getType();
        if (type == OrderEventType.ORDER_EVENT_TYPE_ORDER_PAID) {
            for (OrderLine line : order.getLinesList()) {
                Row row = row(line.getMerchantId(), order.getCurrency());
                row.paidMinor += line.getGrossMinor() - line.getDiscountMinor();
                row.discountMinor += line.getDiscountMinor();
                row.commissionMinor += line.getCommissionMinor();
                row.paidLines++;
            }
        } else if (type == OrderEventType.ORDER_EVENT_TYPE_ORDER_REFUNDED
                || type == OrderEventType.ORDER_EVENT_TYPE_ORDER_PARTLY_REFUNDED) {
            for (OrderLine line : event.getRefundLinesList()) {
                Row row = row(line.getMerchantId(), order.getCurrency());
                row.refundedMinor += line.getGrossMinor() - line.getDiscountMinor();
                row.discountReturnedMinor += line.getDiscountMinor();
                row.commissionReturnedMinor += line.getCommissionMinor();
                row.refundedLines++;
            }
        } else if (type == OrderEventType.ORDER_EVENT_TYPE_ORDER_PAID_TOO_LATE) {
            for (OrderLine line : order.getLinesList()) {
                row(line.getMerchantId(), order.getCurrency()).paidTooLateMinor +=
                        line.getGrossMinor() - line.getDiscountMinor();
            }
        }
    }

    private Row row(String merchantId, String currency) {
        String merchant = merchantId.isEmpty() ? NO_MERCHANT : merchantId;
        String key = merchant + '\u0000' + currency;
        Row row = rows.get(key);
        if (row == null) {
            if (rows.size() >= ROWS_MAX) {
                throw new IllegalStateException("more than " + ROWS_MAX + " (merchant, currency) rows");
            }
            row = new Row(merchant, currency);
            rows.put(key, row);
        }
        return row;
    }

    /** The rows in merchant, then currency, order. */
    List<Row> rows() {
        return new ArrayList<>(rows.values());
    }

    // ---- checkpoint -------------------------------------------------------------------------

    /** Writes the checkpoint to {@code file} atomically (a temporary file renamed over it). */
    void writeCheckpoint(Path file) {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            JSON.writeValue(
                    temporary.toFile(), new Checkpoint(lastSequence, sinceEpochMillis, untilEpochMillis, rows()));
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + file, e);
        }
    }

    /**
     * The ledger a checkpoint left; its range must be the one asked for, since its totals are for
     * that range.
     */
    static SettlementLedger resume(Path file, long sinceEpochMillis, long untilEpochMillis) {
        Checkpoint checkpoint;
        try {
            checkpoint = JSON.readValue(file.toFile(), Checkpoint.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read checkpoint " + file, e);
        }
        if (checkpoint.sinceEpochMillis() != sinceEpochMillis || checkpoint.untilEpochMillis() != untilEpochMillis) {
            throw new IllegalArgumentException("checkpoint " + file + " holds totals for ["
                    + checkpoint.sinceEpochMillis() + ", " + checkpoint.untilEpochMillis() + "), not ["
                    + sinceEpochMillis + ", " + untilEpochMillis + "); use another file or the same range");
        }
        SettlementLedger ledger = new SettlementLedger(checkpoint.lastSequence(), sinceEpochMillis, untilEpochMillis);
        for (Row row : checkpoint.rows()) {
            ledger.rows.put(row.merchant + '\u0000' + row.currency, row);
        }
        return ledger;
    }
}
