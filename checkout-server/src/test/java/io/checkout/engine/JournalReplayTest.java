package io.checkout.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.journal.CommandCodec;
import io.checkout.journal.EventCounter;
import io.checkout.journal.RecordLogReader;
import io.checkout.journal.RecordLogWriter;
import io.checkout.pipeline.CheckoutPipeline;
import io.checkout.pipeline.CommandPublisher;
import io.checkout.pipeline.JournalConfig;
import io.checkout.pipeline.JournalReplayer;
import io.checkout.pipeline.PipelineConfig;
import io.checkout.pipeline.Recovery;
import io.checkout.pipeline.ReplyHandler;
import io.checkout.pipeline.Snapshotter;
import io.checkout.state.CampaignSamples;
import io.checkout.state.FrozenSnapshot;
import io.checkout.state.PackedCheckoutState;
import io.checkout.state.SnapshotStore;
import io.checkout.state.StateCapacities;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The engine is deterministic: the seeded simulation's command stream is journalled while a live
 * engine applies it, and replaying that journal (from nothing, twice, or from a snapshot taken half
 * way) must reach the live engine's state exactly, compared by a hash over every table.
 */
class JournalReplayTest {
    private static final long SEED = Long.getLong("simulation.seed", 77L);
    private static final int COMMANDS = 200_000;
    /** A retention window, so that replay must also forget the same remembered answers. */
    private static final EngineLimits LIMITS = new EngineLimits(
            EngineLimits.defaults().linesPerOrderMax(),
            EngineLimits.defaults().quantityPerLineMax(),
            EngineLimits.defaults().expiriesPerTickMax(),
            EngineLimits.ID_LENGTH_MAX,
            8_000);

    private static final int SKU_CAPACITY = 1_000;
    private static final long CAPACITY = 400_000;

    @TempDir
    Path temp;

    @Test
    void replayingTheSameJournalTwiceShouldReachTheLiveStateBothTimes() throws IOException {
        Path first = temp.resolve("first");
        Live live = runLive(first, COMMANDS, -1);
        Path second = temp.resolve("second");
        copyTree(first.resolve("journal"), second.resolve("journal"));

        String once = recoveredHash(first);
        String twice = recoveredHash(second);

        System.out.println("seed " + SEED + ": " + live.journalled + " commands journalled, state hash " + live.hash);
        assertThat(once).as("seed %d: first replay", SEED).isEqualTo(live.hash);
        assertThat(twice).as("seed %d: second replay", SEED).isEqualTo(live.hash);
    }

    @Test
    void snapshotHalfWayPlusReplayOfTheRestShouldReachTheLiveState() {
        Path data = temp.resolve("data");
        Live live = runLive(data, COMMANDS, COMMANDS / 2);

        Recovery.Recovered recovered = recover(data);
        try {
            assertThat(recovered.snapshotSequence()).isPositive();
            assertThat(recovered.replayedCommands()).isLessThan(live.journalled);
            assertThat(hash(recovered.state())).as("seed %d", SEED).isEqualTo(live.hash);
            assertThat(recovered.book().nowMillis()).isEqualTo(live.nowMillis);
        } finally {
            recovered.journal().close();
            recovered.events().close();
        }
    }

    @Test
    void backgroundSnapshotShouldLeaveOnlyTheRestToReplayAndRetireTheJournalItCovers() {
        Path data = temp.resolve("data");
        Live live = runLive(data, COMMANDS, -1);
        Recovery.Layout layout = Recovery.Layout.under(data);
        int segmentsBefore =
                io.checkout.journal.RecordLog.segments(layout.journal()).size();
        assertThat(segmentsBefore)
                .as("the run must span several journal segments")
                .isGreaterThan(1);
        long snapshotAt = live.journalled - 1_000;

        Snapshotter snapshotter = snapshotter(
                layout, new SnapshotStore(layout.snapshots()), 1, 0, () -> snapshotAt, () -> 0, () -> Double.NaN);
        snapshotter.snapshotAt(snapshotAt);
        snapshotter.close();

        assertThat(io.checkout.journal.RecordLog.segments(layout.journal())).hasSizeLessThan(segmentsBefore);
        assertRecoversTo(data, snapshotAt, 1_000, live);
    }

