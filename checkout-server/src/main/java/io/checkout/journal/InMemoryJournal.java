package io.checkout.journal;

import java.nio.ByteBuffer;

/**
 * A journal that numbers records as the server's journal does and keeps none of them: nothing
 * survives the process. It lets the tests and the benchmarks run the pipeline as the server wires
 * it, without a disk.
 */
public final class InMemoryJournal implements Journal {
    private long nextSequence;

    public InMemoryJournal(long firstSequence) {
        this.nextSequence = firstSequence;
    }

    @Override
    public long nextSequence() {
        return nextSequence;
    }

    @Override
    public long append(ByteBuffer payload) {
        if (payload.remaining() > RecordLog.PAYLOAD_BYTES_MAX) {
            throw new IllegalArgumentException(
                    "record of " + payload.remaining() + " bytes exceeds " + RecordLog.PAYLOAD_BYTES_MAX);
        }
        payload.position(payload.limit());
        return nextSequence++;
    }

    @Override
    public void commit(CommitTimings timings) {
        timings.committed(0, 0);
    }
}
