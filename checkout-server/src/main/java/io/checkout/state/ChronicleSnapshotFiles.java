package io.checkout.state;

import io.checkout.engine.CampaignTable;
import io.checkout.engine.CampaignTerms;
import io.checkout.engine.CheckoutState;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.IdBuffer;
import io.checkout.engine.OrderRecord;
import io.checkout.engine.Outcome;
import io.checkout.engine.SkuGroupTable;
import io.checkout.engine.SkuRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;

/**
 * A snapshot's records at rest: nine persisted Chronicle Maps in one directory, each of which a tool
 * can open and read on its own.
 * <pre>
 *   merchants.cm   row number  -> merchant id, commission rate, since (absent in snapshots from
 *                                 before merchants: read as none)
 *   groups.cm      "number/id" -> the SKU group's per-user limit (absent in snapshots from before
 *                                 SKU groups: read as none)
 *   group-attempts.cm  the attempt limits of SKU groups that have one and what they count, by
 *                  group number: "number/max-attempts", "number/window-millis" -> the limit;
 *                  "number/counted-window" -> the window counted (present only with counts);
 *                  "number/attempts/user" -> the user's attempts in that window (absent in
 *                  snapshots from before group attempt limits: every group read as without one)
 *   skus.cm        SKU index   -> SKU record
 *   campaigns.cm   number      -> the campaign's terms (absent in snapshots from before campaigns:
 *                                 read as none)
 *   orders.chunks.cm      chunk number -> orders by id, several hundred a chunk ({@link RecordChunks})
 *   user-units.chunks.cm  chunk number -> (SKU index, user, units held (reserved + paid)) records
 *   outcomes.chunks.cm    chunk number -> (request id, first answer) records, oldest first
 *   risk.cm        "rule/max-attempts", "rule/window-millis", "rule/counted-window" -> the attempt
 *                  limit and the window counted; "blocked/user" -> 1; "attempts/user" -> attempts
 *                  in that window (absent in snapshots from before risk rules: read as none)
 * </pre>
 * A snapshot of a {@link PackedCheckoutState} (every snapshot the server writes since 2026-12-05, 00:00
 * UTC) has none of the three chunk maps: it keeps those tables as they are in memory in
 * {@code state-image.bin} and {@code state-image-answers.bin} ({@link StateImageFile}), and only the small tables here; a snapshot with
 * an image is read here without its large tables, which {@link SnapshotStore} then reads from the
 * image. Snapshots written before the chunks hold the three large tables as one entry a record instead,
 * and are still read: {@code orders.cm} (order id -> order record), {@code user-units.cm}
 * ("sku/user" -> units) and {@code outcomes.cm} (request id -> first answer, in no order: the
 * answers are sorted by time as they are read). A table is read from its chunks file when the
 * snapshot has one, else from its per-record file.
 *
 * <p>Written once ({@link #create}, then {@link Writer#close}), read once ({@link #read}). Each map
 * is sized for the records it will hold, with head-room ({@link #SIZING_HEADROOM}) for keys and
 * values above Chronicle's average sizes; a chunk map for typical records, growing as far as
 * its records at their largest would need ({@link RecordChunks#open}).
 */
final class ChronicleSnapshotFiles {
    static final double SIZING_HEADROOM = 1.25;
    private static final long ENTRIES_MIN = 64;
    /** The file every snapshot has. */
    private static final String SKUS_FILE = "skus.cm";
    /** The large tables, each as chunks (since 2026-12-05) or else one entry a record (before). */
    private static final String ORDER_CHUNKS_FILE = "orders.chunks.cm";

    private static final String ORDERS_FILE = "orders.cm";
    private static final String USER_UNIT_CHUNKS_FILE = "user-units.chunks.cm";
    private static final String USER_UNITS_FILE = "user-units.cm";
    private static final String OUTCOME_CHUNKS_FILE = "outcomes.chunks.cm";
    private static final String OUTCOMES_FILE = "outcomes.cm";
    /** About what an order takes (one line, a short user id, no payment: 80-100 bytes), with room. */
    private static final int ORDER_BYTES = 128;
    /**
     * The most bytes {@link RecordMarshallers.OrderMarshaller} writes for an order: the fixed fields
     * and the user id, every line with its refunded units and merchant row, the payment, the campaign.
     */
    private static final int ORDER_BYTES_MAX = 1
            + 8
            + (1 + EngineLimits.ID_LENGTH_MAX)
            + 1
            + 4
            + 8
            + 8
            + 8
            + 8
            + 1
            + EngineLimits.LINES_PER_ORDER_MAX * (4 + 4 + 8 + 4 + 4)
            + 1
            + (1 + EngineLimits.PAYMENT_PROVIDER_LENGTH_MAX)
            + (1 + EngineLimits.ID_LENGTH_MAX)
            + 8
            + 4
            + 8
            + 8;
    /** About what a user's units take (a user id of some 20 characters), with room. */
    private static final int USER_UNITS_BYTES = 40;
    /** A user's units of a SKU: the SKU's index, the user id, the units. */
    private static final int USER_UNITS_BYTES_MAX = 4 + 1 + EngineLimits.ID_LENGTH_MAX + 8;
    /** About what a remembered answer takes (a request id of some 36 characters). */
    private static final int OUTCOME_BYTES = 72;
    /** A remembered answer: the request id, then the answer. */
    private static final int OUTCOME_BYTES_MAX =
            1 + EngineLimits.ID_LENGTH_MAX + RecordMarshallers.OutcomeMarshaller.SIZE;
    /** Written by every snapshot since merchants; an older snapshot has none. */
    private static final String MERCHANTS_FILE = "merchants.cm";
    /** Written by every snapshot since SKU groups; an older snapshot has none. */
    private static final String GROUPS_FILE = "groups.cm";
    /** Written by every snapshot since campaigns; an older snapshot has none. */
    private static final String CAMPAIGNS_FILE = "campaigns.cm";
    /** The least average size the campaigns' map is given for a value, in bytes. */
    private static final int CAMPAIGN_BYTES_MIN = 128;
    /** Written by every snapshot since risk rules; an older snapshot has none. */
    private static final String RISK_FILE = "risk.cm";
    /** Written by every snapshot since SKU groups' attempt limits; an older snapshot has none. */
    private static final String GROUP_ATTEMPTS_FILE = "group-attempts.cm";

