package io.checkout.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.journal.CommandCodec;
import io.checkout.journal.EventCounter;
import io.checkout.journal.InMemoryJournal;
import io.checkout.pipeline.CheckoutPipeline;
import io.checkout.pipeline.PipelineConfig;
import io.checkout.state.PackedCheckoutState;
import io.checkout.state.SnapshotStore;
import io.checkout.state.StateCapacities;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Seeded differential simulation: a long random command stream goes to the engine and to
 * {@link ReferenceCheckout}, a naive model of the same rules; every answer is compared, invariants of
 * the engine's state are asserted after every step, and the whole state is compared periodically.
 *
 * <p>Reproduce a failure with {@code -Dsimulation.seed=<seed>} (the seed is in every failure message
 * and printed at the start of each run); {@code -Dsimulation.commands=<n>} changes the length.
 */
class CheckoutSimulationTest {
    private static final long[] FIXED_SEEDS = {1L, 20_240_917L, 0x5EED_C0FFEEL};
    private static final long COMMANDS_PER_SEED = Long.getLong("simulation.commands", 1_000_000L);
    /** A full comparison walks every order, so it runs periodically; each step checks what it touched. */
    private static final int FULL_CHECK_EVERY = 25_000;

    private static final EngineLimits LIMITS = EngineLimits.defaults();

    /** Far above what a run can fill, so that "table full" never decides an answer in the main runs. */
    private static final int BIG_SKU_CAPACITY = 1_000;

    private static final long BIG_CAPACITY = 50_000_000L;

    static LongStream seeds() {
        Long given = Long.getLong("simulation.seed");
        return LongStream.concat(LongStream.of(FIXED_SEEDS), LongStream.of(given != null ? given : System.nanoTime()));
    }

