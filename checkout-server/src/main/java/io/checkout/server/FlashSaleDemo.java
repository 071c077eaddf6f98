package io.checkout.server;

import io.checkout.client.CheckoutClient;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.Sku;
import io.checkout.proto.v1.UpsertSkuRequest;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Starts a server on the embedded default (a fresh local data directory, a free port) and runs a
 * short flash sale against it through the client SDK: one SKU, a fixed stock, a crowd of buyers
 * with a per-user limit, some of whom try twice. Then it pays most reservations, cancels a few,
 * and checks from its own acknowledged answers and the server's stock that nothing oversold.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Starts a server and drives a short flash sale against it, printing the outcome.",
        footerHeading = "%nSettings (file keys and --set names):%n")
final class FlashSaleDemo implements Callable<Integer> {
    private static final String SKU_ID = "DEMO-SNEAKER-42";

    @CommandLine.Mixin
    Main.ConfigOptionsMixin options;

    @Option(names = "--units", defaultValue = "1000", description = "units on sale (default ${DEFAULT-VALUE})")
    int units;

    @Option(names = "--buyers", defaultValue = "20000", description = "distinct buyers (default ${DEFAULT-VALUE})")
    int buyers;

    @Option(names = "--limit", defaultValue = "1", description = "per-user limit (default ${DEFAULT-VALUE})")
    int limit;

    @Option(names = "--concurrency", defaultValue = "64", description = "calls in flight at once (default ${DEFAULT-VALUE})")
    int concurrency;

    @Option(names = "--second-try-every", defaultValue = "10",
            description = "every Nth buyer tries a second time (default ${DEFAULT-VALUE})")
    int secondTryEvery;

    @Override
    public Integer call() throws Exception {
        if (units < 1 || buyers < 1 || limit < 0 || concurrency < 1 || concurrency > 10_000 || secondTryEvery < 1) {
            System.err.println("demo: --units, --buyers, --concurrency (<= 10000) and --second-try-every must be positive");
            return 2;
        }
        ServerConfig.Builder builder = options.toBuilder();
        if (options.port == null) {
            builder.set(ServerConfig.Setting.PORT, 0);
        }
        Path scratch = null;
        if (options.dataDir == null && !options.overrides.containsKey(ServerConfig.Setting.DATA_DIR.key())) {
            scratch = freshDataDirectory();
            builder.set(ServerConfig.Setting.DATA_DIR, scratch);
        }
        builder.set(ServerConfig.Setting.HOST, "127.0.0.1");
        if (!options.overrides.containsKey(ServerConfig.Setting.METRICS_PORT.key())) {
            builder.set(ServerConfig.Setting.METRICS_PORT, 0);
        }
        if (!options.overrides.containsKey(ServerConfig.Setting.ORDER_CAPACITY.key())) {
            builder.set(ServerConfig.Setting.ORDER_CAPACITY, 1_000_000);
            builder.set(ServerConfig.Setting.USER_COUNTER_CAPACITY, 1_000_000);
            builder.set(ServerConfig.Setting.IDEMPOTENCY_CAPACITY, 2_000_000);
        }
        ServerConfig config;
        try {
            config = builder.conclude();
        } catch (ServerConfig.InvalidSettingException e) {
            System.err.println("demo: " + e.getMessage());
            return 2;
        }
        try (CheckoutServer server = CheckoutServer.start(config);
                CheckoutClient client = CheckoutClient.builder("127.0.0.1:" + server.port())
                        .adminToken(AdminAuthInterceptor.readToken(config.adminTokenFile()))
                        .deadline(Duration.ofSeconds(5)).build()) {
            System.out.printf("server up on 127.0.0.1:%d, data in %s%n", server.port(),
                    config.dataDirectory().toAbsolutePath());
            return runSale(client);
        } finally {
            if (scratch != null) {
                deleteRecursively(scratch);
            }
        }
    }

    /** The demo's own scratch directory goes when the demo ends; a --data-dir given by the user stays. */
    private static void deleteRecursively(Path directory) {
        try (var paths = Files.walk(directory)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            System.err.println("demo: could not remove " + directory + ": " + e.getMessage());
        }
    }

