package io.checkout.pipeline;

import io.checkout.journal.JournalCorruptException;
import io.checkout.journal.RecordLogReader;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Reads the journal ahead of replay on a thread of its own: file reads and CRC checks happen
 * there, and the checked payloads arrive in batches of raw bytes that the replaying thread decodes
 * and applies. Only bytes cross between the threads, written once and read once in order, which
 * the hardware streams well; decoded commands and their strings are made on the replaying thread,
 * where they are used. Handing over decoded commands instead would leave every string the engine
 * touches in a cache line owned by the other core (benchmarks/README.md, recovery).
 *
 * <p>Memory is bounded: {@link #BATCHES} batches of {@link #BATCH_BYTES} go round between the two
 * threads. A failure while reading (a corrupt journal) reaches the replaying thread from
 * {@link #next()}; {@link #close()} stops the reader if replay ends early.
 */
final class ReadAheadJournalReader implements AutoCloseable {
    static final int BATCH_BYTES = 256 * 1024;
    static final int BATCHES = 8;
    private static final int RECORDS_MAX = BATCH_BYTES / 8;

    /** Payloads of consecutive journal records, back to back in {@link #bytes}. */
    static final class Batch {
        final ByteBuffer bytes = ByteBuffer.allocate(BATCH_BYTES);
        final int[] ends = new int[RECORDS_MAX];
        final long[] sequences = new long[RECORDS_MAX];
        int size;

        /** Positions {@code view} on payload {@code i} of this batch. */
        ByteBuffer payload(int i, ByteBuffer view) {
            view.limit(ends[i]).position(i == 0 ? 0 : ends[i - 1]);
            return view;
        }

        private boolean fits(int payloadBytes) {
            return size < RECORDS_MAX && bytes.remaining() >= payloadBytes;
        }
    }

    private static final Batch END = new Batch();

    private final BlockingQueue<Batch> free = new ArrayBlockingQueue<>(BATCHES);
    private final BlockingQueue<Batch> full = new ArrayBlockingQueue<>(BATCHES + 1);
    private final Thread thread;
    private volatile Throwable failure;
    private Batch handedOut;
    private boolean ended;

    /** Starts reading {@code directory} from {@code fromSequence} up to and including {@code lastSequence}. */
    ReadAheadJournalReader(Path directory, long fromSequence, long lastSequence) {
        for (int i = 0; i < BATCHES; i++) {
            free.add(new Batch());
        }
        thread = new Thread(() -> read(directory, fromSequence, lastSequence), "journal-read-ahead");
        thread.setDaemon(true);
        thread.start();
    }

    private void read(Path directory, long fromSequence, long lastSequence) {
        Batch[] filling = {null};
        RecordLogReader.RecordHandler collect = (sequence, payload) -> {
            int length = payload.remaining();
            if (length > BATCH_BYTES) {
                throw new IllegalStateException(
                        "journal record " + sequence + " of " + length + " bytes exceeds the read-ahead batch");
            }
            Batch batch = filling[0];
            if (batch != null && !batch.fits(length)) {
                full.add(batch);
                batch = null;
            }
            if (batch == null) {
                batch = filling[0] = await(free);
                batch.bytes.clear();
                batch.size = 0;
            }
            batch.bytes.put(payload);
            batch.ends[batch.size] = batch.bytes.position();
            batch.sequences[batch.size++] = sequence;
        };
        try (RecordLogReader reader = RecordLogReader.openAt(directory, fromSequence)) {
            while (reader.nextSequence() <= lastSequence) {
                if (reader.read(lastSequence, RECORDS_MAX, collect) == 0) {
                    throw new JournalCorruptException("the journal in " + directory + " ends at "
                            + (reader.nextSequence() - 1) + ", before " + lastSequence);
                }
            }
            if (filling[0] != null) {
                full.add(filling[0]);
            }
        } catch (Throwable t) {
            failure = t;
        } finally {
            full.add(END); // the queue has room for every batch plus END
        }
    }

    /** Waits for a free batch; replay ended early if this thread is interrupted. */
    private static Batch await(BlockingQueue<Batch> queue) {
        try {
            return queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("journal read-ahead stopped", e);
        }
    }

    /**
     * The next batch, or null once the journal has been read to its end; the batch handed out
     * before is reused from now on. Throws what stopped the reader, if anything did.
     */
    Batch next() {
        if (handedOut != null) {
            free.add(handedOut);
            handedOut = null;
        }
        if (ended) {
            return null;
        }
        Batch batch;
        try {
            batch = full.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while replaying the journal", e);
        }
        if (batch == END) {
            ended = true;
            Throwable cause = failure;
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            if (cause != null) {
                throw new IllegalStateException("reading the journal failed", cause);
            }
            return null;
        }
        handedOut = batch;
        return batch;
    }

    @Override
    public void close() {
        thread.interrupt();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
