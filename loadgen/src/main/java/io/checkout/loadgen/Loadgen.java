package io.checkout.loadgen;

import io.checkout.client.BearerTokenCredentials;
import io.checkout.client.CheckoutClient;
import io.checkout.contract.PartitionTable;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.HdrHistogram.HistogramLogWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code loadgen} command line: drives a checkout server at {@code --target} with a flash-sale
 * or catalog workload, prints a progress line each second and a summary at the end, writes the
 * optional reports, and exits non-zero when the audit fails.
 *
 * <p>Exit codes: 0 the audit passed; 1 the audit failed; 2 bad options; 3 the run could not start
 * or the audit could not read the server.
 */
@Command(
        name = "loadgen",
        mixinStandardHelpOptions = true,
        version = "loadgen 0.1.0",
        sortOptions = false,
        description = {
            "Drives a checkout server with a flash-sale or catalog load, measures latency honestly "
                    + "(HdrHistogram; the open model corrects coordinated omission), and audits the result.",
            "Durations take a unit: 500ms, 10s, 2m."
        })
public final class Loadgen implements Callable<Integer> {

    static final int EXIT_AUDIT_FAILED = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_RUN_FAILED = 3;
    static final Duration PREWARM_MAX = Duration.ofMinutes(10);

    @Option(
            names = "--target",
            defaultValue = "localhost:9090",
            description = "server host:port (default ${DEFAULT-VALUE})")
    String target;

    @Option(
            names = "--scenario",
            defaultValue = "flash-sale",
            description = "flash-sale, catalog, flash-crowd (reserves only, at --rate with a crowd at --crowd-rate; a"
                    + " per-second table of offered, admitted, refused and expired calls), booking (O2O: SKUs are"
                    + " (store, time slot) pairs, see --stores), abuse (needs --setup: flash-sale SKUs under an"
                    + " attempt limit per user, see --max-attempts, with hammer users and blocked users in the mix;"
                    + " the audit also checks the blocked users got nothing and the hammer users no more than the"
                    + " limit), coupon (needs --setup: the flash sale with a share of the reserves naming a coupon"
                    + " campaign whose budget is smaller than the crowd, see --coupon-kind; the audit also checks"
                    + " the budget, the per-user limit and the discounts), or empty-call (grpc.health.v1 Check"
                    + " only: the transport's limit) (default ${DEFAULT-VALUE})")
    String scenario;

    @Option(names = "--concurrency", description = "closed model: calls in flight (default 64 unless --rate)")
    Integer concurrency;

    @Option(names = "--rate", description = "open model: operations per second on a fixed schedule")
    Double rate;

    @Option(
            names = "--max-in-flight",
            defaultValue = "10000",
            description = "open model: most calls in flight; a send that waits for a slot is late, and its latency "
                    + "still counts from its intended time (default ${DEFAULT-VALUE})")
    int maxInFlight;

    @Option(
            names = "--duration",
            defaultValue = "10s",
            description = "how long to send, warm-up included (default ${DEFAULT-VALUE})")
    String duration;

    @Option(
            names = "--warmup",
            defaultValue = "0s",
            description = "first part of the run excluded from the figures (default ${DEFAULT-VALUE})")
    String warmup;

    @Option(
            names = "--ramp",
            defaultValue = "0s",
            description = "time for the rate or concurrency to climb to its target (default ${DEFAULT-VALUE})")
    String ramp;

    @Option(
            names = "--requests",
            defaultValue = "0",
            description = "stop after this many operations; 0 for no limit (default ${DEFAULT-VALUE})")
    long requests;

    @Option(
            names = "--api",
            defaultValue = "unary",
            description = "unary (Reserve), unary-batched (the same calls through the SDK's auto-batching, carried in"
                    + " ReserveBatchStream messages), stream (ReserveStream) or stream-batch"
                    + " (ReserveBatchStream) (default ${DEFAULT-VALUE})")
    String api;

    @Option(
            names = "--batch-size",
            defaultValue = "16",
            description = "stream-batch: most reserves per batch message; a partial batch is sent whenever the sender"
                    + " would otherwise wait; unary-batched: the SDK's largest batch, at most 256 (default"
                    + " ${DEFAULT-VALUE})")
    int batchSize;

    @Option(
            names = "--channels",
            defaultValue = "1",
            description = "gRPC channels (connections) (default ${DEFAULT-VALUE})")
    int channels;

