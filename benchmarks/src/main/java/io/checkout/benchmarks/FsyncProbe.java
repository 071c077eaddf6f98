package io.checkout.benchmarks;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * The device's own fsync latency in a directory, the floor under a journal that syncs every batch:
 * appends {@code BYTES} to a file of its own there and syncs it ({@code FileChannel.force(false)},
 * as the journal does), {@code COUNT} times one after another, and prints the sync's percentiles.
 * The file is deleted at the end. Run it on the server's data directory, with the server idle, so
 * the latency benchmark can say how far a reserve's tail is above what the device itself takes.
 *
 * <pre>FsyncProbe DIR [COUNT] [BYTES]</pre>
 *
 * Prints one line: {@code fsync count=... bytes=... p50_ms=... p99_ms=... p999_ms=... max_ms=...}.
 */
public final class FsyncProbe {
    private static final int COUNT_MAX = 1_000_000;
    private static final int BYTES_MAX = 1 << 20;

    private FsyncProbe() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 1 || args.length > 3) {
            System.err.println("usage: FsyncProbe DIR [COUNT] [BYTES]");
            System.exit(2);
        }
        Path directory = Path.of(args[0]);
        int count = args.length > 1 ? bounded("COUNT", args[1], COUNT_MAX) : 2_000;
        int bytes = args.length > 2 ? bounded("BYTES", args[2], BYTES_MAX) : 4_096;
        Files.createDirectories(directory);
        Histogram syncs = probe(directory, count, bytes);
        System.out.printf(
                Locale.ROOT,
                "fsync count=%d bytes=%d p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f%n",
                syncs.getTotalCount(),
                bytes,
                syncs.getValueAtPercentile(50) / 1e6,
                syncs.getValueAtPercentile(99) / 1e6,
                syncs.getValueAtPercentile(99.9) / 1e6,
                syncs.getMaxValue() / 1e6);
    }

    /** Appends {@code bytes} and syncs, {@code count} times; the sync's durations in nanoseconds. */
    static Histogram probe(Path directory, int count, int bytes) throws IOException {
        Path file = Files.createTempFile(directory, "fsync-probe-", ".bin");
        Histogram syncs = new Histogram(3);
        ByteBuffer block = ByteBuffer.allocateDirect(bytes);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            for (int i = 0; i < count; i++) {
                block.clear();
                block.putLong(0, i);
                while (block.hasRemaining()) {
                    channel.write(block);
                }
                long started = System.nanoTime();
                channel.force(false);
                syncs.recordValue(System.nanoTime() - started);
            }
        } finally {
            Files.deleteIfExists(file);
        }
        return syncs;
    }

    private static int bounded(String name, String value, int max) {
        int parsed;
        try {
            parsed = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, got " + value, e);
        }
        if (parsed < 1 || parsed > max) {
            throw new IllegalArgumentException(name + " must be 1.." + max + ", got " + parsed);
        }
        return parsed;
    }
}
