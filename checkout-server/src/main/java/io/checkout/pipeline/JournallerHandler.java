package io.checkout.pipeline;

import com.lmax.disruptor.EventHandler;
import io.checkout.journal.CommandCodec;
import io.checkout.journal.Journal;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 2: appends every mutating command the business logic applied to the journal, commits once
 * per batch (one write, and one sync under fsync), then has the replier answer the batch. Nothing
 * is answered before its batch is committed. Only what the business logic applied is journalled:
 * a command it refused after a failure never reaches the journal, so recovery cannot replay what a
 * client was told had failed.
 *
 * <p>If a commit fails, no command of that batch is known to be durable: the whole batch, and
 * every later change, is answered with the failure ({@link StorageFailedException}); reads are
 * still answered (the replier tells them apart).
 */
final class JournallerHandler implements EventHandler<CommandEvent>, Journal.CommitTimings {
    private static final Logger LOG = LoggerFactory.getLogger(JournallerHandler.class);

    private final Journal journal;
    private final Replier replier;
    private final PipelineHooks hooks;
    private final CountDownLatch started;
    private final ByteBuffer scratch = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX);
    private volatile Throwable failure;
    private volatile long committed;
    /** The first ring sequence of the batch being journalled, or -1 between batches. */
    private long batchFirst = -1;

    JournallerHandler(Journal journal, Replier replier, PipelineHooks hooks, CountDownLatch started) {
        this.journal = journal;
        this.replier = replier;
        this.hooks = hooks;
        this.started = started;
        this.committed = journal.nextSequence() - 1;
    }

    @Override
    public void onStart() {
        started.countDown();
    }

    @Override
    public void onEvent(CommandEvent event, long ringSequence, boolean endOfBatch) {
        if (batchFirst < 0) {
            batchFirst = ringSequence;
        }
        append(event, ringSequence);
        if (endOfBatch) {
            Throwable batchFailure = commit(ringSequence);
            long first = batchFirst;
            batchFirst = -1;
            // The slots stay this stage's until onEvent returns: it is the last stage, so the ring
            // reuses them only once the Disruptor moves its sequence past the batch.
            replier.answerBatch(first, ringSequence, batchFailure);
        }
    }

    @Override
    public void committed(long writeNanos, long syncNanos) {
        hooks.committed(writeNanos, syncNanos);
    }

    private void append(CommandEvent event, long ringSequence) {
        if (failure != null
                || event.failure != null
                || event.expired
                || !event.command.type().isMutating()) {
            // After a journal failure the whole batch is answered with it at its end; a command
            // the business logic did not apply is not journalled.
            return;
        }
        try {
            CommandCodec.append(journal, scratch, event.command);
        } catch (Throwable t) {
            fail(t, ringSequence);
        }
    }

    /** @return null if every command of the batch is durable, else why none may be acknowledged */
    private Throwable commit(long ringSequence) {
        if (failure == null) {
            try {
                journal.commit(this);
                committed = journal.nextSequence() - 1;
            } catch (Throwable t) {
                fail(t, ringSequence);
            }
        }
        return failure;
    }

    private void fail(Throwable t, long ringSequence) {
        LOG.error("journal failed at ring sequence {}; the pipeline refuses changes from now on", ringSequence, t);
        failure = new StorageFailedException("the journal", t);
        hooks.failed();
    }

    Throwable failure() {
        return failure;
    }

    /** The journal sequence of the last command committed. */
    long committed() {
        return committed;
    }
}