    private static final String RULE_MAX_ATTEMPTS = "rule/max-attempts";
    private static final String RULE_WINDOW_MILLIS = "rule/window-millis";
    private static final String RULE_COUNTED_WINDOW = "rule/counted-window";
    private static final String BLOCKED = "blocked/";
    private static final String ATTEMPTS = "attempts/";
    private static final String GROUP_MAX_ATTEMPTS = "max-attempts";
    private static final String GROUP_WINDOW_MILLIS = "window-millis";
    private static final String GROUP_COUNTED_WINDOW = "counted-window";

    private ChronicleSnapshotFiles() {}

    /**
     * Opens and closes the maps of an empty snapshot in {@code directory}. Chronicle registers JVM
     * shutdown hooks when its classes are first used; if the first snapshot of a process is the one
     * taken in the server's own shutdown hook, that registration fails ("Shutdown in progress") and
     * so does the snapshot. Called at start, it has them registered while that is still allowed.
     */
    static void warmUp(Path directory) {
        try (Writer ignored = new Writer(directory, true, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)) {
            // opened and closed: the classes are loaded and their hooks registered
        }
    }

    /**
     * The maps of a new snapshot in {@code directory}, sized for the tables of {@code state}; without
     * the large tables' maps (orders, users' units, remembered answers) if {@code largeTables} is
     * false, for a snapshot that keeps them as a state image ({@link StateImageFile}).
     */
    static Writer create(Path directory, CheckoutState state, boolean largeTables) {
        return create(directory, Sizing.of(state), largeTables);
    }

    /** As {@link #create(Path, CheckoutState, boolean)}, sized by {@code sizing} (taken from a state earlier). */
    static Writer create(Path directory, Sizing sizing, boolean largeTables) {
        return new Writer(
                directory,
                largeTables,
                sizing.merchantRows(),
                sizing.groups(),
                sizing.groupAttemptEntries(),
                sizing.skus(),
                sizing.campaigns(),
                sizing.campaignBytesMax(),
                sizing.orders(),
                sizing.userCounters(),
                sizing.outcomes(),
                sizing.riskEntries());
    }

    /** What a snapshot's maps are sized for: the counts of a state's tables at one point. */
    record Sizing(
            int merchantRows,
            int groups,
            long groupAttemptEntries,
            int skus,
            int campaigns,
            long campaignBytesMax,
            long orders,
            long userCounters,
            long outcomes,
            long riskEntries) {

        /** The sizes of {@code state}'s tables now; read on the thread that owns it. */
        static Sizing of(CheckoutState state) {
            CampaignTable campaigns = state.campaigns();
            long campaignBytesMax = 0;
            for (int number = 0; number < campaigns.size(); number++) {
                campaignBytesMax = Math.max(
                        campaignBytesMax, RecordMarshallers.CampaignMarshaller.sizeOf(campaigns.terms(number)));
            }
            SkuGroupTable groups = state.skuGroups();
            long groupAttemptEntries = 0;
            for (int number = 0; number < groups.size(); number++) {
                if (groups.hasAttemptLimit(number)) {
                    // The limit, the window counted, and a row a user.
                    groupAttemptEntries += 3 + groups.countedCount(number);
                }
            }
            return new Sizing(
                    state.merchants().rowCount(),
                    groups.size(),
                    groupAttemptEntries,
                    state.skuCount(),
                    campaigns.size(),
                    campaignBytesMax,
                    state.orderCount(),
                    state.userCounterCount(),
                    state.outcomeCount(),
                    state.risk().blockedCount() + state.risk().countedCount());
        }
    }