    /**
     * Three snapshots in a row, each onto the copy the one before kept (one load, of nothing) or
     * each from a load of the one before: the same files, and a restart from either reaches the
     * live state.
     */
    @Test
    void snapshotsOntoTheKeptCopyShouldEqualSnapshotsFromALoadOfTheLastOne() throws IOException {
        Path kept = temp.resolve("kept");
        Live live = runLive(kept, COMMANDS, -1);
        Path loaded = temp.resolve("loaded");
        // runLive writes the journal only: each recovery writes its own event log.
        copyTree(kept.resolve("journal"), loaded.resolve("journal"));
        long[] targets = {40_000, 90_000, live.journalled - 1_000};

        Map<Snapshotter.Copy, Path> dirs = Map.of(Snapshotter.Copy.KEEP, kept, Snapshotter.Copy.TRANSIENT, loaded);
        Map<Snapshotter.Copy, List<String>> images = new TreeMap<>();
        for (Map.Entry<Snapshotter.Copy, Path> entry : dirs.entrySet()) {
            Recovery.Layout layout = Recovery.Layout.under(entry.getValue());
            SnapshotStore store = new SnapshotStore(layout.snapshots());
            Snapshotter snapshotter =
                    snapshotter(layout, store, 1, 0, entry.getKey(), () -> targets[2], () -> 0, () -> Double.NaN);
            List<String> digests = new ArrayList<>();
            try {
                for (long target : targets) {
                    snapshotter.snapshotAt(target);
                    digests.add(digestOf(store.snapshots().get(store.snapshots().size() - 1)));
                }
                assertThat(snapshotter.snapshotsWritten()).isEqualTo(targets.length);
                assertThat(snapshotter.snapshotsLoaded())
                        .as("%s: snapshots that started from a load", entry.getKey())
                        .isEqualTo(entry.getKey() == Snapshotter.Copy.KEEP ? 1 : targets.length);
            } finally {
                snapshotter.close();
            }
            images.put(entry.getKey(), digests);
        }
        assertThat(images.get(Snapshotter.Copy.KEEP))
                .as("seed %d: each snapshot's image files", SEED)
                .isEqualTo(images.get(Snapshotter.Copy.TRANSIENT));
        for (Path data : dirs.values()) {
            assertRecoversTo(data, targets[2], 1_000, live);
        }
    }

    /**
     * The seeded simulation's state written as a snapshot and loaded back into a fresh state at ten
     * points of its journal: every table as it was (attempt counts, groups, campaigns, answers and
     * all), whatever the run had built up by then.
     */
    @Test
    void aSnapshotAtAnyPointOfTheRunShouldLoadBackToTheStateItWasWrittenFrom() {
        Path data = temp.resolve("data");
        Live live = runLive(data, COMMANDS, -1);
        Recovery.Layout layout = Recovery.Layout.under(data);
        SnapshotStore store = new SnapshotStore(layout.snapshots());
        PackedCheckoutState replayed = PackedCheckoutState.of(capacities());
        CheckoutBook book = new CheckoutBook(replayed, LIMITS);
        EventCounter events = new EventCounter(1);
        long step = live.journalled / 10;
        for (long target = step; target <= live.journalled; target += step) {
            JournalReplayer.replay(layout.journal(), target - step + 1, target, book, events, () -> false);
            store.write(replayed, new SnapshotStore.Meta(target, events.nextEventSequence(), book.nowMillis()));
            PackedCheckoutState loaded = PackedCheckoutState.of(capacities());
            SnapshotStore.Meta meta = store.loadLatest(loaded);
            // As a restart does: the book counts the campaigns' redemptions from the loaded orders.
            new CheckoutBook(loaded, LIMITS).restoreNowMillis(meta.nowMillis());

            assertThat(meta.journalSequence()).isEqualTo(target);
            assertThat(meta.nowMillis()).isEqualTo(book.nowMillis());
            assertThat(hash(loaded)).as("seed %d, at %d", SEED, target).isEqualTo(hash(replayed));
            store.retainNewest(1);
        }
    }