    private static Path freshDataDirectory() {
        try {
            return Files.createTempDirectory("checkout-demo-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private int runSale(CheckoutClient client) throws InterruptedException {
        long now = System.currentTimeMillis();
        client.upsertSku(UpsertSkuRequest.newBuilder()
                .setSkuId(SKU_ID).setPriceMinor(12_999).setCurrency("EUR")
                .setTotalStock(units).setPerUserLimit(limit)
                .setSaleStartEpochMillis(now).setSaleEndEpochMillis(now + 3_600_000)
                .setReservationTtlMillis(60_000)
                .build());
        System.out.printf("sale open: %d units of %s, %d buyers, limit %d per buyer, %d calls in flight%n",
                units, SKU_ID, buyers, limit, concurrency);

        Map<ReserveResult, AtomicLong> outcomes = new EnumMap<>(ReserveResult.class);
        for (ReserveResult result : ReserveResult.values()) {
            outcomes.put(result, new AtomicLong());
        }
        AtomicLong errors = new AtomicLong();
        Map<Long, String> orders = new ConcurrentHashMap<>();
        Map<String, AtomicLong> unitsPerBuyer = new ConcurrentHashMap<>();
        Semaphore inFlight = new Semaphore(concurrency);

        long started = System.nanoTime();
        int attempts = 0;
        for (int buyer = 0; buyer < buyers; buyer++) {
            int tries = buyer % secondTryEvery == 0 ? 2 : 1;
            for (int attempt = 0; attempt < tries; attempt++) {
                String userId = "buyer-" + buyer;
                inFlight.acquire();
                attempts++;
                CompletableFuture<ReserveReply> reply = client.reserveAsync(userId, SKU_ID, 1);
                reply.whenComplete((answer, failure) -> {
                    inFlight.release();
                    if (failure != null) {
                        errors.incrementAndGet();
                        return;
                    }
                    outcomes.get(answer.getResult()).incrementAndGet();
                    if (answer.getResult() == ReserveResult.RESERVED) {
                        orders.put(answer.getOrderId(), userId);
                        unitsPerBuyer.computeIfAbsent(userId, k -> new AtomicLong()).incrementAndGet();
                    }
                });
            }
        }
        if (!inFlight.tryAcquire(concurrency, 60, TimeUnit.SECONDS)) {
            System.err.println("demo: replies still missing after 60 s");
            return 1;
        }
        inFlight.release(concurrency);
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("%d reserve calls in %.2f s (%.0f/s; client and server share this cold JVM, so JIT warm-up"
                + " dominates a short sale: steady-state figures are in benchmarks/README.md)%n", attempts, seconds,
                attempts / seconds);
        for (Map.Entry<ReserveResult, AtomicLong> entry : outcomes.entrySet()) {
            if (entry.getValue().get() > 0) {
                System.out.printf("  %-16s %d%n", entry.getKey(), entry.getValue().get());
            }
        }
        if (errors.get() > 0) {
            System.out.printf("  %-16s %d%n", "gRPC errors", errors.get());
        }

        int paid = 0;
        int cancelled = 0;
        int position = 0;
        for (long orderId : orders.keySet()) {
            try {
                if (position++ % 20 == 19) {
                    client.cancel(orderId);
                    cancelled++;
                } else {
                    client.confirm(orderId);
                    paid++;
                }
            } catch (StatusRuntimeException e) {
                System.out.printf("  order %d: %s%n", orderId, e.getStatus());
            }
        }
        System.out.printf("paid %d orders, cancelled %d (their units went back on sale)%n", paid, cancelled);

        Sku stock = client.getStock(SKU_ID);
        System.out.printf("stock now: total %d = available %d + reserved %d + sold %d%n", stock.getTotalStock(),
                stock.getAvailable(), stock.getReserved(), stock.getSold());

        boolean ok = true;
        long reserved = outcomes.get(ReserveResult.RESERVED).get();
        ok &= check("never oversold: units acknowledged (" + reserved + ") <= stock (" + units + ")", reserved <= units);
        ok &= check("server agrees: sold (" + stock.getSold() + ") == paid (" + paid + ")", stock.getSold() == paid);
        ok &= check("conservation: available + reserved + sold == total",
                stock.getAvailable() + stock.getReserved() + stock.getSold() == stock.getTotalStock());
        long overLimit = limit == 0 ? 0 : unitsPerBuyer.values().stream().filter(n -> n.get() > limit).count();
        ok &= check("no buyer above the limit of " + limit + " (" + overLimit + " over)", overLimit == 0);
        ok &= check("sold out with buyers to spare: every unit was taken (" + reserved + " of " + units + ")",
                buyers < units || reserved == units);
        ok &= check("no gRPC errors", errors.get() == 0);
        System.out.println(ok ? "RESULT: PASS" : "RESULT: FAIL");
        return ok ? 0 : 1;
    }

    private static boolean check(String what, boolean holds) {
        System.out.printf("  [%s] %s%n", holds ? "ok" : "FAILED", what);
        return holds;
    }
}