    /** The test limits with a retention window for remembered answers. */
    private static EngineLimits limitsWithRetention(long retentionMillis) {
        return new EngineLimits(
                LIMITS.linesPerOrderMax(),
                LIMITS.quantityPerLineMax(),
                LIMITS.expiriesPerTickMax(),
                EngineLimits.ID_LENGTH_MAX,
                retentionMillis);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void engineShouldMatchReferenceModelForSeed(long seed) {
        ReferenceCheckout reference =
                new ReferenceCheckout(LIMITS, BIG_SKU_CAPACITY, BIG_CAPACITY, BIG_CAPACITY, BIG_CAPACITY);
        HeapCheckoutState state = new HeapCheckoutState(BIG_SKU_CAPACITY, BIG_CAPACITY, BIG_CAPACITY, BIG_CAPACITY);
        Simulation simulation = new Simulation(
                seed, new CheckoutBook(state, LIMITS), reference, new SimulationCommands(seed, reference, LIMITS));

        simulation.run(COMMANDS_PER_SEED);

        // Agreement proves little about answers the stream never provoked: every code must have come up.
        simulation.assertCovered(everyCodeBelow(400));
        assertThat(reference.discountedOrders())
                .as("orders reserved with a campaign")
                .isGreaterThan(COMMANDS_PER_SEED / 1_000);
        assertThat(reference.groupRateLimited())
                .as("reserves refused by a SKU group's attempt limit")
                .isGreaterThan(COMMANDS_PER_SEED / 10_000);
    }

    /** The server's state: primitive columns and maps, against the same reference model. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void packedStateShouldMatchReferenceModelForSeed(long seed) {
        ReferenceCheckout reference =
                new ReferenceCheckout(LIMITS, BIG_SKU_CAPACITY, BIG_CAPACITY, BIG_CAPACITY, BIG_CAPACITY);
        PackedCheckoutState state = new PackedCheckoutState(BIG_SKU_CAPACITY, BIG_CAPACITY, BIG_CAPACITY, 100_000_000);
        Simulation simulation = new Simulation(
                seed, new CheckoutBook(state, LIMITS), reference, new SimulationCommands(seed, reference, LIMITS));

        simulation.run(COMMANDS_PER_SEED);

        simulation.assertCovered(everyCodeBelow(400));
    }

    /**
     * The server's state with {@code state-memory=preallocate}: tables allocated up front, the
     * remembered answers' ring reused as the retention window forgets them, tables filling up.
     */
    @Test
    void preallocatedPackedStateShouldMatchReferenceModel() {
        long seed = Long.getLong("simulation.seed", 4244L);
        EngineLimits limits = limitsWithRetention(8_000);
        StateCapacities capacities = new StateCapacities(64, 40_000, 20_000, 25_000, 300, true);
        ReferenceCheckout reference = new ReferenceCheckout(
                limits,
                capacities.skuCapacity(),
                capacities.orderCapacity(),
                capacities.userCounterCapacity(),
                capacities.outcomeCapacity(),
                capacities.paymentCapacity());
        PackedCheckoutState state = PackedCheckoutState.of(capacities);
        assertThat(state.preallocated()).isTrue();
        Simulation simulation = new Simulation(
                seed, new CheckoutBook(state, limits), reference, new SimulationCommands(seed, reference, limits));

        simulation.run(300_000);

        simulation.assertCovered(EnumSet.of(
                ResultCode.SUCCESS,
                ResultCode.SOLD_OUT,
                ResultCode.ORDER_STATE_CONFLICT,
                ResultCode.REQUEST_ID_REUSED,
                ResultCode.PAYMENT_TABLE_FULL));
        assertThat(state.outcomeCount()).isEqualTo(reference.rememberedCount());
    }

    @Test
    void packedStateShouldMatchReferenceModelWithARetentionWindow() {
        long seed = Long.getLong("simulation.seed", 4243L);
        EngineLimits limits = limitsWithRetention(8_000);
        ReferenceCheckout reference =
                new ReferenceCheckout(limits, BIG_SKU_CAPACITY, BIG_CAPACITY, BIG_CAPACITY, BIG_CAPACITY);
        PackedCheckoutState state = new PackedCheckoutState(BIG_SKU_CAPACITY, BIG_CAPACITY, BIG_CAPACITY, 2_000_000);
        Simulation simulation = new Simulation(
                seed, new CheckoutBook(state, limits), reference, new SimulationCommands(seed, reference, limits));

        simulation.run(300_000);

        assertThat(state.outcomeCount()).isEqualTo(reference.rememberedCount());
    }

    @Test
    void engineShouldMatchReferenceModelWithARetentionWindow() {
        long seed = Long.getLong("simulation.seed", 4242L);
        // A window of a few reservation TTLs: old request ids are repeated both inside and outside it.
        EngineLimits limits = limitsWithRetention(8_000);
        ReferenceCheckout reference =
                new ReferenceCheckout(limits, BIG_SKU_CAPACITY, BIG_CAPACITY, BIG_CAPACITY, BIG_CAPACITY);
        HeapCheckoutState state = new HeapCheckoutState(BIG_SKU_CAPACITY, BIG_CAPACITY, BIG_CAPACITY, BIG_CAPACITY);
        Simulation simulation = new Simulation(
                seed, new CheckoutBook(state, limits), reference, new SimulationCommands(seed, reference, limits));

        simulation.run(300_000);

        assertThat(state.outcomeCount()).isEqualTo(reference.rememberedCount());
        System.out.println("retention run: " + simulation.repeats + " repeats answered, " + state.outcomeCount()
                + " answers remembered at the end");
        assertThat(simulation.repeats)
                .as("repeats inside the window happened too")
                .isGreaterThan(1_000);
        assertThat(state.outcomeCount())
                .as("the window kept the table from holding every answer")
                .isLessThan(30_000);
    }

    @Test
    void engineShouldRefuseWhenTablesAreFullAndChangeNothing() {
        long seed = Long.getLong("simulation.seed", 77L);
        // Sized so that each table fills during the run: ten SKUs are created up front and the stream
        // tries more, user counters run out before orders do, orders before request ids, and
        // payments (smaller than the orders, as an operator may set) before orders.
        int skuCapacity = 10;
        long orderCapacity = 250;
        long userCounterCapacity = 16;
        long outcomeCapacity = 6_000;
        long paymentCapacity = 12;
        int merchantCapacity = 6;
        ReferenceCheckout reference = new ReferenceCheckout(
                        LIMITS, skuCapacity, orderCapacity, userCounterCapacity, outcomeCapacity, paymentCapacity)
                .merchantCapacity(merchantCapacity)
                .riskCapacities(2, 3)
                .skuGroupCapacity(3)
                .campaignCapacities(3, 2);
        HeapCheckoutState state = new HeapCheckoutState(
                        skuCapacity, orderCapacity, userCounterCapacity, outcomeCapacity, paymentCapacity)
                .merchantCapacity(merchantCapacity)
                .riskCapacities(2, 3)
                .skuGroupCapacity(3)
                .campaignCapacities(3, 2);
        Simulation simulation = new Simulation(
                seed, new CheckoutBook(state, LIMITS), reference, new SimulationCommands(seed, reference, LIMITS));

        simulation.run(30_000);

        simulation.assertCovered(EnumSet.of(
                ResultCode.SKU_TABLE_FULL,
                ResultCode.ORDER_TABLE_FULL,
                ResultCode.USER_COUNTER_TABLE_FULL,
                ResultCode.IDEMPOTENCY_TABLE_FULL,
                ResultCode.PAYMENT_TABLE_FULL,
                ResultCode.MERCHANT_TABLE_FULL,
                ResultCode.BLOCKLIST_FULL,
                ResultCode.ATTEMPT_COUNTER_TABLE_FULL,
                ResultCode.GROUP_TABLE_FULL,
                ResultCode.CAMPAIGN_TABLE_FULL,
                ResultCode.REDEMPTION_TABLE_FULL));
    }

    @Test
    void engineShouldKeepEverythingOverASnapshotAndRestart(@TempDir Path dir) {
        long seed = Long.getLong("simulation.seed", 7L);
        StateCapacities capacities = new StateCapacities(64, 100_000, 10_000, 300_000);
        ReferenceCheckout reference = new ReferenceCheckout(
                LIMITS,
                capacities.skuCapacity(),
                capacities.orderCapacity(),
                capacities.userCounterCapacity(),
                capacities.outcomeCapacity());
        SimulationCommands commands = new SimulationCommands(seed, reference, LIMITS);
        SnapshotStore snapshots = new SnapshotStore(dir);

        PackedCheckoutState state = PackedCheckoutState.of(capacities);
        CheckoutBook book = new CheckoutBook(state, LIMITS);
        Simulation simulation = new Simulation(seed, book, reference, commands);
        simulation.run(200_000);
        simulation.assertCovered(EnumSet.of(
                ResultCode.SUCCESS,
                ResultCode.SOLD_OUT,
                ResultCode.ORDER_STATE_CONFLICT,
                ResultCode.REQUEST_ID_REUSED));
        snapshots.write(state, new SnapshotStore.Meta(1, 1, book.nowMillis()));

        PackedCheckoutState restored = PackedCheckoutState.of(capacities);
        SnapshotStore.Meta meta = snapshots.loadLatest(restored);
        CheckoutBook restoredBook = new CheckoutBook(restored, LIMITS);
        restoredBook.restoreNowMillis(meta.nowMillis());
        Simulation restarted = new Simulation(seed, restoredBook, reference, commands);
        restarted.checkFullState("after restart");
        // A tick at the publisher's clock expires what fell due while the engine was down, through
        // the expiry queue rebuilt from the restored orders.
        restarted.step(commands.tickNow());
        restarted.run(20_000);
    }

    /**
     * The live pipeline (ring, business logic, journal, replier) over the engine, with one command in
     * ten arriving after its caller's deadline: those must be answered DEADLINE_EXCEEDED and change
     * nothing, so the model, which never sees them, must still agree with every other answer and
     * with the whole state. Skipping is decided before any change and never journalled.
     */
    @Test
    void livePipelineShouldMatchReferenceModelWithExpiredCommandsMixedIn() throws Exception {
        long seed = Long.getLong("simulation.seed", 2_212L);
        ReferenceCheckout reference =
                new ReferenceCheckout(LIMITS, BIG_SKU_CAPACITY, BIG_CAPACITY, BIG_CAPACITY, BIG_CAPACITY);
        HeapCheckoutState state = new HeapCheckoutState(BIG_SKU_CAPACITY, BIG_CAPACITY, BIG_CAPACITY, BIG_CAPACITY);
        CheckoutBook book = new CheckoutBook(state, LIMITS);
        SimulationCommands commands = new SimulationCommands(seed, reference, LIMITS);
        // The pipeline stamps each command with this clock: the simulated time of the command.
        AtomicLong clock = new AtomicLong();
        InMemoryJournal journal = new InMemoryJournal(1);
        // The pipeline's own ticks come a minute apart: far after this run, which sends its own.
        CheckoutPipeline pipeline = new CheckoutPipeline(
                book,
                new PipelineConfig(1_024, PipelineConfig.WaitStrategyKind.PARKING, 60_000),
                clock::get,
                journal,
                new EventCounter(1));
        pipeline.start();
        try {
            Simulation simulation = new Simulation(
                    seed, book, reference, commands, command -> throughPipeline(pipeline, clock, command, 0));
            java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
            long skipped = 0;
            for (int i = 0; i < 60_000; i++) {
                Command command = commands.next();
                if (command.type() != CommandType.TICK && random.nextInt(10) == 0) {
                    long journalled = journal.nextSequence();
                    throughPipeline(pipeline, clock, command, System.nanoTime() - 1_000_000);
                    assertThat(command.result())
                            .as("seed %d, command %d (%s): a command whose caller gave up", seed, i, command.type())
                            .isEqualTo(ResultCode.DEADLINE_EXCEEDED);
                    assertThat(journal.nextSequence())
                            .as("skipped, so not journalled")
                            .isEqualTo(journalled);
                    skipped++;
                } else {
                    simulation.step(command);
                }
            }
            simulation.checkFullState("end of the pipeline run");
            assertThat(skipped).isGreaterThan(5_000);
            simulation.assertCovered(EnumSet.of(
                    ResultCode.SUCCESS,
                    ResultCode.SOLD_OUT,
                    ResultCode.LIMIT_EXCEEDED,
                    ResultCode.ORDER_STATE_CONFLICT,
                    ResultCode.REQUEST_ID_REUSED));
        } finally {
            pipeline.close();
        }
    }

    /**
     * Publishes a copy of {@code command} (through the journal's codec, so every input field goes)
     * with the given deadline, waits for its answer and copies the answer back into it.
     */
    private static void throughPipeline(
            CheckoutPipeline pipeline, AtomicLong clock, Command command, long deadlineNanos) {
        ByteBuffer encoded = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX);
        CommandCodec.encode(command, encoded);
        encoded.flip();
        clock.set(command.timestampMillis);
        CompletableFuture<Command> answered = new CompletableFuture<>();
        boolean published = pipeline.tryPublish(
                (bytes, slot) -> {
                    CommandCodec.decode(bytes, slot);
                    slot.deadlineNanos = deadlineNanos;
                },
                encoded,
                (slot, context, failure) -> {
                    if (failure != null) {
                        answered.completeExceptionally(failure);
                    } else {
                        command.copyOutputFrom(slot);
                        answered.complete(command);
                    }
                },
                null);
        assertThat(published).as("published").isTrue();
        try {
            answered.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError("no answer for " + command.type() + ": " + e, e);
        }
    }

