package io.checkout.loadgen;

import io.checkout.proto.v1.ReserveResult;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAccumulator;

/**
 * {@code abuse}: what the run sent and was answered, per class of user (normal, hammer, blocked)
 * and per hammer and blocked user, over the whole run, warm-up included (the audit holds the
 * server to every answer). Only the first send of a request id counts: a repeat with the same id
 * is neither a new attempt for the server nor for this tally.
 *
 * <p>Bounded: one row per hammer and blocked user, fixed when the run starts ({@link
 * Abuse#HAMMER_USERS_MAX} and {@link Abuse#BLOCKED_USERS_MAX} at most); normal users are counted
 * only as a class. Reply threads record without locking.
 */
final class AbuseTally {

    /** What became of a reserve. */
    enum Count {
        /** Sent, with a new request id. */
        SENT,
        /** Answered RESERVED. */
        RESERVED,
        /**
         * Answered with any other outcome of its own (SOLD_OUT, LIMIT_EXCEEDED, NOT_ON_SALE, ...):
         * counted against the attempt limit, as RESERVED is.
         */
        REFUSED,
        RATE_LIMITED,
        BLOCKED,
        /** No outcome of its own: REJECTED on a stream, or the call failed. Not counted by the server. */
        FAILED
    }

    private static final int COUNTS = Count.values().length;

    /** One hammer or blocked user's counts, {@code [count]}. */
    private record Row(Abuse.UserClass userClass, AtomicLongArray counts) {}

    private final Abuse abuse;
    private final int partitions;
    private final List<String> hammerUserIds;
    private final List<String> blockedUserIds;
    /** The hammer and blocked users' rows, by id; fixed at construction. */
    private final Map<String, Row> byUser;
    /** {@code [class * COUNTS + count]}. */
    private final AtomicLongArray byClass = new AtomicLongArray(Abuse.UserClass.values().length * COUNTS);

    private final LongAccumulator firstSendMillis = new LongAccumulator(Math::min, Long.MAX_VALUE);
    private final LongAccumulator lastAnswerMillis = new LongAccumulator(Math::max, Long.MIN_VALUE);
    /** What the run did to the server's risk rules after the audit, for the report. */
    private volatile String afterwards = "";

    /**
     * @param partitions how many partitions answer the run's reserves, each counting attempts on its own
     */
    AbuseTally(Abuse abuse, String runId, int partitions) {
        this.abuse = abuse;
        this.partitions = partitions;
        List<String> hammers = new ArrayList<>(abuse.hammerUsers());
        List<String> blocked = new ArrayList<>(abuse.blockedUsers());
        Map<String, Row> rows = new HashMap<>();
        for (int index = 0; index < abuse.hammerUsers(); index++) {
            hammers.add(Abuse.hammerUserId(runId, index));
            rows.put(hammers.get(index), new Row(Abuse.UserClass.HAMMER, new AtomicLongArray(COUNTS)));
        }
        for (int index = 0; index < abuse.blockedUsers(); index++) {
            blocked.add(Abuse.blockedUserId(runId, index));
            rows.put(blocked.get(index), new Row(Abuse.UserClass.BLOCKED, new AtomicLongArray(COUNTS)));
        }
        this.hammerUserIds = List.copyOf(hammers);
        this.blockedUserIds = List.copyOf(blocked);
        this.byUser = Collections.unmodifiableMap(rows);
    }

    Abuse abuse() {
        return abuse;
    }

    int partitions() {
        return partitions;
    }

    List<String> hammerUserIds() {
        return hammerUserIds;
    }

    List<String> blockedUserIds() {
        return blockedUserIds;
    }

    Abuse.UserClass classOf(String userId) {
        Row row = byUser.get(userId);
        return row == null ? Abuse.UserClass.NORMAL : row.userClass();
    }

    /** A reserve with a new request id for {@code userId} is sent at {@code epochMillis}. */
    void sent(String userId, long epochMillis) {
        firstSendMillis.accumulate(epochMillis);
        add(userId, Count.SENT);
    }

    /** The first answer to a reserve of {@code userId}, at {@code epochMillis}. */
    void answered(String userId, ReserveResult result, long epochMillis) {
        lastAnswerMillis.accumulate(epochMillis);
        add(userId, countOf(result));
    }

    /** A reserve of {@code userId} failed without an answer, at {@code epochMillis}. */
    void failed(String userId, long epochMillis) {
        lastAnswerMillis.accumulate(epochMillis);
        add(userId, Count.FAILED);
    }

    static Count countOf(ReserveResult result) {
        return switch (result) {
            case RESERVED -> Count.RESERVED;
            case RATE_LIMITED -> Count.RATE_LIMITED;
            case BLOCKED -> Count.BLOCKED;
            case REJECTED -> Count.FAILED;
            // Every other answer is an outcome of the reserve's own, which the server counts.
            default -> Count.REFUSED;
        };
    }

    private void add(String userId, Count count) {
        Row row = byUser.get(userId);
        if (row != null) {
            row.counts().incrementAndGet(count.ordinal());
        }
        Abuse.UserClass userClass = row == null ? Abuse.UserClass.NORMAL : row.userClass();
        byClass.incrementAndGet(userClass.ordinal() * COUNTS + count.ordinal());
    }

    long count(Abuse.UserClass userClass, Count count) {
        return byClass.get(userClass.ordinal() * COUNTS + count.ordinal());
    }

    /** {@code userId}'s count; 0 for a user not tracked one by one. */
    long count(String userId, Count count) {
        Row row = byUser.get(userId);
        return row == null ? 0 : row.counts().get(count.ordinal());
    }

    /** {@code userId}'s answers the server counts against the attempt limit: RESERVED and the other outcomes. */
    long counted(String userId) {
        return count(userId, Count.RESERVED) + count(userId, Count.REFUSED);
    }

    /** The first send's wall time, epoch millis; {@code Long.MAX_VALUE} before any. */
    long firstSendMillis() {
        return firstSendMillis.get();
    }

    /** The last answer's (or failure's) wall time, epoch millis; {@code Long.MIN_VALUE} before any. */
    long lastAnswerMillis() {
        return lastAnswerMillis.get();
    }

    /** Whether any reserve was sent and answered, so the run spans a time. */
    boolean spansTime() {
        return firstSendMillis() != Long.MAX_VALUE
                && lastAnswerMillis() != Long.MIN_VALUE
                && lastAnswerMillis() >= firstSendMillis();
    }

    /** The attempt-limit windows the run spans on loadgen's clock, first send to last answer; 0 if none. */
    long windowsSpanned() {
        return spansTime() ? abuse.windowsSpanned(firstSendMillis(), lastAnswerMillis()) : 0;
    }

    /** The most counted answers any one user may get over the run ({@link Abuse#countedBound}). */
    long countedBound() {
        return abuse.countedBound(windowsSpanned(), partitions);
    }

    String afterwards() {
        return afterwards;
    }

    void afterwards(String note) {
        this.afterwards = note;
    }
}
