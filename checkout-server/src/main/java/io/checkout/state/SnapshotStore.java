package io.checkout.state;

import io.checkout.engine.CheckoutState;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshots of the engine's state at rest: {@code snapshots/<journal sequence>/} holds the state as
 * Chronicle Map files and {@code snapshot.properties} (what the snapshot covers). A snapshot is
 * written under a {@code .tmp} name, synced, and renamed into place, so a crash mid-write leaves no
 * half snapshot that recovery could mistake for a whole one.
 *
 * <p>What a snapshot holds is {@link SnapshotCodec}'s stream of records ({@link
 * ChronicleSnapshotFiles}), except that a {@link PackedCheckoutState}'s large tables (users, orders,
 * payments, remembered answers) are kept as they are in memory, a state image ({@link
 * StateImageFile}): loading those as records cost about what replaying the commands they stand for
 * did, since every record is an insert into an id index at a random place; an image is read into
 * the arrays in order. A snapshot from before images (the large tables as records) still loads.
 */
public final class SnapshotStore {
    /** The pause of a write or load that never waits: no record passes through a pacing sink. */
    public static final Runnable NO_PAUSE = () -> {};

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotStore.class);
    private static final String META = "snapshot.properties";
    private static final String TMP = ".tmp";

    /** Whether a {@link #warmUp} has succeeded in this process. */
    private static volatile boolean warmedUp;

    private final Path directory;

    /** What a snapshot covers: the journal up to and including {@code journalSequence}. */
    public record Meta(long journalSequence, long nextEventSequence, long nowMillis) {
        public static final Meta EMPTY = new Meta(0, 1, 0);
    }

    public SnapshotStore(Path directory) {
        this.directory = directory;
    }

    /**
     * Loads Chronicle Map and registers its shutdown hooks now, by writing and deleting an empty set
     * of snapshot files in a scratch directory: otherwise a process whose first snapshot is the one
     * at shutdown cannot write it ({@link ChronicleSnapshotFiles#warmUp}). Call at start; a failure
     * is logged, not thrown (the snapshot at shutdown is then at risk, nothing else). Once it has
     * succeeded in a process (Recovery's warm-up, say), later calls do nothing: it is the process's
     * first use that matters.
     */
    public void warmUp() {
        if (warmedUp) {
            return;
        }
        Path scratch = directory.resolve("warm-up" + TMP);
        try {
            Files.createDirectories(scratch);
            ChronicleSnapshotFiles.warmUp(scratch);
            warmedUp = true;
        } catch (IOException | RuntimeException | LinkageError e) {
            LOG.warn("could not load Chronicle Map ahead of the first snapshot", e);
        } finally {
            try {
                deleteTree(scratch);
            } catch (RuntimeException e) {
                LOG.warn("could not delete {}", scratch, e);
            }
        }
    }

    /** Writes {@code from} as the snapshot {@code meta} describes; returns its directory. */
    public Path write(CheckoutState from, Meta meta) {
        return write(from, meta, NO_PAUSE);
    }

    /**
     * As {@link #write(CheckoutState, Meta)}, running {@code pause} every few thousand records (it
     * may wait; the records and the files are the same).
     */
    public Path write(CheckoutState from, Meta meta, Runnable pause) {
        return write(from, meta, pause, from instanceof PackedCheckoutState);
    }

    /**
     * As {@link #write(CheckoutState, Meta, Runnable)}, with the large tables as a state image
     * (only from a {@link PackedCheckoutState}) or, if {@code image} is false, as chunks of records,
     * as snapshots before 2026-12-05 were written (tests, and comparisons of the two).
     */
    Path write(CheckoutState from, Meta meta, Runnable pause, boolean image) {
        return writeDirectory(meta, from.orderCount(), from.skuCount(), tmp -> {
            if (image) {
                PackedCheckoutState packed = (PackedCheckoutState) from;
                // The large tables as they are in memory, the rest as records.
                try (ChronicleSnapshotFiles.Writer files = ChronicleSnapshotFiles.create(tmp, from, false)) {
                    SnapshotCodec.writeSmallTables(
                            from, pause == NO_PAUSE ? files : new PacedSnapshotSink(files, pause));
                }
                try (StateImageFile.Out out = StateImageFile.create(tmp, StateImageFile.FILE, pause);
                        StateImageFile.Out answers = StateImageFile.create(tmp, StateImageFile.ANSWERS_FILE, pause)) {
                    packed.writeImage(out, answers);
                }
            } else {
                try (ChronicleSnapshotFiles.Writer files = ChronicleSnapshotFiles.create(tmp, from, true)) {
                    SnapshotCodec.write(from, pause == NO_PAUSE ? files : new PacedSnapshotSink(files, pause));
                }
            }
        });
    }

    /**
     * Holds {@code state} as it is now for a snapshot written on another thread while it goes on
     * taking commands ({@link #write(FrozenSnapshot, Meta, Runnable)}): call on the state's thread,
     * between two commands. That thread then calls {@link PackedCheckoutState#thaw} once the
     * snapshot is {@link FrozenSnapshot#done}.
     */
    public static FrozenSnapshot freeze(PackedCheckoutState state) {
        return FrozenSnapshot.of(state);
    }

    /**
     * Writes the snapshot {@code meta} describes from what {@code frozen} holds, the same files
     * {@link #write(CheckoutState, Meta, Runnable)} would have written at the freeze; on any one
     * thread, while the state goes on. Whatever happens, {@code frozen} is done after it (a failed
     * write gives the rest of it up).
     */
    public Path write(FrozenSnapshot frozen, Meta meta, Runnable pause) {
        try {
            return writeDirectory(meta, frozen.orderCount(), frozen.skuCount(), tmp -> {
                try (ChronicleSnapshotFiles.Writer files = ChronicleSnapshotFiles.create(tmp, frozen.sizing(), false)) {
                    frozen.writeSmallTables(pause == NO_PAUSE ? files : new PacedSnapshotSink(files, pause));
                }
                try (StateImageFile.Out out = StateImageFile.create(tmp, StateImageFile.FILE, pause);
                        StateImageFile.Out answers = StateImageFile.create(tmp, StateImageFile.ANSWERS_FILE, pause)) {
                    frozen.image().writeImage(out, answers);
                }
            });
        } finally {
            frozen.abandon();
        }
    }

    /** What fills a snapshot's directory (under its temporary name) with its files. */
    @FunctionalInterface
    private interface SnapshotFiles {
        void write(Path tmp) throws IOException;
    }

    /**
     * Writes a snapshot's files under a temporary name, then its properties, syncs them all and
     * renames the directory into place; returns it.
     */
    private Path writeDirectory(Meta meta, long orderCount, int skuCount, SnapshotFiles files) {
        Path target = directory.resolve(name(meta.journalSequence()));
        Path tmp = directory.resolve(name(meta.journalSequence()) + TMP);
        try {
            Files.createDirectories(directory);
            deleteTree(tmp);
            Files.createDirectories(tmp);
            files.write(tmp);
            Properties properties = new Properties();
            properties.setProperty("journal-sequence", Long.toString(meta.journalSequence()));
            properties.setProperty("next-event-sequence", Long.toString(meta.nextEventSequence()));
            properties.setProperty("now-millis", Long.toString(meta.nowMillis()));
            properties.setProperty("orders", Long.toString(orderCount));
            properties.setProperty("skus", Integer.toString(skuCount));
            try (Writer writer = Files.newBufferedWriter(tmp.resolve(META))) {
                properties.store(writer, "checkout snapshot");
            }
            try (Stream<Path> written = Files.list(tmp)) {
                for (Path file : (Iterable<Path>) written::iterator) {
                    force(file, false);
                }
            }
            force(tmp, true);
            deleteTree(target);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            force(directory, true);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write snapshot " + target, e);
        }
    }

    /** The complete snapshots, oldest first. */
    public List<Path> snapshots() {
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(directory)) {
            return found;
        }
        try (Stream<Path> entries = Files.list(directory)) {
            entries.filter(path -> !path.getFileName().toString().endsWith(TMP))
                    .filter(path -> Files.isRegularFile(path.resolve(META)))
                    .sorted()
                    .forEach(found::add);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + directory, e);
        }
        return found;
    }

    /**
     * Loads the newest complete snapshot into {@code into}, which must be empty and have room for it.
     *
     * @return what it covers, or {@link Meta#EMPTY} when there is none
     */
    public Meta loadLatest(CheckoutState into) {
        return loadLatest(into, NO_PAUSE);
    }

    /**
     * As {@link #loadLatest(CheckoutState)}, running {@code pause} every few thousand records (it
     * may wait; what is loaded is the same).
     */
    public Meta loadLatest(CheckoutState into, Runnable pause) {
        List<Path> all = snapshots();
        if (all.isEmpty()) {
            return Meta.EMPTY;
        }
        Path newest = all.get(all.size() - 1);
        Meta meta = readMeta(newest);
        SnapshotSink loader = SnapshotCodec.loaderInto(into);
        SnapshotSink paced = pause == NO_PAUSE ? loader : new PacedSnapshotSink(loader, pause);
        if (!StateImageFile.present(newest)) {
            ChronicleSnapshotFiles.read(newest, paced);
            return meta;
        }
        // A load that may not pause (a restart's) reads the image on two threads; one that may (a
        // background snapshot's, beside the live engine) keeps to its one.
        boolean twoThreads = pause == NO_PAUSE;
        try (StateImageFile.In image = StateImageFile.read(newest, StateImageFile.FILE, pause);
                StateImageFile.In answers = StateImageFile.read(newest, StateImageFile.ANSWERS_FILE, pause)) {
            PackedCheckoutState.ImageShape shape = PackedCheckoutState.readImageShape(image);
            if (into instanceof PackedCheckoutState packed && packed.takesImage(shape)) {
                // The image first: it needs no Chronicle Map, so a restart reads it while Chronicle's
                // first use in the process runs on another thread (Recovery). Then the small tables,
                // then the checks of what the image's rows name in them.
                packed.readImage(image, answers, shape, twoThreads);
                image.requireEnd();
                answers.requireEnd();
                ChronicleSnapshotFiles.read(newest, paced);
                packed.checkImageRows(
                        image, into.merchants().rowCount(), into.campaigns().size());
                return meta;
            }
            // Another kind of state, or capacities changed since the snapshot: the image goes into
            // a state shaped as the writer's was, and from there record by record through the
            // loader and its checks, after the small tables its records name.
            LOG.info(
                    "snapshot {}: its state image is read into a state of its own shape (remembered answers {} "
                            + "against {} configured), then loaded record by record",
                    newest,
                    shape.outcomeRing(),
                    into.outcomeCapacity());
            ChronicleSnapshotFiles.read(newest, paced);
            PackedCheckoutState shaped = PackedCheckoutState.of(new StateCapacities(
                    into.skuCapacity(),
                    shape.orderCapacity(),
                    shape.userCounterCapacity(),
                    shape.outcomeRing(),
                    shape.paymentCapacity(),
                    false));
            shaped.readImage(image, answers, shape, twoThreads);
            image.requireEnd();
            answers.requireEnd();
            SnapshotCodec.writeLargeTables(shaped, paced);
            return meta;
        }
    }

    /** Deletes all but the newest {@code keep} snapshots, and any left-over partial one. */
    public void retainNewest(int keep) {
        List<Path> all = snapshots();
        for (int i = 0; i < all.size() - keep; i++) {
            deleteTree(all.get(i));
        }
        try (Stream<Path> entries = Files.list(directory)) {
            entries.filter(path -> path.getFileName().toString().endsWith(TMP)).forEach(SnapshotStore::deleteTree);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + directory, e);
        }
    }

    private static Meta readMeta(Path snapshot) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(snapshot.resolve(META))) {
            properties.load(reader);
            return new Meta(
                    Long.parseLong(properties.getProperty("journal-sequence")),
                    Long.parseLong(properties.getProperty("next-event-sequence")),
                    Long.parseLong(properties.getProperty("now-millis")));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("unreadable snapshot " + snapshot + ": " + e.getMessage(), e);
        }
    }

    private static String name(long journalSequence) {
        return String.format("%020d", journalSequence);
    }

    private static void force(Path path, boolean directory) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            if (!directory) {
                throw e;
            }
            LOG.debug("cannot sync directory {}: {}", path, e.getMessage());
        }
    }

    /** Deletes {@code root} and all it holds; nothing if it is not there. */
    public static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            List<Path> paths = walk.sorted(Comparator.reverseOrder()).toList();
            for (Path path : paths) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }
}
