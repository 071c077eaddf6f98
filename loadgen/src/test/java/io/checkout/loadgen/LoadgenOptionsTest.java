package io.checkout.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Bad options stop the run with exit code 2 and a message naming the option; nothing is sent. */
class LoadgenOptionsTest {

    @Test
    void theHelpShouldRenderEveryDescriptionWithoutAFormattingWarning() {
        PrintStream stderr = System.err;
        ByteArrayOutputStream warnings = new ByteArrayOutputStream();
        String usage;
        try {
            // picocli formats descriptions and reports one it cannot format on stderr
            System.setErr(new PrintStream(warnings, true, StandardCharsets.UTF_8));
            usage = Loadgen.commandLine(new Loadgen()).getUsageMessage();
        } finally {
            System.setErr(stderr);
        }

        assertThat(warnings.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(usage).contains("1000: 10%)");
    }

    private static String refusal(String... args) throws Exception {
        try (FakeCheckout server = new FakeCheckout(FakeCheckout.Mode.SOLD_OUT, 10)) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int exit = Loadgen.commandLine(new Loadgen(
                            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                            new PrintStream(err, true, StandardCharsets.UTF_8),
                            credentials -> server.newChannel()))
                    .execute(args);
            assertThat(exit).isEqualTo(Loadgen.EXIT_USAGE);
            assertThat(server.reserves()).isZero();
            return err.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void closedAndOpenModelsExcludeEachOther() throws Exception {
        assertThat(refusal("--concurrency", "8", "--rate", "100"))
                .contains("--concurrency")
                .contains("--rate");
    }

    @Test
    void unknownApiAndBatchSizeOutOfRangeAreNamed() throws Exception {
        assertThat(refusal("--api", "batch")).contains("--api must be unary, unary-batched, stream or stream-batch");
        assertThat(refusal("--api", "stream-batch", "--batch-size", "0")).contains("--batch-size must be 1..4096");
        assertThat(refusal("--api", "stream-batch", "--batch-size", "4097")).contains("--batch-size must be 1..4096");
    }

    @Test
    void durationsNeedAUnit() throws Exception {
        assertThat(refusal("--duration", "10")).contains("--duration must be a number with a unit");
        assertThat(refusal("--rate", "100", "--send-tick", "11ms")).contains("--send-tick must be 0..10ms");
    }

    @Test
    void warmupMustBeShorterThanTheRun() throws Exception {
        assertThat(refusal("--duration", "5s", "--warmup", "5s")).contains("--warmup");
    }

    @Test
    void unknownScenarioIsNamed() throws Exception {
        assertThat(refusal("--scenario", "black-friday"))
                .contains("--scenario must be flash-sale, catalog, flash-crowd, booking, abuse, coupon or empty-call");
    }

    @Test
    void bookingHasStoresAndSlotsInsteadOfSkus() throws Exception {
        assertThat(refusal("--scenario", "booking", "--skus", "10"))
                .contains("--skus does not apply to --scenario booking");
        assertThat(refusal("--stores", "5"))
                .contains("--stores, --slots-per-store and --late-ratio are for --scenario");
        assertThat(refusal("--scenario", "catalog", "--slots-per-store", "5")).contains("are for --scenario booking");
        assertThat(refusal("--late-ratio", "0.1")).contains("are for --scenario booking");
        assertThat(refusal("--scenario", "booking", "--late-ratio", "1.5")).contains("--late-ratio must be 0..1");
        assertThat(refusal("--scenario", "booking", "--stores", "0")).contains("--stores must be 1..100000");
        assertThat(refusal("--scenario", "booking", "--slots-per-store", "10001"))
                .contains("--slots-per-store must be 1..10000");
        assertThat(refusal("--scenario", "booking", "--stores", "1000", "--slots-per-store", "1001"))
                .contains("--stores x --slots-per-store must be at most 1000000");
        assertThat(refusal("--scenario", "booking", "--sku-prefix", "mall:"))
                .contains("--sku-prefix may not contain ':' with --scenario booking");
    }

    @Test
    void abuseNeedsSetupAndItsOptionsAreNamed() throws Exception {
        assertThat(refusal("--scenario", "abuse")).contains("--scenario abuse needs --setup");
        assertThat(refusal("--hammer-users", "2")).contains("are for --scenario abuse");
        assertThat(refusal("--scenario", "abuse", "--setup", "--max-attempts", "0"))
                .contains("--max-attempts must be 1..1000000");
        assertThat(refusal("--scenario", "abuse", "--setup", "--attempt-window", "0ms"))
                .contains("--attempt-window must be 1ms..24h");
        assertThat(refusal("--scenario", "abuse", "--setup", "--hammer-share", "0.8", "--blocked-share", "0.3"))
                .contains("--hammer-share + --blocked-share must be at most 1");
    }

    @Test
    void couponNeedsSetupAndItsOptionsAreNamed() throws Exception {
        assertThat(refusal("--scenario", "coupon")).contains("--scenario coupon needs --setup");
        assertThat(refusal("--coupon-budget", "5")).contains("are for --scenario coupon");
        assertThat(refusal("--scenario", "coupon", "--setup", "--coupon-budget", "0"))
                .contains("--coupon-budget must be 1..1000000000");
        assertThat(refusal(
                        "--scenario", "coupon", "--setup", "--coupon-kind", "percent-off", "--coupon-amount-off", "5"))
                .contains("--coupon-amount-off is for --coupon-kind amount-off or spend-and-save");
        assertThat(refusal("--scenario", "coupon", "--setup", "--coupon-share", "2"))
                .contains("--coupon-share must be 0..1");
    }

    @Test
    void clientCertificateNeedsItsKey() throws Exception {
        assertThat(refusal("--client-cert", "client.pem")).contains("--client-cert and --client-key go together");
    }

    @Test
    void missingCaCertificateFileIsReported() throws Exception {
        assertThat(refusal("--ca-cert", "/nonexistent/ca.pem")).contains("/nonexistent/ca.pem");
    }

    @Test
    void adminTokenMustBePrintable() throws Exception {
        assertThat(refusal("--admin-token", "two words")).contains("--admin-token");
    }

    @Test
    void confirmAndCancelRatiosMayNotExceedOne() throws Exception {
        assertThat(refusal("--confirm-ratio", "0.9", "--cancel-ratio", "0.2"))
                .contains("--confirm-ratio + --cancel-ratio must be at most 1");
    }

    @Test
    void aFlashCrowdNeedsBothRatesAndMustEndWithinTheRun() throws Exception {
        assertThat(refusal("--scenario", "flash-crowd", "--rate", "100"))
                .contains("--scenario flash-crowd needs --rate (the normal rate) and --crowd-rate");
        assertThat(refusal("--concurrency", "8", "--crowd-rate", "100")).contains("--crowd-rate needs the open model");
        assertThat(refusal("--rate", "100", "--crowd-rate", "400", "--duration", "10s", "--crowd-at", "5s"))
                .contains("must end within --duration");
        assertThat(refusal("--rate", "100", "--crowd-rate", "400", "--crowd-hold", "0s"))
                .contains("--crowd-hold must be positive");
    }

    @Test
    void prewarmNeedsSetupAndIsBounded() throws Exception {
        assertThat(refusal("--prewarm", "5s")).contains("--prewarm needs --setup");
        assertThat(refusal("--setup", "--prewarm", "11m")).contains("--prewarm must be at most");
        assertThat(refusal("--setup", "--prewarm", "5")).contains("--prewarm must be a number with a unit");
    }

    @Test
    void clientLimitIsNamedAndBounded() throws Exception {
        assertThat(refusal("--client-limit", "tcp")).contains("--client-limit must be none, aimd or gradient");
        assertThat(refusal("--client-limit", "aimd", "--client-limit-max", "0"))
                .contains("--client-limit-max must be 1..");
    }
}
