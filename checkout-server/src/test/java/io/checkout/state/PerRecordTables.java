package io.checkout.state;

import io.checkout.engine.CheckoutState;
import io.checkout.engine.OrderRecord;
import io.checkout.engine.Outcome;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import net.openhft.chronicle.map.ChronicleMap;

/**
 * Turns a snapshot's three chunked tables back into the layout snapshots had before chunks (one
 * Chronicle Map entry a record: orders.cm, user-units.cm, outcomes.cm), as a server of that time
 * wrote them, so tests can prove such a snapshot still loads.
 */
final class PerRecordTables {
    private PerRecordTables() {}

    /** Replaces the chunk files of {@code snapshot}, written from {@code state}, with per-record files. */
    static void rewrite(Path snapshot, CheckoutState state) {
        try {
            Files.delete(snapshot.resolve("orders.chunks.cm"));
            Files.delete(snapshot.resolve("user-units.chunks.cm"));
            Files.delete(snapshot.resolve("outcomes.chunks.cm"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (ChronicleMap<LongCell, OrderRecord> orders = ChronicleSnapshotFiles.orders(snapshot, state.orderCount())) {
            OrderRecord order = new OrderRecord();
            for (long orderId = 1; orderId <= state.orderCount(); orderId++) {
                state.readOrder(orderId, order);
                orders.put(new LongCell(orderId), order);
            }
        }
        try (ChronicleMap<CharSequence, LongCell> userUnits =
                ChronicleSnapshotFiles.userUnits(snapshot, state.userCounterCount())) {
            state.forEachUserUnits(
                    (userId, skuIndex, units) -> userUnits.put(skuIndex + "/" + userId, new LongCell(units)));
        }
        try (ChronicleMap<CharSequence, Outcome> outcomes =
                ChronicleSnapshotFiles.outcomes(snapshot, state.outcomeCount())) {
            // Newest first: the map keeps no order, and the load must sort them whatever came in.
            List<Runnable> puts = new ArrayList<>();
            state.forEachOutcome((requestId, outcome) -> {
                String id = requestId.asString();
                Outcome copy = new Outcome();
                copy.copyFrom(outcome);
                puts.add(() -> outcomes.put(id, copy));
            });
            Collections.reverse(puts);
            puts.forEach(Runnable::run);
        }
    }
}