    /**
     * The live state frozen at three points of the seeded run while the run goes on (every kind of
     * command writing into what is held), its snapshot written on another thread meanwhile: the
     * same image files as a twin state stopped at that point writes, and the same state loaded
     * back; the live state itself ends where the twin does after the same commands.
     */
    @Test
    void aSnapshotOfTheLiveStateFrozenWhileTheRunGoesOnShouldBeTheStateAtTheFreeze() throws Exception {
        ReferenceCheckout liveReference = new ReferenceCheckout(LIMITS, SKU_CAPACITY, CAPACITY, CAPACITY, CAPACITY);
        SimulationCommands liveStream = new SimulationCommands(SEED, liveReference, LIMITS);
        PackedCheckoutState live = PackedCheckoutState.of(capacities());
        CheckoutBook liveBook = new CheckoutBook(live, LIMITS);
        ReferenceCheckout twinReference = new ReferenceCheckout(LIMITS, SKU_CAPACITY, CAPACITY, CAPACITY, CAPACITY);
        SimulationCommands twinStream = new SimulationCommands(SEED, twinReference, LIMITS);
        PackedCheckoutState twin = PackedCheckoutState.of(capacities());
        CheckoutBook twinBook = new CheckoutBook(twin, LIMITS);
        int ran = 0;
        for (int freezeAt : new int[] {30_000, 90_000, 150_000}) {
            for (; ran < freezeAt; ran++) {
                step(liveStream, liveReference, liveBook);
                step(twinStream, twinReference, twinBook);
            }
            SnapshotStore.Meta meta = new SnapshotStore.Meta(freezeAt, 1, liveBook.nowMillis());
            FrozenSnapshot frozen = SnapshotStore.freeze(live);
            SnapshotStore frozenStore = new SnapshotStore(temp.resolve("frozen-" + freezeAt));
            CompletableFuture<Path> written = CompletableFuture.supplyAsync(
                    () -> frozenStore.write(frozen, meta, () -> LockSupport.parkNanos(100_000)));
            int during = 0;
            while (!frozen.done() || during < 5_000) {
                step(liveStream, liveReference, liveBook);
                during++;
            }
            Path frozenSnapshot = written.get(60, TimeUnit.SECONDS);
            live.thaw();
            Path twinSnapshot = new SnapshotStore(temp.resolve("twin-" + freezeAt)).write(twin, meta);

            assertThat(digestOf(frozenSnapshot))
                    .as("seed %d, frozen at %d, %d commands during the write", SEED, freezeAt, during)
                    .isEqualTo(digestOf(twinSnapshot));
            PackedCheckoutState loaded = PackedCheckoutState.of(capacities());
            assertThat(frozenStore.loadLatest(loaded)).isEqualTo(meta);
            new CheckoutBook(loaded, LIMITS).restoreNowMillis(meta.nowMillis());
            assertThat(hash(loaded)).as("seed %d, frozen at %d", SEED, freezeAt).isEqualTo(hash(twin));

            for (int i = 0; i < during; i++) {
                step(twinStream, twinReference, twinBook);
            }
            ran += during;
            assertThat(hash(live))
                    .as("seed %d: the live state after the freeze", SEED)
                    .isEqualTo(hash(twin));
        }
    }

