package io.checkout.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateImageFileTest {
    @TempDir
    Path directory;

    @Test
    void valuesAndArraysShouldComeBackAsWrittenAcrossPieceBoundaries() {
        SplittableRandom random = new SplittableRandom(7);
        long[] longs = random.longs(400_000).toArray(); // 3.2 MB: four pieces and more
        int[] ints = random.ints(300_001).toArray();
        byte[] bytes = new byte[1_500_003];
        random.nextBytes(bytes);
        AtomicInteger pausesWriting = new AtomicInteger();
        try (StateImageFile.Out out =
                StateImageFile.create(directory, StateImageFile.FILE, pausesWriting::incrementAndGet)) {
            out.putInt(3);
            out.longs(longs, 0, longs.length);
            out.putLong(-1);
            out.ints(ints, 0, ints.length);
            out.bytes(bytes, 1, bytes.length - 1);
            out.putInt(42);
            out.longs(longs, 10, 5);
            assertThat(out.bytesWritten())
                    .isEqualTo(4 + 8L * longs.length + 8 + 4L * ints.length + bytes.length - 1 + 4 + 40);
        }
        assertThat(pausesWriting.get()).as("a pause a piece").isGreaterThanOrEqualTo(6);

        long[] longsRead = new long[longs.length];
        int[] intsRead = new int[ints.length];
        byte[] bytesRead = new byte[bytes.length];
        long[] fiveRead = new long[6];
        AtomicInteger pausesReading = new AtomicInteger();
        try (StateImageFile.In in =
                StateImageFile.read(directory, StateImageFile.FILE, pausesReading::incrementAndGet)) {
            assertThat(in.getInt()).isEqualTo(3);
            in.longs(longsRead, 0, longsRead.length);
            assertThat(in.getLong()).isEqualTo(-1);
            in.ints(intsRead, 0, intsRead.length);
            in.bytes(bytesRead, 1, bytesRead.length - 1);
            assertThat(in.getInt()).isEqualTo(42);
            in.longs(fiveRead, 1, 5);
            in.requireEnd();
        }
        assertThat(pausesReading.get()).isEqualTo(pausesWriting.get());
        assertThat(longsRead).isEqualTo(longs);
        assertThat(intsRead).isEqualTo(ints);
        bytesRead[0] = bytes[0];
        assertThat(bytesRead).isEqualTo(bytes);
        assertThat(fiveRead).containsExactly(0, longs[10], longs[11], longs[12], longs[13], longs[14]);
    }

    @Test
    void aFileCutShortOrWithBytesAfterItsEndShouldBeRefused() throws Exception {
        writeSample();
        Path file = directory.resolve(StateImageFile.FILE);
        long size = Files.size(file);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(size - 100);
        }
        assertThatThrownBy(this::readSample).hasMessageContaining("is cut short in piece 0");

        Files.delete(file);
        writeSample();
        Files.write(file, new byte[] {1}, StandardOpenOption.APPEND);
        assertThatThrownBy(this::readSample).hasMessageContaining("holds 1 bytes after its end");
    }

    @Test
    void aStreamReadPastItsTablesOrLeftPartlyReadShouldBeRefused() {
        writeSample();
        assertThatThrownBy(() -> {
                    try (StateImageFile.In in = StateImageFile.read(directory, StateImageFile.FILE, () -> {})) {
                        in.longs(new long[1_001], 0, 1_001);
                    }
                })
                .hasMessageContaining("ends after 1 pieces, inside its tables");
        assertThatThrownBy(() -> {
                    try (StateImageFile.In in = StateImageFile.read(directory, StateImageFile.FILE, () -> {})) {
                        in.longs(new long[999], 0, 999);
                        in.requireEnd();
                    }
                })
                .hasMessageContaining("holds more than its tables");
    }

    @Test
    void aFileThatIsNotAnImageShouldBeRefused() throws Exception {
        Files.write(
                directory.resolve(StateImageFile.FILE),
                new byte[] {'C', 'K', 'I', 'M', 'A', 'G', 'E', '2', 1, 0, 0, 0});

        assertThatThrownBy(() -> StateImageFile.read(directory, StateImageFile.FILE, () -> {}))
                .hasMessageContaining("is not a state image of version 1");
    }

    private void writeSample() {
        long[] sample = new long[1_000];
        for (int i = 0; i < sample.length; i++) {
            sample[i] = i;
        }
        try (StateImageFile.Out out = StateImageFile.create(directory, StateImageFile.FILE, () -> {})) {
            out.longs(sample, 0, sample.length);
        }
    }

    private void readSample() {
        try (StateImageFile.In in = StateImageFile.read(directory, StateImageFile.FILE, () -> {})) {
            in.longs(new long[1_000], 0, 1_000);
            in.requireEnd();
        }
    }
}
