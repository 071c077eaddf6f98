package io.checkout.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.checkout.engine.CommandType;
import io.checkout.engine.CurrencyCode;
import io.checkout.engine.IdBuffer;
import io.checkout.engine.OrderRecord;
import io.checkout.engine.OrderState;
import io.checkout.engine.Outcome;
import io.checkout.engine.ResultCode;
import io.checkout.engine.SkuRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A snapshot written from a frozen state on another thread, while the state goes on taking writes
 * of every kind, is the snapshot that state would have given at the freeze: its files are the
 * same bytes as those of a twin state stopped there, and it loads into the same records.
 */
class FrozenSnapshotTest {
    private static final int SKUS = 20;
    private static final int USERS = 3_000;
    /** Small enough that the answers' ring wraps and is forgotten from its head while frozen. */
    private static final StateCapacities CAPACITIES = new StateCapacities(SKUS, 200_000, 200_000, 40_000);

    @TempDir
    Path directory;

    @Test
    void aFrozenSnapshotWrittenWhileTheStateGoesOnIsTheSnapshotAtTheFreeze() throws Exception {
        for (long seed = 1; seed <= 3; seed++) {
            PackedCheckoutState live = PackedCheckoutState.of(CAPACITIES);
            PackedCheckoutState twin = PackedCheckoutState.of(CAPACITIES);
            Workload liveLoad = new Workload(live, seed);
            Workload twinLoad = new Workload(twin, seed);
            liveLoad.run(60_000);
            twinLoad.run(60_000);

            FrozenSnapshot frozen = SnapshotStore.freeze(live);
            SnapshotStore frozenStore = new SnapshotStore(directory.resolve("frozen-" + seed));
            SnapshotStore.Meta meta = new SnapshotStore.Meta(60_000, 7, liveLoad.now);
            // The writer pauses at every piece, so the state's writes land between its units.
            CompletableFuture<Path> written = CompletableFuture.supplyAsync(
                    () -> frozenStore.write(frozen, meta, () -> LockSupport.parkNanos(200_000)));
            int more = 0;
            while (!frozen.done() || more < 20_000) {
                liveLoad.step();
                more++;
            }
            Path frozenSnapshot = written.get(60, TimeUnit.SECONDS);
            live.thaw();
            Path twinSnapshot = new SnapshotStore(directory.resolve("twin-" + seed)).write(twin, meta);

            for (String file : new String[] {StateImageFile.FILE, StateImageFile.ANSWERS_FILE}) {
                assertThat(Files.mismatch(frozenSnapshot.resolve(file), twinSnapshot.resolve(file)))
                        .as("seed %d, %s, after %d writes during the freeze", seed, file, more)
                        .isEqualTo(-1L);
            }
            PackedCheckoutState fromFrozen = PackedCheckoutState.of(CAPACITIES);
            assertThat(frozenStore.loadLatest(fromFrozen)).isEqualTo(meta);
            assertThat(SnapshotStoreTest.records(fromFrozen)).isEqualTo(SnapshotStoreTest.records(twin));

            // The live state lost nothing to the freeze: it is its twin after the same writes.
            twinLoad.run(more);
            assertThat(SnapshotStoreTest.records(live)).isEqualTo(SnapshotStoreTest.records(twin));
            // And it can be frozen again.
            FrozenSnapshot again = SnapshotStore.freeze(live);
            again.abandon();
            live.thaw();
        }
    }

    @Test
    void aStateIsFrozenOnceAtATimeAndThawsOnlyOnceItsSnapshotIsDone() {
        PackedCheckoutState state = PackedCheckoutState.of(CAPACITIES);
        new Workload(state, 9).run(1_000);
        FrozenSnapshot frozen = SnapshotStore.freeze(state);
        assertThatThrownBy(() -> SnapshotStore.freeze(state)).hasMessageContaining("frozen already");
        assertThatThrownBy(state::thaw).hasMessageContaining("before the frozen image was written");
        frozen.abandon();
        state.thaw();
        SnapshotStore.freeze(state).abandon();
        state.thaw();
    }