    /**
     * A live pipeline under a stream of reserves, journalling each batch; a background snapshot
     * with {@code snapshot-copy=freeze} (on either journal thread) freezes its state at a batch end
     * and writes it while the reserves go on. A restart loads that snapshot, replays only what
     * came after, and reaches the live state.
     */
    @ParameterizedTest
    @EnumSource(PipelineConfig.JournalThread.class)
    void aPipelineSnapshotFrozenAtABatchEndShouldRecoverToTheLiveState(PipelineConfig.JournalThread journalThread)
            throws Exception {
        Path data = temp.resolve("data");
        Recovery.Recovered recovered = recover(data);
        CheckoutBook book = recovered.book();
        CheckoutPipeline pipeline = new CheckoutPipeline(
                book,
                new PipelineConfig(1 << 12, PipelineConfig.WaitStrategyKind.PARKING, 60_000, journalThread),
                () -> 1_000_000L,
                recovered.journal(),
                recovered.events());
        pipeline.start();
        Recovery.Layout layout = Recovery.Layout.under(data);
        Snapshotter snapshotter = snapshotter(
                layout,
                recovered.snapshots(),
                1,
                0,
                Snapshotter.Copy.FREEZE,
                pipeline::answeredJournalSequence,
                () -> 0,
                () -> Double.NaN);
        snapshotter.freezeFrom(pipeline);
        Command define = Command.upsertSku(1_000_000L, "define", "SKU-A", 100, "EUR", 10_000_000, 0, 0, 0, 60_000);
        AtomicLong answered = new AtomicLong();
        ReplyHandler counting = (command, context, failure) -> answered.incrementAndGet();
        CommandPublisher.CommandTranslator<Integer> reserve = (number, c) -> {
            c.type(CommandType.RESERVE);
            c.requestId.set("r" + number);
            c.userId.set("user-" + (number % 30_000));
            c.addLine("SKU-A", 1 + number % 3);
        };
        int reserves = 120_000;
        long journalled;
        try {
            while (!pipeline.tryPublish((unused, c) -> copyInto(define, c), 0, counting, null)) {
                Thread.onSpinWait();
            }
            CompletableFuture<Void> publisher = CompletableFuture.runAsync(() -> {
                for (int number = 0; number < reserves; number++) {
                    while (!pipeline.tryPublish(reserve, number, counting, null)) {
                        Thread.onSpinWait();
                    }
                }
            });
            while (answered.get() < reserves / 3) {
                Thread.sleep(1);
            }
            snapshotter.snapshotAt(pipeline.answeredJournalSequence());
            publisher.get(60, TimeUnit.SECONDS);
            while (answered.get() < reserves + 1) {
                Thread.sleep(1);
            }
            journalled = pipeline.answeredJournalSequence();
        } finally {
            snapshotter.close();
            pipeline.shutdown(10_000);
            recovered.journal().close();
            recovered.events().close();
        }
        assertThat(snapshotter.snapshotsWritten()).isEqualTo(1);
        String liveHash = hash(book.state());

        Recovery.Recovered restarted = recover(data);
        try {
            assertThat(restarted.snapshotSequence())
                    .as("the snapshot was frozen mid-stream")
                    .isGreaterThan(reserves / 3)
                    .isLessThan(journalled);
            assertThat(restarted.replayedCommands()).isEqualTo(journalled - restarted.snapshotSequence());
            assertThat(hash(restarted.state())).isEqualTo(liveHash);
        } finally {
            restarted.journal().close();
            restarted.events().close();
        }
    }

    private static void copyInto(Command from, Command into) {
        into.type(from.type());
        into.timestampMillis = from.timestampMillis;
        into.requestId.copyFrom(from.requestId);
        into.skuId.copyFrom(from.skuId);
        into.priceMinor = from.priceMinor;
        into.currency = from.currency;
        into.totalStock = from.totalStock;
        into.perUserLimit = from.perUserLimit;
        into.saleStartEpochMillis = from.saleStartEpochMillis;
        into.saleEndEpochMillis = from.saleEndEpochMillis;
        into.reservationTtlMillis = from.reservationTtlMillis;
    }

    private static void step(SimulationCommands stream, ReferenceCheckout reference, CheckoutBook book) {
        Command command = stream.next();
        book.execute(command);
        reference.apply(command);
    }