    private static Set<ResultCode> everyCodeBelow(int code) {
        Set<ResultCode> codes = EnumSet.noneOf(ResultCode.class);
        for (ResultCode result : ResultCode.values()) {
            if (result.code() < code) {
                codes.add(result);
            }
        }
        return codes;
    }

    /** One engine and one model fed the same stream, and everything compared on the way. */
    private static final class Simulation {
        private final long seed;
        private final CheckoutBook book;
        private final CheckoutState state;
        private final ReferenceCheckout reference;
        private final SimulationCommands commands;
        private final Consumer<Command> executor;
        private final Map<ResultCode, Long> seen = new EnumMap<>(ResultCode.class);
        /** The states refunds left orders in. */
        private final Set<OrderState> seenStates = EnumSet.noneOf(OrderState.class);

        private final SkuRecord sku = new SkuRecord();
        private final OrderRecord order = new OrderRecord();
        private long step;
        private Command current;
        private long expiredByTick;
        /** LIST_USER_ORDERS answers that listed at least one order. */
        private long userOrderPages;

        private long expiredByOrderCommand;
        /** Answers that repeated a first answer; a retention run needs some, to test the window's inside. */
        private long repeats;
        /** Engine time at the last tick: every reservation due by then must have expired. */
        private long lastTickAt = Long.MIN_VALUE;