    @Option(
            names = "--partitioned",
            description = "--target is any server of a partitioned deployment: read its partition map, open"
                    + " --channels channels to every partition, send each call to the partition that owns"
                    + " its SKU or order; with --setup the SKUs are spread evenly over the partitions")
    boolean partitioned;

    @Option(names = "--deadline", defaultValue = "5s", description = "per-call deadline (default ${DEFAULT-VALUE})")
    String deadline;

    @Option(names = "--setup", description = "create the SKUs through the Inventory admin API first")
    boolean setup;

    @Option(
            names = "--admin-token",
            description = "admin credential, sent as 'authorization: Bearer <token>' with admin calls")
    String adminToken;

    @Option(
            names = "--skus",
            description = "SKUs in play (default 3 for flash-sale, 10000 for catalog; booking: --stores x"
                    + " --slots-per-store)")
    Integer skus;

    @Option(
            names = "--stores",
            description = "booking: stores, by Zipf popularity (--zipf), store 0 the most popular; each store's"
                    + " slots are SKUs <prefix>store-NNN:slot-NNNN, the store their partition key (default 20)")
    Integer stores;

    @Option(
            names = "--slots-per-store",
            description = "booking: time slots per store, spread over a day (24: hourly), evening slots the most"
                    + " wanted; every booking window opens at setup and slot k (0-based) closes at setup + (k + 1)"
                    + " x --duration / --slots-per-store, after which the server answers NOT_ON_SALE; bookings go"
                    + " to the slots still open; the run sends until the last window closes, so setup's time is"
                    + " part of --duration (default 24)")
    Integer slotsPerStore;

    @Option(
            names = "--late-ratio",
            description = "booking: fraction of bookings whose slot is drawn from the whole day, closed windows"
                    + " included (a stale screen, a customer past the cutoff), so some meet NOT_ON_SALE (default"
                    + " 0.05)")
    Double lateRatio;

    @Option(
            names = "--max-attempts",
            description = "abuse: the attempt limit set with --setup, at most this many reserves per user per"
                    + " --attempt-window (server time, windows aligned to the epoch); past it the server answers"
                    + " RATE_LIMITED; 1.." + Abuse.MAX_ATTEMPTS_MAX + " (default 5)")
    Integer maxAttempts;

    @Option(names = "--attempt-window", description = "abuse: the attempt limit's window, 1ms..24h (default 1s)")
    String attemptWindow;

    @Option(
            names = "--hammer-users",
            description = "abuse: users h-<run id>-N who hammer the sale, each reserve with a fresh request id, so"
                    + " the attempt limit refuses most; 0.." + Abuse.HAMMER_USERS_MAX + " (default 3)")
    Integer hammerUsers;

    @Option(
            names = "--hammer-share",
            description = "abuse: fraction of the reserves sent by the hammer users (default 0.3)")
    Double hammerShare;

    @Option(
            names = "--blocked-users",
            description = "abuse: users b-<run id>-N blocked with --setup before the load, whose reserves the"
                    + " server answers BLOCKED; 0.." + Abuse.BLOCKED_USERS_MAX + " (default 5)")
    Integer blockedUsers;

    @Option(
            names = "--blocked-share",
            description = "abuse: fraction of the reserves sent by the blocked users (default 0.1)")
    Double blockedShare;

    @Option(
            names = "--coupon-kind",
            description = "coupon: the campaign setup defines, cp-<run id>, on the run's SKUs: amount-off"
                    + " (--coupon-amount-off off the order), percent-off (--coupon-percent-bps of it, rounded down)"
                    + " or spend-and-save (--coupon-amount-off off an order spending at least --coupon-min-spend)"
                    + " (default amount-off)")
    String couponKind;

    @Option(
            names = "--coupon-budget",
            description = "coupon: the most redemptions held at once (reserved or paid orders; a cancel or expiry"
                    + " gives one back), past which the server answers CAMPAIGN_BUDGET_EXHAUSTED; 1.."
                    + Coupon.BUDGET_MAX + " (default " + Coupon.DEFAULT_BUDGET + ")")
    Long couponBudget;

    @Option(
            names = "--coupon-per-user",
            description = "coupon: the most redemptions one user may hold, past which the server answers"
                    + " CAMPAIGN_USER_LIMIT_REACHED; 1.." + Coupon.PER_USER_LIMIT_MAX + " (default "
                    + Coupon.DEFAULT_PER_USER + ")")
    Long couponPerUser;

