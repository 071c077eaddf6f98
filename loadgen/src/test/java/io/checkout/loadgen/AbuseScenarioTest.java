package io.checkout.loadgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.checkout.proto.v1.ReserveResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.rng.simple.RandomSource;
import org.junit.jupiter.api.Test;

/** The abuse scenario's options, user mix, tally and audit checks; seeded, so deterministic. */
class AbuseScenarioTest {

    private static RunSettings settings(String... args) {
        PrintStream discard = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        Loadgen loadgen = new Loadgen(discard, discard, null);
        Loadgen.commandLine(loadgen).parseArgs(args);
        return loadgen.settings("r1");
    }

    private static String[] abuse(String... more) {
        String[] all = new String[more.length + 3];
        all[0] = "--scenario";
        all[1] = "abuse";
        all[2] = "--setup";
        System.arraycopy(more, 0, all, 3, more.length);
        return all;
    }

    private static Scenario scenario(RunSettings settings, long seed) {
        return new Scenario(settings, RandomSource.XO_RO_SHI_RO_128_PP.create(seed), "r1");
    }

    @Test
    void defaultsAreTheFlashSaleWithFiveAttemptsASecondThreeHammerAndFiveBlockedUsers() {
        RunSettings settings = settings(abuse());

        assertThat(settings.abuse()).isEqualTo(new Abuse(3, 0.3, 5, 0.1, 5, Duration.ofSeconds(1)));
        assertThat(settings.skus()).isEqualTo(3);
        assertThat(settings.stock()).isEqualTo(1_000);
        assertThat(settings.perUserLimit()).isEqualTo(1);
        assertThat(settings.confirmRatio()).isEqualTo(0.8);
        assertThat(settings.cancelRatio()).isEqualTo(0.05);
        assertThat(settings.booking()).isNull();
        // The other scenarios have no abuse.
        assertThat(settings("--scenario", "flash-sale").abuse()).isNull();
        assertThat(settings("--scenario", "booking", "--setup").abuse()).isNull();
        // The options are taken as given.
        assertThat(settings(abuse(
                                "--max-attempts",
                                "20",
                                "--attempt-window",
                                "250ms",
                                "--hammer-users",
                                "7",
                                "--hammer-share",
                                "0.5",
                                "--blocked-users",
                                "0",
                                "--blocked-share",
                                "0"))
                        .abuse())
                .isEqualTo(new Abuse(7, 0.5, 0, 0, 20, Duration.ofMillis(250)));
    }

    @Test
    void badOptionsAreRefusedNamingTheOption() {
        assertThatThrownBy(() -> settings("--scenario", "abuse"))
                .hasMessageContaining("--scenario abuse needs --setup");
        assertThatThrownBy(() -> settings("--max-attempts", "3"))
                .hasMessageContaining("--max-attempts, --attempt-window, --hammer-users, --hammer-share,"
                        + " --blocked-users and --blocked-share are for --scenario abuse");
        assertThatThrownBy(() -> settings("--scenario", "catalog", "--blocked-share", "0.2"))
                .hasMessageContaining("are for --scenario abuse");
        assertThatThrownBy(() -> settings(abuse("--max-attempts", "0")))
                .hasMessageContaining("--max-attempts must be 1..1000000, got 0");
        assertThatThrownBy(() -> settings(abuse("--max-attempts", "1000001")))
                .hasMessageContaining("--max-attempts must be 1..1000000");
        assertThatThrownBy(() -> settings(abuse("--attempt-window", "0ms")))
                .hasMessageContaining("--attempt-window must be 1ms..24h");
        assertThatThrownBy(() -> settings(abuse("--attempt-window", "25h")))
                .hasMessageContaining("--attempt-window must be 1ms..24h");
        assertThatThrownBy(() -> settings(abuse("--attempt-window", "1")))
                .hasMessageContaining("--attempt-window must be a number with a unit");
        assertThatThrownBy(() -> settings(abuse("--hammer-users", "1001")))
                .hasMessageContaining("--hammer-users must be 0..1000");
        assertThatThrownBy(() -> settings(abuse("--blocked-users", "-1")))
                .hasMessageContaining("--blocked-users must be 0..1000");
        assertThatThrownBy(() -> settings(abuse("--hammer-share", "1.5")))
                .hasMessageContaining("--hammer-share must be 0..1");
        assertThatThrownBy(() -> settings(abuse("--blocked-share", "-0.1")))
                .hasMessageContaining("--blocked-share must be 0..1");
        assertThatThrownBy(() -> settings(abuse("--hammer-share", "0.7", "--blocked-share", "0.4")))
                .hasMessageContaining("--hammer-share + --blocked-share must be at most 1");
        assertThatThrownBy(() -> settings(abuse("--hammer-users", "0")))
                .hasMessageContaining("--hammer-share 0.3 needs --hammer-users of at least 1");
        assertThatThrownBy(() -> settings(abuse("--blocked-users", "0")))
                .hasMessageContaining("--blocked-share 0.1 needs --blocked-users of at least 1");
    }