        Simulation(long seed, CheckoutBook book, ReferenceCheckout reference, SimulationCommands commands) {
            this(seed, book, reference, commands, book::execute);
        }

        /**
         * @param executor runs a command against {@code book} and leaves the answer in it: the book
         *     itself, or the live pipeline over it
         */
        Simulation(
                long seed,
                CheckoutBook book,
                ReferenceCheckout reference,
                SimulationCommands commands,
                Consumer<Command> executor) {
            this.seed = seed;
            this.book = book;
            this.state = book.state();
            this.reference = reference;
            this.commands = commands;
            this.executor = executor;
        }

        void run(long count) {
            System.out.println("CheckoutSimulationTest seed=" + seed + " commands=" + count + " state="
                    + state.getClass().getSimpleName());
            long started = System.nanoTime();
            for (long i = 0; i < count; i++) {
                step(commands.next());
                if (step % FULL_CHECK_EVERY == 0) {
                    checkFullState("periodic");
                }
            }
            checkFullState("end of run");
            System.out.printf(
                    "CheckoutSimulationTest seed=%d done: %d commands in %d ms, orders=%d, expired by tick=%d,"
                            + " by confirm/cancel/refund=%d, results=%s%n",
                    seed,
                    count,
                    (System.nanoTime() - started) / 1_000_000,
                    state.orderCount(),
                    expiredByTick,
                    expiredByOrderCommand,
                    seen);
        }

        void step(Command command) {
            step++;
            current = command;
            long orders = state.orderCount();
            long outcomes = state.outcomeCount();
            long counters = state.userCounterCount();
            int skus = state.skuCount();
            long payments = state.paymentCount();
            int campaigns = state.campaigns().size();
            long redemptionRows = state.campaigns().redemptionRows();
            ReferenceCheckout.Answer expected;
            try {
                expected = reference.apply(command);
                executor.accept(command);
            } catch (RuntimeException e) {
                throw new AssertionError(context() + " threw " + e, e);
            }
            seen.merge(command.result(), 1L, Long::sum);
            if (command.type() == CommandType.REFUND && command.result() == ResultCode.SUCCESS && !command.repeated) {
                seenStates.add(command.order.state());
            }
            compareAnswer(command, expected);
            if (command.result().isTableFull()) {
                check(
                        state.orderCount() == orders
                                && state.outcomeCount() == outcomes
                                && state.userCounterCount() == counters
                                && state.skuCount() == skus
                                && state.paymentCount() == payments
                                && state.campaigns().size() == campaigns
                                && state.campaigns().redemptionRows() == redemptionRows,
                        "table full changed a table");
            }
            if (command.type() == CommandType.TICK) {
                lastTickAt = book.nowMillis();
                expiredByTick += command.expiredCount;
            } else {
                expiredByOrderCommand += command.expiredCount;
            }
            equal(reference.now(), book.nowMillis(), "engine time");
            checkSkus();
            equal(reference.merchantRowCount(), state.merchants().rowCount(), "merchant rows");
            for (long orderId : expected.changedOrders()) {
                checkOrderAndItsUnits(reference.order(orderId));
            }
            if (command.type() == CommandType.RESERVE && command.result() == ResultCode.SUCCESS && !command.repeated) {
                checkWithinLimits(expected.order());
            }
            if (command.repeated) {
                repeats++;
            }
        }

        // ---- answers ------------------------------------------------------------------------

