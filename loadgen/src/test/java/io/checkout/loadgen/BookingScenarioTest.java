package io.checkout.loadgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.checkout.contract.Partitioning;
import io.checkout.proto.v1.Sku;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.rng.simple.RandomSource;
import org.junit.jupiter.api.Test;

/** The booking scenario's SKUs, windows and demand, from its options; seeded, so deterministic. */
class BookingScenarioTest {

    private static RunSettings settings(String... args) {
        PrintStream discard = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        Loadgen loadgen = new Loadgen(discard, discard, null);
        Loadgen.commandLine(loadgen).parseArgs(args);
        return loadgen.settings("r1");
    }

    private static Scenario scenario(RunSettings settings, long seed) {
        return new Scenario(settings, RandomSource.XO_RO_SHI_RO_128_PP.create(seed), "r1");
    }

    @Test
    void defaultsAreTwentyStoresOfTwentyFourHourlySlotsWithFourPlacesAndOneBookingAPerson() {
        RunSettings settings = settings("--scenario", "booking", "--setup");

        assertThat(settings.booking()).isEqualTo(new Booking(20, 24, 0.05));
        assertThat(settings.skus()).isEqualTo(480);
        assertThat(settings.stock()).isEqualTo(4);
        assertThat(settings.perUserLimit()).isEqualTo(1);
        assertThat(settings.confirmRatio()).isEqualTo(0.8);
        assertThat(settings.cancelRatio()).isEqualTo(0.1);
        assertThat(settings.skuPrefix()).isEqualTo("lg-r1-");
        // The other scenarios have no booking.
        assertThat(settings("--scenario", "catalog").booking()).isNull();
    }

    @Test
    void skuIdsNameTheStoreAndTheSlotAndAStoresSlotsShareAPartition() {
        RunSettings settings = settings("--scenario", "booking", "--setup");

        assertThat(settings.skuId(0)).isEqualTo("lg-r1-store-000:slot-0000");
        assertThat(settings.skuId(7 * 24 + 13)).isEqualTo("lg-r1-store-007:slot-0013");
        assertThat(settings.skuId(479)).isEqualTo("lg-r1-store-019:slot-0023");
        Set<String> ids = new HashSet<>();
        for (int index = 0; index < settings.skus(); index++) {
            String id = settings.skuId(index);
            ids.add(id);
            assertThat(id).matches("[A-Za-z0-9._:-]{1,64}");
            // The partition key is the text before the first ':': the store.
            String store = String.format("lg-r1-store-%03d", index / 24);
            assertThat(id).startsWith(store + ":");
            assertThat(Partitioning.slotOf(id)).isEqualTo(Partitioning.slotOf(store));
        }
        assertThat(ids).hasSize(480);
        // The longest ids there can be still fit the contract's 64 characters.
        String prefix = "p".repeat(40);
        assertThat(new Booking(Booking.STORES_MAX, 10, 0).skuId(prefix, Booking.STORES_MAX * 10 - 1))
                .isEqualTo(prefix + "store-99999:slot-0009")
                .hasSizeLessThanOrEqualTo(64);
        assertThat(new Booking(100, Booking.SLOTS_PER_STORE_MAX, 0)
                        .skuId(prefix, 100 * Booking.SLOTS_PER_STORE_MAX - 1))
                .isEqualTo(prefix + "store-099:slot-9999")
                .hasSizeLessThanOrEqualTo(64);
    }

    @Test
    void bookingWindowsOpenAtSetupAndCloseSlotBySlotAlongTheRun() {
        RunSettings settings = settings(
                "--scenario", "booking", "--setup", "--stores", "3", "--slots-per-store", "6", "--duration", "6s");
        long setup = 1_700_000_000_000L;

        for (int store = 0; store < 3; store++) {
            for (int slot = 0; slot < 6; slot++) {
                // Slot k closes (k + 1) x 6 s / 6 after setup, whatever the store.
                assertThat(settings.saleEndEpochMillis(store * 6 + slot, setup)).isEqualTo(setup + (slot + 1) * 1_000L);
            }
        }
        // The defaults: 24 slots over 10 s, slot 0 after 416 ms, the last as the run ends.
        RunSettings defaults = settings("--scenario", "booking", "--setup");
        assertThat(defaults.saleEndEpochMillis(0, setup)).isEqualTo(setup + 416);
        assertThat(defaults.saleEndEpochMillis(23, setup)).isEqualTo(setup + 10_000);
        assertThat(defaults.saleEndEpochMillis(24, setup)).isEqualTo(setup + 416);
        assertThat(new Booking(1, 1000, 0.05).windowMillis(0, Duration.ofMillis(500)))
                .isEqualTo(1);
        // The other scenarios' sales have no end.
        assertThat(settings("--setup").saleEndEpochMillis(0, setup)).isZero();
        // The line printed before the run states the rule.
        assertThat(Loadgen.bookingLines(settings))
                .contains("3 stores x 6 slots, SKUs lg-r1-store-000:slot-0000 .. lg-r1-store-002:slot-0005")
                .contains(
                        "slot k closes at setup + (k + 1) x 6.000 s / 6 (slot 0 at 1.000 s, the last at 6.000 s, when the run stops sending)");
    }

