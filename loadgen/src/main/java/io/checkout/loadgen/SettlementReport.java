package io.checkout.loadgen;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.List;

/** Prints a {@link SettlementLedger}'s rows as a table, CSV or JSON; amounts in minor units. */
final class SettlementReport {
    static final List<String> COLUMNS = List.of(
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

    private SettlementReport() {}

    static void print(SettlementLedger ledger, String format, PrintStream out) {
        List<SettlementLedger.Row> rows = ledger.rows();
        switch (format) {
            case "csv" -> {
                out.println(String.join(",", COLUMNS));
                for (SettlementLedger.Row row : rows) {
                    out.println(String.join(",", cells(row)));
                }
            }
            case "json" -> out.println(json(ledger, rows));
            default -> table(ledger, rows, out);
        }
    }

    /**
     * A row's cells in {@link #COLUMNS} order. Merchant ids are [A-Za-z0-9._:-] and currencies three
     * letters, so no cell needs CSV quoting; commission is what the platform keeps (charged less given
     * back); paid and refunded are what buyers paid and got back, after campaign discounts, and
     * discount is the discount the kept sales carried (given on payments less that of the refunded
     * units), last so the columns before it keep their places.
     */
    static List<String> cells(SettlementLedger.Row row) {
        return List.of(
                row.merchant,
                row.currency,
                Long.toString(row.paidMinor),
                Long.toString(row.refundedMinor),
                Long.toString(row.commissionMinor - row.commissionReturnedMinor),
                Long.toString(row.netMinor()),
                Long.toString(row.paidLines),
                Long.toString(row.refundedLines),
                Long.toString(row.paidTooLateMinor),
                Long.toString(row.discountMinor - row.discountReturnedMinor));
    }

    private static String json(SettlementLedger ledger, List<SettlementLedger.Row> rows) {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("last_sequence", ledger.lastSequence());
        root.put("events_in_range", ledger.eventsApplied());
        ArrayNode merchants = root.putArray("merchants");
        for (SettlementLedger.Row row : rows) {
            ObjectNode node = merchants.addObject();
            List<String> cells = cells(row);
            node.put(COLUMNS.get(0), cells.get(0));
            node.put(COLUMNS.get(1), cells.get(1));
            for (int i = 2; i < COLUMNS.size(); i++) {
                node.put(COLUMNS.get(i), Long.parseLong(cells.get(i)));
            }
        }
        try {
            return mapper.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void table(SettlementLedger ledger, List<SettlementLedger.Row> rows, PrintStream out) {
        int[] widths = new int[COLUMNS.size()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = COLUMNS.get(i).length();
        }
        for (SettlementLedger.Row row : rows) {
            List<String> cells = cells(row);
            for (int i = 0; i < widths.length; i++) {
                widths[i] = Math.max(widths[i], cells.get(i).length());
            }
        }
        out.println(line(COLUMNS, widths));
        for (SettlementLedger.Row row : rows) {
            out.println(line(cells(row), widths));
        }
        out.println("(" + rows.size() + " merchant rows from " + ledger.eventsApplied()
                + " events in range; read up to sequence " + ledger.lastSequence() + ")");
    }

    private static String line(List<String> cells, int[] widths) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < cells.size(); i++) {
            String cell = cells.get(i);
            String pad = " ".repeat(widths[i] - cell.length());
            text.append(i == 0 ? "" : "  ").append(i < 2 ? cell + pad : pad + cell);
        }
        return text.toString().stripTrailing();
    }
}
