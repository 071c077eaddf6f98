package io.checkout.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The open model against an in-process stand-in server. Only bounds that hold however slow the
 * machine is are asserted: a busy machine makes latencies higher and sends later, never earlier.
 */
class OpenModelTest {

    @TempDir
    Path directory;

    private Report run(FakeCheckout server, String... args) throws Exception {
        Path json = directory.resolve("report-" + System.nanoTime() + ".json");
        String[] all = new String[args.length + 9];
        System.arraycopy(
                new String[] {
                    "--sku-prefix", "HOT-", "--skus", "1", "--repeat-ratio", "0", "--quiet", "--json", json.toString()
                },
                0,
                all,
                0,
                9);
        System.arraycopy(args, 0, all, 9, args.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = Loadgen.commandLine(new Loadgen(
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                        credentials -> server.newChannel()))
                .execute(all);
        assertThat(exit).as(out.toString(StandardCharsets.UTF_8)).isZero();
        return Report.fromJson(Files.readString(json));
    }

    /** The run settings {@code args} give, as the command line parses them. */
    private static RunSettings settings(String... args) {
        Loadgen loadgen = new Loadgen();
        Loadgen.commandLine(loadgen).parseArgs(args);
        return loadgen.settings("test");
    }

    /** {@code column} summed over the report's seconds. */
    private static long total(Report report, java.util.function.ToLongFunction<Timeline.Second> column) {
        return report.timeline().stream().mapToLong(column).sum();
    }

    @Test
    void openModelSendsEveryScheduledOperationAndTakesTheWholeDuration() throws Exception {
        try (FakeCheckout server = new FakeCheckout(FakeCheckout.Mode.SOLD_OUT, 0)) {
            long started = System.nanoTime();
            Report report = run(server, "--rate", "200", "--duration", "2s", "--max-in-flight", "100");
            double seconds = (System.nanoTime() - started) / 1e9;

            // Operation n is due at n / 200 s: exactly 400 fall inside 2 s, the last at 1.995 s.
            assertThat(report.operationsSent()).isEqualTo(400);
            assertThat(server.reserves()).isEqualTo(400);
            assertThat(report.durationSeconds()).isGreaterThanOrEqualTo(1.99);
            assertThat(seconds).isGreaterThanOrEqualTo(1.99);
            assertThat(report.coordinatedOmissionCorrected()).isTrue();
        }
    }

    @Test
    void rampSendsFewerOperationsWhileTheRateClimbs() throws Exception {
        try (FakeCheckout server = new FakeCheckout(FakeCheckout.Mode.SOLD_OUT, 0)) {
            Report report = run(server, "--rate", "200", "--ramp", "1s", "--duration", "2s");

            // A linear ramp over the first second sends half a second's worth, 100, then 200 in the next.
            assertThat(report.operationsSent()).isEqualTo(300);
        }
    }

    @Test
    void scheduleClimbsLinearlyDuringTheRampThenKeepsTheRate() {
        assertThat(LoadRun.scheduledOffsetNanos(0, 100, 0)).isZero();
        assertThat(LoadRun.scheduledOffsetNanos(150, 100, 0)).isEqualTo(TimeUnit.MILLISECONDS.toNanos(1_500));
        // Ramp of 2 s to 100/s: 100 operations are due in the ramp; the 25th at 1 s, the 100th at 2 s.
        assertThat(LoadRun.scheduledOffsetNanos(25, 100, 2)).isEqualTo(TimeUnit.SECONDS.toNanos(1));
        assertThat(LoadRun.scheduledOffsetNanos(100, 100, 2)).isEqualTo(TimeUnit.SECONDS.toNanos(2));
        assertThat(LoadRun.scheduledOffsetNanos(200, 100, 2)).isEqualTo(TimeUnit.SECONDS.toNanos(3));
    }

    @Test
    void aStalledServerShowsUpAsHighLatencyFromTheIntendedSendTime() throws Exception {
        try (FakeCheckout server = new FakeCheckout(FakeCheckout.Mode.SOLD_OUT, 0)) {
            // From the 100th reserve (about 0.5 s in) the server holds every reply for 1.5 s. With at
            // most 4 calls in flight the sender is stuck too; the ~300 operations due during the stall
            // go out late. Measured from their intended times, about a third of all calls waited 0.4 s
            // or more. A tool that timed from the actual send (coordinated omission) would see 4 slow
            // calls, and a p90 of well under a millisecond.
            server.pauseAfter(100, 1_500);
            Report report = run(server, "--rate", "200", "--duration", "3s", "--max-in-flight", "4");

            assertThat(report.operationsSent()).isEqualTo(600);
            Report.Latency reserve = report.latency().get("reserve");
            assertThat(reserve.count()).isEqualTo(600);
            assertThat(reserve.maxMillis()).isGreaterThanOrEqualTo(1_000);
            assertThat(reserve.p90Millis()).isGreaterThanOrEqualTo(300);
            assertThat(report.lateSends())
                    .as("sends that found no free in-flight slot")
                    .isPositive();
            // The report also shows the two apart: the sender's lag (sends stuck behind the stall
            // left a second and more late), and the latency from the actual send, which hides it.
            assertThat(report.sendLag().count()).isEqualTo(600);
            assertThat(report.sendLag().maxMillis()).isGreaterThanOrEqualTo(1_000);
            assertThat(report.reserveFromSend().count()).isEqualTo(600);
            assertThat(report.reserveFromSend().p90Millis()).isLessThan(reserve.p90Millis());
        }
    }

    @Test
    void aCrowdShouldRaiseTheRateForItsHoldAndBeReportedSecondBySecond() throws Exception {
        try (FakeCheckout server = new FakeCheckout(FakeCheckout.Mode.SOLD_OUT, 0)) {
            Report report = run(
                    server,
                    "--scenario",
                    "flash-crowd",
                    "--rate",
                    "100",
                    "--crowd-rate",
                    "400",
                    "--crowd-at",
                    "1s",
                    "--crowd-ramp",
                    "0s",
                    "--crowd-hold",
                    "1s",
                    "--duration",
                    "3s",
                    "--client-limit",
                    "aimd",
                    "--max-in-flight",
                    "1000");

            // 100 in the first second, 400 in the second, 100 in the third.
            assertThat(report.operationsSent()).isBetween(595L, 605L);
            assertThat(report.timeline()).hasSizeGreaterThanOrEqualTo(3);
            assertThat(report.timeline().get(0).offered()).isBetween(99L, 101L);
            assertThat(report.timeline().get(1).offered()).isBetween(398L, 402L);
            assertThat(report.timeline().get(2).offered()).isBetween(99L, 101L);
            // The AIMD limit starts at 20 and only grows with a server that answers at once.
            assertThat(report.timeline().get(1).clientLimitMin()).isGreaterThanOrEqualTo(20);
            long admitted = total(report, Timeline.Second::admitted);
            long refused = total(report, second -> second.refusedByClient() + second.refusedByServer());
            long expired = total(report, Timeline.Second::expired);
            assertThat(admitted + refused + expired).isEqualTo(report.operationsSent());
            assertThat(report.clientLimit()).isEqualTo("aimd");
            assertThat(report.crowd()).isNotNull();
            assertThat(report.crowd().result().crowdOfferedPerSecond()).isBetween(398.0, 402.0);
            assertThat(report.crowd().result().normalOfferedPerSecond()).isBetween(99.0, 101.0);
        }
    }

    @Test
    void callsTheClientLimitRefusesShouldBeCountedAndNotHoldTheSendersSlots() throws Exception {
        try (FakeCheckout server = new FakeCheckout(FakeCheckout.Mode.SOLD_OUT, 0)) {
            // From the 50th reserve on the server holds every reply for 1.5 s: the SDK's limit
            // fills and refuses what follows unsent, while the sender keeps to its schedule with
            // at most 25 calls in flight.
            server.pauseAfter(50, 1_500);
            Report report = run(
                    server,
                    "--scenario",
                    "flash-crowd",
                    "--rate",
                    "1000",
                    "--crowd-rate",
                    "1000",
                    "--crowd-at",
                    "1s",
                    "--crowd-hold",
                    "1s",
                    "--duration",
                    "3s",
                    "--client-limit",
                    "aimd",
                    "--client-limit-max",
                    "20",
                    "--max-in-flight",
                    "25");

            // The crowd's schedule adds up intervals, so the count may be off the rate's by one.
            assertThat(report.operationsSent()).isBetween(2_995L, 3_005L);
            long admitted = total(report, Timeline.Second::admitted);
            long refusedByClient = total(report, Timeline.Second::refusedByClient);
            long refusedByServer = total(report, Timeline.Second::refusedByServer);
            long expired = total(report, Timeline.Second::expired);
            assertThat(refusedByClient).isGreaterThan(1_000);
            assertThat(admitted + refusedByClient + refusedByServer + expired).isEqualTo(report.operationsSent());
            assertThat(server.reserves()).isEqualTo(admitted);
            // The limit (20..20 here) is sampled into every second of the send, and its calls in
            // flight filled it while the server held the replies.
            List<Timeline.Second> sending = report.timeline().subList(0, 3);
            assertThat(sending).allSatisfy(second -> {
                assertThat(second.clientLimitMin()).isEqualTo(20);
                assertThat(second.clientLimitMax()).isEqualTo(20);
                assertThat(second.clientInFlightMax()).isBetween(0, 20);
            });
            assertThat(sending)
                    .anySatisfy(second -> assertThat(second.clientInFlightMax()).isEqualTo(20));
            assertThat(report.summary()).contains("client limit: the SDK's adaptive limit");
        }
    }

    @Test
    void aSendTickShouldSendEveryScheduledCallUpToATickLate() throws Exception {
        try (FakeCheckout server = new FakeCheckout(FakeCheckout.Mode.SOLD_OUT, 0)) {
            Report report =
                    run(server, "--rate", "1000", "--duration", "2s", "--max-in-flight", "100", "--send-tick", "8ms");

            // Every scheduled call still goes, in bursts: a sleep of 8 ms leaves the calls due
            // within it up to 8 ms late, 4 ms on average (more on a busy machine, never less).
            assertThat(report.operationsSent()).isEqualTo(2_000);
            assertThat(server.reserves()).isEqualTo(2_000);
            assertThat(report.sendLag().p50Millis()).isGreaterThanOrEqualTo(1.0);
            // No --client-limit: nothing sampled.
            assertThat(report.timeline().get(0).clientLimitMin()).isEqualTo(-1);
            assertThat(report.timeline().get(0).clientInFlightMax()).isEqualTo(-1);
        }
    }

    @Test
    void theCrowdsRateShouldClimbDuringItsRampAndDropBackAfterItsHold() {
        RunSettings settings = settings(
                "--rate",
                "100",
                "--crowd-rate",
                "1000",
                "--crowd-at",
                "5s",
                "--crowd-ramp",
                "1s",
                "--crowd-hold",
                "10s",
                "--duration",
                "20s");

        assertThat(settings.rateAt(4.9)).isEqualTo(100);
        assertThat(settings.rateAt(5.5)).isCloseTo(550, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(settings.rateAt(6.0)).isEqualTo(1_000);
        assertThat(settings.rateAt(15.9)).isEqualTo(1_000);
        assertThat(settings.rateAt(16.0)).isEqualTo(100);
    }

    @Test
    void aWarmUpBeforeACrowdShouldHoldAShortCrowdOfItsOwnThatLeavesBeforeItEnds() {
        RunSettings settings = settings(
                "--rate",
                "100",
                "--crowd-rate",
                "1000",
                "--crowd-at",
                "5s",
                "--crowd-hold",
                "10s",
                "--duration",
                "20s");

        RunSettings warm = settings.forPrewarm(java.time.Duration.ofSeconds(20));
        // 15 s at the normal rate, 2 s of the crowd's, 3 s to drain before the run.
        assertThat(warm.rateAt(14.9)).isEqualTo(100);
        assertThat(warm.rateAt(15.0)).isEqualTo(1_000);
        assertThat(warm.rateAt(16.9)).isEqualTo(1_000);
        assertThat(warm.rateAt(17.0)).isEqualTo(100);
        assertThat(warm.skuPrefix()).endsWith("warm-");
        // Too short a warm-up keeps to the normal rate; so does one for a run without a crowd.
        assertThat(settings.forPrewarm(java.time.Duration.ofSeconds(9)).crowd()).isNull();
        assertThat(settings("--rate", "100", "--duration", "20s")
                        .forPrewarm(java.time.Duration.ofSeconds(20))
                        .crowd())
                .isNull();
    }

    @Test
    void theRateWithoutACrowdShouldClimbThroughTheRampAndThenHold() {
        RunSettings.RateCurve rates =
                settings("--rate", "100", "--ramp", "2s", "--duration", "20s").rateCurve();

        assertThat(rates.rateAt(1.0)).isCloseTo(50, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(rates.rateAt(2.0)).isEqualTo(100);
        assertThat(rates.rateAt(1_000.0)).isEqualTo(100);
    }
}