    @Test
    void slotsSpreadOverTheDayWithTheEveningMostWanted() {
        Booking hourly = new Booking(1, 24, 0.05);
        assertThat(hourly.hourOf(0)).isZero();
        assertThat(hourly.hourOf(19)).isEqualTo(19);
        assertThat(hourly.slotWeight(19)).isGreaterThan(hourly.slotWeight(12));
        assertThat(hourly.slotWeight(12)).isGreaterThan(hourly.slotWeight(9));
        assertThat(hourly.slotWeight(9)).isGreaterThan(hourly.slotWeight(3));
        assertThat(hourly.evening(17)).isTrue();
        assertThat(hourly.evening(21)).isTrue();
        assertThat(hourly.evening(22)).isFalse();
        assertThat(hourly.evening(12)).isFalse();
        Booking sixSlots = new Booking(1, 6, 0.05);
        assertThat(List.of(0, 1, 2, 3, 4, 5)).extracting(sixSlots::hourOf).containsExactly(0, 4, 8, 12, 16, 20);
        assertThat(new Booking(1, 48, 0.05).hourOf(47)).isEqualTo(23);
    }

    @Test
    void demandIsZipfOverStoresAndFollowsTheHourOverSlots() {
        RunSettings settings = settings("--scenario", "booking", "--setup", "--seed", "42");
        Booking booking = settings.booking();
        Scenario scenario = scenario(settings, 42);
        int draws = 200_000;
        int[] byStore = new int[booking.stores()];
        int[] bySlot = new int[booking.slotsPerStore()];
        for (int i = 0; i < draws; i++) {
            int index = scenario.nextSkuIndex();
            byStore[booking.storeOf(index)]++;
            bySlot[booking.slotOf(index)]++;
        }

        // Zipf exponent 1 over 20 stores: store s draws 1 / ((s + 1) H(20)), H(20) = 3.598.
        double harmonic = 0;
        for (int rank = 1; rank <= 20; rank++) {
            harmonic += 1.0 / rank;
        }
        assertThat(byStore[0] / (double) draws).isCloseTo(1 / harmonic, within(0.01));
        assertThat(byStore[19] / (double) draws).isCloseTo(1 / (20 * harmonic), within(0.005));
        assertThat(byStore[0]).isGreaterThan(byStore[1]).isGreaterThan(10 * byStore[19]);
        // Slots by their hour's weight: 19:00 is 4 of 26.6, 03:00 0.1.
        double total = 0;
        for (double weight : booking.slotWeights()) {
            total += weight;
        }
        assertThat(bySlot[19] / (double) draws).isCloseTo(4 / total, within(0.01));
        assertThat(bySlot[3] / (double) draws).isCloseTo(0.1 / total, within(0.002));
        assertThat(bySlot[19]).isGreaterThan(bySlot[12]).isGreaterThan(bySlot[3]);
    }

    @Test
    void theFirstOpenSlotIsTheFirstWhoseWindowHasNotClosed() {
        Booking booking = new Booking(3, 6, 0);
        Duration run = Duration.ofSeconds(6);

        assertThat(booking.firstOpenSlot(0, run)).isZero();
        assertThat(booking.firstOpenSlot(999, run)).isZero();
        assertThat(booking.firstOpenSlot(1_000, run)).isEqualTo(1);
        assertThat(booking.firstOpenSlot(4_500, run)).isEqualTo(4);
        assertThat(booking.firstOpenSlot(5_999, run)).isEqualTo(5);
        assertThat(booking.firstOpenSlot(6_000, run)).isEqualTo(6);
        assertThat(booking.firstOpenSlot(60_000, run)).isEqualTo(6);
    }