    @Option(
            names = "--coupon-amount-off",
            description = "coupon, amount-off and spend-and-save: the discount in minor units (an order costs"
                    + " 12999 x --quantity); 1.." + Coupon.AMOUNT_OFF_MAX + " (default " + Coupon.DEFAULT_AMOUNT_OFF
                    + ")")
    Long couponAmountOff;

    @Option(
            names = "--coupon-percent-bps",
            description = "coupon, percent-off: the discount in basis points of the order, rounded down; 1.."
                    + Coupon.PERCENT_BPS_MAX + " (default " + Coupon.DEFAULT_PERCENT_BPS + ": 10%%)")
    Integer couponPercentBps;

    @Option(
            names = "--coupon-min-spend",
            description = "coupon: the least an order must spend to qualify, in minor units, else"
                    + " CAMPAIGN_NOT_APPLICABLE; 0.." + Coupon.MIN_SPEND_MAX + ", spend-and-save at least 1"
                    + " (default 0; spend-and-save " + Coupon.DEFAULT_SPEND_AND_SAVE_MIN + ")")
    Long couponMinSpend;

    @Option(
            names = "--coupon-share",
            description = "coupon: fraction of the reserves that name the campaign, 0..1 (default "
                    + Coupon.DEFAULT_SHARE + ")")
    Double couponShare;

    @Option(
            names = "--sku-prefix",
            description =
                    "SKU ids are this prefix plus 0..skus-1 (default: lg-<run id>- with --setup, " + "SKU- without)")
    String skuPrefix;

    @Option(
            names = "--stock",
            description = "with --setup: units per SKU (default 1000; flash-crowd: 1000000000, so the crowd never"
                    + " sells out and every admitted reserve is goodput; booking: 4, the places of a slot)")
    Long stock;

    @Option(names = "--users", defaultValue = "100000", description = "distinct buyers (default ${DEFAULT-VALUE})")
    int users;

    @Option(
            names = "--limit",
            description = "with --setup: per-user limit, 0 for none (default 1, in booking one booking per person"
                    + " per slot; flash-crowd: 0)")
    Long limit;

    @Option(
            names = "--crowd-rate",
            description = "open model: a flash crowd at this rate (operations per second) on top of --rate, the"
                    + " normal rate; with --crowd-at, --crowd-ramp and --crowd-hold")
    Double crowdRate;

    @Option(
            names = "--crowd-at",
            defaultValue = "5s",
            description = "when the crowd starts to arrive (default ${DEFAULT-VALUE})")
    String crowdAt;

    @Option(
            names = "--crowd-ramp",
            defaultValue = "1s",
            description = "how long the rate takes to climb from normal to --crowd-rate (default ${DEFAULT-VALUE})")
    String crowdRamp;

    @Option(
            names = "--crowd-hold",
            defaultValue = "10s",
            description = "how long the crowd stays at its rate before the rate drops back to normal (default"
                    + " ${DEFAULT-VALUE})")
    String crowdHold;

    @Option(
            names = "--client-limit",
            defaultValue = "none",
            description = "the SDK's adaptive concurrency limit per channel: none, aimd (shrinks on refusals and"
                    + " expired deadlines) or gradient (shrinks as latency grows); a call over it is refused"
                    + " without being sent (default ${DEFAULT-VALUE})")
    String clientLimit;

    @Option(
            names = "--client-limit-max",
            defaultValue = "1000",
            description =
                    "the most calls in flight the adaptive limit may allow per channel (default ${DEFAULT-VALUE})")
    int clientLimitMax;

    @Option(
            names = "--send-tick",
            defaultValue = "0s",
            description = "open model: the least the sender sleeps when ahead of its schedule (0s..10ms), so"
                    + " sends due within it leave together, up to this late (counted in the latency from the"
                    + " intended time). Each wake-up costs the generator's core some microseconds, which at"
                    + " hundreds of thousands of calls a second on a machine shared with the server is"
                    + " the server's loss; 0s sleeps until each send is due (default ${DEFAULT-VALUE})")
    String sendTick;

    @Option(names = "--quantity", defaultValue = "1", description = "units per reserve (default ${DEFAULT-VALUE})")
    int quantity;

    @Option(
            names = "--zipf",
            defaultValue = "1.0",
            description = "catalog: Zipf exponent of SKU popularity; booking: of store popularity (default"
                    + " ${DEFAULT-VALUE})")
    double zipf;

