package io.checkout.pipeline;

import io.checkout.engine.CheckoutBook;
import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.ResultCode;
import io.checkout.state.PackedCheckoutState;
import io.checkout.state.SnapshotStore;
import io.checkout.state.StateCapacities;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

/**
 * Runs what a background snapshot by freezing ({@link Snapshotter.Copy#FREEZE}) adds to the engine
 * on a scratch state, before the server serves: reserves, confirms, cancels and ticks, frozen and
 * not in turns ({@link FreezePoint}), and one frozen snapshot written to a scratch directory.
 *
 * <p>Why: the first freeze of a process was its worst moment. The JIT had compiled the engine
 * before any freeze, so the branches a freeze takes (a write into a held table, the freeze point
 * at a batch end, classes never loaded) were left out of the compiled code, and the first freeze
 * threw it away: on 2026-12-07, at half of the unary peak, 15-17 of the engine's methods (the
 * business-logic handler's, the reserve's, the tables' writes) were made not entrant in the
 * freeze's first 30 ms, and the JIT's threads then took 1.1 s of CPU in 3 s recompiling them and
 * compiling the snapshot's own code, while the engine waited for a core (run-queue wait 590 ms/s
 * against 150-230): that second's unary p99 was 50-140 ms. A server whose first snapshot had been
 * taken before the measured window had a unary p99 of 7.3 ms, its later freezes no worse than the
 * run's other seconds. Taking these paths here, while the engine's code is being profiled, puts them
 * in the compiled code from the start.
 *
 * <p>It touches nothing of the live state, journal or snapshots: its own state of a few thousand
 * rows, a scratch directory it deletes. Costs the start-up {@link #COMMANDS} commands on a cold
 * JVM and a snapshot of about 2.4 MB (about 300 ms on the project's VM). With the warm-up the first freeze
 * made 4 methods not entrant instead of 15-17 and took the engine 9 ms instead of 16-20 (its
 * {@value #SKUS} SKUs also take the snapshot's writes of the small tables through Chronicle Map
 * a few thousand times, so that they are compiled before the first live snapshot needs them).
 *
 * <p>Those 4 were still the engine's own: the business-logic handler's {@code onEvent}, the orders'
 * and the columns' writes (2026-12-07, {@code -XX:+LogCompilation}: uncommon traps at the freeze
 * request in {@link FreezePoint#atBatchEnd}, at a write into a unit the snapshot had read already
 * in {@code FrozenArray}, and at a write into a chunk made after the freeze). The JIT profiles a
 * method only once it has compiled it, which a starting server's long compile queues delay, so
 * the warm-up takes the freeze point every {@value #BATCH} commands; it writes its snapshot on
 * another thread while the engine goes on, and gives its other freezes up halfway with no batch
 * end for the rest of the block, so that the engine writes into units read already as it does
 * under a background snapshot; the columns need no bounds test while frozen any more. In two
 * runs at half of the unary peak the first live freeze then made none of the engine's compiled
 * methods not entrant while it lasted. What is left of the first
 * snapshot's cost is the snapshot's own: the JIT compiling Chronicle Map's code for its small
 * tables (0.2-0.35 of a core for 2 s) and its write (benchmarks/README.md, History 2026-12-07 21:41).
 *
 * <p>For the same reason it also takes rare paths of a live sale that once threw the engine's
 * compiled code away the first time a sale took them (History 2026-12-08): a request id whose hash
 * collides with a stored one's ({@link #COLLIDING_ID}), and the expiry queue growing by a chunk,
 * using a chunk again, and expiring reservations (its book's queue starts with one chunk, and its
 * reservations expire after {@value #RESERVATION_TTL_MILLIS} ms of engine time).
 */
public final class FreezeWarmUp {
    /** Commands run, in blocks of {@link #BLOCK} frozen and not in turns. */
    static final int COMMANDS = 24_000;

    static final int BLOCK = 1_000;
    /**
     * Commands between two batch ends: the freeze point is taken often enough that the JIT profiles
     * its branches (a method it has not compiled yet is not profiled, and the compile queues are
     * long while a server starts).
     */
    static final int BATCH = 4;