        private void compareAnswer(Command c, ReferenceCheckout.Answer expected) {
            equal(expected.code(), c.result(), "result");
            equal(expected.failedLine(), c.failedLine, "failedLine");
            equal(expected.failedSkuId(), c.failedSkuId(), "failedSkuId");
            equal(expected.repeated(), c.repeated, "repeated");
            equal(expected.expiredCount(), c.expiredCount, "expiredCount");
            if (expected.order() != null) {
                // A repeated conflict reports the first answer's state but the order's current updatedAt;
                // no reply carries updatedAt with a conflict (it is an error naming the state), so only a
                // repeated success is held to the first answer's updatedAt.
                boolean updatedAtAnswered = !(c.repeated && c.result() == ResultCode.ORDER_STATE_CONFLICT);
                compareOrder(expected.order(), c.order, c.orderLineSkuIdTexts(), updatedAtAnswered, "answered order");
            }
            if (expected.sku() != null) {
                compareSku(expected.sku(), c.sku, "answered sku");
            }
            if (c.type() == CommandType.LIST_USER_ORDERS && c.result() == ResultCode.SUCCESS) {
                ReferenceCheckout.UserPage page = reference.userOrders(c.userId.asString(), c.pageSize, c.orderId);
                equal(page.orderIds().size(), c.orderPage().size(), "user orders page size");
                for (int i = 0; i < c.orderPage().size(); i++) {
                    OrderView listed = c.orderPage().get(i);
                    equal((long) page.orderIds().get(i), listed.order.orderId, "user orders page[" + i + "]");
                    compareOrder(
                            reference.order(listed.order.orderId),
                            listed.order,
                            listed.lineSkuIds,
                            "user orders page[" + i + "]");
                }
                equal(page.next(), c.nextPageOrderId(), "user orders next page");
                if (!page.orderIds().isEmpty()) {
                    userOrderPages++;
                }
            }
            if ((c.type() == CommandType.UPSERT_SKU_GROUP || c.type() == CommandType.GET_SKU_GROUP)
                    && c.result() == ResultCode.SUCCESS) {
                String group = c.groupId().asString();
                // A request id first used for another group answers as it did then, naming the group as it
                // stands now: none, if this one was never defined.
                Long limit = reference.groupLimit(group);
                equal(limit == null ? 0L : (long) limit, c.groupPerUserLimit(), "answered group limit");
                equal(limit == null ? List.of() : reference.groupSkus(group), c.groupSkuIds(), "answered group SKUs");
                long[] attemptLimit = reference.groupAttemptLimit(group);
                equal(attemptLimit[0], c.groupMaxAttempts(), "answered group max attempts");
                equal(attemptLimit[1], c.groupWindowMillis(), "answered group attempt window");
            }
            if ((c.type() == CommandType.UPSERT_CAMPAIGN || c.type() == CommandType.GET_CAMPAIGN)
                    && c.result() == ResultCode.SUCCESS) {
                String id =
                        c.type() == CommandType.GET_CAMPAIGN ? c.campaignId.asString() : c.campaignTerms().campaignId;
                ReferenceCheckout.Campaign campaign = reference.campaign(id);
                if (campaign == null) {
                    // A request id first used for another campaign, this one never defined.
                    check(c.campaignAnswer() == null, "answered a campaign the model lacks: " + c.campaignAnswer());
                } else {
                    compareCampaign(campaign, c.campaignAnswer());
                }
            }
            if ((c.type() == CommandType.SET_USER_BLOCKED || c.type() == CommandType.GET_USER_RISK)
                    && c.result() == ResultCode.SUCCESS) {
                String user = c.userId.asString();
                equal(reference.isBlocked(user), c.riskAnswer().userBlocked, "answered user blocked");
                equal(reference.attemptsNow(user), c.riskAnswer().userAttempts, "answered user attempts");
            }
            if ((c.type() == CommandType.SET_RISK_RULES || c.type() == CommandType.GET_RISK_RULES)
                    && c.result() == ResultCode.SUCCESS) {
                equal(reference.maxAttempts(), c.riskAnswer().maxAttempts, "answered max attempts");
                equal(reference.windowMillis(), c.riskAnswer().windowMillis, "answered window");
                equal((long) reference.blockedCount(), c.riskAnswer().blockedUsers, "answered blocked users");
                equal((long) reference.countedCount(), c.riskAnswer().countedUsers, "answered counted users");
            }
            if ((c.type() == CommandType.UPSERT_MERCHANT || c.type() == CommandType.GET_MERCHANT)
                    && c.result() == ResultCode.SUCCESS) {
                ReferenceCheckout.Merchant merchant =
                        reference.merchant(c.merchantId().asString());
                equal(merchant.bps(), c.merchantCommissionBps(), "answered merchant rate");
                equal(merchant.since(), c.merchantUpdatedAtEpochMillis(), "answered merchant rate's time");
            }
            if (expected.order() != null) {
                for (int i = 0; i < c.order.lineCount && c.type() != CommandType.RESERVE; i++) {
                    ReferenceCheckout.Line line = expected.order().lines().get(i);
                    equal(line.merchant(), c.lineParties().merchantIds[i], "answered line " + i + " merchant");
                    equal(line.bps(), c.lineParties().commissionBps[i], "answered line " + i + " rate");
                    equal(
                            reference.sku(line.skuId()).store(),
                            c.lineParties().storeIds[i],
                            "answered line " + i + " store");
                }
            }
            if (expected.page() != null) {
                equal(expected.page().size(), c.skuPage.size(), "page size");
                for (int i = 0; i < expected.page().size(); i++) {
                    compareSku(expected.page().get(i), c.skuPage.get(i), "page[" + i + "]");
                }
                equal(expected.nextPageToken(), c.nextPageToken, "nextPageToken");
            }
        }

        private void compareOrder(
                ReferenceCheckout.Order expected, OrderRecord actual, String[] lineSkuIds, String what) {
            compareOrder(expected, actual, lineSkuIds, true, what);
        }

        private void compareCampaign(ReferenceCheckout.Campaign expected, CampaignTerms actual) {
            String id = expected.id();
            boolean same = id.equals(actual.campaignId)
                    && expected.kind() == actual.kind
                    && expected.currency().equals(CurrencyCode.unpack(actual.currency))
                    && expected.amountOff() == actual.amountOffMinor
                    && expected.bps() == actual.percentOffBps
                    && expected.cap() == actual.percentCapMinor
                    && expected.minSpend() == actual.minSpendMinor
                    && expected.skus().equals(actual.skuIds)
                    && expected.merchant().equals(actual.merchantId)
                    && expected.startsAt() == actual.startsAtEpochMillis
                    && expected.endsAt() == actual.endsAtEpochMillis
                    && expected.budget() == actual.budget
                    && expected.perUser() == actual.perUserLimit
                    && reference.redeemed(id) == actual.redeemed
                    && reference.redeemingUsers(id) == actual.redeemingUsers;
            check(
                    same,
                    "answered campaign differs: expected " + expected + " redeemed " + reference.redeemed(id) + " by "
                            + reference.redeemingUsers(id) + " but engine has " + actual);
        }

