package io.checkout.benchmarks;

import io.checkout.engine.CheckoutBook;
import io.checkout.engine.CheckoutState;
import io.checkout.engine.Command;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.ResultCode;
import io.checkout.journal.EventCounter;
import io.checkout.journal.InMemoryJournal;
import io.checkout.pipeline.CheckoutPipeline;
import io.checkout.pipeline.CommandPublisher;
import io.checkout.pipeline.JournalConfig;
import io.checkout.pipeline.PipelineConfig;
import io.checkout.pipeline.PipelineConfig.WaitStrategyKind;
import io.checkout.pipeline.Recovery;
import io.checkout.pipeline.ReplyHandler;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Reserves through the whole in-process pipeline: the Disruptor ring, the business-logic thread
 * running {@link CheckoutBook} over the packed heap state, then the journaller, which journals and
 * answers each batch (on the business-logic thread, or with {@code journalThread=OWN} on a thread of
 * its own).
 *
 * <pre>
 *   JMH thread (producer)                       pipeline threads
 *   ─────────────────────                       ────────────────
 *   fill slot i from preallocated ids
 *   tryPublish ──▶ [ RingBuffer&lt;CommandEvent&gt;, ringSize slots ] ◀── TICK every 100 ms (ticker thread)
 *     │ ring full: spin, yield, park                  │
 *     │                                               ▼
 *     │                          1. business logic: CheckoutBook.execute(command)
 *     │                             over the packed state (single writer); order events
 *     │                                               │
 *     │                                               ▼
 *     │                          2. journaller: encode, append, one commit (+ fsync) per
 *     │                             batch (journal=memory: numbered, not kept), then
 *     │                             answers: ReplyHandler.reply(command, progress, failure)
 *     │                             checks SUCCESS, counts the reply (release store)
 *     ▼                                               │
 *   after the last publish: wait until replied == SALE_SIZE ◀──┘
 * </pre>
 *
 * <b>What one operation is.</b> One reserve command published, applied and answered. Each
 * invocation is one whole flash sale of {@link Workload#SALE_SIZE} reserves
 * ({@code @OperationsPerInvocation}), and it returns only once the replier has answered the last
 * one, so the score counts completed commands only, never commands still queued in the ring.
 * Ring-full backpressure is part of the measured time.
 *
 * <p><b>State.</b> Every invocation gets a fresh state (and, with a journal on disk, a new temporary
 * data directory), its SKUs created through the engine, and a freshly started pipeline; the teardown
 * shuts the pipeline down, checks the sale's outcome (every answer SUCCESS, one order per reserve,
 * stock conserved and reserved exactly as the sale sent it) and deletes the directory. JMH does not time invocation
 * setup and teardown. The maps are sized for one sale ({@code capacityMultiple} = 1) or a multiple
 * of it, so a full table can never make the score look better: a table-full answer fails the run.
 *
 * <p><b>Threads.</b> The producer and the business-logic thread (and the journaller, with
 * {@code journalThread=OWN}) all want a core; on a 2-core machine they share two. {@code waitStrategy} sets how the pipeline threads wait; the
 * producer spins briefly, then yields, then parks for a moment, both when the ring is full and
 * while waiting for the last reply.
 *
 * <p><b>Allocation.</b> {@code -prof gc}'s {@code gc.alloc.rate.norm} divides what all threads
 * allocated during the iteration by the reserves completed, so it includes what each invocation's
 * setup allocates (the ring's 16,384 preallocated slots, the maps; in {@code catalog}, 100,000
 * SKUs), spread over the sale. {@code timed.alloc.norm} ({@link TimedAllocationProfiler}, added
 * with {@code -prof gc}) counts only what all threads allocate between the first publish and the
 * last reply.
 *
 * <p><b>CPU.</b> {@code -prof io.checkout.benchmarks.PipelineCpuProfiler} adds {@code
 * pipeline.cpu.norm} and {@code producer.cpu.norm}: the CPU time of the pipeline's threads and of
 * the publishing thread per reserve over the same window: whether the single writer was the bound.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 10, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 5, time = 10, timeUnit = TimeUnit.SECONDS)
