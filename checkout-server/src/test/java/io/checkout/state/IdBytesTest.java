package io.checkout.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.checkout.engine.IdBuffer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdBytesTest {
    private record Held(long position, String id) {}

    /**
     * A FIFO of ids held at its capacity for many times the ring's size: every held id reads back
     * and matches, others do not, and its hash is the string's. Preallocated, the ring reuses its
     * chunks instead of dropping and allocating them, with the same result.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"on demand", "preallocated", "chunks from a running stock"})
    void shouldKeepEveryHeldIdAcrossManyTurnsOfTheRing(String memory) {
        int capacity = 50_000;
        ArrayStock stock = new ArrayStock();
        if (memory.equals("chunks from a running stock")) {
            assertThat(stock.start(Long.MAX_VALUE)).isTrue();
        }
        try {
            keepEveryHeldId(new IdBytes(capacity, 64, stock), capacity, memory.equals("preallocated"));
        } finally {
            stock.stop();
        }
    }

    private static void keepEveryHeldId(IdBytes bytes, int capacity, boolean preallocated) {
        if (preallocated) {
            assertThat(bytes.preallocate()).isEqualTo(IdBytes.preallocatedBytes(capacity, 64));
        }
        ArrayDeque<Held> held = new ArrayDeque<>();
        SplittableRandom random = new SplittableRandom(7);
        for (int step = 0; step < 2_000_000; step++) {
            if (held.size() == capacity || (!held.isEmpty() && random.nextInt(3) == 0)) {
                held.removeFirst();
                bytes.releaseBefore(
                        held.isEmpty() ? bytes.end() : held.peekFirst().position());
            }
            String id = "id-" + "x".repeat(random.nextInt(52)) + step;
            held.addLast(new Held(bytes.append(IdBuffer.of(id)), id));
            if (step % 1_000 == 0) {
                IdBuffer probe = new IdBuffer();
                for (Held h : held) {
                    if (!bytes.matches(h.position(), probe.set(h.id()))) {
                        throw new AssertionError("step " + step + ": held id " + h.id() + " does not match");
                    }
                }
                Held first = held.peekFirst();
                assertThat(bytes.read(first.position())).isEqualTo(first.id());
                assertThat(bytes.hash(first.position())).isEqualTo(first.id().hashCode());
                assertThat(bytes.matches(first.position(), IdBuffer.of(first.id() + "0")))
                        .isFalse();
                assertThat(bytes.matches(first.position(), IdBuffer.of("id-" + step + "?")))
                        .isFalse();
            }
        }
    }

    /**
     * Frozen, the id bytes write what they held at the freeze even after the ring has turned past
     * it and reused (preallocated) or replaced (on demand) every chunk the freeze held.
     */
    @ParameterizedTest(name = "preallocated: {0}")
    @ValueSource(booleans = {true, false})
    void aFreezeWritesWhatWasHeldEvenAfterTheRingReusedItsChunks(boolean preallocated, @TempDir Path directory)
            throws IOException {
        IdBytes bytes = new IdBytes(1, IdBytes.ID_CHARS_MAX, new ArrayStock());
        if (preallocated) {
            bytes.preallocate();
        }
        ArrayDeque<Long> held = new ArrayDeque<>();
        SplittableRandom random = new SplittableRandom(5);
        // About a chunk and a half of 100-character ids, a chunk of them held.
        appendHoldingAChunk(bytes, held, random, 60_000);
        try (StateImageFile.Out out = StateImageFile.create(directory, "expected", SnapshotStore.NO_PAUSE)) {
            bytes.writeTo(out);
        }
        IdBytes.Frozen frozen = bytes.freeze();
        // Three more chunks: the ring of three has come round onto every chunk held at the freeze.
        appendHoldingAChunk(bytes, held, random, 130_000);
        try (StateImageFile.Out out = StateImageFile.create(directory, "frozen", SnapshotStore.NO_PAUSE)) {
            frozen.writeTo(out);
        }
        bytes.thaw();

        assertThat(Files.mismatch(directory.resolve("expected"), directory.resolve("frozen")))
                .isEqualTo(-1L);
    }

    private static void appendHoldingAChunk(IdBytes bytes, ArrayDeque<Long> held, SplittableRandom random, int ids) {
        StringBuilder id = new StringBuilder();
        for (int i = 0; i < ids; i++) {
            id.setLength(0);
            for (int c = 0; c < 100; c++) {
                id.append((char) ('a' + random.nextInt(26)));
            }
            held.add(bytes.append(IdBuffer.of(id.toString())));
            if (held.size() > IdBytes.CHUNK_BYTES / 101) {
                held.poll();
                bytes.releaseBefore(held.peek());
            }
        }
    }

    @Test
    void shouldRefuseToOverwriteIdsThatAreStillHeld() {
        IdBytes bytes = new IdBytes(1, 64, new ArrayStock());
        // Room for one 64-character id per the sizing, plus the ring's slack: fill it without releasing.
        assertThatThrownBy(() -> {
                    for (int i = 0; i < 1_000_000; i++) {
                        bytes.append(IdBuffer.of("y".repeat(64)));
                    }
                })
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("full");
    }

    @Test
    void shouldRefuseIdsItCannotStore() {
        IdBytes bytes = new IdBytes(10, 64, new ArrayStock());
        assertThatThrownBy(() -> bytes.append(IdBuffer.of(""))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> bytes.append(new IdBuffer())).isInstanceOf(IllegalArgumentException.class);
    }
}
