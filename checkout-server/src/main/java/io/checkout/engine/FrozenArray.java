package io.checkout.engine;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

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
 * <p>The reader reads the units in order and publishes how far it is ({@code progress}: twice the
 * units read, plus one while it reads the next). The owner keeps a bit per unit it has dealt with
 * (saved, or found read already). Before its first write into a unit the reader has not read, it
 * saves a copy of the unit where the reader looks first, then waits while the reader is in that
 * very unit: the reader announces a unit before it looks for a copy of it, and the owner publishes
 * its copy before it looks at the reader (both volatile, so at least one sees the other). Either the
 * reader takes the copy, or the owner waits until the reader has copied the unit out of the array
 * (at most {@value #UNIT_BYTES} bytes into memory the reader holds: the reader must not block
 * between taking a unit and releasing it). The reader must read every unit (or {@link #abandon}
 * them) before the owner stops calling {@link #beforeWrite}.
 *
 * <p>A freeze allocates a bit per unit and a reference per {@value #PAGE_UNITS} units (the copies
 * are kept in pages made at the first save into them): about 0.003% of the array, where a state
 * byte and a copy slot per unit (0.12%, zeroed on the owner's thread at the freeze) made a freeze
 * of a few GB of state cost milliseconds (2-6 ms live, 2026-12-07).
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

    private static final int PAGE_SHIFT = 10;
    private static final int PAGE_UNITS = 1 << PAGE_SHIFT;
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Object[].class);
    private static final VarHandle PROGRESS;
    /** Spins of a waiting owner before it yields its CPU to the reader, on a machine of few cores. */
    private static final int SPINS_BEFORE_YIELD = 64;

    static {
        try {
            PROGRESS = MethodHandles.lookup().findVarHandle(FrozenArray.class, "progress", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Object array;
    private final int length;
    private final int unitShift;
    private final int units;
    /**
     * The reader's: twice the units it has read (and released), plus one while it reads the next;
     * {@code 2 * units} once it has read them all or given them up. Only ever grows.
     */
    private volatile int progress;
    /** Set by {@link #abandon}: a reader on another thread takes no further unit. */
    private volatile boolean abandoned;
    /** The owner's: a bit per unit it need not look at again (saved, or read by the reader already). */
    private final long[] dealtWith;
    /** Pages of {@value #PAGE_UNITS} copies, made by the owner at its first save into each. */
    private final Object[] pages;

    private long savedUnits;

    private FrozenArray(Object array, int arrayLength, int length, int elementBytes) {
        if (length < 0 || length > arrayLength) {
            throw new IllegalArgumentException("frozen length must be 0.." + arrayLength + ", got " + length);
        }
        this.array = array;
        this.length = length;
        this.unitShift = Integer.numberOfTrailingZeros(UNIT_BYTES / elementBytes);
        this.units = (int) (((long) length + (1L << unitShift) - 1) >>> unitShift);
        this.dealtWith = new long[(units + 63) >>> 6];
        this.pages = new Object[(units + PAGE_UNITS - 1) >>> PAGE_SHIFT];
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
        if (index < length) {
            int unit = index >>> unitShift;
            if ((dealtWith[unit >>> 6] & (1L << unit)) == 0) {
                dealWith(unit);
            }
        }
    }

    /** The owner, before it writes elements {@code from..to-1} (a bulk write: a fill, a copy). */
    public void beforeWrite(int from, int to) {
        int last = Math.min(to, length) - 1;
        if (from > last) {
            return;
        }
        for (int unit = from >>> unitShift; unit <= last >>> unitShift; unit++) {
            if ((dealtWith[unit >>> 6] & (1L << unit)) == 0) {
                dealWith(unit);
            }
        }
    }

    private void dealWith(int unit) {
        dealtWith[unit >>> 6] |= 1L << unit;
        if (unit < progress >>> 1) {
            return; // read already
        }
        Object[] page = (Object[]) pages[unit >>> PAGE_SHIFT];
        if (page == null) {
            page = new Object[Math.min(PAGE_UNITS, units - (unit & -PAGE_UNITS))];
            // Published by the volatile store of the copy below, which the reader loads after the page.
            SLOTS.setVolatile(pages, unit >>> PAGE_SHIFT, page);
        }
        SLOTS.setVolatile(page, unit & (PAGE_UNITS - 1), copyOf(unit));
        savedUnits++;
        // The reader may have taken the unit before the copy was there: wait until it has let it go.
        int reading = 2 * unit + 1;
        int spins = 0;
        while (progress == reading) {
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
        for (int unit = 0; unit < units; unit++) {
            int from = unit << unitShift;
            int count = Math.min(length - from, 1 << unitShift);
            if (abandoned || !PROGRESS.compareAndSet(this, 2 * unit, 2 * unit + 1)) {
                throw new IllegalStateException("unit " + unit + " was read already (or given up)");
            }
            Object copy = null;
            Object[] page = (Object[]) SLOTS.getVolatile(pages, unit >>> PAGE_SHIFT);
            if (page != null) {
                copy = SLOTS.getVolatile(page, unit & (PAGE_UNITS - 1));
            }
            try {
                if (copy == null) {
                    reader.unit(array, from, count);
                } else {
                    page[unit & (PAGE_UNITS - 1)] = null;
                    reader.unit(copy, 0, count);
                }
            } finally {
                progress = 2 * unit + 2;
            }
            reader.afterUnit();
        }
    }

    /**
     * The reader gives up: every unit not yet read is released to the owner unread (and the copies
     * the owner saved are dropped), so the owner never waits for a reader that stopped. From another
     * thread than a reader's, it first waits for the unit being read, if any.
     */
    public void abandon() {
        // Seen by a reader before it takes its next unit: it stops there, so this wait ends.
        abandoned = true;
        int spins = 0;
        while (true) {
            int now = progress;
            if (now >= 2 * units) {
                break;
            }
            if ((now & 1) == 0 && PROGRESS.compareAndSet(this, now, 2 * units)) {
                break;
            }
            if (++spins >= SPINS_BEFORE_YIELD) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
        Arrays.fill(pages, null);
    }

    /** Units the owner copied aside so far (owner thread; tests and metrics). */
    public long savedUnits() {
        return savedUnits;
    }
}