@Fork(
        value = 1,
        jvmArgs = {
            "-Xms4g",
            "-Xmx4g",
            // The server's own JVM defaults (bin/default-jvm.sh): huge pages, the heap touched at start,
            // survivors promoted at once. Without them this benchmark paid page faults and zeroing the
            // server does not (2026-12-06: 1.29x the hot SKU's rate with them, 1.45x the catalog's).
            "-XX:+UseTransparentHugePages",
            "-XX:+AlwaysPreTouch",
            "-XX:MaxTenuringThreshold=1",
            "-Dorg.slf4j.simpleLogger.log.net.openhft=warn"
        })
@Threads(1)
@State(Scope.Benchmark)
public class PipelineReserveBenchmark {
    private static final long TICK_INTERVAL_MILLIS = 100; // the server's default
    private static final long SHUTDOWN_TIMEOUT_MILLIS = 60_000;
    /** How long the setup waits for the first prepared segment files (256 MB of zeros each). */
    private static final long PREPARE_TIMEOUT_MILLIS = 120_000;

    private static final int SPIN_TRIES = 100;
    private static final int YIELD_TRIES = 100;
    /** Nominal; Linux timer slack makes it some 50 us, under 1% of the time a full ring takes to drain. */
    private static final long PARK_NANOS = 1_000;

    /**
     * Fills the sale's next reserve on the producer thread, as the server's translator does; the
     * pipeline stamps its time.
     */
    private static final CommandPublisher.CommandTranslator<PipelineReserveBenchmark> RESERVE =
            (bench, command) -> bench.workload.fillReserve(command, bench.next++, 0);

    /** {@code hotSku}: one SKU takes every reserve. {@code catalog}: 100,000 SKUs, Zipf popularity. */
    @Param({"hotSku", "catalog"})
    public String scenario;

    @Param({"PARKING", "SLEEPING"})
    public WaitStrategyKind waitStrategy;

    /** The server's default. */
    @Param("16384")
    public int ringSize;

    /**
     * {@code memory}: the journal numbers records but keeps and writes nothing (nothing survives the
     * process; events are counted, not written): the pipeline without a disk. {@code process}: every command
     * journalled, answered once its batch is in the page cache. {@code fsync}: answered once its
     * batch is synced to the device (the server's default). With a journal the pipeline is built by
     * {@link Recovery} on a fresh data directory, as the server builds it, event log included.
     */
    @Param({"memory", "process", "fsync"})
    public String journal;

    /**
     * With a journal, the thread that journals and answers: the business-logic thread (the server's
     * default) or one of its own.
     */
    @Param("BUSINESS_LOGIC")
    public PipelineConfig.JournalThread journalThread;

    /**
     * With a journal, as the server's {@code journal-segment-files}: {@code prepared} (its default)
     * writes the journal over segment files made ahead and zero-filled by a thread of their own,
     * with {@code fsync} directly, each write synced; the setup (untimed) waits for the first of
     * them, as a server that has run a while writes into one, and the next ones are made during the
     * timed sale, as a server makes them. {@code appended}: every segment a new file grown by each
     * write. The event log, and the journal without fsync, are appended either way.
     */
    @Param("prepared")
    public String segmentFiles;

    /** Table capacities as a multiple of the sale size (1: sized exactly for it). */
    @Param("1")
    public int capacityMultiple;

    /**
     * As the server's {@code state-memory}: {@code on-demand} (its default) takes memory as rows are
     * written, {@code preallocate} allocates the tables for their capacities in the (untimed) setup.
     */
    @Param("on-demand")
    public String stateMemory;

    /** As the server's {@code prefetch-group}: commands of a batch prefetched together (0: none; 16, its default). */
    @Param("16")
    public int prefetchGroup;

