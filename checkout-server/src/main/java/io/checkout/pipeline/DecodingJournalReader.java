package io.checkout.pipeline;

import io.checkout.engine.Command;
import io.checkout.journal.CommandCodec;
import io.checkout.journal.RecordLogReader;
import java.nio.file.Path;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Reads the journal on a thread of its own, checks and decodes every record into a {@link Command},
 * and hands the commands over in batches, so that replay applies commands on one core while the
 * other reads, checks CRCs, decodes and hashes ids. It also computes each decoded id's
 * {@code hashCode}, which {@code String} caches: the replaying thread then finds its ids in the
 * state's tables without hashing them itself.
 *
 * <p>Memory is bounded: {@link #BATCHES} batches of {@link #BATCH_COMMANDS} reused commands go
 * round between the two threads. A failure while reading (a corrupt journal) reaches the
 * replaying thread from {@link #next()}; {@link #close()} stops the reader if replay ends early.
 */
final class DecodingJournalReader implements AutoCloseable {
    static final int BATCH_COMMANDS = 1_024;
    static final int BATCHES = 8;

    /** Commands decoded from consecutive journal records. */
    static final class Batch {
        final Command[] commands = new Command[BATCH_COMMANDS];
        final long[] sequences = new long[BATCH_COMMANDS];
        int size;

        Batch() {
            for (int i = 0; i < BATCH_COMMANDS; i++) {
                commands[i] = new Command();
            }
        }
    }

    private static final Batch END = new Batch();

    private final BlockingQueue<Batch> free = new ArrayBlockingQueue<>(BATCHES);
    private final BlockingQueue<Batch> full = new ArrayBlockingQueue<>(BATCHES + 1);
    private final Thread thread;
    private volatile Throwable failure;
    private volatile RecordLogReader.ScanResult result;
    private Batch handedOut;
    private boolean ended;

    /** Starts reading {@code directory} from {@code fromSequence} up to {@code lastSequence}. */
    DecodingJournalReader(Path directory, long fromSequence, long lastSequence) {
        for (int i = 0; i < BATCHES; i++) {
            free.add(new Batch());
        }
        thread = new Thread(() -> read(directory, fromSequence, lastSequence), "journal-decoder");
        thread.setDaemon(true);
        thread.start();
    }

    private void read(Path directory, long fromSequence, long lastSequence) {
        Batch[] filling = {null};
        try {
            result = RecordLogReader.scan(directory, fromSequence, (sequence, payload) -> {
                if (sequence > lastSequence) {
                    return;
                }
                Batch batch = filling[0];
                if (batch == null) {
                    batch = filling[0] = await(free);
                    batch.size = 0;
                }
                Command command = batch.commands[batch.size];
                CommandCodec.decode(payload, command);
                hash(command);
                batch.sequences[batch.size++] = sequence;
                if (batch.size == BATCH_COMMANDS) {
                    full.add(batch);
                    filling[0] = null;
                }
            });
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
            throw new IllegalStateException("journal reader stopped", e);
        }
    }

    /** Computes and caches the ids' hash codes on this thread. */
    private static void hash(Command command) {
        if (command.requestId != null) {
            command.requestId.hashCode();
        }
        if (command.userId != null) {
            command.userId.hashCode();
        }
        for (int i = 0; i < command.lineCount; i++) {
            if (command.lineSkuIds[i] != null) {
                command.lineSkuIds[i].hashCode();
            }
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

    /** What the scan found, once {@link #next()} has returned null. */
    RecordLogReader.ScanResult result() {
        return result;
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