        /** The campaign fields of an order: which campaign, the discount, the lines sharing it and their shares. */
        private String campaignMismatch(ReferenceCheckout.Order expected, OrderRecord actual) {
            ReferenceCheckout.Redemption redemption = reference.redemption(expected.id());
            String campaign =
                    actual.campaignNumber < 0 ? null : state.campaigns().campaignId(actual.campaignNumber);
            if (!Objects.equals(redemption == null ? null : redemption.campaign(), campaign)) {
                return "campaign";
            }
            if (redemption == null) {
                return actual.discountMinor == 0 && actual.eligibleLines == 0 ? null : "discount without a campaign";
            }
            if (redemption.discount() != actual.discountMinor || redemption.eligibleMask() != actual.eligibleLines) {
                return "discount or the lines sharing it";
            }
            if (!Arrays.equals(reference.lineDiscounts(expected.id()), actual.lineDiscountsMinor())) {
                return "line discounts " + Arrays.toString(actual.lineDiscountsMinor()) + " (expected "
                        + Arrays.toString(reference.lineDiscounts(expected.id())) + ")";
            }
            return null;
        }

        private void compareOrder(
                ReferenceCheckout.Order expected,
                OrderRecord actual,
                String[] lineSkuIds,
                boolean withUpdatedAt,
                String what) {
            String field = orderMismatch(expected, actual, lineSkuIds, withUpdatedAt, state.merchants());
            if (field == null) {
                field = campaignMismatch(expected, actual);
            }
            if (field != null) {
                throw new AssertionError(context() + ": " + what + " differs in " + field + ": expected " + expected
                        + " but engine has " + actual
                        + (lineSkuIds == null
                                ? ""
                                : " " + Arrays.toString(Arrays.copyOf(lineSkuIds, actual.lineCount))));
            }
        }

        private static String orderMismatch(
                ReferenceCheckout.Order expected,
                OrderRecord actual,
                String[] lineSkuIds,
                boolean withUpdatedAt,
                MerchantTable merchants) {
            if (expected.id() != actual.orderId) {
                return "orderId";
            }
            if (!actual.userId.contentEquals(expected.user())) {
                return "userId";
            }
            if (expected.state() != actual.state()) {
                return "state";
            }
            if (expected.amount() != actual.amountMinor) {
                return "amount";
            }
            if (!expected.currency().equals(CurrencyCode.unpack(actual.currency))) {
                return "currency";
            }
            if (expected.createdAt() != actual.createdAtEpochMillis) {
                return "createdAt";
            }
            if (expected.expiresAt() != actual.expiresAtEpochMillis) {
                return "expiresAt";
            }
            if (withUpdatedAt && expected.updatedAt() != actual.updatedAtEpochMillis) {
                return "updatedAt";
            }
            if (!Objects.equals(expected.paymentProvider(), actual.paymentProvider.asString())
                    || !Objects.equals(expected.paymentId(), actual.paymentId.asString())
                    || expected.paidAt() != actual.paidAtEpochMillis) {
                return "payment";
            }
            if (expected.lines().size() != actual.lineCount) {
                return "lineCount";
            }
            for (int i = 0; i < actual.lineCount; i++) {
                ReferenceCheckout.Line line = expected.lines().get(i);
                if (line.skuIndex() != actual.skuIndexes[i]
                        || line.quantity() != actual.quantities[i]
                        || line.unitPrice() != actual.unitPricesMinor[i]
                        || line.refunded() != actual.refundedQuantity(i)
                        || (lineSkuIds != null && !line.skuId().equals(lineSkuIds[i]))) {
                    return "line " + i;
                }
                int row = actual.merchantRow(i) - 1;
                String merchant = row < 0 ? null : merchants.merchantId(merchants.rowMerchant(row));
                int bps = row < 0 ? 0 : merchants.rowCommissionBps(row);
                if (!Objects.equals(line.merchant(), merchant) || line.bps() != bps) {
                    return "line " + i + " merchant or rate";
                }
            }
            return null;
        }

        private void compareSku(ReferenceCheckout.Sku expected, SkuRecord actual, String what) {
            String field = skuMismatch(expected, actual);
            if (field == null && !Objects.equals(reference.groupOf(expected.id()), actual.groupId)) {
                field = "group";
            }
            if (field != null) {
                throw new AssertionError(context() + ": " + what + " differs in " + field + ": expected " + expected
                        + " but engine has " + actual);
            }
        }

