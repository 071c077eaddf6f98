package io.checkout.loadgen;

import java.time.Duration;
import java.util.Locale;

/**
 * The {@code booking} scenario's catalog (O2O booking): every SKU is one time slot of one store,
 * its stock the slot's capacity and its sale window the slot's booking window.
 *
 * <p>SKU {@code index} is slot {@code index % slotsPerStore} of store {@code index / slotsPerStore},
 * named {@code <prefix>store-007:slot-0013}: the text before the first ':' is the partition key, so
 * a store's slots share a partition.
 *
 * <p>Time model: the run stands for the booking horizon. Every window opens at setup; slot {@code
 * k} (0-based) of every store closes at {@code setup + (k + 1) * duration / slotsPerStore}, so the
 * windows close one after another along the run, the last as the run ends. (Its close is the slot's
 * start minus the booking cutoff, on a clock that the run compresses.) A reserve for a slot whose
 * window has closed is answered {@code NOT_ON_SALE} by the server.
 *
 * <p>Demand: stores by Zipf popularity (store 0 the most popular), slots by the hour of day they
 * fall in ({@link #hourOf}), evenings hottest ({@link #slotWeight}), among the slots still open
 * ({@link #firstOpenSlot}); a fraction {@code lateRatio} of bookings pick from the whole day, closed
 * windows included, as from a stale screen.
 *
 * @param stores how many stores
 * @param slotsPerStore how many slots each store has, spread over a day
 * @param lateRatio fraction of bookings whose slot is drawn from the whole day, open or closed
 */
record Booking(int stores, int slotsPerStore, double lateRatio) {

    static final int STORES_MAX = 100_000;
    static final int SLOTS_PER_STORE_MAX = 10_000;
    static final int EVENING_FIRST_HOUR = 17;
    static final int EVENING_LAST_HOUR = 21;

    /**
     * Demand for a slot by its hour of day, relative: night hardly, a lunch bump, the evening
     * (18:00-20:59) the peak. An O2O booking day (restaurants, salons, courts).
     */
    private static final double[] HOUR_WEIGHTS = {
        0.1,
        0.1,
        0.1,
        0.1,
        0.1,
        0.1,
        0.1, // 00-06 night
        0.5,
        0.5,
        0.5,
        0.5, // 07-10 morning
        1.5,
        1.5,
        1.5, // 11-13 lunch
        0.8,
        0.8,
        0.8, // 14-16 afternoon
        2.0,
        4.0,
        4.0,
        4.0,
        2.0, // 17-21 evening, 18-20 the peak
        0.5,
        0.5 // 22-23 late
    };

    Booking {
        if (stores < 1 || stores > STORES_MAX) {
            throw new IllegalArgumentException("--stores must be 1.." + STORES_MAX + ", got " + stores);
        }
        if (slotsPerStore < 1 || slotsPerStore > SLOTS_PER_STORE_MAX) {
            throw new IllegalArgumentException(
                    "--slots-per-store must be 1.." + SLOTS_PER_STORE_MAX + ", got " + slotsPerStore);
        }
        if (!(lateRatio >= 0 && lateRatio <= 1)) {
            throw new IllegalArgumentException("--late-ratio must be 0..1, got " + lateRatio);
        }
        if ((long) stores * slotsPerStore > RunSettings.SKUS_MAX) {
            throw new IllegalArgumentException("--stores x --slots-per-store must be at most " + RunSettings.SKUS_MAX
                    + " SKUs, got " + (long) stores * slotsPerStore);
        }
    }

    /** How many SKUs: one per (store, slot). */
    int skus() {
        return stores * slotsPerStore;
    }

    int storeOf(int index) {
        return index / slotsPerStore;
    }

    int slotOf(int index) {
        return index % slotsPerStore;
    }

    int index(int store, int slot) {
        return store * slotsPerStore + slot;
    }

    /** {@code <prefix>store-007:slot-0013}; the partition key is {@code <prefix>store-007}. */
    String skuId(String prefix, int index) {
        return String.format(Locale.ROOT, "%sstore-%03d:slot-%04d", prefix, storeOf(index), slotOf(index));
    }

    /** The hour of day slot {@code slot} starts in: the store's slots spread evenly over 24 hours. */
    int hourOf(int slot) {
        return (int) ((long) slot * 24 / slotsPerStore);
    }

    /** Relative demand for slot {@code slot} of any store, by its hour of day. */
    double slotWeight(int slot) {
        return HOUR_WEIGHTS[hourOf(slot)];
    }

    /** Whether slot {@code slot} starts in the evening, 17:00-21:59, the hours most wanted. */
    boolean evening(int slot) {
        int hour = hourOf(slot);
        return hour >= EVENING_FIRST_HOUR && hour <= EVENING_LAST_HOUR;
    }

    /** Every slot's weight, slot 0 first. */
    double[] slotWeights() {
        double[] weights = new double[slotsPerStore];
        for (int slot = 0; slot < slotsPerStore; slot++) {
            weights[slot] = slotWeight(slot);
        }
        return weights;
    }

    /**
     * How long after the windows open slot {@code slot}'s window closes: {@code (slot + 1) *
     * duration / slotsPerStore}, at least 1 ms.
     */
    long windowMillis(int slot, Duration duration) {
        return Math.max(1, duration.toMillis() * (slot + 1) / slotsPerStore);
    }

    /**
     * The first slot whose window is still open {@code elapsedMillis} after the windows opened (the
     * windows close in slot order); {@code slotsPerStore} once every one has closed.
     */
    int firstOpenSlot(long elapsedMillis, Duration duration) {
        int low = 0;
        int high = slotsPerStore;
        while (low < high) {
            int middle = (low + high) >>> 1;
            if (windowMillis(middle, duration) > elapsedMillis) {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        return low;
    }

    /** The end of SKU {@code index}'s sale: its slot's window close, for windows opened at {@code opensAtMillis}. */
    long saleEndEpochMillis(int index, long opensAtMillis, Duration duration) {
        return opensAtMillis + windowMillis(slotOf(index), duration);
    }
}
