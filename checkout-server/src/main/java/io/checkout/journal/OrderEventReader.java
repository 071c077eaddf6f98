package io.checkout.journal;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * Follows the order event log as it grows, for one subscriber: reads the events after a given
 * sequence, up to what the caller says is visible, a bounded number per call. Each event is decoded
 * into one record that is reused: a consumer copies what it keeps.
 */
public final class OrderEventReader implements AutoCloseable {
    private final RecordLogReader reader;
    private final OrderEventRecord record = new OrderEventRecord();

    private OrderEventReader(RecordLogReader reader) {
        this.reader = reader;
    }

    /**
     * A reader of the events after {@code afterSequence}; 0 starts at the oldest event the log
     * still holds.
     *
     * @throws SequenceNotRetainedException if the log no longer holds the event after {@code afterSequence}
     */
    public static OrderEventReader after(Path eventsDirectory, long afterSequence) {
        long first;
        if (afterSequence > 0) {
            first = afterSequence + 1;
        } else {
            List<RecordLog.Segment> segments = RecordLog.segments(eventsDirectory);
            first = segments.isEmpty() ? 1 : segments.get(0).firstSequence();
        }
        return new OrderEventReader(RecordLogReader.openAt(eventsDirectory, first));
    }

    /**
     * Hands {@code consumer} the next events up to and including {@code visibleThrough}, at most
     * {@code eventsMax} of them.
     *
     * @return how many events were handed over; 0 when none is visible yet
     */
    public int read(long visibleThrough, int eventsMax, Consumer<OrderEventRecord> consumer) {
        return reader.read(visibleThrough, eventsMax, (sequence, payload) -> {
            record.decode(sequence, payload);
            consumer.accept(record);
        });
    }

    @Override
    public void close() {
        reader.close();
    }
}
