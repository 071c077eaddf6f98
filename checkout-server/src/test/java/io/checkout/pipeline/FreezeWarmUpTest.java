package io.checkout.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.engine.EngineLimits;
import io.checkout.engine.IdBuffer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FreezeWarmUpTest {
    @TempDir
    Path directory;

    @Test
    void aWarmUpShouldRunItsCommandsFrozenAndNotInTurnsAndLeaveNothingBehind() throws IOException {
        Path scratch = directory.resolve("freeze-warm-up.tmp");

        FreezeWarmUp.Result result = FreezeWarmUp.run(EngineLimits.defaults(), scratch);

        assertThat(result.commands()).isGreaterThanOrEqualTo(FreezeWarmUp.COMMANDS);
        assertThat(result.freezes()).isEqualTo(FreezeWarmUp.COMMANDS / FreezeWarmUp.BLOCK / 2);
        // Its reserves must take the engine's paths, not its refusals, and its snapshot be written.
        assertThat(result.reserved()).isGreaterThan(FreezeWarmUp.COMMANDS / 2);
        assertThat(result.collidingLookups()).isGreaterThan(FreezeWarmUp.COMMANDS / 100);
        assertThat(result.expired()).as("reservations expired within the run").isGreaterThan(1_000);
        assertThat(result.snapshotBytes()).isPositive();
        assertThat(scratch).doesNotExist();
        try (Stream<Path> left = Files.list(directory)) {
            assertThat(left).isEmpty();
        }
    }

    /** What the colliding lookups need: the same hash as the engine's id tables compute it, and ids of different lengths. */
    @Test
    void theCollidingIdsShouldShareTheirHashAndDifferInLength() {
        IdBuffer first = new IdBuffer();
        first.set(FreezeWarmUp.COLLIDING_ID);
        IdBuffer longer = new IdBuffer();
        longer.set(FreezeWarmUp.COLLIDING_ID_LONGER);

        assertThat(longer.hash()).isEqualTo(first.hash());
        assertThat(longer.length()).isNotEqualTo(first.length());
        assertThat(longer.contentEquals(first)).isFalse();
    }

    @Test
    void whatAWarmUpThatDiedLeftShouldNotStopTheNext() throws IOException {
        // The snapshot's directory as the warm-up names it (at its first freeze), left half written.
        Path scratch = directory.resolve("freeze-warm-up.tmp");
        Path left = scratch.resolve(String.format("%020d", FreezeWarmUp.SKUS + FreezeWarmUp.BLOCK));
        Files.createDirectories(left);
        Files.write(left.resolve("state-image.bin"), new byte[] {1, 2, 3});

        assertThat(FreezeWarmUp.run(EngineLimits.defaults(), scratch).snapshotBytes())
                .isPositive();
        assertThat(scratch).doesNotExist();
    }

    @Test
    void aSecondWarmUpInTheSameProcessShouldDoTheSame() {
        // The server runs one a start; tests start many servers in one JVM.
        for (int run = 0; run < 2; run++) {
            Path scratch = directory.resolve("warm-up-" + run);
            assertThat(FreezeWarmUp.run(EngineLimits.defaults(), scratch).freezes())
                    .isPositive();
            assertThat(scratch).doesNotExist();
        }
    }
}