    @Test
    void bookingsGoToTheSlotsStillOpenButLateOnesToAnySlot() {
        String[] options = {
            "--scenario", "booking", "--setup", "--stores", "5", "--slots-per-store", "6", "--duration", "6s"
        };
        RunSettings onTime = settings(concat(options, "--late-ratio", "0"));
        RunSettings someLate = settings(concat(options, "--late-ratio", "0.2"));
        int draws = 100_000;

        // 4.5 s after setup slots 0..3 (00:00 .. 12:00) have closed; 16:00 and 20:00 weigh 0.8 and 4.
        double[] shares = slotShares(scenario(onTime, 3, 4_500), onTime.booking(), draws);
        assertThat(shares[0] + shares[1] + shares[2] + shares[3]).isZero();
        assertThat(shares[4]).isCloseTo(0.8 / 4.8, within(0.01));
        assertThat(shares[5]).isCloseTo(4 / 4.8, within(0.01));
        // A fifth of them late: those pick from the whole day (weights 0.1, 0.1, 0.5, 1.5, 0.8, 4; 7 in all).
        shares = slotShares(scenario(someLate, 3, 4_500), someLate.booking(), draws);
        assertThat(shares[0] + shares[1] + shares[2] + shares[3]).isCloseTo(0.2 * 2.2 / 7, within(0.01));
        assertThat(shares[3]).isCloseTo(0.2 * 1.5 / 7, within(0.005));
        assertThat(shares[5]).isCloseTo(0.8 * 4 / 4.8 + 0.2 * 4 / 7, within(0.01));
        // Once every window has closed, or when the windows are not known, any slot by its weight.
        for (long elapsed : new long[] {6_000, -1}) {
            shares = slotShares(scenario(onTime, 3, elapsed), onTime.booking(), draws);
            assertThat(shares[0]).isCloseTo(0.1 / 7, within(0.005));
            assertThat(shares[3]).isCloseTo(1.5 / 7, within(0.01));
            assertThat(shares[5]).isCloseTo(4 / 7.0, within(0.01));
        }
    }

    private static Scenario scenario(RunSettings settings, long seed, long sinceWindowsOpened) {
        return new Scenario(settings, RandomSource.XO_RO_SHI_RO_128_PP.create(seed), "r1", () -> sinceWindowsOpened);
    }

    private static double[] slotShares(Scenario scenario, Booking booking, int draws) {
        double[] shares = new double[booking.slotsPerStore()];
        for (int i = 0; i < draws; i++) {
            shares[booking.slotOf(scenario.nextSkuIndex())] += 1.0 / draws;
        }
        return shares;
    }

    private static String[] concat(String[] first, String... more) {
        String[] all = Arrays.copyOf(first, first.length + more.length);
        System.arraycopy(more, 0, all, first.length, more.length);
        return all;
    }

    @Test
    void theSameSeedDrawsTheSameBookings() {
        RunSettings settings = settings("--scenario", "booking", "--setup");
        Scenario first = scenario(settings, 7);
        Scenario second = scenario(settings, 7);
        Scenario other = scenario(settings, 8);
        List<String> firstIds = new ArrayList<>();
        List<String> secondIds = new ArrayList<>();
        List<String> otherIds = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            firstIds.add(first.nextSkuId() + " " + first.nextUserId());
            secondIds.add(second.nextSkuId() + " " + second.nextUserId());
            otherIds.add(other.nextSkuId() + " " + other.nextUserId());
        }
        assertThat(firstIds).isEqualTo(secondIds).isNotEqualTo(otherIds);
        assertThat(firstIds.get(0)).matches("lg-r1-store-\\d{3}:slot-\\d{4} u-r1-\\d+");
    }

    @Test
    void theSummaryCountsFullyBookedSlotsAndSlotsWithPlacesLeft() {
        RunSettings settings = settings("--scenario", "booking", "--setup", "--stores", "2");
        Map<String, Sku> skus = new HashMap<>();
        for (int index = 0; index < settings.skus(); index++) {
            String id = settings.skuId(index);
            skus.put(id, sku(id, 4, 0, 0));
        }
        // Store 0's 19:00 slot: 3 paid, 1 held; its 03:00 slot: 1 paid; store 1's 12:00 slot: 4 paid.
        skus.put(settings.skuId(19), sku(settings.skuId(19), 0, 1, 3));
        skus.put(settings.skuId(3), sku(settings.skuId(3), 3, 0, 1));
        skus.put(settings.skuId(24 + 12), sku(settings.skuId(24 + 12), 0, 0, 4));

        Report.BookedSlots slots = Report.BookedSlots.of(settings, skus, 0.25);

        assertThat(slots).isEqualTo(new Report.BookedSlots(2, 24, 2, 46, 9, 192, 10, 1, 1, 1, 0.25));
    }

    private static Sku sku(String id, long available, long reserved, long sold) {
        return Sku.newBuilder()
                .setSkuId(id)
                .setTotalStock(available + reserved + sold)
                .setAvailable(available)
                .setReserved(reserved)
                .setSold(sold)
                .build();
    }
}
