package io.checkout.loadgen;

import io.checkout.client.CheckoutClient;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderState;
import io.checkout.proto.v1.Sku;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.LongFunction;

/**
 * Checks the server against what it told the run. Reads every SKU ({@code GetStock}) and every
 * acknowledged order ({@code GetOrder}), then:
 * <ul>
 *   <li>never oversold: units in acknowledged live orders (paid, or reserved and not yet expired)
 *       never exceed a SKU's total stock;</li>
 *   <li>no buyer above the per-user limit, counting the same live orders;</li>
 *   <li>every acknowledged order exists, for the buyer and units it was told, in the state the run
 *       was last told (a reservation may have expired since);</li>
 *   <li>conservation: available + reserved + sold == total on every SKU;</li>
 *   <li>when the run created the SKUs and every call's outcome is known: the server's sold and
 *       reserved units equal those of the acknowledged orders, exactly;</li>
 *   <li>the run's own observations: a repeated request id got its first answer, read-backs during
 *       the run agreed, no order id was told twice, every order was remembered.</li>
 * </ul>
 */
final class Auditor {

    /** Clock difference tolerated between this machine and the server when judging expiry. */
    private static final long CLOCK_SLACK_MILLIS = 5_000;
    /** Order reads queued ahead of the reading threads. */
    private static final int READS_QUEUED_MAX = 1_024;
    /** Mismatching orders named in a check's detail; the count covers the rest. */
    private static final int EXAMPLES_MAX = 3;

    private final RunSettings settings;
    private final Function<String, CheckoutClient> clientForSku;
    private final LongFunction<CheckoutClient> clientForOrder;
    private final Ledger ledger;
    private final Map<String, Sku> initialSkus;
    private final int threads;
    /** Sees every order read back, beside the checks here (a scenario's own checks); from several threads. */
    private BiConsumer<Ledger.Ack, Order> onOrderRead = (ack, order) -> {};

    /**
     * @param clientForSku reads a SKU at the partition that owns it
     * @param clientForOrder reads an order at the partition its id names
     */
    Auditor(
            RunSettings settings,
            Function<String, CheckoutClient> clientForSku,
            LongFunction<CheckoutClient> clientForOrder,
            Ledger ledger,
            Map<String, Sku> initialSkus,
            int threads) {
        this.settings = settings;
        this.clientForSku = clientForSku;
        this.clientForOrder = clientForOrder;
        this.ledger = ledger;
        this.initialSkus = initialSkus;
        this.threads = threads;
    }

    /**
     * Hands every order the audit reads back, with what the run was told of it, to {@code reader}
     * too (called from the reading threads, so it must be thread-safe).
     */
    Auditor onOrderRead(BiConsumer<Ledger.Ack, Order> reader) {
        this.onOrderRead = reader;
        return this;
    }

    /**
     * Whether the server's {@code order} agrees with what the run was told about it.
     *
     * @param nowMillis the wall time of the read; a told reservation may have expired by then.
     *     {@code Long.MAX_VALUE} during the run, when a confirm or cancel may be in flight, so only
     *     a terminal told state is held against the server
     */
    static boolean consistent(Ledger.Ack ack, Order order, long nowMillis) {
        if (!order.getUserId().equals(ack.userId)
                || order.getLinesCount() != 1
                || !order.getLines(0).getSkuId().equals(ack.skuId)
                || order.getLines(0).getQuantity() != ack.quantity) {
            return false;
        }
        OrderState told = ack.told;
        OrderState actual = order.getState();
        if (nowMillis == Long.MAX_VALUE) {
            return told == OrderState.ORDER_STATE_RESERVED || actual == told;
        }
        if (actual == told) {
            return true;
        }
        if (told != OrderState.ORDER_STATE_RESERVED) {
            return false;
        }
        if (ack.changeUnknown
                && (actual == OrderState.ORDER_STATE_PAID || actual == OrderState.ORDER_STATE_CANCELLED)) {
            return true;
        }
        return actual == OrderState.ORDER_STATE_EXPIRED && nowMillis + CLOCK_SLACK_MILLIS >= ack.expiresAtEpochMillis;
    }

