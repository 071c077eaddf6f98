package io.checkout.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class FrozenArrayTest {

    @Test
    void theReaderGetsTheArrayAsItWasWhileTheOwnerRewritesItAll() throws Exception {
        for (int round = 0; round < 20; round++) {
            SplittableRandom random = new SplittableRandom(round);
            long[] live = new long[100_000];
            for (int i = 0; i < live.length; i++) {
                live[i] = random.nextLong();
            }
            int frozenLength = 90_000 + random.nextInt(10_000);
            long[] expected = Arrays.copyOf(live, frozenLength);
            FrozenArray frozen = FrozenArray.of(live, frozenLength);

            long[] read = new long[frozenLength];
            int[] readAt = {0};
            AtomicBoolean reading = new AtomicBoolean(true);
            CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> {
                frozen.read((array, offset, length) -> {
                    System.arraycopy(array, offset, read, readAt[0], length);
                    readAt[0] += length;
                });
                reading.set(false);
            });
            // The owner writes everywhere, the frozen part and past it, until the reader is done.
            long writes = 0;
            while (reading.get() || writes < 200_000) {
                int index = random.nextInt(live.length);
                frozen.beforeWrite(index);
                live[index] = random.nextLong();
                writes++;
            }
            reader.get(10, TimeUnit.SECONDS);

            assertThat(readAt[0]).isEqualTo(frozenLength);
            assertThat(read).isEqualTo(expected);
        }
    }

    @Test
    void intsAndBytesAndBulkWritesToo() throws Exception {
        SplittableRandom random = new SplittableRandom(3);
        int[] ints = random.ints(50_000).toArray();
        byte[] bytes = new byte[70_000];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) random.nextInt();
        }
        int[] expectedInts = ints.clone();
        byte[] expectedBytes = Arrays.copyOf(bytes, 65_537);
        FrozenArray frozenInts = FrozenArray.of(ints, ints.length);
        FrozenArray frozenBytes = FrozenArray.of(bytes, 65_537);

        // Before any read: a fill over several units, a single write, a write past the frozen part.
        frozenInts.beforeWrite(1_000, 9_000);
        Arrays.fill(ints, 1_000, 9_000, -1);
        frozenBytes.beforeWrite(0);
        bytes[0] = 42;
        frozenBytes.beforeWrite(69_999);
        bytes[69_999] = 42;

        int[] readInts = new int[ints.length];
        int[] at = {0};
        frozenInts.read((array, offset, length) -> {
            System.arraycopy(array, offset, readInts, at[0], length);
            at[0] += length;
        });
        byte[] readBytes = new byte[65_537];
        at[0] = 0;
        frozenBytes.read((array, offset, length) -> {
            System.arraycopy(array, offset, readBytes, at[0], length);
            at[0] += length;
        });

        assertThat(readInts).isEqualTo(expectedInts);
        assertThat(readBytes).isEqualTo(expectedBytes);
        // Ints 1,000..8,999 in units of 1,024: units 0..8; one unit of bytes.
        assertThat(frozenInts.savedUnits()).isEqualTo(9);
        assertThat(frozenBytes.savedUnits()).isEqualTo(1);
        // Once read, writes copy nothing more.
        frozenInts.beforeWrite(0, ints.length);
        assertThat(frozenInts.savedUnits()).isEqualTo(9);
    }

    @Test
    void theOwnerWaitsForTheUnitTheReaderIsIn() throws Exception {
        long[] live = new long[4 * 512];
        Arrays.fill(live, 7);
        FrozenArray frozen = FrozenArray.of(live, live.length);
        CountDownLatch inUnitTwo = new CountDownLatch(1);
        long[] read = new long[live.length];
        int[] readAt = {0};
        CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> frozen.read((array, offset, length) -> {
            if (readAt[0] == 2 * 512) {
                inUnitTwo.countDown();
                // Longer than a unit's copy: the owner's write must wait for it, not tear it.
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
            }
            System.arraycopy(array, offset, read, readAt[0], length);
            readAt[0] += length;
        }));
        assertThat(inUnitTwo.await(10, TimeUnit.SECONDS)).isTrue();
        frozen.beforeWrite(2 * 512 + 5);
        live[2 * 512 + 5] = 99;
        frozen.beforeWrite(3 * 512);
        live[3 * 512] = 99;
        reader.get(10, TimeUnit.SECONDS);

        long[] expected = new long[live.length];
        Arrays.fill(expected, 7);
        assertThat(read).isEqualTo(expected);
        // Unit 2 was copied aside though the reader read it from the array (it had taken it first);
        // unit 3 too, unless the reader had read it by the time the owner's wait ended.
        assertThat(frozen.savedUnits()).isBetween(1L, 2L);
    }

    @Test
    void aReaderOnAnotherThreadIsGivenUpBetweenUnits() throws Exception {
        long[] live = new long[64 * 512];
        FrozenArray frozen = FrozenArray.of(live, live.length);
        CountDownLatch started = new CountDownLatch(1);
        CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> frozen.read((array, offset, length) -> {
            started.countDown();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }));
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        frozen.abandon();
        assertThatThrownBy(() -> reader.get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("given up");
        // Nothing is held any more: writes anywhere copy nothing and never wait.
        frozen.beforeWrite(0, live.length);
        assertThat(frozen.savedUnits()).isZero();
    }

    @Test
    void anAbandonedFreezeNeverHoldsTheOwnerBack() {
        long[] live = new long[10_000];
        FrozenArray frozen = FrozenArray.of(live, live.length);
        frozen.beforeWrite(5);
        live[5] = 1;
        frozen.abandon();
        frozen.beforeWrite(0, live.length);
        assertThat(frozen.savedUnits()).isEqualTo(1);
        assertThatThrownBy(() -> frozen.read((array, offset, length) -> {}))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("read already");
    }

    @Test
    void aLengthBeyondTheArrayIsRefused() {
        assertThatThrownBy(() -> FrozenArray.of(new long[4], 5)).hasMessageContaining("frozen length");
        assertThatThrownBy(() -> FrozenArray.of(new long[4], -1)).hasMessageContaining("frozen length");
        FrozenArray empty = FrozenArray.of(new long[4], 0);
        empty.beforeWrite(0);
        empty.read((array, offset, length) -> {
            throw new AssertionError("no unit to read");
        });
    }
}
