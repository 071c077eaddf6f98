package io.checkout.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoadgenAuditTest {

    @TempDir
    Path directory;

    @Test
    void auditFailsAndExitCodeIsNonZeroWhenTheServerOversells() throws Exception {
        try (FakeCheckout server = new FakeCheckout(FakeCheckout.Mode.OVERSELL, 10)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Path json = directory.resolve("report.json");
            int exit = Loadgen.commandLine(new Loadgen(
                            new PrintStream(out, true, StandardCharsets.UTF_8),
                            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                            credentials -> server.newChannel()))
                    .execute(
                            "--sku-prefix",
                            "HOT-",
                            "--skus",
                            "1",
                            "--users",
                            "5",
                            "--requests",
                            "50",
                            "--concurrency",
                            "4",
                            "--duration",
                            "60s",
                            "--confirm-ratio",
                            "0",
                            "--cancel-ratio",
                            "0",
                            "--repeat-ratio",
                            "0",
                            "--json",
                            json.toString(),
                            "--quiet");

            assertThat(exit).isEqualTo(Loadgen.EXIT_AUDIT_FAILED);
            assertThat(server.reserves()).isEqualTo(50);
            Report report = Report.fromJson(Files.readString(json));
            assertThat(report.audit().passed()).isFalse();
            assertThat(report.audit().checks())
                    .filteredOn(check -> check.name().startsWith("never oversold"))
                    .singleElement()
                    .satisfies(check -> {
                        assertThat(check.verdict()).isEqualTo(Audit.Verdict.FAIL);
                        assertThat(check.detail()).contains("50 units acknowledged > total stock 10");
                    });
            assertThat(report.audit().checks())
                    .filteredOn(check -> check.name().startsWith("no buyer above"))
                    .singleElement()
                    .extracting(Audit.Check::verdict)
                    .isEqualTo(Audit.Verdict.FAIL);
            assertThat(out.toString(StandardCharsets.UTF_8)).contains("AUDIT: FAIL");
        }
    }
}