    @Test
    void theMixDrawsHammerBlockedAndNormalUsersByTheirShares() {
        RunSettings settings = settings(abuse("--users", "1000", "--seed", "5"));
        Scenario scenario = scenario(settings, 5);
        int draws = 200_000;
        Map<String, Integer> byUser = new HashMap<>();
        int hammer = 0;
        int blocked = 0;
        int normal = 0;
        for (int i = 0; i < draws; i++) {
            String userId = scenario.nextUserId();
            byUser.merge(userId, 1, Integer::sum);
            if (userId.startsWith("h-r1-")) {
                hammer++;
            } else if (userId.startsWith("b-r1-")) {
                blocked++;
            } else {
                assertThat(userId).matches("u-r1-\\d+");
                normal++;
            }
        }

        assertThat(hammer / (double) draws).isCloseTo(0.3, within(0.005));
        assertThat(blocked / (double) draws).isCloseTo(0.1, within(0.005));
        assertThat(normal / (double) draws).isCloseTo(0.6, within(0.005));
        // Each hammer user a third of the hammer share, each blocked user a fifth of theirs.
        for (int index = 0; index < 3; index++) {
            assertThat(byUser.get(Abuse.hammerUserId("r1", index)) / (double) draws)
                    .isCloseTo(0.1, within(0.005));
        }
        for (int index = 0; index < 5; index++) {
            assertThat(byUser.get(Abuse.blockedUserId("r1", index)) / (double) draws)
                    .isCloseTo(0.02, within(0.003));
        }
        // Only the hammer and blocked users the options name, no others; every normal user drawn.
        assertThat(byUser.keySet().stream().filter(id -> !id.startsWith("u-"))).hasSize(8);
        assertThat(byUser).hasSize(1_000 + 8);
        // The other scenarios draw normal users only.
        Scenario flashSale = scenario(settings("--users", "1000"), 5);
        for (int i = 0; i < 10_000; i++) {
            assertThat(flashSale.nextUserId()).startsWith("u-r1-");
        }
    }

    @Test
    void theSameSeedDrawsTheSameMix() {
        RunSettings settings = settings(abuse());
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
    }

    @Test
    void theBoundCountsTheWindowsTheRunTouchesPlusOneForEachPartition() {
        Abuse abuse = new Abuse(1, 0.5, 1, 0.1, 5, Duration.ofSeconds(1));

        assertThat(abuse.windowsSpanned(1_000, 1_999)).isEqualTo(1);
        assertThat(abuse.windowsSpanned(999, 1_000)).isEqualTo(2);
        assertThat(abuse.windowsSpanned(1_700_000_000_500L, 1_700_000_004_200L)).isEqualTo(5);
        // 5 per window x (5 windows + 1 for the clocks) x partitions.
        assertThat(abuse.countedBound(5, 1)).isEqualTo(30);
        assertThat(abuse.countedBound(5, 3)).isEqualTo(90);
        // Windows aligned to the epoch, as the server's are: 250 ms windows turn at every quarter second.
        Abuse quarter = new Abuse(1, 0.5, 1, 0.1, 2, Duration.ofMillis(250));
        assertThat(quarter.windowsSpanned(1_000, 1_999)).isEqualTo(4);
        assertThat(quarter.windowsSpanned(1_249, 1_250)).isEqualTo(2);
    }

