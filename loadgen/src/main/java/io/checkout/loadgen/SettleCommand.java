package io.checkout.loadgen;

import io.checkout.client.CheckoutClient;
import io.checkout.client.CheckoutClientBuilder;
import io.checkout.client.OrderEventHandler;
import io.checkout.client.OrderEventSubscription;
import io.checkout.proto.v1.OrderEvent;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code checkout-settle}: the worked example of a downstream consumer of the order event stream.
 * It subscribes after a sequence (or where its checkpoint file says the last run stopped), folds
 * every payment and refund of a time range into per-merchant totals ({@link SettlementLedger}),
 * saves the checkpoint as it goes, and prints the totals as a table, CSV or JSON once it has caught
 * up with the stream (no event for {@code --idle}), reached the end of the range, or read
 * {@code --max-events}.
 */
@Command(
        name = "settle",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Per-merchant settlement totals (paid and refunded after campaign discounts, commission, net, discount)"
                    + " for a time range, from the server's OrderEvents stream; resumes from --checkpoint. Durations"
                    + " take a unit: 500ms, 10s, 2m."
        })
final class SettleCommand implements java.util.concurrent.Callable<Integer> {
    static final int EXIT_USAGE = 2;
    static final int EXIT_FAILED = 3;
    /** Events between two checkpoint writes. */
    static final int CHECKPOINT_EVERY = 1_000;

    @Option(
            names = "--target",
            defaultValue = "localhost:9090",
            description = "server host:port (default ${DEFAULT-VALUE})")
    String target;

    @Option(names = "--tls", description = "use TLS (the JVM's trust store unless --ca-cert)")
    boolean tls;

    @Option(names = "--ca-cert", description = "PEM file of CA certificates to trust (implies --tls)")
    Path caCert;

    @Option(
            names = "--from-sequence",
            defaultValue = "0",
            description = "start after this event sequence; 0 from the first the server keeps; ignored when the"
                    + " checkpoint file exists (default ${DEFAULT-VALUE})")
    long fromSequence;

    @Option(
            names = "--checkpoint",
            description = "file holding the last sequence read and the totals so far: read at start if it"
                    + " exists, written every " + CHECKPOINT_EVERY + " events and at the end")
    Path checkpoint;

    @Option(
            names = "--since",
            defaultValue = "0",
            description =
                    "start of the range, inclusive: epoch millis or an ISO-8601 instant (default: the" + " beginning)")
    String since;

    @Option(
            names = "--until",
            defaultValue = "0",
            description = "end of the range, exclusive: epoch millis or an ISO-8601 instant; 0 for no end. The"
                    + " run stops at the first event at or after it (default ${DEFAULT-VALUE})")
    String until;

    @Option(names = "--format", defaultValue = "table", description = "table, csv or json (default ${DEFAULT-VALUE})")
    String format;

    @Option(
            names = "--idle",
            defaultValue = "3s",
            description = "stop once no event came for this long: the stream has been read up to now"
                    + " (default ${DEFAULT-VALUE})")
    String idle;

    @Option(
            names = "--max-events",
            defaultValue = "0",
            description = "stop after reading this many events; 0 for no limit (default ${DEFAULT-VALUE})")
    long maxEvents;

    private final PrintStream out;
    private final PrintStream err;

    SettleCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() throws InterruptedException {
        try {
            return settle();
        } catch (IllegalArgumentException | UncheckedIOException e) {
            err.println("checkout-settle: " + e.getMessage());
            return EXIT_USAGE;
        }
    }

    private int settle() throws InterruptedException {
        long sinceMillis = instant("--since", since);
        long untilMillis = instant("--until", until);
        if (untilMillis != 0 && untilMillis <= sinceMillis) {
            throw new IllegalArgumentException("--until must be after --since");
        }
        Duration idleFor = Loadgen.duration("--idle", idle);
        String chosen = format.toLowerCase(Locale.ROOT);
        if (!List.of("table", "csv", "json").contains(chosen)) {
            throw new IllegalArgumentException("--format must be table, csv or json, got " + format);
        }
        if (maxEvents < 0 || fromSequence < 0) {
            throw new IllegalArgumentException("--max-events and --from-sequence must not be negative");
        }
        SettlementLedger ledger = checkpoint != null && Files.isRegularFile(checkpoint)
                ? SettlementLedger.resume(checkpoint, sinceMillis, untilMillis)
                : new SettlementLedger(fromSequence, sinceMillis, untilMillis);

        CheckoutClientBuilder builder = CheckoutClient.builder(target);
        if (caCert != null) {
            builder.tls(caCert);
        } else if (tls) {
            builder.useTransportSecurity();
        } else {
            builder.plaintext();
        }
        CountDownLatch done = new CountDownLatch(1);
        AtomicLong lastEventNanos = new AtomicLong(System.nanoTime());
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long[] read = {0};
        OrderEventHandler handler = new OrderEventHandler() {
            @Override
            public void onEvent(OrderEvent event) {
                lastEventNanos.set(System.nanoTime());
                if (done.getCount() == 0) {
                    throw new IllegalStateException("settled: no more events wanted");
                }
                if (ledger.isPastRange(event.getAtEpochMillis())) {
                    done.countDown();
                    throw new IllegalStateException("past the range: stop before counting it");
                }
                ledger.apply(event);
                read[0]++;
                if (checkpoint != null && read[0] % CHECKPOINT_EVERY == 0) {
                    ledger.writeCheckpoint(checkpoint);
                }
                if (maxEvents > 0 && read[0] >= maxEvents) {
                    done.countDown();
                }
            }

            @Override
            public void onError(Throwable error) {
                if (done.getCount() > 0) {
                    failure.set(error);
                    done.countDown();
                }
            }
        };
        try (CheckoutClient client = builder.build();
                OrderEventSubscription subscription = client.subscribeOrderEvents(ledger.lastSequence(), handler)) {
            long idleNanos = idleFor.toNanos();
            while (!done.await(Math.min(100, Math.max(1, idleFor.toMillis())), TimeUnit.MILLISECONDS)) {
                if (System.nanoTime() - lastEventNanos.get() >= idleNanos) {
                    break;
                }
            }
            done.countDown();
            subscription.close();
            subscription.awaitTermination(Duration.ofSeconds(10));
        }
        if (failure.get() != null) {
            err.println("checkout-settle: the event stream failed after sequence " + ledger.lastSequence() + ": "
                    + failure.get().getMessage());
            if (checkpoint != null) {
                ledger.writeCheckpoint(checkpoint);
            }
            return EXIT_FAILED;
        }
        if (checkpoint != null) {
            ledger.writeCheckpoint(checkpoint);
        }
        SettlementReport.print(ledger, chosen, out);
        return 0;
    }

    /** Epoch millis, or an ISO-8601 instant such as 2026-12-03T00:00:00Z. */
    static long instant(String option, String text) {
        String trimmed = text.trim();
        if (trimmed.matches("\\d{1,15}")) {
            return Long.parseLong(trimmed);
        }
        try {
            return Instant.parse(trimmed).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(
                    option + " must be epoch millis or an ISO-8601 instant like 2026-12-03T00:00:00Z, got " + text, e);
        }
    }
}