    static final int SKUS = 2_048;
    /**
     * Two request ids of different lengths with the same hash ({@code String.hashCode()}, as the
     * engine's id tables hash them). The warm-up stores the first, then sends the second now and
     * again, so that a lookup finds an entry whose hash matches and whose id does not. Live ids
     * collide like that now and then (how often depends on the ids: loadgen's did within two
     * latency runs of three); without it the first such lookup of a process threw the id tables'
     * compiled code away mid-sale (2026-12-08: {@code IdIndex.slotOf}, {@code IdBytes.matches},
     * {@code CheckoutBook.answerRepeat} and {@code PackedCheckoutState.writeOutcome} made not
     * entrant at once, that second's unary p99 19.9 ms against a median of 4.3).
     */
    static final String COLLIDING_ID = "wu-oks94h";

    static final String COLLIDING_ID_LONGER = "wu-uh3rkhc";
    /** Engine time advances 2 ms a command on average: reservations expire after about 5,000 commands. */
    static final long RESERVATION_TTL_MILLIS = 10_000;
    /** Of every hundred commands, how many send {@link #COLLIDING_ID_LONGER}. */
    private static final int COLLIDING_PERCENT = 2;

    private static final int USERS = 4_096;
    /** A fixed engine time (2026-01-01), so the run is the same every start. */
    private static final long START_MILLIS = 1_767_225_600_000L;

    private FreezeWarmUp() {}

    /** What a warm-up did, for the start-up log. */
    public record Result(
            long commands,
            long reserved,
            long collidingLookups,
            long expired,
            long freezes,
            long snapshotBytes,
            long millis) {}

