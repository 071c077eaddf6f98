package io.checkout.state;

import java.util.Arrays;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.LongLongConsumer;

/**
 * A map of long keys to long counters (0 means absent) in {@link #SEGMENTS} Agrona maps, picked by
 * the key's hash, so that the work that copies or rehashes a map is a segment's, never the whole's.
 * One thread writes it; while it is frozen ({@link #freeze}) a reader on another thread may read
 * what {@link #freeze} handed it.
 *
 * <p>Why segments: the state keeps its further-SKU counters (users who buy several SKUs) here, and
 * as one map it stalled the engine twice over as a sale grew. A rehash moves every entry at once
 * (a map of a million counters rehashed as the unary latency run went on, 2026-12-08, and that
 * second's p99 was 15.4 ms against a median of 3.3); and a background snapshot held the map for its
 * reader, so the first write during it copied the whole map. Now a rehash or a copy is a 64th of
 * that, and the segments' rehashes are spread over the inserts that fill them.
 */
final class SegmentedCounters {
    static final int SEGMENT_BITS = 6;
    static final int SEGMENTS = 1 << SEGMENT_BITS;

    private final Long2LongHashMap[] segments = new Long2LongHashMap[SEGMENTS];
    /** While frozen: the segments still the reader's, which a write copies first; else all false. */
    private final boolean[] held = new boolean[SEGMENTS];
    /** What the freeze under way handed out, or null. */
    private Frozen frozen;

    private long size;

    /** Room for {@code expected} counters before any segment rehashes (as far as the keys spread evenly). */
    SegmentedCounters(long expected, float loadFactor) {
        if (expected < 0) {
            throw new IllegalArgumentException("expected counters below zero: " + expected);
        }
        int perSegment = (int) Math.min(1 << 26, Math.max(16, (long) ((expected / SEGMENTS) / loadFactor) + 1));
        for (int segment = 0; segment < SEGMENTS; segment++) {
            segments[segment] = new Long2LongHashMap(perSegment, loadFactor, 0);
        }
    }

    /**
     * The segment of {@code key}: the top bits of a multiplicative hash, unrelated to the low bits
     * each segment's map indexes by.
     */
    static int segmentOf(long key) {
        return (int) ((key * 0x9E37_79B9_7F4A_7C15L) >>> (64 - SEGMENT_BITS));
    }

    long get(long key) {
        return segments[segmentOf(key)].get(key);
    }

    /** Sets {@code key}'s counter; 0 removes it. */
    void put(long key, long value) {
        int segment = segmentOf(key);
        Long2LongHashMap map = held[segment] ? ownCopy(segment) : segments[segment];
        int before = map.size();
        if (value == 0) {
            map.remove(key);
        } else {
            map.put(key, value);
        }
        size += map.size() - before;
    }

    long size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Every counter, segment by segment. */
    void forEach(LongLongConsumer action) {
        forEach(segments, action);
    }

    /**
     * Holds the counters as they are for a reader on another thread until {@link #thaw}; writes go
     * on, each segment copied before its first write meanwhile.
     */
    Frozen freeze() {
        if (frozen != null) {
            throw new IllegalStateException("the counters are frozen already");
        }
        Arrays.fill(held, true);
        frozen = new Frozen(segments.clone(), size);
        return frozen;
    }

    /** Ends the freeze: call once the reader has read (or abandoned) what it was given. */
    void thaw() {
        frozen = null;
        Arrays.fill(held, false);
    }

    private Long2LongHashMap ownCopy(int segment) {
        long copying = System.nanoTime();
        Long2LongHashMap copy = new Long2LongHashMap(segments[segment]);
        segments[segment] = copy;
        held[segment] = false;
        frozen.copyNanos += System.nanoTime() - copying;
        return copy;
    }

    private static void forEach(Long2LongHashMap[] maps, LongLongConsumer action) {
        for (Long2LongHashMap map : maps) {
            map.forEachLong(action);
        }
    }

    /** The counters as they were at a freeze, for the reader; never written. */
    static final class Frozen {
        private final Long2LongHashMap[] segments;
        private final long size;
        /** Written by the writer's thread as it copies segments; read once the reader is done. */
        private long copyNanos;

        private Frozen(Long2LongHashMap[] segments, long size) {
            this.segments = segments;
            this.size = size;
        }

        long size() {
            return size;
        }

        void forEach(LongLongConsumer action) {
            SegmentedCounters.forEach(segments, action);
        }

        /** How long the writer spent copying segments it wrote during this freeze; 0 if none. */
        long copyNanos() {
            return copyNanos;
        }
    }
}
