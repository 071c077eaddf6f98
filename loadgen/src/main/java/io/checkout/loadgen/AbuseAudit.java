package io.checkout.loadgen;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * {@code abuse}: the audit's checks of the risk rules, added to the usual ones.
 * <ul>
 *   <li>blocked users were answered BLOCKED, never RESERVED (nor any other outcome: the blocklist
 *       is asked before anything else), by the answers the run saw;</li>
 *   <li>blocked users own no orders on the server ({@code ListUserOrders} on every partition) and
 *       are blocked there ({@code GetUserRisk});</li>
 *   <li>no hammer user got more counted answers (RESERVED and the other outcomes of their own; not
 *       BLOCKED, RATE_LIMITED or REJECTED) than the limit allows over the run: the run knows only its
 *       own clock, so the bound is {@code max_attempts x (windows from the first send to the last
 *       answer + 1 for the clocks' difference) x partitions} ({@link Abuse#countedBound});</li>
 *   <li>a hammer user who offered more than the limit admits in those windows was answered
 *       RATE_LIMITED: a WARN if not, or if no hammer user ever offered that much (the limit was
 *       never exercised), not a failure.</li>
 * </ul>
 */
final class AbuseAudit {

    /** Users named in a check's detail; the count covers the rest. */
    private static final int EXAMPLES_MAX = 3;

    /** A blocked user as the server has them after the run, over every partition. */
    record ServerUser(long orders, boolean blockedEverywhere) {}

    private AbuseAudit() {}

    /**
     * @param server reads a blocked user from the server; may throw if the server cannot be read
     */
    static List<Audit.Check> checks(AbuseTally tally, Function<String, ServerUser> server) {
        List<Audit.Check> checks = new ArrayList<>();
        checks.add(blockedAnswers(tally));
        checks.add(blockedOnServer(tally, server));
        checks.add(hammerBound(tally));
        checks.add(hammerRateLimited(tally));
        return List.copyOf(checks);
    }

    static Audit.Check blockedAnswers(AbuseTally tally) {
        String name = "blocked users were answered BLOCKED, never RESERVED";
        if (tally.blockedUserIds().isEmpty()) {
            return new Audit.Check(name, Audit.Verdict.SKIPPED, "no blocked users (--blocked-users 0)");
        }
        Abuse.UserClass blocked = Abuse.UserClass.BLOCKED;
        long reserved = tally.count(blocked, AbuseTally.Count.RESERVED);
        long refused = tally.count(blocked, AbuseTally.Count.REFUSED);
        long rateLimited = tally.count(blocked, AbuseTally.Count.RATE_LIMITED);
        List<String> wrong = new ArrayList<>();
        for (String userId : tally.blockedUserIds()) {
            long other = tally.count(userId, AbuseTally.Count.RESERVED)
                    + tally.count(userId, AbuseTally.Count.REFUSED)
                    + tally.count(userId, AbuseTally.Count.RATE_LIMITED);
            if (other > 0) {
                wrong.add(userId + ": RESERVED " + tally.count(userId, AbuseTally.Count.RESERVED) + ", other answers "
                        + (other - tally.count(userId, AbuseTally.Count.RESERVED)));
            }
        }
        String counts = String.format(
                Locale.ROOT,
                "%d blocked users sent %,d reserves: BLOCKED %,d, RESERVED %,d, other outcomes %,d, RATE_LIMITED %,d,"
                        + " no answer %,d",
                tally.blockedUserIds().size(),
                tally.count(blocked, AbuseTally.Count.SENT),
                tally.count(blocked, AbuseTally.Count.BLOCKED),
                reserved,
                refused,
                rateLimited,
                tally.count(blocked, AbuseTally.Count.FAILED));
        return check(name, wrong.isEmpty(), wrong.isEmpty() ? counts : counts + "; e.g. " + examples(wrong));
    }

    static Audit.Check blockedOnServer(AbuseTally tally, Function<String, ServerUser> server) {
        String name = "blocked users own no orders and are blocked on the server";
        if (tally.blockedUserIds().isEmpty()) {
            return new Audit.Check(name, Audit.Verdict.SKIPPED, "no blocked users (--blocked-users 0)");
        }
        List<String> wrong = new ArrayList<>();
        for (String userId : tally.blockedUserIds()) {
            ServerUser user = server.apply(userId);
            if (user.orders() > 0 || !user.blockedEverywhere()) {
                wrong.add(userId
                        + (user.orders() > 0 ? " owns " + user.orders() + " order(s)" : "")
                        + (user.blockedEverywhere() ? "" : " is not blocked"));
            }
        }
        return check(
                name,
                wrong.isEmpty(),
                wrong.isEmpty()
                        ? String.format(
                                Locale.ROOT,
                                "%d users: no orders (ListUserOrders), blocked (GetUserRisk) on %d partition(s)",
                                tally.blockedUserIds().size(),
                                tally.partitions())
                        : wrong.size() + " of " + tally.blockedUserIds().size() + " users, e.g. " + examples(wrong));
    }

    static Audit.Check hammerBound(AbuseTally tally) {
        Abuse abuse = tally.abuse();
        String name = "no hammer user got more counted answers than --max-attempts per window";
        if (tally.hammerUserIds().isEmpty()) {
            return new Audit.Check(name, Audit.Verdict.SKIPPED, "no hammer users (--hammer-users 0)");
        }
        long bound = tally.countedBound();
        List<String> over = new ArrayList<>();
        String most = null;
        long mostCounted = -1;
        for (String userId : tally.hammerUserIds()) {
            long counted = tally.counted(userId);
            if (counted > mostCounted) {
                mostCounted = counted;
                most = userId;
            }
            if (counted > bound) {
                over.add(userId + ": " + counted + " > " + bound);
            }
        }
        String rule = String.format(
                Locale.ROOT,
                "counted answers (RESERVED and other outcomes) at most %,d a user: %d per %d ms window x (%d windows"
                        + " from the first send to the last answer + 1 for clock skew) x %d partition(s)",
                bound,
                abuse.maxAttempts(),
                abuse.windowMillis(),
                tally.windowsSpanned(),
                tally.partitions());
        return check(
                name,
                over.isEmpty(),
                over.isEmpty()
                        ? rule + "; the most: " + most + " with " + mostCounted + " (RESERVED "
                                + tally.count(most, AbuseTally.Count.RESERVED) + ")"
                        : over.size() + " of " + tally.hammerUserIds().size() + " hammer users over it, e.g. "
                                + examples(over) + "; " + rule);
    }

    static Audit.Check hammerRateLimited(AbuseTally tally) {
        Abuse abuse = tally.abuse();
        String name = "hammer users over the limit were answered RATE_LIMITED";
        if (tally.hammerUserIds().isEmpty()) {
            return new Audit.Check(name, Audit.Verdict.SKIPPED, "no hammer users (--hammer-users 0)");
        }
        // What the limit admits from one user in the windows the run spans, without the skew's extra window.
        long admits = (long) abuse.maxAttempts() * tally.windowsSpanned() * tally.partitions();
        double seconds =
                tally.spansTime() ? Math.max(1e-3, (tally.lastAnswerMillis() - tally.firstSendMillis()) / 1e3) : 1;
        double limitPerSecond = abuse.maxAttempts() * tally.partitions() * 1e3 / abuse.windowMillis();
        int overLimit = 0;
        long mostOffered = 0;
        long rateLimited = 0;
        List<String> neverLimited = new ArrayList<>();
        for (String userId : tally.hammerUserIds()) {
            long limited = tally.count(userId, AbuseTally.Count.RATE_LIMITED);
            long offered = tally.counted(userId) + limited;
            mostOffered = Math.max(mostOffered, offered);
            rateLimited += limited;
            if (offered > admits) {
                overLimit++;
                if (limited == 0) {
                    neverLimited.add(userId + " (" + offered + " answered)");
                }
            }
        }
        String rates = String.format(
                Locale.ROOT,
                "the limit admits %,d a user in the run's %d window(s), %.1f/s; the busiest hammer user was answered"
                        + " %,d times, %.1f/s",
                admits,
                tally.windowsSpanned(),
                limitPerSecond,
                mostOffered,
                mostOffered / seconds);
        if (overLimit == 0) {
            return new Audit.Check(
                    name,
                    Audit.Verdict.WARN,
                    "no hammer user offered more than the limit admits, so RATE_LIMITED was not exercised: " + rates
                            + "; raise --rate or --hammer-share, or lower --hammer-users or --max-attempts");
        }
        if (!neverLimited.isEmpty()) {
            return new Audit.Check(
                    name,
                    Audit.Verdict.WARN,
                    neverLimited.size() + " of " + overLimit + " hammer users over the limit never got RATE_LIMITED"
                            + " (their excess is within the clock-skew window, or the server's clock runs apart), e.g. "
                            + examples(neverLimited) + "; " + rates);
        }
        return check(
                name,
                true,
                String.format(
                                Locale.ROOT,
                                "%d of %d hammer users offered more than the limit admits, each was answered RATE_LIMITED"
                                        + " (%,d in all); ",
                                overLimit,
                                tally.hammerUserIds().size(),
                                rateLimited)
                        + rates);
    }

    private static Audit.Check check(String name, boolean holds, String detail) {
        return new Audit.Check(name, holds ? Audit.Verdict.PASS : Audit.Verdict.FAIL, detail);
    }

    private static String examples(List<String> items) {
        return String.join("; ", items.subList(0, Math.min(EXAMPLES_MAX, items.size())));
    }
}