        private static String skuMismatch(ReferenceCheckout.Sku expected, SkuRecord actual) {
            if (expected.index() != actual.index) {
                return "index";
            }
            if (!expected.id().equals(actual.skuId)) {
                return "skuId";
            }
            if (expected.price() != actual.priceMinor) {
                return "price";
            }
            if (!expected.currency().equals(CurrencyCode.unpack(actual.currency))) {
                return "currency";
            }
            if (expected.total() != actual.totalStock
                    || expected.available() != actual.available
                    || expected.reserved() != actual.reserved
                    || expected.sold() != actual.sold) {
                return "stock";
            }
            if (expected.limit() != actual.perUserLimit) {
                return "perUserLimit";
            }
            if (expected.saleStart() != actual.saleStartEpochMillis
                    || expected.saleEnd() != actual.saleEndEpochMillis) {
                return "sale window";
            }
            if (expected.ttl() != actual.reservationTtlMillis) {
                return "ttl";
            }
            if (!Objects.equals(expected.merchant(), actual.merchantId)
                    || !Objects.equals(expected.store(), actual.storeId)) {
                return "merchant or store";
            }

            return null;
        }

        // ---- state, every step -----------------------------------------------------------------

        /** Few SKUs, so each step checks all of them: conservation, and equality with the model. */
        private void checkSkus() {
            List<ReferenceCheckout.Sku> expected = reference.skusByIndex();
            equal(expected.size(), state.skuCount(), "sku count");
            for (int index = 0; index < expected.size(); index++) {
                state.readSku(index, sku);
                if (sku.available < 0
                        || sku.reserved < 0
                        || sku.sold < 0
                        || sku.available + sku.reserved + sku.sold != sku.totalStock) {
                    check(false, "stock not conserved: " + sku);
                }
                compareSku(expected.get(index), sku, "state sku");
            }
        }

        private void checkOrderAndItsUnits(ReferenceCheckout.Order expected) {
            check(state.readOrder(expected.id(), order), "changed order missing from state");
            compareOrder(expected, order, null, "changed order in state");
            for (ReferenceCheckout.Line line : expected.lines()) {
                long held = state.userUnits(expected.user(), line.skuIndex());
                if (held != reference.held(expected.user(), line.skuId())) {
                    equal(
                            reference.held(expected.user(), line.skuId()),
                            held,
                            "units of " + expected.user() + " in " + line.skuId());
                }
            }
        }

        /**
         * The per-user limit is a rule about reserving, not a standing invariant: an admin may lower a
         * limit (or set one where there was none) while users hold units, and they keep them. So the
         * sound check is at the moment of each reservation, against the limit then in force; that the
         * units counted stay equal to the live orders afterwards is checked by {@link #checkFullState}.
         */
        private void checkWithinLimits(ReferenceCheckout.Order reserved) {
            for (ReferenceCheckout.Line line : reserved.lines()) {
                state.readSku(line.skuIndex(), sku);
                long held = state.userUnits(reserved.user(), line.skuIndex());
                if (sku.perUserLimit > 0 && held > sku.perUserLimit) {
                    check(
                            false,
                            reserved.user() + " holds " + held + " of " + sku.skuId + " above its limit "
                                    + sku.perUserLimit);
                }
            }
        }

        // ---- state, in full -------------------------------------------------------------------