    /** A SHA-256 over the state image files of the snapshot in {@code snapshot}. */
    private static String digestOf(Path snapshot) throws IOException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (String name : List.of("state-image.bin", "state-image-answers.bin")) {
                digest.update(Files.readAllBytes(snapshot.resolve(name)));
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void dueSnapshotShouldWaitWhileTheEngineIsSaturatedThenRunWhenQuietOrWhenTheDeferralIsUsedUp() {
        Path data = temp.resolve("data");
        Live live = runLive(data, COMMANDS, -1);
        Recovery.Layout layout = Recovery.Layout.under(data);
        SnapshotStore store = new SnapshotStore(layout.snapshots());
        AtomicLong journalled = new AtomicLong(3_000);
        AtomicLong queueDelayNanos = new AtomicLong(TimeUnit.MILLISECONDS.toNanos(20));
        Snapshotter snapshotter =
                snapshotter(layout, store, 2_000, 5_000, journalled::get, queueDelayNanos::get, () -> Double.NaN);
        try {
            assertThat(snapshotter.waitingNanos()).as("none due yet").isZero();
            assertThat(snapshotter.snapshotIfDue()).isEqualTo(Snapshotter.Decision.DEFER);
            journalled.set(6_999);
            assertThat(snapshotter.snapshotIfDue()).isEqualTo(Snapshotter.Decision.DEFER);
            assertThat(store.snapshots()).as("nothing written while it waits").isEmpty();
            assertThat(snapshotter.waitingNanos())
                    .as("waiting, for the metrics")
                    .isPositive();
            assertThat(snapshotter.snapshotsWritten()).isZero();
            assertThat(snapshotter.lastWrittenEpochMillis()).isZero();

            // The deferral is used up at interval + deferMax commands: it runs under load.
            journalled.set(7_000);
            assertThat(snapshotter.snapshotIfDue()).isEqualTo(Snapshotter.Decision.SNAPSHOT);
            assertThat(store.snapshots())
                    .extracting(path -> path.getFileName().toString())
                    .containsExactly(String.format("%020d", 7_000));
            assertThat(snapshotter.waitingNanos()).as("no longer waiting").isZero();
            assertThat(snapshotter.snapshotsWritten()).isEqualTo(1);
            assertThat(snapshotter.lastWrittenEpochMillis()).isPositive();
            assertThat(snapshotter.lastDurationNanos()).isPositive();
            assertThat(snapshotter.failures()).isZero();

            // The next one is due 2,000 commands later; a quiet engine takes it at once.
            journalled.set(8_999);
            assertThat(snapshotter.snapshotIfDue()).isEqualTo(Snapshotter.Decision.NOT_DUE);
            journalled.set(9_500);
            assertThat(snapshotter.snapshotIfDue()).isEqualTo(Snapshotter.Decision.DEFER);
            // Quiet means three checks in a row without a standing queue.
            queueDelayNanos.set(0);
            assertThat(snapshotter.snapshotIfDue()).isEqualTo(Snapshotter.Decision.DEFER);
            assertThat(snapshotter.snapshotIfDue()).isEqualTo(Snapshotter.Decision.DEFER);
            assertThat(snapshotter.snapshotIfDue()).isEqualTo(Snapshotter.Decision.SNAPSHOT);
            assertThat(snapshotter.snapshotsWritten()).isEqualTo(2);
        } finally {
            snapshotter.close();
        }
        assertThat(live.journalled).isGreaterThan(9_500);
        assertRecoversTo(data, 9_500, -1, live);
    }

    @Test
    void dueSnapshotShouldWaitWhileOtherWorkKeepsTheCpusBusyWithoutAQueue() {
        Path data = temp.resolve("data");
        runLive(data, 20_000, -1);
        Recovery.Layout layout = Recovery.Layout.under(data);
        SnapshotStore store = new SnapshotStore(layout.snapshots());
        AtomicReference<Double> othersCpu = new AtomicReference<>(0.95);
        Snapshotter snapshotter = snapshotter(layout, store, 2_000, 5_000, () -> 3_000, () -> 0, othersCpu::get);
        try {
            // No queue in front of the business logic, but the CPUs are busy with other work (the
            // transport, a generator on the same cores): saturated all the same.
            assertThat(snapshotter.snapshotIfDue()).isEqualTo(Snapshotter.Decision.DEFER);
            othersCpu.set(0.40);
            assertThat(snapshotter.snapshotIfDue()).isEqualTo(Snapshotter.Decision.DEFER);
            assertThat(snapshotter.snapshotIfDue()).isEqualTo(Snapshotter.Decision.DEFER);
            othersCpu.set(0.90);
            assertThat(snapshotter.snapshotIfDue())
                    .as("busy again: the quiet checks start over")
                    .isEqualTo(Snapshotter.Decision.DEFER);
            othersCpu.set(Double.NaN);
            assertThat(snapshotter.snapshotIfDue())
                    .as("unknown CPU: the queue alone decides")
                    .isEqualTo(Snapshotter.Decision.DEFER);
            assertThat(snapshotter.snapshotIfDue()).isEqualTo(Snapshotter.Decision.DEFER);
            assertThat(snapshotter.snapshotIfDue()).isEqualTo(Snapshotter.Decision.SNAPSHOT);
            assertThat(store.snapshots()).hasSize(1);
        } finally {
            snapshotter.close();
        }
    }

    @Test
    void aRunningSnapshotShouldSleepWhileTheEngineIsSaturatedAndCountTheTime() throws Exception {
        Path data = temp.resolve("data");
        Live live = runLive(data, COMMANDS, -1);
        Recovery.Layout layout = Recovery.Layout.under(data);
        AtomicLong queueDelayNanos = new AtomicLong(TimeUnit.MILLISECONDS.toNanos(20));
        // Due (interval 2,000) and within its deferral (5,000 more): a standing queue makes it sleep.
        Snapshotter snapshotter = snapshotter(
                layout,
                new SnapshotStore(layout.snapshots()),
                2_000,
                5_000,
                () -> 3_000,
                queueDelayNanos::get,
                () -> Double.NaN);
        Thread quieter = new Thread(() -> {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
            queueDelayNanos.set(0);
        });
        try {
            quieter.start();
            // The replay looks before its first batch, so it sleeps until the queue is gone.
            snapshotter.snapshotAt(3_000);
            quieter.join();

            assertThat(snapshotter.pausedNanosTotal()).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
            assertThat(snapshotter.lastDurationNanos()).isGreaterThanOrEqualTo(snapshotter.pausedNanosTotal());
            assertThat(snapshotter.snapshotsWritten()).isEqualTo(1);
        } finally {
            snapshotter.close();
        }
        assertThat(live.journalled).isGreaterThan(3_000);
    }

    /**
     * A snapshotter over {@code layout} at this test's capacities and limits, keeping no journal
     * segments and with no snapshot before, not started (the test calls its checks).
     */
    private static Snapshotter snapshotter(
            Recovery.Layout layout,
            SnapshotStore store,
            long intervalCommands,
            long deferMaxCommands,
            LongSupplier journalled,
            LongSupplier queueDelayNanos,
            DoubleSupplier othersCpu) {
        return snapshotter(
                layout,
                store,
                intervalCommands,
                deferMaxCommands,
                Snapshotter.Copy.KEEP,
                journalled,
                queueDelayNanos,
                othersCpu);
    }

    private static Snapshotter snapshotter(
            Recovery.Layout layout,
            SnapshotStore store,
            long intervalCommands,
            long deferMaxCommands,
            Snapshotter.Copy copy,
            LongSupplier journalled,
            LongSupplier queueDelayNanos,
            DoubleSupplier othersCpu) {
        return new Snapshotter(
                layout,
                store,
                capacities(),
                LIMITS,
                intervalCommands,
                deferMaxCommands,
                copy,
                0,
                0,
                journalled,
                queueDelayNanos,
                othersCpu);
    }

    @Test
    void journalShouldHoldExactlyTheMutatingCommandsInOrder() {
        Path data = temp.resolve("data");
        Live live = runLive(data, 20_000, -1);
        List<Long> sequences = new ArrayList<>();
        Command decoded = new Command();
        RecordLogReader.ScanResult scan =
                RecordLogReader.scan(Recovery.Layout.under(data).journal(), 1, (sequence, payload) -> {
                    CommandCodec.decode(payload, decoded);
                    assertThat(decoded.type().isMutating()).isTrue();
                    sequences.add(sequence);
                });
        assertThat(scan.discardedBytes()).isZero();
        assertThat(sequences).hasSize((int) live.journalled);
        for (int i = 0; i < sequences.size(); i++) {
            assertThat(sequences.get(i)).isEqualTo(i + 1L);
        }
    }

    /**
     * Campaigns through a restart: the campaign sample journalled as a live engine applies it, a
     * snapshot taken half way (before TEN-OFF is redefined), and recovery loading it and replaying
     * the rest (the redefinition, reserves naming campaigns, the expiry that gives one back) reaches
     * the same campaigns, orders and redemptions.
     */
    @Test
    void campaignsShouldComeBackFromASnapshotAndTheJournalAfterIt() {
        Path data = temp.resolve("campaigns");
        HeapCheckoutState live = new HeapCheckoutState(SKU_CAPACITY, CAPACITY, CAPACITY, CAPACITY);
        CheckoutBook book = new CheckoutBook(live, LIMITS);
        Path journalDirectory = Recovery.Layout.under(data).journal();
        ByteBuffer scratch = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX);
        long journalled = 0;
        long afterSnapshot = 0;
        try (RecordLogWriter journal = RecordLogWriter.open(
                journalDirectory,
                RecordLogReader.scan(journalDirectory, 1, (s, p) -> {}),
                1,
                JournalConfig.SEGMENT_BYTES_MIN,
                false,
                JournalConfig.BATCH_BYTES_MIN)) {
            for (Command command : CampaignSamples.commands()) {
                if (command.requestId.contentEquals(CampaignSamples.REDEFINED)) {
                    journal.commit();
                    new SnapshotStore(Recovery.Layout.under(data).snapshots())
                            .write(live, new SnapshotStore.Meta(journalled, 1, book.nowMillis()));
                    afterSnapshot = journalled;
                }
                assertThat(command.type().isMutating()).isTrue();
                CommandCodec.append(journal, scratch, command);
                journalled++;
                CampaignSamples.apply(book, command);
            }
            journal.commit();
        }

        Recovery.Recovered recovered = recover(data);
        try {
            assertThat(recovered.snapshotSequence()).isEqualTo(afterSnapshot);
            assertThat(recovered.replayedCommands())
                    .as("the redefinition, three reserves and the tick")
                    .isEqualTo(5);
            CampaignSamples.checkOutcome(recovered.state());
            CampaignSamples.assertSameCampaigns(live, recovered.state());
            assertThat(hash(recovered.state())).isEqualTo(hash(live));
        } finally {
            recovered.journal().close();
            recovered.events().close();
        }
    }

