package io.checkout.state;

import io.checkout.engine.CheckoutState;
import io.checkout.engine.OrderRecord;
import io.checkout.engine.Outcome;
import io.checkout.engine.SkuRecord;
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
 * Snapshots of the engine's state at rest, as Chronicle Map files: {@code snapshots/<journal
 * sequence>/} holds {@code skus.cm}, {@code orders.cm}, {@code user-units.cm}, {@code outcomes.cm}
 * and {@code snapshot.properties} (what the snapshot covers). A snapshot is written under a
 * {@code .tmp} name, synced, and renamed into place, so a crash mid-write leaves no half snapshot
 * that recovery could mistake for a whole one.
 *
 * <p>The engine runs on heap state; Chronicle Map is where that state rests between runs: it is
 * off-heap, memory-mapped, and each table can be opened and read on its own by tools.
 */
public final class SnapshotStore {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotStore.class);
    private static final String META = "snapshot.properties";
    private static final String TMP = ".tmp";

    private final Path directory;
    private final StateConfig capacities;

    /** What a snapshot covers: the journal up to and including {@code journalSequence}. */
    public record Meta(long journalSequence, long nextEventSequence, long nowMillis) {
        public static final Meta EMPTY = new Meta(0, 1, 0);
    }

    public SnapshotStore(Path directory, StateConfig capacities) {
        this.directory = directory;
        this.capacities = capacities;
    }

    public Path directory() {
        return directory;
    }

    /** Writes {@code from} as the snapshot {@code meta} describes; returns its directory. */
    public Path write(CheckoutState from, Meta meta) {
        Path target = directory.resolve(name(meta.journalSequence()));
        Path tmp = directory.resolve(name(meta.journalSequence()) + TMP);
        try {
            Files.createDirectories(directory);
            deleteTree(tmp);
            StateConfig config = new StateConfig(tmp, capacities.skuCapacity(), capacities.orderCapacity(),
                    capacities.userCounterCapacity(), capacities.outcomeCapacity());
            try (ChronicleCheckoutState into = ChronicleCheckoutState.open(config)) {
                copy(from, into, false);
            }
            Properties properties = new Properties();
            properties.setProperty("journal-sequence", Long.toString(meta.journalSequence()));
            properties.setProperty("next-event-sequence", Long.toString(meta.nextEventSequence()));
            properties.setProperty("now-millis", Long.toString(meta.nowMillis()));
            properties.setProperty("orders", Long.toString(from.orderCount()));
            properties.setProperty("skus", Integer.toString(from.skuCount()));
            try (Writer writer = Files.newBufferedWriter(tmp.resolve(META))) {
                properties.store(writer, "checkout snapshot");
            }
            try (Stream<Path> files = Files.list(tmp)) {
                for (Path file : (Iterable<Path>) files::iterator) {
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

    /** What the newest complete snapshot covers, or {@link Meta#EMPTY} when there is none. */
    public Meta latestMeta() {
        List<Path> all = snapshots();
        return all.isEmpty() ? Meta.EMPTY : readMeta(all.get(all.size() - 1));
    }

    /**
     * Loads the newest complete snapshot into {@code into} (which must be empty).
     *
     * @return what it covers, or {@link Meta#EMPTY} when there is none
     */
    public Meta loadLatest(CheckoutState into) {
        List<Path> all = snapshots();
        if (all.isEmpty()) {
            return Meta.EMPTY;
        }
        Path newest = all.get(all.size() - 1);
        Meta meta = readMeta(newest);
        StateConfig config = new StateConfig(newest, capacities.skuCapacity(), capacities.orderCapacity(),
                capacities.userCounterCapacity(), capacities.outcomeCapacity());
        try (ChronicleCheckoutState from = ChronicleCheckoutState.open(config)) {
            copy(from, into, true);
        }
        return meta;
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

    /**
     * Copies every table. Answers go in time order, oldest first, so that a state which forgets
     * the oldest answers first forgets the same ones after a restore.
     */
    static void copy(CheckoutState from, CheckoutState into, boolean sortOutcomes) {
        SkuRecord sku = new SkuRecord();
        for (int index = 0; index < from.skuCount(); index++) {
            from.readSku(index, sku);
            into.writeSku(sku);
        }
        OrderRecord order = new OrderRecord();
        for (long orderId = 1; orderId <= from.orderCount(); orderId++) {
            if (!from.readOrder(orderId, order)) {
                throw new IllegalStateException("snapshot misses order " + orderId + " of " + from.orderCount());
            }
            into.writeOrder(order);
        }
        from.forEachUserUnits(into::writeUserUnits);
        if (sortOutcomes) {
            List<Object[]> answers = new ArrayList<>();
            from.forEachOutcome((requestId, outcome) -> {
                Outcome copy = new Outcome();
                copy.copyFrom(outcome);
                answers.add(new Object[] {requestId, copy});
            });
            answers.sort(Comparator.comparingLong(answer -> ((Outcome) answer[1]).atEpochMillis));
            for (Object[] answer : answers) {
                into.writeOutcome((String) answer[0], (Outcome) answer[1]);
            }
        } else {
            from.forEachOutcome(into::writeOutcome);
        }
        into.flush();
    }

    private static Meta readMeta(Path snapshot) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(snapshot.resolve(META))) {
            properties.load(reader);
            return new Meta(Long.parseLong(properties.getProperty("journal-sequence")),
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

    private static void deleteTree(Path root) {
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