    /**
     * Streams the snapshot in {@code directory} into {@code into}, in {@link SnapshotSink}'s order
     * (the chunks keep the order they were written in; an older snapshot's per-record tables are
     * read by key, or sorted).
     */
    static void read(Path directory, SnapshotSink into) {
        require(directory, SKUS_FILE, null);
        // A snapshot with a state image holds its large tables there, and has none of their maps.
        boolean largeTables = !StateImageFile.present(directory);
        boolean orderChunks = largeTables && require(directory, ORDERS_FILE, ORDER_CHUNKS_FILE);
        boolean userUnitChunks = largeTables && require(directory, USER_UNITS_FILE, USER_UNIT_CHUNKS_FILE);
        boolean outcomeChunks = largeTables && require(directory, OUTCOMES_FILE, OUTCOME_CHUNKS_FILE);
        if (Files.isRegularFile(directory.resolve(MERCHANTS_FILE))) {
            try (ChronicleMap<LongCell, RecordMarshallers.MerchantRow> merchants = merchants(directory, ENTRIES_MIN)) {
                long count = merchants.longSize();
                LongCell key = new LongCell();
                RecordMarshallers.MerchantRow row = new RecordMarshallers.MerchantRow();
                for (int number = 0; number < count; number++) {
                    if (merchants.getUsing(key.set(number), row) == null) {
                        throw new IllegalStateException(
                                "snapshot " + directory + " misses merchant row " + number + " of " + count);
                    }
                    into.merchantRow(number, row.merchantId, row.commissionBps, row.sinceEpochMillis);
                }
            }
        }
        if (Files.isRegularFile(directory.resolve(GROUPS_FILE))) {
            readGroups(directory, into);
        }
        try (ChronicleMap<LongCell, SkuRecord> skus = skus(directory, ENTRIES_MIN)) {
            long count = skus.longSize();
            LongCell key = new LongCell();
            SkuRecord sku = new SkuRecord();
            for (int index = 0; index < count; index++) {
                if (skus.getUsing(key.set(index), sku) == null) {
                    throw new IllegalStateException("snapshot " + directory + " misses SKU " + index + " of " + count);
                }
                into.sku(sku);
            }
        }
        if (Files.isRegularFile(directory.resolve(CAMPAIGNS_FILE))) {
            // After the SKUs and merchants they name, before the orders that name them.
            try (ChronicleMap<LongCell, CampaignTerms> campaigns = campaigns(directory, ENTRIES_MIN, 0)) {
                long count = campaigns.longSize();
                LongCell key = new LongCell();
                CampaignTerms terms = new CampaignTerms();
                for (int number = 0; number < count; number++) {
                    if (campaigns.getUsing(key.set(number), terms) == null) {
                        throw new IllegalStateException(
                                "snapshot " + directory + " misses campaign " + number + " of " + count);
                    }
                    into.campaign(number, terms);
                }
            }
        }
        if (orderChunks) {
            readChunks(directory, ORDER_CHUNKS_FILE, new OrderGroups(into));
        } else if (largeTables) {
            readOrders(directory, into);
        }
        if (userUnitChunks) {
            readChunks(directory, USER_UNIT_CHUNKS_FILE, new UserUnitGroups(into));
        } else if (largeTables) {
            readUserUnits(directory, into);
        }
        if (outcomeChunks) {
            readChunks(directory, OUTCOME_CHUNKS_FILE, new OutcomeGroups(into));
        } else if (largeTables) {
            readOutcomes(directory, into);
        }
        if (Files.isRegularFile(directory.resolve(RISK_FILE))) {
            readRisk(directory, into);
        }
    }

    private static void readChunks(Path directory, String file, RecordChunks.ChunkReader reader) {
        try (ChronicleMap<LongCell, RecordChunks.Chunk> chunks = chunks(directory, file)) {
            RecordChunks.readAll(chunks, "snapshot " + directory + " " + file, reader);
        }
    }

    /**
     * Reads a chunk's records {@link #GROUP} at a time: decodes a group, hints each record's ids
     * to the sink ({@link SnapshotSink#comingUp}), then hands the group on, so that the state's
     * index lookups of a group overlap their cache misses as replay's do.
     */
    private abstract static class Groups implements RecordChunks.ChunkReader {
        static final int GROUP = 16;

        @Override
        public final void read(Bytes<?> in, int records) {
            for (int done = 0; done < records; done += GROUP) {
                int count = Math.min(GROUP, records - done);
                for (int k = 0; k < count; k++) {
                    decode(in, k);
                }
                for (int k = 0; k < count; k++) {
                    handOn(k);
                }
            }
        }

        /** Decodes the next record into holder {@code k} and hints its ids. */
        abstract void decode(Bytes<?> in, int k);

        /** Hands the record in holder {@code k} to the sink. */
        abstract void handOn(int k);
    }

    private static final class OrderGroups extends Groups {
        private final SnapshotSink into;
        private final OrderRecord[] orders = new OrderRecord[GROUP];

        OrderGroups(SnapshotSink into) {
            this.into = into;
            for (int k = 0; k < GROUP; k++) {
                orders[k] = new OrderRecord();
            }
        }