    /**
     * {@code none}: no risk rule (the default state of a server). {@code rules}: an attempt limit
     * every buyer stays within (10 per minute) and 1,000 other users blocked, so each reserve also
     * probes the blocklist and counts an attempt; no reserve is refused.
     */
    @Param("none")
    public String risk;

    /**
     * {@code none}: reserves name no campaign. {@code coupon}: every reserve names one campaign (an
     * amount off every SKU, a budget of the whole sale, one redemption per buyer), so each also
     * checks the campaign, splits the discount and counts a redemption; none is refused.
     */
    @Param("none")
    public String campaign;

    private Workload workload;
    private Path dataDirectory;
    private CheckoutState checkoutState;
    private Recovery.Recovered recovered;
    private CheckoutBook book;
    private CheckoutPipeline pipeline;
    private SaleProgress progress;
    /** The next reserve of the sale to publish; producer thread only. */
    private int next;

    @Setup(Level.Trial)
    public void buildWorkload() {
        workload = Workload.create(scenario);
    }

    @Setup(Level.Invocation)
    public void openSale() {
        dataDirectory = Workload.newDataDirectory();
        PipelineConfig config =
                new PipelineConfig(ringSize, waitStrategy, TICK_INTERVAL_MILLIS, journalThread, prefetchGroup);
        if (journal.equals("memory")) {
            checkoutState = Workload.newPackedState(workload.skuCount(), capacityMultiple, stateMemory);
            book = new CheckoutBook(checkoutState, EngineLimits.defaults());
            workload.createSkus(book, System.currentTimeMillis());
            applyRisk();
            applyCampaign();
            pipeline = new CheckoutPipeline(
                    book, config, System::currentTimeMillis, new InMemoryJournal(1), new EventCounter(1));
        } else {
            boolean prepared = switch (segmentFiles) {
                case "prepared" -> true;
                case "appended" -> false;
                default ->
                    throw new IllegalArgumentException("segmentFiles must be prepared or appended: " + segmentFiles);
            };
            JournalConfig defaults = JournalConfig.defaults(journal.equals("fsync"));
            recovered = Recovery.recover(
                    dataDirectory,
                    Workload.capacities(workload.skuCount(), capacityMultiple, stateMemory),
                    EngineLimits.defaults(),
                    new JournalConfig(defaults.fsync(), defaults.segmentBytes(), defaults.batchBytes(), prepared));
            // Prepared (and written directly) only under fsync: see JournalConfig.
            if (prepared && defaults.fsync() && !recovered.journal().awaitPreparedSegment(PREPARE_TIMEOUT_MILLIS)) {
                throw new IllegalStateException("no prepared segment within " + PREPARE_TIMEOUT_MILLIS + " ms");
            }
            checkoutState = recovered.state();
            book = recovered.book();
            // SKUs go straight into the engine, not through the journal: the sale is what is timed.
            workload.createSkus(book, System.currentTimeMillis());
            applyRisk();
            applyCampaign();
            pipeline = new CheckoutPipeline(
                    book, config, System::currentTimeMillis, recovered.journal(), recovered.events());
        }
        progress = new SaleProgress();
        next = 0;
        pipeline.start();
    }

    private void applyRisk() {
        switch (risk) {
            case "none" -> {}
            case "rules" -> workload.applyRiskRules(book, System.currentTimeMillis());
            default -> throw new IllegalArgumentException("risk must be none or rules: " + risk);
        }
    }

    private void applyCampaign() {
        switch (campaign) {
            case "none" -> workload.useCampaign(null, book, 0);
            case "coupon" -> workload.useCampaign("bench-coupon", book, System.currentTimeMillis());
            default -> throw new IllegalArgumentException("campaign must be none or coupon: " + campaign);
        }
    }