    private record Live(String hash, long journalled, long nowMillis) {}

    /** Runs the stream on a live engine, journalling every mutating command; snapshots after {@code snapshotAt}. */
    private static Live runLive(Path data, int commands, int snapshotAt) {
        ReferenceCheckout reference = new ReferenceCheckout(LIMITS, SKU_CAPACITY, CAPACITY, CAPACITY, CAPACITY);
        SimulationCommands stream = new SimulationCommands(SEED, reference, LIMITS);
        HeapCheckoutState state = new HeapCheckoutState(SKU_CAPACITY, CAPACITY, CAPACITY, CAPACITY);
        CheckoutBook book = new CheckoutBook(state, LIMITS);
        Path journalDirectory = Recovery.Layout.under(data).journal();
        ByteBuffer scratch = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX);
        long journalled = 0;
        JournalConfig config = new JournalConfig(false, JournalConfig.SEGMENT_BYTES_MIN, JournalConfig.BATCH_BYTES_MIN);
        try (RecordLogWriter journal = RecordLogWriter.open(
                journalDirectory,
                RecordLogReader.scan(journalDirectory, 1, (s, p) -> {}),
                1,
                config.segmentBytes(),
                false,
                config.batchBytes())) {
            for (int i = 0; i < commands; i++) {
                Command command = stream.next();
                if (command.type().isMutating()) {
                    CommandCodec.append(journal, scratch, command);
                    journalled++;
                }
                book.execute(command);
                reference.apply(command);
                if (i % 1_000 == 0) {
                    journal.commit();
                }
                if (i == snapshotAt) {
                    journal.commit();
                    new SnapshotStore(Recovery.Layout.under(data).snapshots())
                            .write(state, new SnapshotStore.Meta(journalled, 1, book.nowMillis()));
                }
            }
        }
        return new Live(hash(state), journalled, book.nowMillis());
    }

    private static StateCapacities capacities() {
        return new StateCapacities(SKU_CAPACITY, CAPACITY, CAPACITY, CAPACITY);
    }

    private static Recovery.Recovered recover(Path data) {
        return Recovery.recover(data, capacities(), LIMITS, JournalConfig.defaults(false));
    }

    /**
     * Recovers {@code data} and checks that it started from the snapshot at {@code snapshotSequence},
     * replayed {@code replayed} commands after it (-1: any number) and reached {@code live}'s state.
     */
    private static void assertRecoversTo(Path data, long snapshotSequence, long replayed, Live live) {
        Recovery.Recovered recovered = recover(data);
        try {
            assertThat(recovered.snapshotSequence()).isEqualTo(snapshotSequence);
            if (replayed >= 0) {
                assertThat(recovered.replayedCommands()).isEqualTo(replayed);
            }
            assertThat(hash(recovered.state())).as("seed %d", SEED).isEqualTo(live.hash);
        } finally {
            recovered.journal().close();
            recovered.events().close();
        }
    }

    private static String recoveredHash(Path data) {
        Recovery.Recovered recovered = recover(data);
        try {
            return hash(recovered.state());
        } finally {
            recovered.journal().close();
            recovered.events().close();
        }
    }

    /** SHA-256 over every table in a canonical order. */
    static String hash(CheckoutState state) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
        SkuRecord sku = new SkuRecord();
        for (int index = 0; index < state.skuCount(); index++) {
            state.readSku(index, sku);
            update(digest, sku.toString());
        }
        OrderRecord order = new OrderRecord();
        for (long orderId = 1; orderId <= state.orderCount(); orderId++) {
            state.readOrder(orderId, order);
            update(digest, order.toString());
        }
        // Campaigns by number, each with its redemptions (counted by the book, from the orders on a start).
        CampaignTerms campaign = new CampaignTerms();
        for (int number = 0; number < state.campaigns().size(); number++) {
            state.campaigns().read(number, campaign);
            update(digest, number + "=" + campaign);
        }
        // Risk rules and every attempt count (global and per SKU group), in a canonical order.
        RiskTable risk = state.risk();
        update(digest, "attempt limit " + risk.maxAttempts() + "/" + risk.windowMillis() + " @" + risk.countedWindow());
        java.util.TreeSet<String> risky = new java.util.TreeSet<>();
        for (int row = 0; row < risk.blockedCount(); row++) {
            risky.add("blocked " + risk.blockedUser(row));
        }
        for (int row = 0; row < risk.countedCount(); row++) {
            risky.add("counted " + risk.countedUser(row) + "=" + risk.countedAttempts(row));
        }
        SkuGroupTable groups = state.skuGroups();
        for (int number = 0; number < groups.size(); number++) {
            risky.add("group " + groups.groupId(number) + " limit " + groups.perUserLimit(number) + " attempts "
                    + groups.maxAttempts(number) + "/" + groups.attemptWindowMillis(number) + " @"
                    + groups.countedWindow(number));
            for (int row = 0; row < groups.countedCount(number); row++) {
                risky.add("group " + number + " counted " + groups.countedUser(number, row) + "="
                        + groups.countedAttempts(number, row));
            }
        }
        risky.forEach(line -> update(digest, line));
        Map<String, Long> units = new TreeMap<>();
        state.forEachUserUnits((user, skuIndex, held) -> units.put(skuIndex + "/" + user, held));
        units.forEach((key, held) -> update(digest, key + "=" + held));
        Map<String, String> outcomes = new TreeMap<>();
        state.forEachOutcome((requestId, outcome) -> outcomes.put(requestId.asString(), outcome.toString()));
        outcomes.forEach((key, outcome) -> update(digest, key + "=" + outcome));
        return HexFormat.of().formatHex(digest.digest());
    }

    private static void update(MessageDigest digest, String text) {
        digest.update(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        digest.update((byte) '\n');
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
    }
}