        @Override
        void decode(Bytes<?> in, int k) {
            RecordMarshallers.OrderMarshaller.INSTANCE.read(in, orders[k]);
            into.comingUp(null, orders[k].userId);
        }

        @Override
        void handOn(int k) {
            into.order(orders[k]);
        }
    }

    private static final class UserUnitGroups extends Groups {
        private final SnapshotSink into;
        private final int[] skuIndexes = new int[GROUP];
        private final IdBuffer[] userIds = new IdBuffer[GROUP];
        private final long[] units = new long[GROUP];

        UserUnitGroups(SnapshotSink into) {
            this.into = into;
            for (int k = 0; k < GROUP; k++) {
                userIds[k] = new IdBuffer();
            }
        }

        @Override
        void decode(Bytes<?> in, int k) {
            skuIndexes[k] = in.readInt();
            RecordMarshallers.readAscii(in, userIds[k]);
            units[k] = in.readLong();
            into.comingUp(null, userIds[k]);
        }

        @Override
        void handOn(int k) {
            into.userUnits(userIds[k], skuIndexes[k], units[k]);
        }
    }

    private static final class OutcomeGroups extends Groups {
        private final SnapshotSink into;
        private final IdBuffer[] requestIds = new IdBuffer[GROUP];
        private final Outcome[] outcomes = new Outcome[GROUP];

        OutcomeGroups(SnapshotSink into) {
            this.into = into;
            for (int k = 0; k < GROUP; k++) {
                requestIds[k] = new IdBuffer();
                outcomes[k] = new Outcome();
            }
        }

        @Override
        void decode(Bytes<?> in, int k) {
            RecordMarshallers.readAscii(in, requestIds[k]);
            RecordMarshallers.OutcomeMarshaller.INSTANCE.read(
                    in, RecordMarshallers.OutcomeMarshaller.SIZE, outcomes[k]);
            into.comingUp(requestIds[k], null);
        }

        @Override
        void handOn(int k) {
            into.outcome(requestIds[k], outcomes[k]);
        }
    }

    /**
     * Whether {@code directory} holds {@code newFile}; else it must hold {@code oldFile} (refused
     * with the old file's name if neither is there). A null {@code newFile}: {@code oldFile} must be there.
     */
    private static boolean require(Path directory, String oldFile, String newFile) {
        if (newFile != null && Files.isRegularFile(directory.resolve(newFile))) {
            return true;
        }
        if (!Files.isRegularFile(directory.resolve(oldFile))) {
            throw new IllegalStateException(
                    "snapshot " + directory + " has no " + oldFile + (newFile == null ? "" : " and no " + newFile));
        }
        return false;
    }

    /** The orders of a snapshot from before chunks: one entry an order, read by id. */
    private static void readOrders(Path directory, SnapshotSink into) {
        try (ChronicleMap<LongCell, OrderRecord> orders = orders(directory, ENTRIES_MIN)) {
            long count = orders.longSize();
            LongCell key = new LongCell();
            OrderRecord order = new OrderRecord();
            for (long orderId = 1; orderId <= count; orderId++) {
                if (orders.getUsing(key.set(orderId), order) == null) {
                    throw new IllegalStateException(
                            "snapshot " + directory + " misses order " + orderId + " of " + count);
                }
                into.order(order);
            }
        }
    }

    /** The users' units of a snapshot from before chunks: one entry a (SKU, user). */
    private static void readUserUnits(Path directory, SnapshotSink into) {
        try (ChronicleMap<CharSequence, LongCell> userUnits = userUnits(directory, ENTRIES_MIN)) {
            IdBuffer userId = new IdBuffer();
            userUnits.forEach((key, units) -> {
                String text = key.toString();
                int slash = text.indexOf('/');
                into.userUnits(
                        userId.set(text.substring(slash + 1)), Integer.parseInt(text.substring(0, slash)), units.value);
            });
        }
    }

    /**
     * The remembered answers of a snapshot from before chunks: one entry an answer, in the map's
     * order, so they are sorted by time first; that holds them all in memory at once.
     */
    private static void readOutcomes(Path directory, SnapshotSink into) {
        try (ChronicleMap<CharSequence, Outcome> outcomes = outcomes(directory, ENTRIES_MIN)) {
            List<Remembered> oldestFirst = new ArrayList<>((int) Math.min(Integer.MAX_VALUE - 8, outcomes.longSize()));
            outcomes.forEach((requestId, outcome) -> {
                Outcome copy = new Outcome();
                copy.copyFrom(outcome);
                oldestFirst.add(new Remembered(requestId.toString(), copy));
            });
            oldestFirst.sort(Comparator.comparingLong(remembered -> remembered.outcome().atEpochMillis));
            IdBuffer requestId = new IdBuffer();
            for (Remembered remembered : oldestFirst) {
                into.outcome(requestId.set(remembered.requestId()), remembered.outcome());
            }
        }
    }