        void checkFullState(String when) {
            String context = " (" + when + ")";
            equal(reference.orderCount(), state.orderCount(), "order count" + context);
            equal(reference.rememberedCount(), state.outcomeCount(), "remembered request ids" + context);
            equal(reference.userCounterCount(), state.userCounterCount(), "user counters" + context);
            equal(reference.paymentCount(), state.paymentCount(), "payments" + context);
            checkSkus();

            long[] reservedBySku = new long[state.skuCount()];
            long[] soldBySku = new long[state.skuCount()];
            Map<String, Long> unitsFromOrders = new HashMap<>();
            Map<Integer, Long> redeemedFromOrders = new HashMap<>();
            String orderLabel = "state order" + context;
            for (long orderId = 1; orderId <= state.orderCount(); orderId++) {
                if (!state.readOrder(orderId, order)) {
                    check(false, "order " + orderId + " missing" + context);
                }
                ReferenceCheckout.Order expected = reference.order(orderId);
                compareOrder(expected, order, null, orderLabel);
                long amount = 0;
                for (int i = 0; i < order.lineCount; i++) {
                    amount += order.unitPricesMinor[i] * order.quantities[i];
                    int held = order.quantities[i] - order.refundedQuantity(i);
                    if (order.state() == OrderState.RESERVED) {
                        reservedBySku[order.skuIndexes[i]] += order.quantities[i];
                    } else if (order.state() == OrderState.PAID || order.state() == OrderState.PARTLY_REFUNDED) {
                        soldBySku[order.skuIndexes[i]] += held;
                    }
                    boolean live = order.state() == OrderState.RESERVED
                            || order.state() == OrderState.PAID
                            || order.state() == OrderState.PARTLY_REFUNDED;
                    if (live && held > 0) {
                        unitsFromOrders.merge(order.skuIndexes[i] + "/" + order.userId, (long) held, Long::sum);
                    }
                }
                if (amount - order.discountMinor != order.amountMinor) {
                    check(false, "amount is not the sum of the lines less the discount of " + order + context);
                }
                if (order.campaignNumber >= 0
                        && (order.state() == OrderState.RESERVED
                                || order.state() == OrderState.PAID
                                || order.state() == OrderState.PARTLY_REFUNDED
                                || order.state() == OrderState.REFUNDED)) {
                    redeemedFromOrders.merge(order.campaignNumber, 1L, Long::sum);
                }
                if (order.hasPayment()) {
                    equal(
                            orderId,
                            state.paymentOrder(order.paymentProvider, order.paymentId),
                            "the order its payment is recorded for" + context);
                    check(
                            order.state() == OrderState.PAID
                                    || order.state() == OrderState.REFUNDED
                                    || order.state() == OrderState.PARTLY_REFUNDED
                                    || order.state() == OrderState.PAID_TOO_LATE,
                            "a payment on an order never paid: " + order + context);
                }
                if (order.state() == OrderState.RESERVED && order.expiresAtEpochMillis <= lastTickAt) {
                    check(false, order + " is still reserved after a tick at " + lastTickAt + context);
                }
            }
            for (int index = 0; index < state.skuCount(); index++) {
                state.readSku(index, sku);
                equal(
                        reservedBySku[index],
                        sku.reserved,
                        "reserved = units of RESERVED orders, sku " + index + context);
                equal(soldBySku[index], sku.sold, "sold = units of PAID orders, sku " + index + context);
            }
            for (Map.Entry<String, Long> units : unitsFromOrders.entrySet()) {
                int slash = units.getKey().indexOf('/');
                int skuIndex = Integer.parseInt(units.getKey().substring(0, slash));
                String user = units.getKey().substring(slash + 1);
                equal(
                        (long) units.getValue(),
                        state.userUnits(user, skuIndex),
                        "units = live order units, " + user + " in sku " + skuIndex + context);
            }
            equal(unitsFromOrders.size(), state.userCounterCount(), "no counters without live orders" + context);
            CampaignTable campaignTable = state.campaigns();
            long rows = 0;
            for (int number = 0; number < campaignTable.size(); number++) {
                String id = campaignTable.campaignId(number);
                equal(
                        (long) redeemedFromOrders.getOrDefault(number, 0L),
                        campaignTable.redeemed(number),
                        "redemptions = holding orders, campaign " + id + context);
                equal(reference.redeemed(id), campaignTable.redeemed(number), "redemptions of " + id + context);
                equal(
                        reference.redeemingUsers(id),
                        campaignTable.redeemingUsers(number),
                        "users redeeming " + id + context);
                rows += campaignTable.redeemingUsers(number);
            }
            equal(rows, campaignTable.redemptionRows(), "redemption rows" + context);
            equal(reference.redemptionRows(), campaignTable.redemptionRows(), "redemption rows, model" + context);
            equal(reference.groupAttemptRows(), state.skuGroups().attemptRows(), "group attempt counters" + context);
            for (Map.Entry<String, Map<String, Long>> perUser :
                    reference.heldByUser().entrySet()) {
                for (Map.Entry<String, Long> units : perUser.getValue().entrySet()) {
                    int skuIndex = state.skuIndex(units.getKey());
                    equal(
                            (long) units.getValue(),
                            state.userUnits(perUser.getKey(), skuIndex),
                            "units of " + perUser.getKey() + " in " + units.getKey() + context);
                }
            }
        }

        void assertCovered(Set<ResultCode> codes) {
            assertThat(seen.keySet())
                    .as("result codes the stream of seed %d produced", seed)
                    .containsAll(codes);
            if (codes.contains(ResultCode.PAYMENT_ALREADY_USED)) {
                assertThat(reference.paymentRepeats())
                        .as("confirms answered as a repeat of their payment, seed %d", seed)
                        .isPositive();
                assertThat(reference.expiredPaid())
                        .as("expired orders paid, their units taken again, seed %d", seed)
                        .isPositive();
                assertThat(reference.paidTooLate())
                        .as("expired orders paid too late, seed %d", seed)
                        .isPositive();
            }
            if (codes.contains(ResultCode.MERCHANT_UNKNOWN)) {
                assertThat(reference.linesAtChangedRate())
                        .as("lines reserved at a merchant's changed rate, seed %d", seed)
                        .isPositive();
            }
            if (codes.contains(ResultCode.PAGE_TOKEN_INVALID)) {
                assertThat(userOrderPages)
                        .as("pages of a user's orders listed, seed %d", seed)
                        .isPositive();
            }
            if (codes.contains(ResultCode.REFUND_EXCEEDS_PAID)) {
                assertThat(seenStates)
                        .as("orders refunded in part and in whole, seed %d", seed)
                        .contains(OrderState.PARTLY_REFUNDED, OrderState.REFUNDED);
            }
            if (codes.contains(ResultCode.ORDER_STATE_CONFLICT)) {
                assertThat(expiredByTick)
                        .as("reservations expired by ticks, seed %d", seed)
                        .isPositive();
                assertThat(expiredByOrderCommand)
                        .as("reservations found due by an order command, seed %d", seed)
                        .isPositive();
            }
        }

        // ---- assertions that carry the reproduction ------------------------------------------

        private String context() {
            return "seed=" + seed + " step=" + step + " command="
                    + (current == null ? "none yet" : SimulationCommands.describe(current))
                    + " (rerun with -Dsimulation.seed=" + seed + ")";
        }

        private void check(boolean ok, String what) {
            if (!ok) {
                throw new AssertionError(context() + ": " + what);
            }
        }

        private void equal(long expected, long actual, String what) {
            if (expected != actual) {
                throw new AssertionError(
                        context() + ": " + what + " expected " + expected + " but engine has " + actual);
            }
        }

        private void equal(Object expected, Object actual, String what) {
            if (!Objects.equals(expected, actual)) {
                throw new AssertionError(
                        context() + ": " + what + " expected " + expected + " but engine has " + actual);
            }
        }
    }
}