    @Benchmark
    @OperationsPerInvocation(Workload.SALE_SIZE)
    public int flashSale() {
        PipelineCpuProfiler.Mark cpuBefore = PipelineCpuProfiler.start();
        long allocatedBefore = TimedAllocationProfiler.start();
        final CheckoutPipeline ring = pipeline;
        final SaleProgress sale = progress;
        for (int published = 0; published < Workload.SALE_SIZE; published++) {
            int attempt = 0;
            while (!ring.tryPublish(RESERVE, this, SaleProgress.REPLIES, sale)) {
                backOff(attempt++);
            }
        }
        int attempt = 0;
        int replied;
        while ((replied = sale.replied()) < Workload.SALE_SIZE) {
            backOff(attempt++);
        }
        TimedAllocationProfiler.stop(allocatedBefore, replied);
        PipelineCpuProfiler.stop(cpuBefore, replied);
        return replied;
    }

    @TearDown(Level.Invocation)
    public void closeSale() {
        try {
            pipeline.shutdown(SHUTDOWN_TIMEOUT_MILLIS);
            if (pipeline.isFailed()) {
                throw new IllegalStateException("the engine failed during the sale; see the log above");
            }
            progress.checkAllSucceeded();
            workload.checkAfterSale(book);
        } finally {
            closeState();
        }
    }

    @TearDown(Level.Trial)
    public void cleanUp() {
        if (pipeline != null) {
            pipeline.shutdown(SHUTDOWN_TIMEOUT_MILLIS);
        }
        closeState();
    }

    private void closeState() {
        if (recovered != null) {
            recovered.journal().close();
            recovered.events().close();
            recovered = null;
        }
        checkoutState = null;
        Workload.deleteRecursively(dataDirectory);
        dataDirectory = null;
    }

    /**
     * Spins a little, yields a little, then parks for a moment: the producer waits only when the
     * ring is full (thousands of commands queued) or for the last replies, and on two cores a
     * producer that kept spinning would take CPU from the pipeline threads it is waiting for.
     */
    private static void backOff(int attempt) {
        if (attempt < SPIN_TRIES) {
            Thread.onSpinWait();
        } else if (attempt < SPIN_TRIES + YIELD_TRIES) {
            Thread.yield();
        } else {
            LockSupport.parkNanos(PARK_NANOS);
            if (Thread.currentThread().isInterrupted()) { // JMH's iteration timeout
                throw new IllegalStateException("interrupted while waiting for the pipeline");
            }
        }
    }

    /**
     * What the replier has answered so far in one sale. Written by the replier thread only; the
     * count is published with a release store so the producer, reading it with an acquire load,
     * also sees the refusal details written before it. Padded so the producer's fields and this
     * counter do not share a cache line.
     */
    static final class SaleProgress {
        /** The stateless reply handler; per-sale state travels as the reply context. */
        static final ReplyHandler REPLIES =
                (command, context, failure) -> ((SaleProgress) context).onReply(command, failure);

        private static final VarHandle REPLIED;

        static {
            try {
                REPLIED = MethodHandles.lookup().findVarHandle(SaleProgress.class, "replied", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private long p01, p02, p03, p04, p05, p06, p07;
        private int replied;
        private int refused;
        private ResultCode firstRefusal;
        private Throwable firstFailure;
        private long p11, p12, p13, p14, p15, p16, p17;

        void onReply(Command command, Throwable failure) {
            if (failure != null || command.result() != ResultCode.SUCCESS) {
                if (refused++ == 0) {
                    firstRefusal = command.result();
                    firstFailure = failure;
                }
            }
            REPLIED.setRelease(this, replied + 1);
        }

        int replied() {
            return (int) REPLIED.getAcquire(this);
        }

        void checkAllSucceeded() {
            if (replied() != Workload.SALE_SIZE) {
                throw new IllegalStateException(replied() + " replies, expected " + Workload.SALE_SIZE);
            }
            if (refused > 0) {
                throw new IllegalStateException(
                        refused + " of " + Workload.SALE_SIZE + " reserves were not SUCCESS," + " the first "
                                + firstRefusal + "; the sale must take the full success path",
                        firstFailure);
            }
        }
    }
}
