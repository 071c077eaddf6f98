package io.checkout.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A primitive array ({@code long[]}, {@code int[]} or {@code byte[]}) held as it was at one
 * instant for a reader on another thread, while its owner goes on writing it: copy-on-write in
 * units of {@value #UNIT_BYTES} bytes, the way an in-memory database writes a consistent snapshot
 * without stopping its writer (VoltDB's copy-on-write snapshots). The owner calls {@link
 * #beforeWrite} before every write into the first {@code length} elements (the frozen part); the
 * first write into a unit the reader has not read yet copies the unit aside first, and the reader
 * takes that copy instead of the array. Writes past the frozen part (rows appended since) cost
 * nothing.
 *
 * <p>Each unit moves once from PENDING to either SAVED (the owner copied it aside) or READING then
 * DONE (the reader copied it out of the array); both sides claim a unit with one compare-and-set,
 * so a unit is never read while it is written. An owner that finds a unit being read waits for
 * that one unit, a copy of at most {@value #UNIT_BYTES} bytes into memory the reader holds (the
 * reader must not block between claiming a unit and releasing it). The reader must read every unit
 * (or {@link #abandon} them) before the owner stops calling {@link #beforeWrite}.
 */
public final class FrozenArray {
    /** The unit of copy-on-write: one write into a unit not yet read copies this many bytes at most. */
    public static final int UNIT_BYTES = 4096;

    /** Where {@link #read} hands each unit: the array holding it (the live one or a copy) and its range. */
    @FunctionalInterface
    public interface UnitReader {
        /** Copies the unit's elements {@code offset..offset+length-1} of {@code array}; must not block. */
        void unit(Object array, int offset, int length);

        /**
         * Called after each unit is released to the owner: the place to do what may block (write
         * out a full buffer, then the part of the unit that did not fit), which {@link #unit} must
         * not do.
         */
        default void afterUnit() {}
    }

    private static final byte PENDING = 0;
    private static final byte READING = 1;
    private static final byte SAVED = 2;
    private static final byte DONE = 3;
    private static final VarHandle STATES = MethodHandles.arrayElementVarHandle(byte[].class);
    /** Spins of a waiting owner before it yields its CPU to the reader, on a machine of few cores. */
    private static final int SPINS_BEFORE_YIELD = 64;

    private final Object array;
    private final int length;
    private final int unitShift;
    private final byte[] states;
    private final Object[] saved;
    private long savedUnits;

    private FrozenArray(Object array, int arrayLength, int length, int elementBytes) {
        if (length < 0 || length > arrayLength) {
            throw new IllegalArgumentException("frozen length must be 0.." + arrayLength + ", got " + length);
        }
        this.array = array;
        this.length = length;
        this.unitShift = Integer.numberOfTrailingZeros(UNIT_BYTES / elementBytes);
        int units = (int) (((long) length + (1L << unitShift) - 1) >>> unitShift);
        this.states = new byte[units];
        this.saved = new Object[units];
    }

    /** {@code array}'s first {@code length} elements, as they are now. */
    public static FrozenArray of(long[] array, int length) {
        return new FrozenArray(array, array.length, length, Long.BYTES);
    }

    /** {@code array}'s first {@code length} elements, as they are now. */
    public static FrozenArray of(int[] array, int length) {
        return new FrozenArray(array, array.length, length, Integer.BYTES);
    }

    /** {@code array}'s first {@code length} elements, as they are now. */
    public static FrozenArray of(byte[] array, int length) {
        return new FrozenArray(array, array.length, length, 1);
    }

    /** The array held (the live one). */
    public Object array() {
        return array;
    }

    /** How many of its first elements are held. */
    public int length() {
        return length;
    }

    /**
     * The owner, before it writes element {@code index}: copies the element's unit aside if the
     * reader has not read it yet, or waits while the reader copies it.
     */
    public void beforeWrite(int index) {
        if (index < length && (byte) STATES.getAcquire(states, index >>> unitShift) < SAVED) {
            save(index >>> unitShift);
        }
    }

    /** The owner, before it writes elements {@code from..to-1} (a bulk write: a fill, a copy). */
    public void beforeWrite(int from, int to) {
        int last = Math.min(to, length) - 1;
        if (from > last) {
            return;
        }
        for (int unit = from >>> unitShift; unit <= last >>> unitShift; unit++) {
            if ((byte) STATES.getAcquire(states, unit) < SAVED) {
                save(unit);
            }
        }
    }

    private void save(int unit) {
        if ((byte) STATES.getAcquire(states, unit) == PENDING) {
            saved[unit] = copyOf(unit);
            // The copy is published by this exchange: the reader reads it only after seeing SAVED.
            byte witness = (byte) STATES.compareAndExchange(states, unit, PENDING, SAVED);
            if (witness == PENDING) {
                savedUnits++;
                return;
            }
            saved[unit] = null;
        }
        int spins = 0;
        while ((byte) STATES.getAcquire(states, unit) == READING) {
            if (++spins < SPINS_BEFORE_YIELD) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    private Object copyOf(int unit) {
        int from = unit << unitShift;
        int count = Math.min(length - from, 1 << unitShift);
        Object copy;
        if (array instanceof long[]) {
            copy = new long[count];
        } else if (array instanceof int[]) {
            copy = new int[count];
        } else {
            copy = new byte[count];
        }
        System.arraycopy(array, from, copy, 0, count);
        return copy;
    }

    /**
     * The reader: hands every unit of the frozen part to {@code reader}, in order, each as it was
     * at the freeze (a range of the live array, or the copy the owner saved at offset 0). The
     * reader must copy what it is given before it returns, and must not block: the owner may be
     * waiting for that unit. Call once.
     */
    public void read(UnitReader reader) {
        for (int unit = 0; unit < states.length; unit++) {
            int from = unit << unitShift;
            int count = Math.min(length - from, 1 << unitShift);
            byte witness = (byte) STATES.compareAndExchange(states, unit, PENDING, READING);
            if (witness == PENDING) {
                try {
                    reader.unit(array, from, count);
                } finally {
                    STATES.setRelease(states, unit, DONE);
                }
                reader.afterUnit();
            } else if (witness == SAVED) {
                Object copy = saved[unit];
                saved[unit] = null;
                reader.unit(copy, 0, count);
                reader.afterUnit();
            } else {
                throw new IllegalStateException("unit " + unit + " was read already");
            }
        }
    }

    /**
     * The reader gives up: every unit not yet read is released to the owner unread (and the copies
     * the owner saved are dropped), so the owner never waits for a reader that stopped.
     */
    public void abandon() {
        for (int unit = 0; unit < states.length; unit++) {
            if ((byte) STATES.compareAndExchange(states, unit, PENDING, DONE) == SAVED) {
                saved[unit] = null;
                STATES.setRelease(states, unit, DONE);
            }
        }
    }

    /** Units the owner copied aside so far (owner thread; tests and metrics). */
    public long savedUnits() {
        return savedUnits;
    }
}
