package io.checkout.loadgen;

import io.checkout.client.CheckoutClient;
import io.checkout.proto.v1.UpsertSkuRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code loadgen fuzz}: hostile bytes against a running server ({@link WireFuzzer}), for a number
 * of cases or a time, then a count of what was sent and how the server answered. Exit 0 if every
 * case kept the rules, 1 if one broke them, 2 on bad options, 3 if the setup failed.
 */
@Command(
        name = "fuzz",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Sends random and mutated protobuf payloads to every public method, and raw HTTP/2, to a server on a"
                    + " plaintext port; checks after each case that the server still answers, that a refused call"
                    + " changed nothing, and that no answer is a crash (UNKNOWN, or INTERNAL other than a parse"
                    + " failure). Makes two SKUs named fuzz-* first (needs --admin-token). Not for a server in use.",
        })
final class FuzzCommand implements Callable<Integer> {
    @Option(
            names = "--target",
            defaultValue = "localhost:9090",
            description = "server host:port (default ${DEFAULT-VALUE})")
    String target;

    @Option(names = "--admin-token", required = true, description = "the server's admin token (to make the SKUs)")
    String adminToken;

    @Option(names = "--cases", defaultValue = "2000", description = "most cases to run (default ${DEFAULT-VALUE})")
    long cases;

    @Option(
            names = "--duration",
            description = "stop after this long even if --cases are not done (e.g. 10m); default: no time limit")
    String duration;

    @Option(names = "--seed", description = "the random seed (default: a random one, printed)")
    Long seed;

    private final PrintStream out;

    FuzzCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() {
        long durationNanos;
        try {
            durationNanos = duration == null
                    ? Long.MAX_VALUE
                    : Loadgen.duration("--duration", duration).toNanos();
            if (cases < 1) {
                throw new IllegalArgumentException("--cases must be at least 1, got " + cases);
            }
        } catch (IllegalArgumentException e) {
            out.println("loadgen fuzz: " + e.getMessage());
            return Loadgen.EXIT_USAGE;
        }
        int colon = target.lastIndexOf(':');
        if (colon < 1) {
            out.println("loadgen fuzz: --target must be host:port, got " + target);
            return Loadgen.EXIT_USAGE;
        }
        InetSocketAddress address;
        try {
            address = new InetSocketAddress(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            out.println("loadgen fuzz: --target must be host:port, got " + target);
            return Loadgen.EXIT_USAGE;
        }
        long runSeed = seed != null ? seed : ThreadLocalRandom.current().nextLong();
        ManagedChannel channel = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create())
                .maxInboundMessageSize(16 * 1024 * 1024)
                .build();
        try {
            List<String> skus = new ArrayList<>();
            List<Long> orders = new ArrayList<>();
            try (CheckoutClient admin = CheckoutClient.builder(channel)
                    .adminToken(adminToken)
                    .deadline(Duration.ofSeconds(10))
                    .build()) {
                setUp(admin, Long.toHexString(runSeed & 0xffffffffL), skus, orders);
            } catch (RuntimeException e) {
                out.println("loadgen fuzz: the setup failed: " + e);
                return Loadgen.EXIT_RUN_FAILED;
            }
            out.printf(
                    "fuzzing %s with seed %d: up to %,d cases%s%n",
                    target, runSeed, cases, duration == null ? "" : " or " + duration);
            long start = System.nanoTime();
            WireFuzzer.Result result = new WireFuzzer(channel, address, runSeed, skus, orders)
                    .run(cases, () -> System.nanoTime() - start < durationNanos);
            print(result, System.nanoTime() - start, runSeed);
            return result.passed() ? 0 : Loadgen.EXIT_AUDIT_FAILED;
        } finally {
            channel.shutdownNow();
            try {
                channel.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Two SKUs with stock to spare and a day's reservations, a reserved order and a paid one. */
    static void setUp(CheckoutClient admin, String run, List<String> skus, List<Long> orders) {
        for (String suffix : List.of("a", "b")) {
            String skuId = WireFuzzer.SKU_PREFIX + run + "-" + suffix;
            admin.upsertSku(UpsertSkuRequest.newBuilder()
                    .setRequestId("fuzz-setup-" + run + "-" + suffix)
                    .setSkuId(skuId)
                    .setPriceMinor(100)
                    .setCurrency("EUR")
                    .setTotalStock(1_000_000)
                    .setPerUserLimit(0)
                    .setReservationTtlMillis(TimeUnit.HOURS.toMillis(24))
                    .build());
            skus.add(skuId);
        }
        orders.add(admin.reserve("fuzz-setup-" + run + "-r1", "fuzz-buyer", skus.get(0), 1)
                .getOrderId());
        long paid = admin.reserve("fuzz-setup-" + run + "-r2", "fuzz-buyer", skus.get(1), 2)
                .getOrderId();
        admin.confirm("fuzz-setup-" + run + "-c2", paid);
        orders.add(paid);
    }

    private void print(WireFuzzer.Result result, long elapsedNanos, long runSeed) {
        out.printf("cases: %,d in %.1f s%n", result.cases(), elapsedNanos / 1e9);
        out.println("sent:     " + counts(result.byMutation()));
        out.println("answered: " + counts(result.byStatus()));
        if (result.passed()) {
            out.println("FUZZ PASS: the server answered every case with a status a client may get, kept answering,"
                    + " and no refused call changed its state");
            return;
        }
        out.printf(
                "FUZZ FAIL: %d case(s) broke a rule (seed %d; the first ones):%n",
                result.failures().size(), runSeed);
        for (WireFuzzer.Failure failure : result.failures()) {
            out.printf(
                    "  case %d, %s on %s: %s%n",
                    failure.caseNumber(), failure.mutation(), failure.method(), failure.what());
        }
    }

    /** {@code key count, key count, ...} in the map's own order. */
    private static String counts(Map<?, Long> counts) {
        StringBuilder text = new StringBuilder();
        counts.forEach((key, count) -> text.append(text.length() == 0 ? "" : ", ")
                .append(key)
                .append(' ')
                .append(count));
        return text.length() == 0 ? "nothing" : text.toString();
    }
}
