package io.checkout.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BlockFileOutTest {
    @TempDir
    Path directory;

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aFileShouldHoldExactlyTheBytesAppendedWhateverTheirSizes(boolean direct) throws IOException {
        for (long seed = 1; seed <= 6; seed++) {
            SplittableRandom random = new SplittableRandom(seed);
            // Sizes around the staging buffer's and the alignment's edges, and across several buffers.
            int total = switch ((int) seed) {
                case 1 -> 0;
                case 2 -> 1;
                case 3 -> BlockFileOut.ALIGNMENT;
                case 4 -> BlockFileOut.STAGING_BYTES;
                case 5 -> BlockFileOut.STAGING_BYTES + 1;
                default -> 3 * BlockFileOut.STAGING_BYTES + random.nextInt(BlockFileOut.STAGING_BYTES);
            };
            byte[] expected = new byte[total];
            random.nextBytes(expected);
            Path file = directory.resolve("out-" + direct + "-" + seed);
            try (BlockFileOut out = BlockFileOut.create(file, direct)) {
                int at = 0;
                while (at < total) {
                    // Heap and direct buffers, read from an offset, as the image writer hands them over.
                    int count = Math.min(total - at, 1 + random.nextInt(300_000));
                    int offset = random.nextInt(16);
                    ByteBuffer from = random.nextBoolean()
                            ? ByteBuffer.allocate(offset + count)
                            : ByteBuffer.allocateDirect(offset + count);
                    from.position(offset).put(expected, at, count).position(offset);
                    out.write(from);
                    assertThat(from.hasRemaining()).isFalse();
                    at += count;
                    assertThat(out.size()).isEqualTo(at);
                }
            }
            assertThat(Files.readAllBytes(file))
                    .as("seed %d, %d bytes", seed, total)
                    .isEqualTo(expected);
        }
    }

    @Test
    void aFileSystemThatTakesDirectWritesShouldGetThem() throws IOException {
        // The test's temporary directory is on the build's disk; tmpfs would refuse (then: the page cache).
        try (BlockFileOut out = BlockFileOut.create(directory.resolve("direct"))) {
            out.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            if (!"tmpfs".equals(Files.getFileStore(directory).type())) {
                assertThat(out.direct()).isTrue();
            }
        }
        assertThat(Files.readAllBytes(directory.resolve("direct"))).containsExactly(1, 2, 3);
    }

    @Test
    void anExistingFileShouldBeRefusedAndLeftAsItWas() throws IOException {
        Path file = directory.resolve("there");
        Files.write(file, new byte[] {9, 9});
        assertThatThrownBy(() -> BlockFileOut.create(file, true))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("there");
        assertThat(Files.readAllBytes(file)).containsExactly(9, 9);
    }
}
