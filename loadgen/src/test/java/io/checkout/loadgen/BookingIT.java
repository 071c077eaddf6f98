package io.checkout.loadgen;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.client.CheckoutClient;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.Sku;
import io.checkout.server.CheckoutServer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The O2O booking scenario through the real server on loopback: slots sell out, windows close, the audit passes. */
class BookingIT {

    @TempDir
    Path directory;

    private CheckoutServer server;

    @BeforeEach
    void startServer() {
        server = TestServers.start(directory.resolve("data"));
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void bookingRunSellsOutPopularSlotsRefusesClosedOnesAndPassesItsAudit() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Path json = directory.resolve("booking.json");
        // 5 stores x 6 slots (00:00, 04:00, .. 20:00) of 2 places; the windows close 1 s, 2 s, .. 6 s
        // after setup, and the run sends until the last closes, 400/s on schedule (up to 2,400
        // operations, fewer by the setup's time). A quarter or more of the bookings want store 0's
        // 20:00 slot (Zipf 1 over 5 stores: 0.44, x at least 4 of 7.0 of the hours' weight), which
        // sells out; a fifth of the bookings are late, drawn from the whole day, and those for slots
        // already closed (about 70 expected; slot 0 closes 1 s in however slow the machine) meet
        // NOT_ON_SALE. A second's prewarm on SKUs of its own first, so the run's setup is not a cold
        // server's and leaves the run most of its 6 s.
        int exit = TestServers.loadgen(
                out,
                "--target",
                "127.0.0.1:" + server.port(),
                "--quiet",
                "--admin-token",
                TestServers.adminToken(directory.resolve("data")),
                "--scenario",
                "booking",
                "--setup",
                "--sku-prefix",
                "bk-",
                "--stores",
                "5",
                "--slots-per-store",
                "6",
                "--stock",
                "2",
                "--users",
                "2000",
                "--rate",
                "400",
                "--duration",
                "6s",
                "--late-ratio",
                "0.2",
                "--prewarm",
                "1s",
                "--seed",
                "17",
                "--json",
                json.toString());
        String summary = out.toString(StandardCharsets.UTF_8);

        assertThat(exit).as(summary).isZero();
        assertThat(summary)
                .contains("booking: 5 stores x 6 slots, SKUs bk-store-000:slot-0000 .. bk-store-004:slot-0005")
                .contains(
                        "slot k closes at setup + (k + 1) x 6.000 s / 6 (slot 0 at 1.000 s, the last at 6.000 s, when the run stops sending)")
                .contains(
                        "warming up both sides for 1 s on SKUs bk-warm-store-000:slot-0000 .. bk-warm-store-004:slot-0005")
                .contains("warm-up done:")
                .contains("slots fully booked")
                .contains("AUDIT: PASS");
        Report report = Report.fromJson(Files.readString(json));
        assertThat(report.scenario()).isEqualTo("booking");
        assertThat(report.audit().passed()).isTrue();
        assertThat(report.grpcErrors()).isEmpty();
        // Popular slots sold out; reserves for slots whose window had closed were NOT_ON_SALE.
        assertThat(report.reserveResults()).containsKeys("RESERVED", "SOLD_OUT", "NOT_ON_SALE");
        Report.BookedSlots slots = report.booking();
        assertThat(slots.fullyBooked()).isPositive();
        assertThat(slots.withFreeCapacity()).isPositive();
        assertThat(slots.fullyBooked() + slots.withFreeCapacity()).isEqualTo(30);
        assertThat(slots.places()).isEqualTo(60);
        assertThat(slots.placesBooked()).isPositive().isLessThanOrEqualTo(60);

        try (CheckoutClient client =
                CheckoutClient.builder("127.0.0.1:" + server.port()).build()) {
            // Every store's slot k closes k seconds after its slot 0; each window opened at setup.
            for (int store = 0; store < 5; store++) {
                Sku first = client.getStock(String.format("bk-store-%03d:slot-0000", store));
                assertThat(first.getPerUserLimit()).isEqualTo(1);
                for (int slot = 0; slot < 6; slot++) {
                    Sku sku = client.getStock(String.format("bk-store-%03d:slot-%04d", store, slot));
                    assertThat(sku.getTotalStock()).isEqualTo(2);
                    assertThat(sku.getStoreId())
                            .as("the slot's venue")
                            .isEqualTo(String.format("bk-store-%03d", store));
                    assertThat(sku.getSaleStartEpochMillis()).isEqualTo(first.getSaleStartEpochMillis());
                    assertThat(sku.getSaleEndEpochMillis() - first.getSaleEndEpochMillis())
                            .isEqualTo(slot * 1_000L);
                }
            }
            // The run is over, so is every window: the least wanted slot of the least popular store too.
            assertThat(client.reserve("late-user", "bk-store-004:slot-0000", 1).getResult())
                    .isEqualTo(ReserveResult.NOT_ON_SALE);
        }
    }
}