    @Test
    void theTallyCountsFirstAnswersPerClassAndPerTrackedUser() {
        AbuseTally tally = tally(new Abuse(2, 0.3, 1, 0.1, 5, Duration.ofSeconds(1)), 1);
        String hammer = Abuse.hammerUserId("r1", 1);
        String blocked = Abuse.blockedUserId("r1", 0);

        assertThat(tally.hammerUserIds()).containsExactly("h-r1-0", "h-r1-1");
        assertThat(tally.blockedUserIds()).containsExactly("b-r1-0");
        assertThat(tally.classOf(hammer)).isEqualTo(Abuse.UserClass.HAMMER);
        assertThat(tally.classOf(blocked)).isEqualTo(Abuse.UserClass.BLOCKED);
        assertThat(tally.classOf("u-r1-7")).isEqualTo(Abuse.UserClass.NORMAL);
        // A hammer user of another run is a normal user here.
        assertThat(tally.classOf("h-r2-0")).isEqualTo(Abuse.UserClass.NORMAL);
        assertThat(tally.spansTime()).isFalse();
        assertThat(tally.windowsSpanned()).isZero();

        ReserveResult[] answers = {
            ReserveResult.RESERVED,
            ReserveResult.LIMIT_EXCEEDED,
            ReserveResult.SOLD_OUT,
            ReserveResult.RATE_LIMITED,
            ReserveResult.RATE_LIMITED,
            ReserveResult.REJECTED
        };
        for (int i = 0; i < answers.length; i++) {
            tally.sent(hammer, 10_000 + i);
            tally.answered(hammer, answers[i], 10_100 + i);
        }
        tally.sent(hammer, 10_500);
        tally.failed(hammer, 12_300);
        tally.sent(blocked, 10_200);
        tally.answered(blocked, ReserveResult.BLOCKED, 10_201);
        tally.sent("u-r1-3", 9_999);
        tally.answered("u-r1-3", ReserveResult.RESERVED, 10_003);

        assertThat(tally.count(hammer, AbuseTally.Count.SENT)).isEqualTo(7);
        assertThat(tally.count(hammer, AbuseTally.Count.RESERVED)).isEqualTo(1);
        assertThat(tally.count(hammer, AbuseTally.Count.REFUSED)).isEqualTo(2);
        assertThat(tally.count(hammer, AbuseTally.Count.RATE_LIMITED)).isEqualTo(2);
        assertThat(tally.count(hammer, AbuseTally.Count.FAILED)).isEqualTo(2);
        assertThat(tally.counted(hammer)).isEqualTo(3);
        assertThat(tally.counted("h-r1-0")).isZero();
        assertThat(tally.count(Abuse.UserClass.HAMMER, AbuseTally.Count.SENT)).isEqualTo(7);
        assertThat(tally.count(Abuse.UserClass.BLOCKED, AbuseTally.Count.BLOCKED))
                .isEqualTo(1);
        assertThat(tally.count(Abuse.UserClass.NORMAL, AbuseTally.Count.RESERVED))
                .isEqualTo(1);
        assertThat(tally.count(Abuse.UserClass.NORMAL, AbuseTally.Count.SENT)).isEqualTo(1);
        // Normal users are counted as a class only.
        assertThat(tally.count("u-r1-3", AbuseTally.Count.SENT)).isZero();
        // From the first send (9,999) to the last answer (12,300): windows 9, 10, 11 and 12.
        assertThat(tally.firstSendMillis()).isEqualTo(9_999);
        assertThat(tally.lastAnswerMillis()).isEqualTo(12_300);
        assertThat(tally.windowsSpanned()).isEqualTo(4);
        assertThat(tally.countedBound()).isEqualTo(25);
        assertThat(AbuseTally.countOf(ReserveResult.NOT_ON_SALE)).isEqualTo(AbuseTally.Count.REFUSED);
        assertThat(AbuseTally.countOf(ReserveResult.UNKNOWN_SKU)).isEqualTo(AbuseTally.Count.REFUSED);
    }