    /**
     * Runs the warm-up with the server's engine limits, writing its snapshot under {@code scratch}
     * (created, and deleted afterwards with all it holds; it must not be a directory the server uses).
     */
    public static Result run(EngineLimits limits, Path scratch) {
        long started = System.nanoTime();
        SnapshotStore.deleteTree(scratch); // what a start that died during its warm-up left
        StateCapacities capacities = new StateCapacities(
                SKUS * 2, COMMANDS, COMMANDS, COMMANDS * 2L, COMMANDS, 16, 16, USERS, 16, 16, 16, false);
        PackedCheckoutState state = PackedCheckoutState.of(capacities);
        // An expiry queue with one chunk to start with, so that it grows here; reservations that
        // expire within the run, so that its chunks are used again and ticks expire orders.
        CheckoutBook book = new CheckoutBook(state, limits, 0);
        FreezePoint point = new FreezePoint();
        SplittableRandom random = new SplittableRandom(20261207L);
        long now = START_MILLIS;
        long sequence = 0;
        for (int sku = 0; sku < SKUS; sku++) {
            execute(
                    book,
                    Command.upsertSku(
                            now,
                            "warm-up-sku-" + sku,
                            sku(sku),
                            1_000,
                            "EUR",
                            1_000_000,
                            1_000,
                            0,
                            START_MILLIS * 2,
                            RESERVATION_TTL_MILLIS));
            sequence++;
        }
        execute(book, collidingReserve(now, COLLIDING_ID));
        sequence++;
        long freezes = 0;
        long reserved = 0;
        long collidingLookups = 0;
        long expired = 0;
        CompletableFuture<Long> writing = null;
        ExecutorService writer = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "checkout-freeze-warm-up");
            thread.setDaemon(true);
            return thread;
        });
        try {
            for (int block = 0; block < COMMANDS / BLOCK; block++) {
                boolean freezing = (block & 1) == 1;
                if (freezing && writing != null) {
                    writing.join(); // the state thaws at the batch end below, and may freeze again
                }
                CompletableFuture<FreezePoint.Frozen> asked = freezing ? point.request() : null;
                point.atBatchEnd(book, sequence, 1);
                FreezePoint.Frozen frozen = asked == null ? null : asked.join();
                boolean abandoning = false;
                if (frozen != null) {
                    freezes++;
                    if (writing == null) {
                        // Written while the engine goes on, as a background snapshot is: the engine
                        // writes into units copied aside, read already, and being read.
                        writing = CompletableFuture.supplyAsync(() -> write(frozen, scratch), writer);
                    } else {
                        abandoning = true;
                    }
                }
                for (int i = 0; i < BLOCK; i++) {
                    boolean givenUp = abandoning && i >= BLOCK / 2;
                    if (abandoning && i == BLOCK / 2) {
                        // Given up halfway; no batch end for the rest of the block, so the engine
                        // writes on into a held state whose units are all released, as it does into
                        // those a background snapshot has read already.
                        frozen.snapshot().abandon();
                    }
                    now += 1 + random.nextInt(3);
                    Command command = next(random, now, sequence, state.orderCount());
                    execute(book, command);
                    if (command.type() == CommandType.RESERVE && command.result() == ResultCode.SUCCESS) {
                        reserved++;
                    }
                    if (command.type() == CommandType.RESERVE && command.requestId.contentEquals(COLLIDING_ID_LONGER)) {
                        collidingLookups++;
                    }
                    if (command.type() == CommandType.TICK) {
                        expired += command.expiredCount;
                    }
                    sequence++;
                    if (!givenUp && (i & (BATCH - 1)) == BATCH - 1) {
                        point.atBatchEnd(book, sequence, 1);
                    }
                }
            }
            long snapshotBytes = writing == null ? 0 : writing.join();
            point.atBatchEnd(book, sequence, 1); // thaws
            return new Result(
                    sequence,
                    reserved,
                    collidingLookups,
                    expired,
                    freezes,
                    snapshotBytes,
                    (System.nanoTime() - started) / 1_000_000);
        } finally {
            writer.shutdownNow();
            if (writing != null) {
                writing.handle((bytes, failure) -> null).join(); // never delete what is being written
            }
            SnapshotStore.deleteTree(scratch);
        }
    }

    private static String sku(int index) {
        return "warm-up-" + index;
    }

    /**
     * Mostly reserves, some confirms and cancels of orders made earlier, a tick now and then, and a
     * reserve under {@link #COLLIDING_ID_LONGER} (new the first time, then a repeat).
     */
    private static Command next(SplittableRandom random, long now, long sequence, long orders) {
        int pick = random.nextInt(100);
        if (pick >= 100 - COLLIDING_PERCENT) {
            return collidingReserve(now, COLLIDING_ID_LONGER);
        }
        String requestId = "warm-up-" + sequence;
        if (pick < 10 && orders > 0) {
            return Command.orderCommand(CommandType.CONFIRM, now, requestId, 1 + random.nextLong(orders));
        }
        if (pick < 18 && orders > 0) {
            return Command.orderCommand(CommandType.CANCEL, now, requestId, 1 + random.nextLong(orders));
        }
        if (pick < 20) {
            return Command.tick(now);
        }
        return Command.reserve(now, requestId, "warm-up-user-" + random.nextInt(USERS), sku(random.nextInt(SKUS)), 1);
    }

    /** The same reserve every time for a request id, so that a repeat is answered from what the first got. */
    private static Command collidingReserve(long now, String requestId) {
        return Command.reserve(now, requestId, "warm-up-user-0", sku(0), 1);
    }

    private static void execute(CheckoutBook book, Command command) {
        book.execute(command);
        if (command.type() == CommandType.UPSERT_SKU && command.result() != ResultCode.SUCCESS) {
            throw new IllegalStateException("the warm-up's SKU was refused: " + command.result());
        }
    }

    /** Writes the frozen snapshot under {@code scratch}; returns the bytes of its files. */
    private static long write(FreezePoint.Frozen frozen, Path scratch) {
        try {
            Files.createDirectories(scratch);
        } catch (IOException e) {
            frozen.snapshot().abandon();
            throw new UncheckedIOException("cannot create " + scratch, e);
        }
        Path snapshot;
        try {
            snapshot = new SnapshotStore(scratch).write(frozen.snapshot(), frozen.meta(), SnapshotStore.NO_PAUSE);
        } finally {
            frozen.snapshot().abandon();
        }
        try (Stream<Path> files = Files.walk(snapshot)) {
            long bytes = 0;
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                bytes += Files.size(file);
            }
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + snapshot, e);
        }
    }
}