    Audit audit(boolean drained) throws InterruptedException {
        List<Audit.Check> checks = new ArrayList<>();
        Map<String, Sku> skus = readSkus();
        OrderReads reads = readOrders();
        long now = System.currentTimeMillis();

        checks.add(check(
                "every call answered before the audit",
                drained,
                drained ? "all answers in" : "some calls were still unanswered after the drain timeout"));
        checks.add(check(
                "every acknowledged order remembered for the audit",
                ledger.untracked() == 0,
                ledger.untracked() == 0
                        ? ledger.orders().size() + " orders"
                        : ledger.untracked() + " orders past --audit-orders-max " + ledger.ordersMax()
                                + " were not remembered; the audit is incomplete"));
        checks.add(check(
                "no order id told twice",
                ledger.duplicateOrderIds() == 0,
                ledger.duplicateOrderIds() + " reserves were told an order id already told to another"));

        // Units held now by acknowledged orders, per SKU and per (user, SKU).
        Map<String, Long> heldPerSku = new HashMap<>();
        Map<String, Long> heldPerBuyer = new HashMap<>();
        Map<String, Long> paidPerSku = new HashMap<>();
        Map<String, Long> reservedOnServerPerSku = new HashMap<>();
        for (Ledger.Ack ack : ledger.orders()) {
            boolean live = ack.told == OrderState.ORDER_STATE_PAID
                    || (ack.told == OrderState.ORDER_STATE_RESERVED
                            && ack.expiresAtEpochMillis > now + CLOCK_SLACK_MILLIS
                            && !ack.changeUnknown);
            if (live) {
                heldPerSku.merge(ack.skuId, (long) ack.quantity, Long::sum);
                heldPerBuyer.merge(ack.userId + "\u0000" + ack.skuId, (long) ack.quantity, Long::sum);
            }
            if (ack.told == OrderState.ORDER_STATE_PAID) {
                paidPerSku.merge(ack.skuId, (long) ack.quantity, Long::sum);
            }
            if (reads.states.get(ack.orderId) == OrderState.ORDER_STATE_RESERVED) {
                reservedOnServerPerSku.merge(ack.skuId, (long) ack.quantity, Long::sum);
            }
        }

        List<String> oversold = new ArrayList<>();
        long heldTotal = 0;
        long stockTotal = 0;
        for (Map.Entry<String, Long> held : heldPerSku.entrySet()) {
            Sku sku = skus.get(held.getKey());
            heldTotal += held.getValue();
            if (sku != null && held.getValue() > sku.getTotalStock()) {
                oversold.add(held.getKey() + ": " + held.getValue() + " units acknowledged > total stock "
                        + sku.getTotalStock());
            }
        }
        for (Sku sku : skus.values()) {
            stockTotal += sku.getTotalStock();
        }
        checks.add(check(
                "never oversold: acknowledged live units <= stock",
                oversold.isEmpty(),
                oversold.isEmpty()
                        ? heldTotal + " units held by acknowledged orders, total stock " + stockTotal
                        : oversold.size() + " SKUs oversold, e.g. " + examples(oversold)));

        List<String> overLimit = new ArrayList<>();
        for (Map.Entry<String, Long> held : heldPerBuyer.entrySet()) {
            String[] userAndSku = held.getKey().split("\u0000", 2);
            Sku sku = skus.get(userAndSku[1]);
            if (sku != null && sku.getPerUserLimit() > 0 && held.getValue() > sku.getPerUserLimit()) {
                overLimit.add(userAndSku[0] + " holds " + held.getValue() + " of " + userAndSku[1] + " (limit "
                        + sku.getPerUserLimit() + ")");
            }
        }
        checks.add(check(
                "no buyer above the per-user limit",
                overLimit.isEmpty(),
                overLimit.isEmpty()
                        ? heldPerBuyer.size() + " (buyer, SKU) pairs hold units"
                        : overLimit.size() + " buyers over the limit, e.g. " + examples(overLimit)));

        checks.add(check(
                "every acknowledged order exists in the state the run was told",
                reads.mismatches.isEmpty(),
                reads.mismatches.isEmpty()
                        ? reads.checked.get() + " orders read back"
                        : reads.mismatchCount.get() + " of " + reads.checked.get() + " orders disagree, e.g. "
                                + examples(reads.mismatches)));

        List<String> unbalanced = new ArrayList<>();
        for (Sku sku : skus.values()) {
            if (sku.getAvailable() < 0
                    || sku.getReserved() < 0
                    || sku.getSold() < 0
                    || sku.getAvailable() + sku.getReserved() + sku.getSold() != sku.getTotalStock()) {
                unbalanced.add(sku.getSkuId() + ": " + sku.getAvailable() + " + " + sku.getReserved() + " + "
                        + sku.getSold() + " != " + sku.getTotalStock());
            }
        }
        checks.add(check(
                "conservation: available + reserved + sold == total",
                unbalanced.isEmpty(),
                unbalanced.isEmpty()
                        ? skus.size() + " SKUs balance"
                        : unbalanced.size() + " SKUs do not, e.g. " + examples(unbalanced)));

        long unknown = ledger.ambiguousReserves() + ledger.ambiguousChanges();
        String exactName = "server's sold and reserved units == the acknowledged orders'";
        if (!settings.setup()) {
            checks.add(new Audit.Check(
                    exactName,
                    Audit.Verdict.SKIPPED,
                    "the run did not create its SKUs (--setup), so others may have sold them too"));
        } else if (unknown > 0 || !drained) {
            checks.add(new Audit.Check(
                    exactName,
                    Audit.Verdict.SKIPPED,
                    unknown + " calls ended without an answer, so the server may hold orders the run never heard of"));
        } else {
            List<String> differ = new ArrayList<>();
            for (Sku sku : skus.values()) {
                long paid = paidPerSku.getOrDefault(sku.getSkuId(), 0L);
                long reserved = reservedOnServerPerSku.getOrDefault(sku.getSkuId(), 0L);
                if (sku.getSold() != paid || sku.getReserved() != reserved) {
                    differ.add(sku.getSkuId() + ": server sold " + sku.getSold() + " reserved " + sku.getReserved()
                            + ", acknowledged paid " + paid + " reserved " + reserved);
                }
            }
            checks.add(check(
                    exactName,
                    differ.isEmpty(),
                    differ.isEmpty()
                            ? "every unit accounted for"
                            : differ.size() + " SKUs differ, e.g. " + examples(differ)));
        }

        checks.add(check(
                "a repeated request id got its first answer",
                ledger.repeatMismatches() == 0,
                ledger.repeatMismatches() + " repeats got a different answer"));
        checks.add(check(
                "orders read back during the run agreed",
                ledger.readBackMismatches() == 0,
                ledger.readBackMismatches() + " read-backs disagreed"));
        return new Audit(List.copyOf(checks), reads.checked.get(), skus.size(), Map.copyOf(skus));
    }