    private static void readGroups(Path directory, SnapshotSink into) {
        try (ChronicleMap<CharSequence, LongCell> groups = groups(directory, ENTRIES_MIN)) {
            List<KeyedLong> byNumber = new ArrayList<>();
            groups.forEach((key, limit) -> byNumber.add(new KeyedLong(key.toString(), limit.value)));
            String[] ids = new String[byNumber.size()];
            long[] limits = new long[byNumber.size()];
            for (KeyedLong group : byNumber) {
                String text = group.key();
                int slash = text.indexOf('/');
                int number = slash < 1 ? -1 : Integer.parseInt(text.substring(0, slash));
                if (number < 0 || number >= ids.length || ids[number] != null) {
                    throw new IllegalStateException("snapshot " + directory + " holds a SKU group key " + text);
                }
                ids[number] = text.substring(slash + 1);
                limits[number] = group.value();
            }
            GroupAttempts attempts = Files.isRegularFile(directory.resolve(GROUP_ATTEMPTS_FILE))
                    ? readGroupAttempts(directory, ids.length)
                    : new GroupAttempts(ids.length);
            // Every group with its limit first, then what the limited ones count.
            for (int number = 0; number < ids.length; number++) {
                into.skuGroup(
                        number,
                        ids[number],
                        limits[number],
                        attempts.maxAttempts[number],
                        attempts.windowMillis[number]);
            }
            for (GroupCount count : attempts.counts) {
                into.groupAttempts(
                        count.number(), attempts.countedWindows[count.number()], count.userId(), count.count());
            }
        }
    }

    /**
     * Reads {@link #GROUP_ATTEMPTS_FILE} for a snapshot of {@code groupCount} groups, refusing a
     * key of no group, a limit without its window, a number out of range, or counts without their
     * window; the loader checks the rest (the limit itself, user ids, counts against the limit).
     */
    private static GroupAttempts readGroupAttempts(Path directory, int groupCount) {
        GroupAttempts attempts = new GroupAttempts(groupCount);
        boolean[] limited = new boolean[groupCount];
        boolean[] windowed = new boolean[groupCount];
        boolean[] counted = new boolean[groupCount];
        try (ChronicleMap<CharSequence, LongCell> map = groupAttempts(directory, ENTRIES_MIN)) {
            map.forEach((key, cell) -> {
                String text = key.toString();
                int slash = text.indexOf('/');
                int number = slash < 1 ? -1 : parseNumber(text.substring(0, slash));
                if (number < 0 || number >= groupCount) {
                    throw new IllegalStateException("snapshot " + directory + " holds a key " + text + " in "
                            + GROUP_ATTEMPTS_FILE + " of no SKU group of " + groupCount);
                }
                String field = text.substring(slash + 1);
                long value = cell.value;
                if (field.equals(GROUP_MAX_ATTEMPTS)) {
                    if (value < 0 || value > Integer.MAX_VALUE) {
                        throw new IllegalStateException(
                                "snapshot " + directory + " holds max attempts " + value + " for SKU group " + number);
                    }
                    attempts.maxAttempts[number] = (int) value;
                    limited[number] = true;
                } else if (field.equals(GROUP_WINDOW_MILLIS)) {
                    attempts.windowMillis[number] = value;
                    windowed[number] = true;
                } else if (field.equals(GROUP_COUNTED_WINDOW)) {
                    attempts.countedWindows[number] = value;
                    counted[number] = true;
                } else if (field.startsWith(ATTEMPTS)) {
                    if (value < 1 || value > Integer.MAX_VALUE) {
                        throw new IllegalStateException("snapshot " + directory + " counts " + value
                                + " attempts in SKU group " + number + " of " + field);
                    }
                    attempts.counts.add(new GroupCount(number, field.substring(ATTEMPTS.length()), (int) value));
                } else {
                    throw new IllegalStateException(
                            "snapshot " + directory + " holds an unknown key " + text + " in " + GROUP_ATTEMPTS_FILE);
                }
            });
        }
        for (int number = 0; number < groupCount; number++) {
            if (limited[number] != windowed[number]) {
                throw new IllegalStateException("snapshot " + directory + " holds half the attempt limit of SKU group "
                        + number + " in " + GROUP_ATTEMPTS_FILE);
            }
        }
        for (GroupCount count : attempts.counts) {
            if (!counted[count.number()]) {
                throw new IllegalStateException("snapshot " + directory + " counts attempts in SKU group "
                        + count.number() + " without their window");
            }
        }
        // Group by group, as they were written; Chronicle Map keeps no order.
        attempts.counts.sort(Comparator.comparingInt(GroupCount::number));
        return attempts;
    }