    @Option(
            names = "--confirm-ratio",
            description =
                    "fraction of reserved orders then confirmed (default 0.8 flash-sale and booking, 0.5 catalog)")
    Double confirmRatio;

    @Option(
            names = "--cancel-ratio",
            description =
                    "fraction of reserved orders then cancelled (default 0.05 flash-sale, 0.2 catalog, 0.1 booking)")
    Double cancelRatio;

    @Option(
            names = "--repeat-ratio",
            defaultValue = "0.05",
            description =
                    "fraction of reserves sent again with the same request id, checked to get the first answer (default ${DEFAULT-VALUE})")
    double repeatRatio;

    @Option(
            names = "--get-ratio",
            description =
                    "fraction of operations that read back an acknowledged order (default 0 flash-sale, 0.1 catalog)")
    Double getRatio;

    @Option(
            names = "--reservation-ttl",
            defaultValue = "10m",
            description = "with --setup: how long a reservation holds (default ${DEFAULT-VALUE})")
    String reservationTtl;

    @Option(
            names = "--audit-orders-max",
            defaultValue = "2000000",
            description = "most acknowledged orders remembered for the audit (default ${DEFAULT-VALUE})")
    int auditOrdersMax;

    @Option(
            names = "--prewarm",
            defaultValue = "0s",
            description = "with --setup: first run the same load this long, without a crowd, on SKUs of its own"
                    + " (<prefix>warm-), not measured, so both JVMs have compiled the paths the run takes; at most"
                    + " 10m (default ${DEFAULT-VALUE}: none)")
    String prewarm;

    @Option(names = "--seed", description = "seed of the run's random choices (default: random, printed)")
    Long seed;

    @Option(names = "--tls", description = "use TLS (the JVM's trust store unless --ca-cert)")
    boolean tls;

    @Option(names = "--ca-cert", description = "PEM file of CA certificates to trust (implies --tls)")
    Path caCert;

    @Option(names = "--client-cert", description = "PEM client certificate for mutual TLS (with --client-key)")
    Path clientCert;

    @Option(names = "--client-key", description = "PEM PKCS#8 private key of --client-cert")
    Path clientKey;

    @Option(names = "--authority", description = "authority (TLS server name) to use instead of the target's host")
    String authority;

    @Option(names = "--json", description = "write the report as JSON to this file")
    Path jsonFile;

    @Option(
            names = "--hlog",
            description = "write reserve and other latencies as an HdrHistogram interval log to this file")
    Path histogramLogFile;

    @Option(names = "--html", description = "write a self-contained HTML report with charts to this file")
    Path htmlFile;

    @Option(names = "--quiet", description = "no progress line")
    boolean quiet;

    private final PrintStream out;
    private final PrintStream err;
    /** Opens each channel; tests put an in-process transport here. */
    private final Function<ChannelCredentials, ManagedChannel> channelFactory;

    public Loadgen() {
        this(System.out, System.err, null);
    }

    /**
     * @param channelFactory opens each channel, or null to open them to {@code --target}
     */
    Loadgen(PrintStream out, PrintStream err, Function<ChannelCredentials, ManagedChannel> channelFactory) {
        this.out = out;
        this.err = err;
        this.channelFactory = channelFactory;
    }

    public static void main(String[] args) {
        System.exit(commandLine(new Loadgen()).execute(args));
    }

    /** A later occurrence of an option wins, so a wrapper script's defaults can be overridden. */
    static CommandLine commandLine(Loadgen loadgen) {
        return new CommandLine(loadgen)
                .addSubcommand("fuzz", new FuzzCommand(loadgen.out))
                .addSubcommand("settle", new SettleCommand(loadgen.out, loadgen.err))
                .setOverwrittenOptionsAllowed(true)
                // An unexpected failure is "the run could not complete", never the audit's exit code.
                .setExecutionExceptionHandler((exception, commandLine, parseResult) -> {
                    commandLine.getErr().println("loadgen: the run failed: " + exception);
                    exception.printStackTrace(commandLine.getErr());
                    return EXIT_RUN_FAILED;
                });
    }

