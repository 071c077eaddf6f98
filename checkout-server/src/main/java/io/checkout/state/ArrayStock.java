package io.checkout.state;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;

/**
 * Where the state's growing tables get their large chunks: the full-size chunks of {@link Columns}
 * ({@code long[]} and {@code int[]} of {@link Columns#CHUNK_ROWS_MAX} rows) and {@link IdBytes}'
 * chunks. Stopped (the usual case), a chunk is allocated where it is needed, by the state's thread.
 *
 * <p>Started, a thread of its own allocates the next chunks ahead. Allocating a large array zeroes
 * it, and the first write to each page of heap the process has not touched before takes a page
 * fault: on the project's VM, a cold replay of 10M commands spent a third to a half of its time
 * there, on the replaying thread, while the other core idled (benchmarks/README.md, 2026-12-04).
 * With the stock started that work runs on the other core; the state's thread takes a chunk that is
 * ready without waiting, and allocates its own if none is, exactly as when stopped. Recovery starts
 * it for a long replay and stops it before the pipeline runs.
 *
 * <p>Bounded: at most {@link #LONGS_DEPTH}, {@link #INTS_DEPTH} and {@link #ID_BYTES_DEPTH} chunks
 * wait ({@link #STOCK_BYTES} in all), and it starts only when the heap has {@link #FREE_HEAP_FACTOR}
 * times that free, so a heap sized tightly for its state never holds a stock. Stopping drops what
 * waits (garbage for the collector). One thread, the state's, takes, starts and stops; the stock's
 * thread only allocates, and hands chunks over through single-producer queues, which publish each
 * zeroed array safely.
 */
final class ArrayStock {
    static final int LONGS_DEPTH = 6;
    static final int INTS_DEPTH = 1;
    static final int ID_BYTES_DEPTH = 6;
    static final long STOCK_BYTES = (long) LONGS_DEPTH * Columns.CHUNK_ROWS_MAX * Long.BYTES
            + (long) INTS_DEPTH * Columns.CHUNK_ROWS_MAX * Integer.BYTES
            + (long) ID_BYTES_DEPTH * IdBytes.CHUNK_BYTES;
    static final int FREE_HEAP_FACTOR = 16;
    private static final long STOP_WAIT_MILLIS = 5_000;

    /** Chunks taken from the stock, and allocated by the state's thread while the stock ran. */
    private long takenReady;

    private long allocatedInline;
    private Filler filler;

    /**
     * Starts the stock's thread, if the heap has room; returns whether it runs. {@code freeHeapBytes}
     * is what the heap could still give (the caller measures it; tests choose it).
     */
    boolean start(long freeHeapBytes) {
        if (filler != null) {
            return true;
        }
        if (freeHeapBytes < FREE_HEAP_FACTOR * STOCK_BYTES) {
            return false;
        }
        takenReady = 0;
        allocatedInline = 0;
        filler = new Filler();
        filler.thread.start();
        return true;
    }

    /** The heap the JVM could still give: its maximum less what is in use now. */
    static long freeHeapBytes() {
        Runtime runtime = Runtime.getRuntime();
        return runtime.maxMemory() - (runtime.totalMemory() - runtime.freeMemory());
    }

    /** Stops the stock's thread and drops what waits; chunks are allocated inline again. */
    void stop() {
        Filler stopping = filler;
        if (stopping == null) {
            return;
        }
        filler = null;
        stopping.stopped = true;
        LockSupport.unpark(stopping.thread);
        try {
            stopping.thread.join(STOP_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopping.drain();
    }

    boolean running() {
        return filler != null;
    }

    /** Chunks waiting in the stock now (0 when stopped). */
    int ready() {
        Filler running = filler;
        return running == null ? 0 : running.longs.size() + running.ints.size() + running.idBytes.size();
    }

    /** The most chunks that wait at once. */
    static int depth() {
        return LONGS_DEPTH + INTS_DEPTH + ID_BYTES_DEPTH;
    }

    /** Chunks taken ready from the stock since it last started. */
    long takenReady() {
        return takenReady;
    }

    /** Chunks of a stocked size the state's thread allocated itself since the stock last started. */
    long allocatedInline() {
        return allocatedInline;
    }

    long[] longs(int length) {
        Filler running = filler;
        if (running != null && length == Columns.CHUNK_ROWS_MAX) {
            return running.take(running.longs, length, long[]::new);
        }
        return new long[length];
    }

    int[] ints(int length) {
        Filler running = filler;
        if (running != null && length == Columns.CHUNK_ROWS_MAX) {
            return running.take(running.ints, length, int[]::new);
        }
        return new int[length];
    }

    /** A chunk for {@link IdBytes} ({@link IdBytes#CHUNK_BYTES} bytes). */
    byte[] idBytes() {
        Filler running = filler;
        if (running != null) {
            return running.take(running.idBytes, IdBytes.CHUNK_BYTES, byte[]::new);
        }
        return new byte[IdBytes.CHUNK_BYTES];
    }

    /** The stock's thread and its queues: one per start, so a stopped one never hands out anything. */
    private final class Filler {
        final OneToOneConcurrentArrayQueue<long[]> longs = new OneToOneConcurrentArrayQueue<>(LONGS_DEPTH);
        final OneToOneConcurrentArrayQueue<int[]> ints = new OneToOneConcurrentArrayQueue<>(INTS_DEPTH);
        final OneToOneConcurrentArrayQueue<byte[]> idBytes = new OneToOneConcurrentArrayQueue<>(ID_BYTES_DEPTH);
        final Thread thread = new Thread(this::fill, "state-array-stock");
        volatile boolean stopped;

        Filler() {
            thread.setDaemon(true);
        }

        <A> A take(OneToOneConcurrentArrayQueue<A> queue, int length, IntFunction<A> allocate) {
            A ready = queue.poll();
            LockSupport.unpark(thread);
            if (ready != null) {
                takenReady++;
                return ready;
            }
            allocatedInline++;
            return allocate.apply(length);
        }

        private void fill() {
            while (!stopped) {
                boolean added = topUp(longs, LONGS_DEPTH, () -> new long[Columns.CHUNK_ROWS_MAX])
                        | topUp(ints, INTS_DEPTH, () -> new int[Columns.CHUNK_ROWS_MAX])
                        | topUp(idBytes, ID_BYTES_DEPTH, () -> new byte[IdBytes.CHUNK_BYTES]);
                if (!added && !stopped) {
                    // Woken by every take; the timeout only bounds a wake-up lost to a race.
                    LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(10));
                }
            }
        }

        /** Adds one chunk if the queue is below its depth; returns whether it did. */
        private <A> boolean topUp(OneToOneConcurrentArrayQueue<A> queue, int depth, Supplier<A> make) {
            if (stopped || queue.size() >= depth) {
                return false;
            }
            return queue.offer(make.get());
        }

        void drain() {
            longs.clear();
            ints.clear();
            idBytes.clear();
        }
    }
}