    @Test
    void theAuditPassesWhenBlockedUsersGetNothingAndHammerUsersStayWithinTheBound() {
        AbuseTally tally = tally(new Abuse(2, 0.3, 2, 0.1, 5, Duration.ofSeconds(1)), 1);
        // 3 windows (1,000 .. 3,999 ms); each hammer user 15 counted answers and 40 RATE_LIMITED.
        for (String hammer : tally.hammerUserIds()) {
            answer(tally, hammer, ReserveResult.RESERVED, 1, 1_000);
            answer(tally, hammer, ReserveResult.LIMIT_EXCEEDED, 14, 2_000);
            answer(tally, hammer, ReserveResult.RATE_LIMITED, 40, 3_999);
        }
        for (String blocked : tally.blockedUserIds()) {
            answer(tally, blocked, ReserveResult.BLOCKED, 10, 2_500);
        }

        List<Audit.Check> checks = AbuseAudit.checks(tally, user -> new AbuseAudit.ServerUser(0, true));

        assertThat(checks).extracting(Audit.Check::verdict).containsOnly(Audit.Verdict.PASS);
        assertThat(checks.get(0).detail())
                .isEqualTo("2 blocked users sent 20 reserves: BLOCKED 20, RESERVED 0, other outcomes 0,"
                        + " RATE_LIMITED 0, no answer 0");
        assertThat(checks.get(2).detail())
                .startsWith("counted answers (RESERVED and other outcomes) at most 20 a user: 5 per 1000 ms window"
                        + " x (3 windows from the first send to the last answer + 1 for clock skew) x 1 partition(s)")
                .endsWith("with 15 (RESERVED 1)");
        assertThat(checks.get(3).detail())
                .startsWith("2 of 2 hammer users offered more than the limit admits, each was answered RATE_LIMITED"
                        + " (80 in all)");
        assertThat(new Audit(checks, 0, 0, Map.of()).passed()).isTrue();
    }

    @Test
    void aBlockedUserWithAnOrderFailsTheAuditByItsAnswersAndOnTheServer() {
        AbuseTally tally = tally(new Abuse(1, 0.3, 2, 0.1, 5, Duration.ofSeconds(1)), 1);
        answer(tally, "b-r1-0", ReserveResult.BLOCKED, 3, 1_000);
        answer(tally, "b-r1-1", ReserveResult.BLOCKED, 2, 1_000);
        answer(tally, "b-r1-1", ReserveResult.RESERVED, 1, 1_001);
        answer(tally, "b-r1-1", ReserveResult.SOLD_OUT, 1, 1_002);

        List<Audit.Check> checks = AbuseAudit.checks(
                tally,
                user -> user.equals("b-r1-1")
                        ? new AbuseAudit.ServerUser(1, true)
                        : new AbuseAudit.ServerUser(0, false));

        assertThat(checks.get(0).verdict()).isEqualTo(Audit.Verdict.FAIL);
        assertThat(checks.get(0).detail())
                .contains("BLOCKED 5, RESERVED 1, other outcomes 1")
                .contains("e.g. b-r1-1: RESERVED 1, other answers 1");
        assertThat(checks.get(1).verdict()).isEqualTo(Audit.Verdict.FAIL);
        assertThat(checks.get(1).detail())
                .isEqualTo("2 of 2 users, e.g. b-r1-0 is not blocked; b-r1-1 owns 1 order(s)");
        assertThat(new Audit(checks, 0, 0, Map.of()).passed()).isFalse();
    }

    @Test
    void aHammerUserOverTheBoundFailsTheAudit() {
        // Two partitions: each counts on its own, so the bound doubles.
        AbuseTally tally = tally(new Abuse(2, 0.3, 0, 0, 5, Duration.ofSeconds(1)), 2);
        // One window (5,000 .. 5,999): at most 5 x (1 + 1) x 2 = 20.
        answer(tally, "h-r1-0", ReserveResult.RESERVED, 20, 5_000);
        answer(tally, "h-r1-0", ReserveResult.RATE_LIMITED, 5, 5_999);
        answer(tally, "h-r1-1", ReserveResult.LIMIT_EXCEEDED, 21, 5_500);

        List<Audit.Check> checks = AbuseAudit.checks(tally, user -> {
            throw new AssertionError("no blocked users to read");
        });

        assertThat(checks.get(0).verdict()).isEqualTo(Audit.Verdict.SKIPPED);
        assertThat(checks.get(1).verdict()).isEqualTo(Audit.Verdict.SKIPPED);
        assertThat(checks.get(2).verdict()).isEqualTo(Audit.Verdict.FAIL);
        assertThat(checks.get(2).detail())
                .startsWith("1 of 2 hammer users over it, e.g. h-r1-1: 21 > 20;")
                .contains("x 2 partition(s)");
        // h-r1-1 offered 21, more than the 10 one window admits on 2 partitions, and got no RATE_LIMITED.
        assertThat(checks.get(3).verdict()).isEqualTo(Audit.Verdict.WARN);
        assertThat(checks.get(3).detail())
                .startsWith("1 of 2 hammer users over the limit never got RATE_LIMITED")
                .contains("h-r1-1 (21 answered)");
    }