    /** A group number as a key holds it: decimal digits, at most nine; -1 for anything else. */
    private static int parseNumber(String text) {
        if (text.isEmpty() || text.length() > 9) {
            return -1;
        }
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                return -1;
            }
        }
        return Integer.parseInt(text);
    }

    /** What {@link #GROUP_ATTEMPTS_FILE} holds, by group number (0 attempts: no limit). */
    private static final class GroupAttempts {
        final int[] maxAttempts;
        final long[] windowMillis;
        final long[] countedWindows;
        final List<GroupCount> counts = new ArrayList<>();

        GroupAttempts(int groupCount) {
            maxAttempts = new int[groupCount];
            windowMillis = new long[groupCount];
            countedWindows = new long[groupCount];
        }
    }

    /** A user's attempts counted by a SKU group. */
    private record GroupCount(int number, String userId, int count) {}

    private static void readRisk(Path directory, SnapshotSink into) {
        try (ChronicleMap<CharSequence, LongCell> risk = risk(directory, ENTRIES_MIN)) {
            LongCell maxAttempts = risk.get(RULE_MAX_ATTEMPTS);
            LongCell windowMillis = risk.get(RULE_WINDOW_MILLIS);
            LongCell countedWindow = risk.get(RULE_COUNTED_WINDOW);
            if (maxAttempts == null || windowMillis == null || countedWindow == null) {
                throw new IllegalStateException("snapshot " + directory + " has a " + RISK_FILE + " without its rule");
            }
            if (maxAttempts.value < 0 || maxAttempts.value > Integer.MAX_VALUE) {
                throw new IllegalStateException("snapshot " + directory + " holds max attempts " + maxAttempts.value);
            }
            into.riskRule((int) maxAttempts.value, windowMillis.value, countedWindow.value);
            // The rule first, then every blocked user, then every count, whatever order the map keeps.
            List<String> blocked = new ArrayList<>();
            List<KeyedLong> counted = new ArrayList<>();
            risk.forEach((key, value) -> {
                String text = key.toString();
                if (text.startsWith(BLOCKED)) {
                    blocked.add(text.substring(BLOCKED.length()));
                } else if (text.startsWith(ATTEMPTS)) {
                    counted.add(new KeyedLong(text.substring(ATTEMPTS.length()), value.value));
                }
            });
            blocked.forEach(into::blockedUser);
            for (KeyedLong user : counted) {
                if (user.value() < 1 || user.value() > Integer.MAX_VALUE) {
                    throw new IllegalStateException(
                            "snapshot " + directory + " counts " + user.value() + " attempts of " + user.key());
                }
                into.attempts(user.key(), (int) user.value());
            }
        }
    }

    /** A text key and its number, as the risk and group maps hold them. */
    private record KeyedLong(String key, long value) {}

    private record Remembered(String requestId, Outcome outcome) {}

    /** Stores the records streamed into it; {@link #close} writes them out. */
    static final class Writer implements SnapshotSink, AutoCloseable {
        private final List<ChronicleMap<?, ?>> opened = new ArrayList<>();
        private final ChronicleMap<LongCell, RecordMarshallers.MerchantRow> merchants;
        private final ChronicleMap<CharSequence, LongCell> groups;
        private final ChronicleMap<CharSequence, LongCell> groupAttempts;
        private final ChronicleMap<LongCell, SkuRecord> skus;
        private final ChronicleMap<LongCell, CampaignTerms> campaigns;
        private final RecordMarshallers.MerchantRow merchantRow = new RecordMarshallers.MerchantRow();
        private final RecordChunks.Writer orders;
        private final RecordChunks.Writer userUnits;
        private final RecordChunks.Writer outcomes;
        private final ChronicleMap<CharSequence, LongCell> risk;
        private final LongCell key = new LongCell();
        private final LongCell value = new LongCell();
        private final StringBuilder userKey = new StringBuilder(80);
        /** The group whose counted window {@link #groupAttempts} wrote last, -1 for none. */
        private int windowWritten = -1;

        private Writer(
                Path directory,
                boolean largeTables,
                long merchantRowCount,
                long groupCount,
                long groupAttemptEntries,
                long skuCount,
                long campaignCount,
                long campaignBytesMax,
                long orderCount,
                long userCounterCount,
                long outcomeCount,
                long riskUserCount) {
            try {
                merchants = track(ChronicleSnapshotFiles.merchants(directory, merchantRowCount));
                groups = track(ChronicleSnapshotFiles.groups(directory, groupCount));
                groupAttempts = track(ChronicleSnapshotFiles.groupAttempts(directory, groupAttemptEntries));
                skus = track(ChronicleSnapshotFiles.skus(directory, skuCount));
                campaigns = track(ChronicleSnapshotFiles.campaigns(directory, campaignCount, campaignBytesMax));
                if (!largeTables) {
                    orders = null;
                    userUnits = null;
                    outcomes = null;
                } else {
                    orders = new RecordChunks.Writer(track(RecordChunks.open(
                            directory, ORDER_CHUNKS_FILE, "order-chunks", orderCount, ORDER_BYTES, ORDER_BYTES_MAX)));
                    userUnits = new RecordChunks.Writer(track(RecordChunks.open(
                            directory,
                            USER_UNIT_CHUNKS_FILE,
                            "user-unit-chunks",
                            userCounterCount,
                            USER_UNITS_BYTES,
                            USER_UNITS_BYTES_MAX)));
                    outcomes = new RecordChunks.Writer(track(RecordChunks.open(
                            directory,
                            OUTCOME_CHUNKS_FILE,
                            "outcome-chunks",
                            outcomeCount,
                            OUTCOME_BYTES,
                            OUTCOME_BYTES_MAX)));
                }
                risk = track(ChronicleSnapshotFiles.risk(directory, riskUserCount + 3));
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        private <K, V> ChronicleMap<K, V> track(ChronicleMap<K, V> map) {
            opened.add(map);
            return map;
        }

        @Override
        public void merchantRow(int row, String merchantId, int commissionBps, long sinceEpochMillis) {
            merchants.put(key.set(row), merchantRow.set(merchantId, commissionBps, sinceEpochMillis));
        }

        @Override
        public void skuGroup(int number, String groupId, long perUserLimit, int maxAttempts, long windowMillis) {
            userKey.setLength(0);
            groups.put(userKey.append(number).append('/').append(groupId), value.set(perUserLimit));
            if (maxAttempts != 0 || windowMillis != 0) {
                userKey.setLength(0);
                groupAttempts.put(
                        userKey.append(number).append('/').append(GROUP_MAX_ATTEMPTS), value.set(maxAttempts));
                userKey.setLength(0);
                groupAttempts.put(
                        userKey.append(number).append('/').append(GROUP_WINDOW_MILLIS), value.set(windowMillis));
            }
        }

        @Override
        public void groupAttempts(int number, long countedWindow, String userId, int count) {
            if (number != windowWritten) {
                userKey.setLength(0);
                groupAttempts.put(
                        userKey.append(number).append('/').append(GROUP_COUNTED_WINDOW), value.set(countedWindow));
                windowWritten = number;
            }
            userKey.setLength(0);
            groupAttempts.put(
                    userKey.append(number).append('/').append(ATTEMPTS).append(userId), value.set(count));
        }

        @Override
        public void sku(SkuRecord sku) {
            skus.put(key.set(sku.index), sku);
        }

        @Override
        public void campaign(int number, CampaignTerms terms) {
            campaigns.put(key.set(number), terms);
        }

        @Override
        public void order(OrderRecord order) {
            requireLargeTables();
            RecordMarshallers.OrderMarshaller.INSTANCE.write(orders.out(), order);
            orders.recordWritten();
        }

        @Override
        public void userUnits(IdBuffer userId, int skuIndex, long units) {
            requireLargeTables();
            Bytes<?> out = userUnits.out();
            out.writeInt(skuIndex);
            RecordMarshallers.writeAscii(out, userId);
            out.writeLong(units);
            userUnits.recordWritten();
        }

        @Override
        public void outcome(IdBuffer requestId, Outcome outcome) {
            requireLargeTables();
            Bytes<?> out = outcomes.out();
            RecordMarshallers.writeAscii(out, requestId);
            RecordMarshallers.OutcomeMarshaller.INSTANCE.write(out, RecordMarshallers.OutcomeMarshaller.SIZE, outcome);
            outcomes.recordWritten();
        }

        @Override
        public void riskRule(int maxAttempts, long windowMillis, long countedWindow) {
            risk.put(RULE_MAX_ATTEMPTS, value.set(maxAttempts));
            risk.put(RULE_WINDOW_MILLIS, value.set(windowMillis));
            risk.put(RULE_COUNTED_WINDOW, value.set(countedWindow));
        }

        @Override
        public void blockedUser(String userId) {
            userKey.setLength(0);
            risk.put(userKey.append(BLOCKED).append(userId), value.set(1));
        }

        @Override
        public void attempts(String userId, int count) {
            userKey.setLength(0);
            risk.put(userKey.append(ATTEMPTS).append(userId), value.set(count));
        }

        private void requireLargeTables() {
            if (orders == null) {
                throw new IllegalStateException("a snapshot without the large tables' maps (a state image) got a row");
            }
        }

        /** Puts the last chunk of each chunked table, then closes every map. */
        @Override
        public void close() {
            try {
                if (orders != null && outcomes != null) {
                    orders.finish();
                    userUnits.finish();
                    outcomes.finish();
                }
            } finally {
                for (ChronicleMap<?, ?> map : opened) {
                    map.close();
                }
                opened.clear();
            }
        }
    }

    private static ChronicleMap<LongCell, RecordMarshallers.MerchantRow> merchants(Path directory, long entries) {
        return persisted(
                ChronicleMap.of(LongCell.class, RecordMarshallers.MerchantRow.class)
                        .name("merchants")
                        .entries(sized(entries))
                        .keyMarshaller(LongCell.Marshaller.INSTANCE)
                        .constantKeySizeBySample(new LongCell(1))
                        .valueMarshaller(RecordMarshallers.MerchantRowMarshaller.INSTANCE)
                        .averageValueSize(40),
                directory,
                MERCHANTS_FILE);
    }

    private static ChronicleMap<LongCell, SkuRecord> skus(Path directory, long entries) {
        return persisted(
                ChronicleMap.of(LongCell.class, SkuRecord.class)
                        .name("skus")
                        .entries(sized(entries))
                        .keyMarshaller(LongCell.Marshaller.INSTANCE)
                        .constantKeySizeBySample(new LongCell(1))
                        .valueMarshaller(RecordMarshallers.SkuMarshaller.INSTANCE)
                        .averageValueSize(120),
                directory,
                SKUS_FILE);
    }

    /**
     * The campaigns' map. Every value is given the room of the largest ({@code valueBytesMax}, at
     * least {@link #CAMPAIGN_BYTES_MIN}): a campaign listing 64 long SKU ids takes some forty times
     * the bytes of one listing none, and sizing for the largest keeps any mix of them within what
     * the map was built for, at little cost since campaigns are few. An existing file keeps its own
     * sizing, so reading passes 0.
     */
    private static ChronicleMap<LongCell, CampaignTerms> campaigns(Path directory, long entries, long valueBytesMax) {
        return persisted(
                ChronicleMap.of(LongCell.class, CampaignTerms.class)
                        .name("campaigns")
                        .entries(sized(entries))
                        .keyMarshaller(LongCell.Marshaller.INSTANCE)
                        .constantKeySizeBySample(new LongCell(1))
                        .valueMarshaller(RecordMarshallers.CampaignMarshaller.INSTANCE)
                        .averageValueSize(Math.max(CAMPAIGN_BYTES_MIN, valueBytesMax)),
                directory,
                CAMPAIGNS_FILE);
    }

    /** An existing chunk map, with its own sizing. */
    private static ChronicleMap<LongCell, RecordChunks.Chunk> chunks(Path directory, String file) {
        return RecordChunks.open(directory, file, file, 0, 1, 1);
    }

    static ChronicleMap<LongCell, OrderRecord> orders(Path directory, long entries) {
        return persisted(
                ChronicleMap.of(LongCell.class, OrderRecord.class)
                        .name("orders")
                        .entries(sized(entries))
                        .keyMarshaller(LongCell.Marshaller.INSTANCE)
                        .constantKeySizeBySample(new LongCell(1))
                        .valueMarshaller(RecordMarshallers.OrderMarshaller.INSTANCE)
                        // One line and a short user id take about 80 bytes; a payment adds about 50.
                        .averageValueSize(128),
                directory,
                ORDERS_FILE);
    }

    static ChronicleMap<CharSequence, LongCell> userUnits(Path directory, long entries) {
        return textToLong(directory, USER_UNITS_FILE, "user-units", entries, 28);
    }

    static ChronicleMap<CharSequence, Outcome> outcomes(Path directory, long entries) {
        Outcome sample = new Outcome();
        sample.set(
                io.checkout.engine.CommandType.RESERVE,
                io.checkout.engine.ResultCode.SUCCESS,
                1,
                io.checkout.engine.OrderState.RESERVED,
                -1,
                0,
                0);
        return persisted(
                ChronicleMap.of(CharSequence.class, Outcome.class)
                        .name("outcomes")
                        .entries(sized(entries))
                        .averageKeySize(40)
                        .valueMarshaller(RecordMarshallers.OutcomeMarshaller.INSTANCE)
                        .constantValueSizeBySample(sample),
                directory,
                OUTCOMES_FILE);
    }

    private static ChronicleMap<CharSequence, LongCell> groups(Path directory, long entries) {
        return textToLong(directory, GROUPS_FILE, "groups", entries, 24);
    }

    private static ChronicleMap<CharSequence, LongCell> groupAttempts(Path directory, long entries) {
        return textToLong(directory, GROUP_ATTEMPTS_FILE, "group-attempts", entries, 32);
    }

    private static ChronicleMap<CharSequence, LongCell> risk(Path directory, long entries) {
        return textToLong(directory, RISK_FILE, "risk", entries, 32);
    }

    /** A map of text keys (about {@code averageKeySize} bytes) to one number each, in {@code file}. */
    private static ChronicleMap<CharSequence, LongCell> textToLong(
            Path directory, String file, String name, long entries, int averageKeySize) {
        return persisted(
                ChronicleMap.of(CharSequence.class, LongCell.class)
                        .name(name)
                        .entries(sized(entries))
                        .averageKeySize(averageKeySize)
                        .valueMarshaller(LongCell.Marshaller.INSTANCE)
                        .constantValueSizeBySample(new LongCell(1)),
                directory,
                file);
    }

    private static long sized(long entries) {
        return Math.max(ENTRIES_MIN, (long) (entries * SIZING_HEADROOM));
    }

    /** Opens {@code name} in {@code directory}, creating it if absent; an existing file keeps its own sizing. */
    private static <K, V> ChronicleMap<K, V> persisted(ChronicleMapBuilder<K, V> builder, Path directory, String name) {
        Path file = directory.resolve(name);
        try {
            // Every map is closed by its owner; Chronicle's close-on-exit hook would only get in the
            // way, and registering it fails inside a JVM shutdown hook, where the server writes its
            // snapshot at shutdown.
            return builder.sparseFile(true).skipCloseOnExitHook(true).createPersistedTo(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + directory.resolve(name), e);
        }
    }
}
