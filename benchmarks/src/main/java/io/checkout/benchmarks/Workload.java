package io.checkout.benchmarks;

import io.checkout.engine.CampaignKind;
import io.checkout.engine.CampaignTerms;
import io.checkout.engine.CheckoutBook;
import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.engine.CurrencyCode;
import io.checkout.engine.ResultCode;
import io.checkout.engine.SkuRecord;
import io.checkout.state.PackedCheckoutState;
import io.checkout.state.StateCapacities;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * What one benchmark invocation replays: a flash sale of {@link #SALE_SIZE} single-line reserves,
 * each from a distinct buyer with a distinct request id, all built before the clock starts so that
 * the benchmark itself allocates nothing per command.
 *
 * <ul>
 *   <li>{@code hotSku}: one SKU; every reserve takes 1 unit of it.</li>
 *   <li>{@code catalog}: {@value #CATALOG_SKUS} SKUs; reserve {@code i} takes 1 unit of a SKU drawn
 *       from a Zipf distribution (exponent {@value #ZIPF_EXPONENT}) over the SKUs' popularity ranks,
 *       ranks shuffled over SKU indexes. The top SKU gets about 8% of the reserves, the top 100
 *       about 43%, the top 10,000 about 81%.</li>
 * </ul>
 *
 * Every SKU has {@link #STOCK_PER_SKU} units and a per-user limit of {@value #PER_USER_LIMIT}, so no
 * reserve is refused: each one takes the full success path (idempotency lookup, SKU read, user
 * counter read, SKU write, user counter insert, order insert, outcome insert). The benchmarks check
 * this and fail if any command is answered with anything but SUCCESS, a full table included.
 *
 * <p>Request ids look like UUIDs (36 characters) and user ids are 15 characters, so the keys the
 * state stores have the lengths the Chronicle maps are sized for (average 40 and 28 bytes). The
 * same {@code String} instances are replayed by every invocation, on a fresh state each time, so
 * their hash codes are cached after the first sale; a server would get fresh strings from protobuf.
 */
final class Workload {
    /** Reserves per invocation: one flash sale. A constant because {@code @OperationsPerInvocation} needs one. */
    static final int SALE_SIZE = 1_000_000;

    static final int CATALOG_SKUS = 100_000;
    static final double ZIPF_EXPONENT = 1.0;
    /** {@code EngineLimits.TOTAL_STOCK_MAX}: no SKU sells out within a sale, even the hot one. */
    static final long STOCK_PER_SKU = 1_000_000_000L;
    /** Every buyer is distinct and takes 1 unit, so this limit is checked on each reserve but never reached. */
    static final long PER_USER_LIMIT = 2;

    static final long PRICE_MINOR = 1_999;
    static final long RESERVATION_TTL_MILLIS = 600_000;
    /** System property naming where state directories are created; default: java.io.tmpdir. */
    static final String DATA_ROOT_PROPERTY = "checkout.bench.dir";

    private static final long SEED = 0x5eed_c0ffeeL;

    final String scenario;
    final String[] skuIds;
    /** The SKU (index into {@link #skuIds}) reserve {@code i} takes. */
    final int[] skuOfReserve;

    final String[] requestIds;
    final String[] userIds;
    private final String[] upsertRequestIds;
    /** The campaign every reserve names, or null. */
    private String campaignId;
    /** Units each SKU holds reserved after a whole sale. */
    private long[] reservedAfterSale;

    private Workload(String scenario, int skuCount) {
        this.scenario = scenario;
        skuIds = new String[skuCount];
        upsertRequestIds = new String[skuCount];
        for (int i = 0; i < skuCount; i++) {
            skuIds[i] = String.format("sku-%06d", i);
            upsertRequestIds[i] = String.format("upsert-%06d", i);
        }
        skuOfReserve = new int[SALE_SIZE];
        requestIds = new String[SALE_SIZE];
        userIds = new String[SALE_SIZE];
        SplittableRandom random = new SplittableRandom(SEED);
        for (int i = 0; i < SALE_SIZE; i++) {
            requestIds[i] = uuidLike(random.nextLong(), random.nextLong());
            userIds[i] = String.format("user-%010d", i);
        }
    }

    static Workload create(String scenario) {
        switch (scenario) {
            case "hotSku":
                return new Workload(scenario, 1).countReserved(); // skuOfReserve stays all 0
            case "catalog":
                Workload catalog = new Workload(scenario, CATALOG_SKUS);
                catalog.fillZipf(new SplittableRandom(SEED + 1));
                return catalog.countReserved();
            default:
                throw new IllegalArgumentException("unknown scenario " + scenario + "; expected hotSku or catalog");
        }
    }

    private Workload countReserved() {
        reservedAfterSale = new long[skuIds.length];
        for (int i = 0; i < SALE_SIZE; i++) {
            reservedAfterSale[skuOfReserve[i]]++;
        }
        return this;
    }

    /** Inverse-CDF sampling of Zipf ranks, then a fixed shuffle from rank to SKU index. */
    private void fillZipf(SplittableRandom random) {
        int n = skuIds.length;
        double[] cumulative = new double[n];
        double total = 0;
        for (int rank = 0; rank < n; rank++) {
            total += 1.0 / Math.pow(rank + 1, ZIPF_EXPONENT);
            cumulative[rank] = total;
        }
        int[] skuOfRank = new int[n];
        for (int i = 0; i < n; i++) {
            skuOfRank[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = skuOfRank[i];
            skuOfRank[i] = skuOfRank[j];
            skuOfRank[j] = swap;
        }
        for (int i = 0; i < SALE_SIZE; i++) {
            double u = random.nextDouble() * total;
            int low = 0;
            int high = n - 1;
            while (low < high) {
                int mid = (low + high) >>> 1;
                if (cumulative[mid] < u) {
                    low = mid + 1;
                } else {
                    high = mid;
                }
            }
            skuOfReserve[i] = skuOfRank[low];
        }
    }

    private static String uuidLike(long high, long low) {
        String hex = String.format("%016x%016x", high, low);
        return hex.substring(0, 8)
                + '-'
                + hex.substring(8, 12)
                + '-'
                + hex.substring(12, 16)
                + '-'
                + hex.substring(16, 20)
                + '-'
                + hex.substring(20, 32);
    }

    int skuCount() {
        return skuIds.length;
    }

    /** Creates every SKU of the scenario through the engine, as the admin API would. Setup only: allocates. */
    void createSkus(CheckoutBook book, long nowMillis) {
        Command upsert = new Command();
        for (int i = 0; i < skuIds.length; i++) {
            upsert.clear();
            upsert.type(CommandType.UPSERT_SKU);
            upsert.timestampMillis = nowMillis;
            upsert.requestId.set(upsertRequestIds[i]);
            upsert.skuId.set(skuIds[i]);
            upsert.priceMinor = PRICE_MINOR;
            upsert.currency = "EUR";
            upsert.totalStock = STOCK_PER_SKU;
            upsert.perUserLimit = PER_USER_LIMIT;
            upsert.saleStartEpochMillis = 0;
            upsert.saleEndEpochMillis = 0;
            upsert.reservationTtlMillis = RESERVATION_TTL_MILLIS;
            book.execute(upsert);
            if (upsert.result() != ResultCode.SUCCESS) {
                throw new IllegalStateException("creating " + skuIds[i] + " answered " + upsert.result());
            }
        }
    }

    /** Fills {@code c} with reserve {@code i} of the sale, as the server's translator fills a ring slot. */
    void fillReserve(Command c, int i, long timestampMillis) {
        c.type(CommandType.RESERVE);
        c.timestampMillis = timestampMillis;
        c.requestId.set(requestIds[i]);
        c.userId.set(userIds[i]);
        c.addLine(skuIds[skuOfReserve[i]], 1);
        if (campaignId != null) {
            c.campaignId.set(campaignId);
        }
    }

    /**
     * Makes every reserve name campaign {@code id} (null: none), defined straight into the engine
     * as {@link #createSkus} does: 100 off every SKU, a budget of the whole sale, one redemption per
     * buyer (each buyer reserves once), so no reserve is refused.
     */
    void useCampaign(String id, CheckoutBook book, long nowMillis) {
        campaignId = id;
        if (id == null) {
            return;
        }
        CampaignTerms terms = new CampaignTerms();
        terms.campaignId = id;
        terms.kind = CampaignKind.AMOUNT_OFF;
        terms.currency = CurrencyCode.pack("EUR");
        terms.amountOffMinor = 100;
        terms.budget = SALE_SIZE;
        terms.perUserLimit = 1;
        Command command = Command.upsertCampaign(nowMillis, "campaign-" + id, terms);
        book.execute(command);
        if (command.result() != ResultCode.SUCCESS) {
            throw new IllegalStateException("defining the campaign answered " + command.result());
        }
    }

    /**
     * After a whole sale: one order per reserve, every SKU conserved and holding reserved exactly
     * the units the sale sent its way. Fails the benchmark otherwise.
     */
    void checkAfterSale(CheckoutBook book) {
        if (book.state().orderCount() != SALE_SIZE) {
            throw new IllegalStateException(
                    "after the sale " + book.state().orderCount() + " orders, expected " + SALE_SIZE);
        }
        SkuRecord sku = new SkuRecord();
        for (int index = 0; index < skuIds.length; index++) {
            book.state().readSku(index, sku);
            if (!sku.isConserved() || sku.reserved != reservedAfterSale[index] || sku.sold != 0) {
                throw new IllegalStateException(
                        "after the sale " + sku + ", expected reserved=" + reservedAfterSale[index]);
            }
        }
    }

    // ---- state ---------------------------------------------------------------------------------

    /**
     * Capacities for one sale: every table holds the sale's reserves times {@code capacityMultiple}
     * (1 = sized exactly for the sale, 10 = ten times bigger), the
     * idempotency table also the SKU upserts and the risk rules, the payment table one payment; {@code stateMemory} as the server's {@code state-memory}.
     */
    static StateCapacities capacities(int skuCount, int capacityMultiple, String stateMemory) {
        long capacity = (long) SALE_SIZE * capacityMultiple;
        boolean preallocated = switch (stateMemory) {
            case "preallocate" -> true;
            case "on-demand" -> false;
            default ->
                throw new IllegalArgumentException("stateMemory must be on-demand or preallocate: " + stateMemory);
        };
        // The sale pays nothing, so its payment table is the smallest there is: sized for the sale,
        // a preallocated one would be allocated and dropped at every invocation (about 126 bytes per
        // order of garbage the collector then works through in measured time), which a server
        // allocates once, at start.
        return new StateCapacities(skuCount, capacity, capacity, capacity + skuCount + 2_000, 1, preallocated);
    }

    /**
     * Sets an attempt limit no buyer of the sale reaches (10 reserves a minute; each buyer makes one)
     * and blocks 1,000 users who do not buy, straight into the engine as {@link #createSkus} does.
     */
    void applyRiskRules(CheckoutBook book, long nowMillis) {
        Command command = Command.setRiskRules(nowMillis, "risk-rules", 10, 60_000);
        book.execute(command);
        if (command.result() != ResultCode.SUCCESS) {
            throw new IllegalStateException("setting the attempt limit answered " + command.result());
        }
        for (int i = 0; i < 1_000; i++) {
            command = Command.setUserBlocked(nowMillis, "block-" + i, "blocked-" + i, true);
            book.execute(command);
            if (command.result() != ResultCode.SUCCESS) {
                throw new IllegalStateException("blocking answered " + command.result());
            }
        }
    }

    static PackedCheckoutState newPackedState(int skuCount, int capacityMultiple, String stateMemory) {
        return PackedCheckoutState.of(capacities(skuCount, capacityMultiple, stateMemory));
    }

    // ---- data directories ----------------------------------------------------------------------

    static Path newDataDirectory() {
        try {
            String root = System.getProperty(DATA_ROOT_PROPERTY);
            return root == null
                    ? Files.createTempDirectory("checkout-bench-")
                    : Files.createTempDirectory(Files.createDirectories(Paths.get(root)), "checkout-bench-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.delete(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