    private static Audit.Check check(String name, boolean holds, String detail) {
        return new Audit.Check(name, holds ? Audit.Verdict.PASS : Audit.Verdict.FAIL, detail);
    }

    private static String examples(List<String> items) {
        return String.join("; ", items.subList(0, Math.min(EXAMPLES_MAX, items.size())));
    }

    private Map<String, Sku> readSkus() throws InterruptedException {
        Map<String, Sku> skus = new ConcurrentHashMap<>();
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        runBounded(initialSkus.keySet(), skuId -> {
            try {
                skus.put(skuId, clientForSku.apply(skuId).getStock(skuId));
            } catch (RuntimeException e) {
                failure.compareAndSet(null, e);
            }
        });
        if (failure.get() != null) {
            throw new AuditException("audit could not read a SKU: " + LoadRun.describe(failure.get()), failure.get());
        }
        return new HashMap<>(skus);
    }

    /** What reading back every acknowledged order found. */
    private static final class OrderReads {
        final Map<Long, OrderState> states = new ConcurrentHashMap<>();
        final List<String> mismatches = java.util.Collections.synchronizedList(new ArrayList<>());
        final AtomicLong mismatchCount = new AtomicLong();
        final AtomicLong checked = new AtomicLong();

        void mismatch(String what) {
            mismatchCount.incrementAndGet();
            if (mismatches.size() < EXAMPLES_MAX) {
                mismatches.add(what);
            }
        }
    }

    private OrderReads readOrders() throws InterruptedException {
        OrderReads reads = new OrderReads();
        runBounded(ledger.orders(), ack -> {
            reads.checked.incrementAndGet();
            try {
                Order order = clientForOrder.apply(ack.orderId).getOrder(ack.orderId);
                reads.states.put(ack.orderId, order.getState());
                onOrderRead.accept(ack, order);
                if (!consistent(ack, order, System.currentTimeMillis())) {
                    reads.mismatch("order " + ack.orderId + " told " + ack.told + " for " + ack.userId + "/" + ack.skuId
                            + " x" + ack.quantity + ", server has " + order.getState() + " for " + order.getUserId()
                            + (order.getLinesCount() == 1
                                    ? "/" + order.getLines(0).getSkuId() + " x"
                                            + order.getLines(0).getQuantity()
                                    : ""));
                }
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                    reads.mismatch("order " + ack.orderId + " (told " + ack.told + ") is NOT_FOUND");
                } else {
                    reads.mismatch("order " + ack.orderId + " could not be read: " + LoadRun.describe(e));
                }
            }
        });
        return reads;
    }

    /** Runs {@code task} over {@code items} on a few threads, with a bounded queue in front of them. */
    private <T> void runBounded(Iterable<T> items, java.util.function.Consumer<T> task) throws InterruptedException {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(
                threads,
                threads,
                0,
                TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(READS_QUEUED_MAX),
                new ThreadPoolExecutor.CallerRunsPolicy());
        try {
            for (T item : items) {
                pool.execute(() -> task.accept(item));
            }
        } finally {
            pool.shutdown();
        }
        if (!pool.awaitTermination(10, TimeUnit.MINUTES)) {
            pool.shutdownNow();
            throw new AuditException("audit reads did not finish within 10 minutes", null);
        }
    }

    /** The audit could not read what it needs from the server. */
    static final class AuditException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        AuditException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