    @Test
    void aLimitNeverReachedIsAWarningNotAFailure() {
        AbuseTally tally = tally(new Abuse(3, 0.01, 1, 0.1, 5, Duration.ofSeconds(1)), 1);
        // 2 windows (1,500 .. 2,400 ms), at most 4 answers each: below the 10 the limit admits.
        for (String hammer : tally.hammerUserIds()) {
            answer(tally, hammer, ReserveResult.RESERVED, 1, 1_500);
            answer(tally, hammer, ReserveResult.LIMIT_EXCEEDED, 3, 2_400);
        }
        answer(tally, "b-r1-0", ReserveResult.BLOCKED, 1, 2_000);

        List<Audit.Check> checks = AbuseAudit.checks(tally, user -> new AbuseAudit.ServerUser(0, true));

        assertThat(checks.get(2).verdict()).isEqualTo(Audit.Verdict.PASS);
        assertThat(checks.get(3).verdict()).isEqualTo(Audit.Verdict.WARN);
        assertThat(checks.get(3).detail())
                .startsWith("no hammer user offered more than the limit admits, so RATE_LIMITED was not exercised:"
                        + " the limit admits 10 a user in the run's 2 window(s), 5.0/s; the busiest hammer user was"
                        + " answered 4 times");
        assertThat(new Audit(checks, 0, 0, Map.of()).passed()).isTrue();
    }

    @Test
    void theSummaryShowsEachClassAndEveryHammerUser() {
        RunSettings settings = settings(abuse("--hammer-users", "2", "--blocked-users", "1", "--users", "500"));
        AbuseTally tally = tally(settings.abuse(), 1);
        answer(tally, "h-r1-0", ReserveResult.RESERVED, 1, 1_000);
        answer(tally, "h-r1-0", ReserveResult.RATE_LIMITED, 9, 1_900);
        answer(tally, "b-r1-0", ReserveResult.BLOCKED, 4, 1_500);
        answer(tally, "u-r1-1", ReserveResult.SOLD_OUT, 2, 1_500);
        tally.afterwards("after the audit: 1 blocked user(s) unblocked, the attempt limit put back to none");

        Report.AbuseSummary summary = Report.AbuseSummary.of(settings, tally);

        assertThat(summary.windowsSpanned()).isEqualTo(1);
        assertThat(summary.countedBound()).isEqualTo(10);
        assertThat(summary.classes())
                .containsExactly(
                        new Report.AbuseSummary.Counts("normal", 500, 0.6, 2, 2, 0, 2, 0, 0, 0),
                        new Report.AbuseSummary.Counts("hammer", 2, 0.3, 10, 1, 1, 0, 9, 0, 0),
                        new Report.AbuseSummary.Counts("blocked", 1, 0.1, 4, 0, 0, 0, 0, 4, 0));
        assertThat(summary.hammerUsers())
                .containsExactly(
                        new Report.AbuseSummary.Counts("h-r1-0", 1, 0.3, 10, 1, 1, 0, 9, 0, 0),
                        new Report.AbuseSummary.Counts("h-r1-1", 1, 0.3, 0, 0, 0, 0, 0, 0, 0));
        assertThat(summary.blockedUsers())
                .extracting(Report.AbuseSummary.Counts::name)
                .containsExactly("b-r1-0");
        assertThat(settings.abuse().describe("r1", settings.users()))
                .startsWith("abuse: 2 hammer user(s) h-r1-0 .. h-r1-1 (30% of reserves, a fresh request id each), 1"
                        + " blocked user(s) b-r1-0 (10%), the rest from 500 normal users; attempt limit 5 per 1.000 s");
    }

    private static AbuseTally tally(Abuse abuse, int partitions) {
        return new AbuseTally(abuse, "r1", partitions);
    }

    /** {@code times} reserves of {@code userId}, each sent and answered {@code result} at {@code epochMillis}. */
    private static void answer(AbuseTally tally, String userId, ReserveResult result, int times, long epochMillis) {
        for (int i = 0; i < times; i++) {
            tally.sent(userId, epochMillis);
            tally.answered(userId, result, epochMillis);
        }
    }
}
