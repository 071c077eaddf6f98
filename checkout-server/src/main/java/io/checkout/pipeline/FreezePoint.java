package io.checkout.pipeline;

import io.checkout.engine.CheckoutBook;
import io.checkout.state.FrozenSnapshot;
import io.checkout.state.PackedCheckoutState;
import io.checkout.state.SnapshotStore;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the background snapshotter gets the live state held still for a snapshot
 * ({@link Snapshotter.Copy#FREEZE}): it asks ({@link #request}), and the single writer freezes its
 * state at the end of its next batch ({@link #atBatchEnd}), once the batch is applied and handed to
 * the journal, and answers with the {@link FrozenSnapshot} and the journal sequence, event
 * sequence and engine time it stands for. The writer thaws the state at the first batch end after
 * the snapshot is written or given up. A freeze costs the writer the copy of the small tables and
 * the setting up of the large ones' copy-on-write (a few arrays of unit states); after it, a write
 * into a unit of what is held that the snapshot has not yet written copies that unit (4 KB) first.
 */
final class FreezePoint {
    private static final Logger LOG = LoggerFactory.getLogger(FreezePoint.class);

    /** What a freeze hands the snapshotter. */
    record Frozen(FrozenSnapshot snapshot, SnapshotStore.Meta meta, long freezeNanos) {}

    private final AtomicReference<CompletableFuture<Frozen>> requested = new AtomicReference<>();
    /** The freeze under way; the writer's thread only. */
    private FrozenSnapshot held;

    /**
     * Asks for the state to be frozen at the writer's next batch end. The answer fails if the state
     * cannot be frozen (not a packed state, or the engine stopped); cancel it to withdraw the ask
     * (a freeze made after all is given up at once).
     */
    CompletableFuture<Frozen> request() {
        CompletableFuture<Frozen> asked = new CompletableFuture<>();
        CompletableFuture<Frozen> before = requested.getAndSet(asked);
        if (before != null) {
            before.cancel(false);
        }
        return asked;
    }

    /**
     * The writer, at the end of a batch it applied and handed to the journal, with nothing failed:
     * thaws a freeze whose snapshot is done, and freezes if asked to (and none is under way).
     */
    void atBatchEnd(CheckoutBook book, long journalSequence, long nextEventSequence) {
        FrozenSnapshot current = held;
        if (current != null) {
            if (!current.done()) {
                return;
            }
            ((PackedCheckoutState) book.state()).thaw();
            held = null;
        }
        if (requested.get() == null) {
            return;
        }
        CompletableFuture<Frozen> asked = requested.getAndSet(null);
        if (asked == null || asked.isDone()) {
            return;
        }
        if (!(book.state() instanceof PackedCheckoutState packed)) {
            asked.completeExceptionally(
                    new UnsupportedOperationException("only a packed state can be frozen for a snapshot"));
            return;
        }
        FrozenSnapshot frozen;
        long freezing = System.nanoTime();
        try {
            frozen = SnapshotStore.freeze(packed);
        } catch (RuntimeException e) {
            LOG.error("could not freeze the state for a snapshot", e);
            asked.completeExceptionally(e);
            return;
        }
        held = frozen;
        if (!asked.complete(new Frozen(
                frozen,
                new SnapshotStore.Meta(journalSequence, nextEventSequence, book.nowMillis()),
                System.nanoTime() - freezing))) {
            // Withdrawn meanwhile: nobody will write it.
            frozen.abandon();
        }
    }

    /**
     * The engine stopped: a pending ask fails, so the snapshotter does not wait for a batch end
     * that never comes. A freeze under way stays until its snapshot is done; nothing writes the
     * state any more.
     */
    void stopped(Throwable why) {
        CompletableFuture<Frozen> asked = requested.getAndSet(null);
        if (asked != null) {
            asked.completeExceptionally(why);
        }
    }
}