    @Override
    public Integer call() throws Exception {
        String runId = Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffL);
        RunSettings settings;
        Duration prewarmLength;
        CallCredentialsHolder credentials;
        ChannelCredentials channelCredentials;
        try {
            settings = settings(runId);
            prewarmLength = duration("--prewarm", prewarm);
            if (prewarmLength.compareTo(PREWARM_MAX) > 0) {
                throw new IllegalArgumentException("--prewarm must be at most " + PREWARM_MAX + ", got " + prewarm);
            }
            if (!prewarmLength.isZero() && !settings.setup()) {
                throw new IllegalArgumentException(
                        "--prewarm needs --setup: the warm-up runs on SKUs of its own, which --setup creates");
            }
            credentials = new CallCredentialsHolder(adminToken == null ? null : adminCredentials(adminToken));
            channelCredentials = channelCredentials();
        } catch (IllegalArgumentException e) {
            err.println("loadgen: " + e.getMessage());
            return EXIT_USAGE;
        } catch (IOException e) {
            err.println("loadgen: cannot read a TLS file: " + e.getMessage());
            return EXIT_USAGE;
        }
        List<ManagedChannel> open = new ArrayList<>();
        List<List<ManagedChannel>> byPartition = new ArrayList<>();
        PartitionTable table = PartitionTable.single();
        HistogramLogWriter logWriter = null;
        PrintStream logStream = null;
        try {
            if (partitioned) {
                if (channelFactory != null) {
                    err.println("loadgen: --partitioned needs real targets");
                    return EXIT_USAGE;
                }
                ManagedChannel bootstrap = channel(target, channelCredentials);
                open.add(bootstrap);
                try (CheckoutClient client = CheckoutClient.builder(bootstrap)
                        .deadline(java.time.Duration.ofSeconds(10))
                        .build()) {
                    table = PartitionTable.of(client.getPartitionMap());
                }
                List<String> keys = new ArrayList<>();
                for (int partition = 0; partition < table.partitionCount(); partition++) {
                    List<ManagedChannel> channels = new ArrayList<>();
                    for (int index = 0; index < settings.channels(); index++) {
                        channels.add(channel(table.targetOf(partition), channelCredentials));
                    }
                    open.addAll(channels);
                    byPartition.add(channels);
                    keys.add(table.keyOwnedBy(partition));
                }
                if (settings.setup()) {
                    settings = settings.withPartitionKeys(keys);
                }
            } else {
                List<ManagedChannel> channels = new ArrayList<>();
                for (int index = 0; index < settings.channels(); index++) {
                    channels.add(
                            channelFactory != null
                                    ? channelFactory.apply(channelCredentials)
                                    : channel(target, channelCredentials));
                }
                open.addAll(channels);
                byPartition.add(channels);
            }
            if (histogramLogFile != null) {
                logStream = new PrintStream(Files.newOutputStream(histogramLogFile), false, StandardCharsets.UTF_8);
                logWriter = new HistogramLogWriter(logStream);
            }
            out.printf(
                    Locale.ROOT,
                    "loadgen run %s: %s against %s, seed %d%s%n",
                    runId,
                    settings.scenario().label(),
                    target,
                    settings.seed(),
                    settings.setup() ? ", creating " + settings.skus() + " SKUs" : "");
            if (settings.booking() != null) {
                out.print(bookingLines(settings));
            }
            if (settings.abuse() != null) {
                out.print(settings.abuse().describe(runId, settings.users()));
            }
            if (settings.coupon() != null) {
                out.print(settings.coupon().describe(runId, settings.users(), LoadRun.orderGrossMinor(settings)));
            }
            if (partitioned) {
                out.printf(
                        Locale.ROOT,
                        "partitioned: %d partition(s), map version %d%n",
                        table.partitionCount(),
                        table.version());
            }
            if (!prewarmLength.isZero()
                    && !prewarm(settings.forPrewarm(prewarmLength), byPartition, table, credentials, runId)) {
                return EXIT_AUDIT_FAILED;
            }
            LoadRun run =
                    new LoadRun(settings, byPartition, table, credentials.value, quiet ? null : err, logWriter, runId);
            RunResult result = run.run();
            Report report = Report.of(result, target);
            out.print(report.summary());
            if (partitioned) {
                // The audit read every SKU and order from its own partition; this is the spread.
                out.printf(
                        Locale.ROOT,
                        "reserved by partition: %s%n",
                        java.util.Arrays.toString(run.reservedByPartition()));
            }
            if (jsonFile != null) {
                Files.writeString(jsonFile, report.toJson(), StandardCharsets.UTF_8);
                out.println("JSON report: " + jsonFile);
            }
            if (histogramLogFile != null) {
                out.println("histogram log: " + histogramLogFile);
            }
            if (htmlFile != null) {
                Files.writeString(htmlFile, HtmlReport.render(report), StandardCharsets.UTF_8);
                out.println("HTML report: " + htmlFile);
            }
            return report.audit().passed() ? 0 : EXIT_AUDIT_FAILED;
        } catch (LoadRun.SetupException | Auditor.AuditException e) {
            err.println("loadgen: " + e.getMessage());
            return EXIT_RUN_FAILED;
        } catch (IOException e) {
            err.println("loadgen: " + e.getMessage());
            return EXIT_RUN_FAILED;
        } finally {
            for (ManagedChannel channel : open) {
                channel.shutdownNow();
            }
            for (ManagedChannel channel : open) {
                channel.awaitTermination(5, TimeUnit.SECONDS);
            }
            if (logStream != null) {
                logStream.close();
            }
        }
    }

    /**
     * Runs the warm-up before the run (--prewarm) on the same channels, as a run of its own with
     * its own ids, and prints one line of it; its audit must pass too.
     *
     * @return whether its audit passed (if not, its report has been printed)
     */
    private boolean prewarm(
            RunSettings warmSettings,
            List<List<ManagedChannel>> byPartition,
            PartitionTable table,
            CallCredentialsHolder credentials,
            String runId)
            throws InterruptedException {
        RunSettings.Crowd warmCrowd = warmSettings.crowd();
        out.printf(
                Locale.ROOT,
                "warming up both sides for %d s on SKUs %s, the same load%s: not measured, the run's SKUs"
                        + " untouched%n",
                warmSettings.duration().toSeconds(),
                warmSettings.booking() != null
                        ? warmSettings.skuId(0) + " .. " + warmSettings.skuId(warmSettings.skus() - 1)
                        : warmSettings.skuPrefix() + "0.." + (warmSettings.skus() - 1),
                warmCrowd == null
                        ? ""
                        : String.format(
                                Locale.ROOT,
                                " with %d s of the crowd's rate from %d s",
                                warmCrowd.hold().toSeconds(),
                                warmCrowd.at().toSeconds()));
        LoadRun warmRun = new LoadRun(
                        warmSettings, byPartition, table, credentials.value, quiet ? null : err, null, runId + "w")
                .progressNote("  (prewarm, not measured)");
        Report warmReport = Report.of(warmRun.run(), target);
        if (!warmReport.audit().passed()) {
            out.println("the warm-up's audit failed:");
            out.print(warmReport.summary());
            return false;
        }
        out.printf(
                Locale.ROOT,
                "warm-up done: %,.0f ops/s on average, audit PASS; the measured run starts now%n",
                warmReport.operationsPerSecond());
        return true;
    }

    /**
     * A channel to {@code to}. Every callback of a run only records and releases a permit, never
     * blocks, so it runs on the channel's event loop: a hand-off to the default executor per reply
     * cost about as much CPU as the event loop itself, on cores the server under test shares.
     * Retries are the run's own business (one attempt, or repeats with the same request id), so
     * gRPC's retry buffering of every call and stream message is work for nothing.
     */
    private ManagedChannel channel(String to, ChannelCredentials channelCredentials) {
        var builder =
                Grpc.newChannelBuilder(to, channelCredentials).directExecutor().disableRetry();
        if (authority != null) {
            builder.overrideAuthority(authority);
        }
        return builder.build();
    }

    /** Holds the optional admin credential so a null stays a clear "none". */
    private record CallCredentialsHolder(io.grpc.CallCredentials value) {}

    RunSettings settings(String runId) {
        Scenario.Kind kind = Scenario.Kind.parse(scenario);
        boolean catalog = kind == Scenario.Kind.CATALOG;
        boolean crowdScenario = kind == Scenario.Kind.FLASH_CROWD;
        boolean bookingScenario = kind == Scenario.Kind.BOOKING;
        Booking booking = null;
        if (bookingScenario) {
            if (skus != null) {
                throw new IllegalArgumentException(
                        "--skus does not apply to --scenario booking: its SKUs are --stores x --slots-per-store");
            }
            booking = new Booking(
                    stores != null ? stores : 20,
                    slotsPerStore != null ? slotsPerStore : 24,
                    lateRatio != null ? lateRatio : 0.05);
        } else if (stores != null || slotsPerStore != null || lateRatio != null) {
            throw new IllegalArgumentException(
                    "--stores, --slots-per-store and --late-ratio are for --scenario booking");
        }
        Abuse abuse = null;
        if (kind == Scenario.Kind.ABUSE) {
            abuse = new Abuse(
                    hammerUsers != null ? hammerUsers : 3,
                    hammerShare != null ? hammerShare : 0.3,
                    blockedUsers != null ? blockedUsers : 5,
                    blockedShare != null ? blockedShare : 0.1,
                    maxAttempts != null ? maxAttempts : 5,
                    duration("--attempt-window", attemptWindow != null ? attemptWindow : "1s"));
        } else if (maxAttempts != null
                || attemptWindow != null
                || hammerUsers != null
                || hammerShare != null
                || blockedUsers != null
                || blockedShare != null) {
            throw new IllegalArgumentException("--max-attempts, --attempt-window, --hammer-users, --hammer-share,"
                    + " --blocked-users and --blocked-share are for --scenario abuse");
        }
        Coupon coupon = coupon(kind);
        if (crowdScenario && (rate == null || crowdRate == null)) {
            throw new IllegalArgumentException(
                    "--scenario flash-crowd needs --rate (the normal rate) and --crowd-rate (the crowd's)");
        }
        if (concurrency != null && rate != null) {
            throw new IllegalArgumentException(
                    "--concurrency (closed model) and --rate (open model) exclude each other");
        }
        RunSettings.Model model = rate != null ? RunSettings.Model.OPEN : RunSettings.Model.CLOSED;
        RunSettings.Api chosenApi = switch (api) {
            case "unary" -> RunSettings.Api.UNARY;
            case "unary-batched" -> RunSettings.Api.UNARY_BATCHED;
            case "stream" -> RunSettings.Api.STREAM;
            case "stream-batch" -> RunSettings.Api.STREAM_BATCH;
            default ->
                throw new IllegalArgumentException(
                        "--api must be unary, unary-batched, stream or stream-batch, got " + api);
        };
        String prefix = skuPrefix != null ? skuPrefix : setup ? "lg-" + runId + "-" : "SKU-";
        return new RunSettings(
                kind,
                model,
                concurrency == null ? 64 : concurrency,
                rate == null ? 0 : rate,
                maxInFlight,
                duration("--duration", duration),
                duration("--warmup", warmup),
                duration("--ramp", ramp),
                requests,
                chosenApi,
                batchSize,
                channels,
                duration("--deadline", deadline),
                booking != null ? booking.skus() : skus != null ? skus : catalog ? 10_000 : crowdScenario ? 100 : 3,
                prefix,
                stock != null ? stock : crowdScenario ? 1_000_000_000L : bookingScenario ? 4 : 1_000,
                users,
                limit != null ? limit : crowdScenario ? 0 : 1,
                quantity,
                zipf,
                confirmRatio != null ? confirmRatio : catalog ? 0.5 : crowdScenario ? 0.0 : 0.8,
                cancelRatio != null ? cancelRatio : catalog ? 0.2 : crowdScenario ? 0.0 : bookingScenario ? 0.1 : 0.05,
                repeatRatio,
                getRatio != null ? getRatio : catalog ? 0.1 : 0.0,
                setup,
                duration("--reservation-ttl", reservationTtl),
                auditOrdersMax,
                seed != null ? seed : ThreadLocalRandom.current().nextLong(),
                crowdRate == null
                        ? null
                        : new RunSettings.Crowd(
                                crowdRate,
                                duration("--crowd-at", crowdAt),
                                duration("--crowd-ramp", crowdRamp),
                                duration("--crowd-hold", crowdHold)),
                RunSettings.ClientLimit.parse(clientLimit),
                clientLimitMax,
                duration("--send-tick", sendTick),
                List.of(),
                booking,
                abuse,
                coupon);
    }

    /** {@code coupon}: the campaign the options ask for; null in the other scenarios, which refuse them. */
    private Coupon coupon(Scenario.Kind kind) {
        if (kind != Scenario.Kind.COUPON) {
            if (couponKind != null
                    || couponBudget != null
                    || couponPerUser != null
                    || couponAmountOff != null
                    || couponPercentBps != null
                    || couponMinSpend != null
                    || couponShare != null) {
                throw new IllegalArgumentException("--coupon-kind, --coupon-budget, --coupon-per-user,"
                        + " --coupon-amount-off, --coupon-percent-bps, --coupon-min-spend and --coupon-share are"
                        + " for --scenario coupon");
            }
            return null;
        }
        Coupon.Kind chosen = Coupon.Kind.parse(couponKind != null ? couponKind : "amount-off");
        boolean percent = chosen == Coupon.Kind.PERCENT_OFF;
        if (percent && couponAmountOff != null) {
            throw new IllegalArgumentException(
                    "--coupon-amount-off is for --coupon-kind amount-off or spend-and-save, not percent-off");
        }
        if (!percent && couponPercentBps != null) {
            throw new IllegalArgumentException(
                    "--coupon-percent-bps is for --coupon-kind percent-off, not " + chosen.label());
        }
        return new Coupon(
                chosen,
                couponBudget != null ? couponBudget : Coupon.DEFAULT_BUDGET,
                couponPerUser != null ? couponPerUser : Coupon.DEFAULT_PER_USER,
                percent ? 0 : couponAmountOff != null ? couponAmountOff : Coupon.DEFAULT_AMOUNT_OFF,
                !percent ? 0 : couponPercentBps != null ? couponPercentBps : Coupon.DEFAULT_PERCENT_BPS,
                couponMinSpend != null
                        ? couponMinSpend
                        : chosen == Coupon.Kind.SPEND_AND_SAVE ? Coupon.DEFAULT_SPEND_AND_SAVE_MIN : 0,
                couponShare != null ? couponShare : Coupon.DEFAULT_SHARE);
    }

    /** The booking scenario's catalog and time model, printed before the run. */
    static String bookingLines(RunSettings settings) {
        Booking booking = settings.booking();
        StringBuilder lines = new StringBuilder(String.format(
                Locale.ROOT,
                "booking: %,d stores x %,d slots, SKUs %s .. %s; store popularity Zipf %.2f, evening slots the"
                        + " hottest, %.0f%% of bookings late (any slot, open or not)%n",
                booking.stores(),
                booking.slotsPerStore(),
                settings.skuId(0),
                settings.skuId(booking.skus() - 1),
                settings.zipfExponent(),
                100 * booking.lateRatio()));
        if (!settings.setup()) {
            return lines.append("booking windows: the existing SKUs' sale windows, as they were set; not known to the"
                            + " run, so every booking picks from the whole day")
                    .append(System.lineSeparator())
                    .toString();
        }
        return lines.append(String.format(
                        Locale.ROOT,
                        "booking windows: %,d places a slot, %s per person; every window opens at setup and slot"
                                + " k closes at setup + (k + 1) x %.3f s / %d (slot 0 at %.3f s, the last at"
                                + " %.3f s, when the run stops sending); bookings go to the slots still open%n",
                        settings.stock(),
                        settings.perUserLimit() == 0 ? "no limit" : "at most " + settings.perUserLimit(),
                        settings.duration().toMillis() / 1e3,
                        booking.slotsPerStore(),
                        booking.windowMillis(0, settings.duration()) / 1e3,
                        booking.windowMillis(booking.slotsPerStore() - 1, settings.duration()) / 1e3))
                .toString();
    }

    /** The SDK's bearer credentials for {@code --admin-token}, refused with the option's name. */
    private static BearerTokenCredentials adminCredentials(String token) {
        try {
            return new BearerTokenCredentials(token);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--admin-token: " + e.getMessage(), e);
        }
    }

    private ChannelCredentials channelCredentials() throws IOException {
        boolean secure = tls || caCert != null || clientCert != null;
        if (!secure) {
            return InsecureChannelCredentials.create();
        }
        if ((clientCert == null) != (clientKey == null)) {
            throw new IllegalArgumentException("--client-cert and --client-key go together");
        }
        TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder();
        if (caCert != null) {
            builder.trustManager(caCert.toFile());
        }
        if (clientCert != null) {
            builder.keyManager(clientCert.toFile(), clientKey.toFile());
        }
        return builder.build();
    }

    /** Parses {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}. */
    static Duration duration(String option, String text) {
        var matcher = java.util.regex.Pattern.compile("(\\d{1,9})(ms|s|m|h)").matcher(text.trim());
        if (!matcher.matches()) {
            throw new IllegalArgumentException(
                    option + " must be a number with a unit (ms, s, m, h), e.g. 10s; got " + text);
        }
        long amount = Long.parseLong(matcher.group(1));
        return switch (matcher.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            default -> Duration.ofHours(amount);
        };
    }
}