    /** Seeded writes of every kind a state takes, at increasing times. */
    private static final class Workload {
        private final PackedCheckoutState state;
        private final SplittableRandom random;
        private final OrderRecord order = new OrderRecord();
        private final Outcome outcome = new Outcome();
        private final SkuRecord sku = new SkuRecord();
        private final IdBuffer userId = new IdBuffer();
        private final IdBuffer requestId = new IdBuffer();
        private long now = 1_000_000;
        private long requests;

        Workload(PackedCheckoutState state, long seed) {
            this.state = state;
            this.random = new SplittableRandom(seed);
            state.merchants().append("acme", 1_000, 50);
            for (int index = 0; index < SKUS; index++) {
                SkuRecord created = new SkuRecord();
                created.index = index;
                created.skuId = "SKU-" + index;
                created.priceMinor = 1_000 + index;
                created.currency = CurrencyCode.pack("EUR");
                created.totalStock = 1_000_000;
                created.available = 1_000_000;
                created.perUserLimit = 1_000;
                created.saleStartEpochMillis = 0;
                created.saleEndEpochMillis = Long.MAX_VALUE / 2;
                created.reservationTtlMillis = 60_000;
                state.writeSku(created);
            }
        }

        void run(int steps) {
            for (int i = 0; i < steps; i++) {
                step();
            }
        }

        void step() {
            now += 1 + random.nextInt(3);
            int kind = random.nextInt(100);
            if (kind < 55 || state.orderCount() == 0) {
                reserve();
            } else if (kind < 80) {
                change();
            } else if (kind < 90) {
                int index = random.nextInt(SKUS);
                state.readSku(index, sku);
                sku.available -= 1;
                sku.reserved += 1;
                state.writeSku(sku);
            } else if (kind < 99) {
                userId.set("user-" + random.nextInt(USERS));
                state.writeUserUnits(userId, random.nextInt(SKUS), random.nextInt(3));
            } else {
                state.forgetOutcomesBefore(now - 20_000, now);
            }
            if (state.outcomeCount() >= state.outcomeCapacity() - 10) {
                state.forgetOutcomesBefore(now - 2_000, now);
            }
        }

        private void reserve() {
            order.clear();
            order.orderId = state.orderCount() + 1;
            order.userId.set("user-" + random.nextInt(USERS));
            order.state(OrderState.RESERVED);
            order.currency = CurrencyCode.pack("EUR");
            order.lineCount = 1 + random.nextInt(2);
            for (int line = 0; line < order.lineCount; line++) {
                order.skuIndexes[line] = random.nextInt(SKUS);
                order.quantities[line] = 1 + random.nextInt(3);
                order.unitPricesMinor[line] = 1_000 + order.skuIndexes[line];
                order.amountMinor += (long) order.quantities[line] * order.unitPricesMinor[line];
            }
            order.createdAtEpochMillis = now;
            order.expiresAtEpochMillis = now + 60_000;
            order.updatedAtEpochMillis = now;
            state.writeOrder(order);
            state.writeUserUnits(order.userId, order.skuIndexes[0], order.quantities[0]);
            remember(CommandType.RESERVE, order.orderId, OrderState.RESERVED);
        }

        private void change() {
            long orderId = 1 + random.nextLong(state.orderCount());
            state.readOrder(orderId, order);
            if (order.state() != OrderState.RESERVED) {
                return;
            }
            if (random.nextBoolean()) {
                order.state(OrderState.PAID);
                order.setPayment(IdBuffer.of("psp"), IdBuffer.of("pay-" + orderId), now);
            } else {
                order.state(OrderState.CANCELLED);
            }
            order.updatedAtEpochMillis = now;
            state.writeOrder(order);
            remember(CommandType.CONFIRM, orderId, order.state());
        }

        private void remember(CommandType command, long orderId, OrderState orderState) {
            requestId.set("req-" + (++requests));
            outcome.set(command, ResultCode.SUCCESS, orderId, orderState, -1, now, now);
            state.writeOutcome(requestId, outcome);
        }
    }
}
