package io.checkout.journal;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a log's next segment file ahead of need, on a thread of its own: a file of the segment's
 * full size, zero-filled and synced, which {@link RecordLogWriter} renames into place when it rolls
 * and then overwrites record by record.
 *
 * <p>Why: appending to a file makes the kernel allocate a fresh page-cache page for every new page
 * of it and, at each {@code fdatasync}, commit the file's new size and blocks through the file
 * system's own journal. Overwriting pages that exist (cached, their blocks allocated and their
 * size on disk) is a copy into memory and a sync of data alone. On this project's VM the write
 * system call was a third of the pipeline thread's CPU samples under the batch stream, nearly all
 * of it the first touch of new page-cache pages, and a small write + {@code fdatasync} took 0.68 of
 * the time in a zero-filled file that it took appending (benchmarks/README, History 2026-12-07).
 * PostgreSQL zero-fills its WAL segments for the same reasons ({@code wal_init_zero}).
 *
 * <p>For a log written with direct I/O ({@code direct}), the zeros are written with direct I/O too:
 * no page-cache pages, and the device's DMA instead of a copy (256 MB: 0.03 s of system time here
 * against 0.11 s through the page cache). The file then has no page cached, which a writer that
 * wrote through the page cache would pay for by reading each partly written page back; so the
 * preparer tells how it zeroed a file ({@link Prepared#direct}), and falls back to the page cache
 * where the file system refuses direct I/O.
 *
 * <p>Bounded: one file at a time, {@link #ZEROS_BYTES} of zeros in memory. Through the page cache
 * the zeros are synced every {@link #SYNC_EVERY_BYTES}, so the device never holds more than that of
 * them in front of the journal's own syncs; written directly, they are on the device as each write
 * returns, and one sync at the end commits the file's blocks and size. A failure (a full disk, say) is logged and leaves no file behind; the
 * writer then appends as before, and asks again at its next roll. One thread owns a preparer
 * (the writer's); the file is written by the preparer's thread only until {@link #take} hands it
 * over.
 */
final class SegmentPreparer implements AutoCloseable {
    /** A prepared file's name ends so: not a segment's ({@link RecordLog#SUFFIX}), so no reader lists it. */
    static final String SUFFIX = ".prepared";

    static final int ZEROS_BYTES = 1 << 20;
    static final long SYNC_EVERY_BYTES = 8L << 20;

    private static final Logger LOG = LoggerFactory.getLogger(SegmentPreparer.class);

    /** A prepared file, and whether its zeros were written with direct I/O (none of it cached). */
    record Prepared(Path file, boolean direct) {}

    private final Path file;
    private final long bytes;
    /** Whether to zero-fill with direct I/O (aligned to {@link RecordLogWriter#DIRECT_ALIGNMENT}). */
    private final boolean direct;

    private final ExecutorService thread;
    /** The preparation under way or done and not yet taken; null when none. Done: null if it failed. */
    private Future<Prepared> pending;

    /**
     * @param directory the log's directory; a prepared file left there by an earlier process is deleted
     * @param bytes a prepared file's size: the log's segment size limit
     */
    SegmentPreparer(Path directory, long bytes, boolean direct, String threadName) {
        if (direct && bytes % RecordLogWriter.DIRECT_ALIGNMENT != 0) {
            throw new IllegalArgumentException("a segment written directly must be a multiple of "
                    + RecordLogWriter.DIRECT_ALIGNMENT + " bytes: " + bytes);
        }
        this.file = directory.resolve("next-segment" + SUFFIX);
        this.bytes = bytes;
        this.direct = direct;
        deleteQuietly(file);
        this.thread = Executors.newSingleThreadExecutor(task -> {
            Thread t = new Thread(task, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts preparing a file, unless one is being prepared or waits to be taken. */
    void prepare() {
        if (pending == null) {
            pending = thread.submit(this::zeroFill);
        }
    }

    /**
     * Whether a prepared file waits to be taken. A preparation that failed is forgotten here (the
     * next {@link #prepare} tries again).
     */
    boolean ready() {
        if (pending == null || !pending.isDone()) {
            return false;
        }
        if (outcome(pending) != null) {
            return true;
        }
        pending = null;
        return false;
    }

    /** The prepared file, now the caller's to rename; null if none is ready. Never waits. */
    Prepared take() {
        if (!ready()) {
            return null;
        }
        Prepared taken = outcome(pending);
        pending = null;
        return taken;
    }

    /**
     * Waits up to {@code timeoutMillis} for the file being prepared; for a caller that wants its
     * first segment prepared before it starts writing (a benchmark's untimed setup, say).
     *
     * @return whether a prepared file is ready
     */
    boolean awaitReady(long timeoutMillis) {
        if (pending == null) {
            return false;
        }
        try {
            pending.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException e) {
            return false;
        }
        return ready();
    }

    private Prepared zeroFill() {
        if (direct) {
            try {
                return fill(true);
            } catch (UnsupportedOperationException | IOException e) {
                if (Thread.currentThread().isInterrupted()) {
                    return null; // closing
                }
                LOG.info("direct I/O refused for {} ({}); zero-filling through the page cache", file, e.toString());
            }
        }
        try {
            return fill(false);
        } catch (IOException | RuntimeException e) {
            if (Thread.currentThread().isInterrupted()) {
                return null; // closing
            }
            LOG.warn(
                    "could not prepare the next segment {} ({} bytes); the log appends to a new file instead",
                    file,
                    bytes,
                    e);
            deleteQuietly(file);
            return null;
        }
    }

    private Prepared fill(boolean directly) throws IOException {
        int alignment = RecordLogWriter.DIRECT_ALIGNMENT;
        ByteBuffer zeros = ByteBuffer.allocateDirect(ZEROS_BYTES + alignment).alignedSlice(alignment);
        zeros.limit(ZEROS_BYTES);
        OpenOption[] options = directly
                ? new OpenOption[] {
                    StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE,
                    ExtendedOpenOption.DIRECT
                }
                : new OpenOption[] {
                    StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE
                };
        try (FileChannel channel = FileChannel.open(file, options)) {
            long position = 0;
            long unsynced = 0;
            while (position < bytes) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new IOException("interrupted");
                }
                zeros.clear().limit((int) Math.min(ZEROS_BYTES, bytes - position));
                while (zeros.hasRemaining()) {
                    int written = channel.write(zeros, position);
                    position += written;
                    unsynced += written;
                }
                // Through the page cache, sync as it goes so the device never holds much of it
                // dirty; directly, the one sync at the end commits the file's blocks and size.
                if ((!directly && unsynced >= SYNC_EVERY_BYTES) || position == bytes) {
                    channel.force(false);
                    unsynced = 0;
                }
            }
            return new Prepared(file, directly);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(file);
            throw e;
        }
    }

    private static Prepared outcome(Future<Prepared> done) {
        try {
            return done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException e) {
            return null;
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("could not delete {}", path, e);
        }
    }

    /** Stops the preparer's thread and deletes a prepared file nobody took. */
    @Override
    public void close() {
        thread.shutdownNow();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("segment preparer of {} did not stop within 10 s", file);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pending = null;
        deleteQuietly(file);
    }
}
