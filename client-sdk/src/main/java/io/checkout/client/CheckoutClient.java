package io.checkout.client;

import io.checkout.contract.ContractLimits;
import io.checkout.proto.v1.AdjustStockRequest;
import io.checkout.proto.v1.Campaign;
import io.checkout.proto.v1.CancelRequest;
import io.checkout.proto.v1.CheckoutGrpc;
import io.checkout.proto.v1.ConfirmRequest;
import io.checkout.proto.v1.GetCampaignRequest;
import io.checkout.proto.v1.GetMerchantRequest;
import io.checkout.proto.v1.GetOrderRequest;
import io.checkout.proto.v1.GetPartitionMapRequest;
import io.checkout.proto.v1.GetRiskRulesRequest;
import io.checkout.proto.v1.GetSkuGroupRequest;
import io.checkout.proto.v1.GetStockRequest;
import io.checkout.proto.v1.GetUserRiskRequest;
import io.checkout.proto.v1.InventoryGrpc;
import io.checkout.proto.v1.ListSkusReply;
import io.checkout.proto.v1.ListSkusRequest;
import io.checkout.proto.v1.ListUserOrdersReply;
import io.checkout.proto.v1.ListUserOrdersRequest;
import io.checkout.proto.v1.Merchant;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.PartitionMap;
import io.checkout.proto.v1.PartitionsGrpc;
import io.checkout.proto.v1.Payment;
import io.checkout.proto.v1.RefundRequest;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.RiskRules;
import io.checkout.proto.v1.SetRiskRulesRequest;
import io.checkout.proto.v1.SetUserBlockedRequest;
import io.checkout.proto.v1.Sku;
import io.checkout.proto.v1.SkuGroup;
import io.checkout.proto.v1.UpsertCampaignRequest;
import io.checkout.proto.v1.UpsertMerchantRequest;
import io.checkout.proto.v1.UpsertSkuGroupRequest;
import io.checkout.proto.v1.UpsertSkuRequest;
import io.checkout.proto.v1.UserRisk;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A client for the checkout core: the {@code Checkout} and {@code Inventory} gRPC services with
 * deadlines, generated request ids, safe retries and an optional adaptive concurrency limit.
 *
 * <p>Every mutating call carries a request id, the contract's idempotency key. Methods without an
 * explicit id generate one with {@link #newRequestId()}. A call that fails with
 * {@code UNAVAILABLE} or {@code RESOURCE_EXHAUSTED} is repeated with the very same request (so the
 * same id) up to {@code maxAttempts} times, with exponential back-off and jitter that honours the
 * server's retry-after hint, and only while the call's deadline leaves time for it; because the
 * server answers a repeated id with its first answer, a retry never reserves, pays or refunds
 * twice. Every other failure is passed to the caller at once; {@code DEADLINE_EXCEEDED}, the
 * caller's own budget running out, is never retried.
 *
 * <p>Asynchronous methods never block the calling thread; their futures fail with
 * {@link StatusRuntimeException} and are completed on a gRPC or client thread, so dependent stages
 * that block should use the {@code *Async} stage methods with their own executor. A blocking
 * method makes the same asynchronous call and waits for it on the calling thread, so both kinds
 * retry alike; it throws {@link StatusRuntimeException} when the call fails, and CANCELLED, with
 * the thread's interrupt status set again, when the thread is interrupted while it waits. Do not
 * call a blocking method on a thread that the channel needs to deliver the reply, such as the
 * only thread of a caller's channel executor.
 *
 * <p>Each mutating call comes in four forms: under a request id of the caller's or a generated one,
 * blocking or {@code *Async}; the forms without a request id and the asynchronous ones are
 * documented by reference to the blocking one that takes it. Every form throws
 * {@link IllegalStateException} once the client is closed, {@link IllegalArgumentException} for a
 * request id that is not 1..64 printable ASCII characters, and {@link NullPointerException} for a
 * null argument.
 *
 * <p>Instances are thread-safe. Close the client when done; a client built from a target owns and
 * shuts down its channel, a client built from a caller's channel leaves it open.
 */
public final class CheckoutClient implements AutoCloseable {

    /** The most pages {@link #listAllSkus()} reads before it gives up. */
    public static final int LIST_PAGES_MAX = 10_000;

    /** The largest window {@link #openReserveStream(int)} and {@link #openReserveBatchStream} accept. */
    public static final int STREAM_IN_FLIGHT_MAX = 100_000;

    /**
     * The largest batch {@link #openReserveBatchStream} accepts: the upper bound of the server's
     * {@code stream-batch-max} setting (whose default is 256).
     */
    public static final int STREAM_BATCH_SIZE_MAX = ContractLimits.STREAM_BATCH_SIZE_MAX;

    /** The longest budget {@link #openReserveStream(int, Duration)} gives a request. */
    public static final Duration STREAM_REQUEST_BUDGET_MAX = Duration.ofHours(1);

    /**
     * The most {@link #subscribeOrderEvents} subscriptions one client has open at once (each has a
     * thread of its own; the server's {@code event-subscribers-max} is 16 by default).
     */
    public static final int ORDER_EVENT_SUBSCRIPTIONS_MAX = 64;

    private final ManagedChannel channel;
    private final boolean ownsChannel;
    private final long deadlineNanos;
    private final RequestIds requestIds;
    private final CallCredentials adminCredentials;
    private final RetryingCalls calls;
    /** Subscriptions not yet terminated, closed with the client; guarded by itself. */
    private final Set<OrderEventSubscription> subscriptions = new HashSet<>();

    /** Called by {@link CheckoutClientBuilder#build()} with settings it has checked. */
    CheckoutClient(
            ManagedChannel channel,
            boolean ownsChannel,
            Duration deadline,
            Duration attemptDeadline,
            RetryPolicy retryPolicy,
            AdaptiveLimit concurrencyLimit,
            String requestIdPrefix,
            CallCredentials adminCredentials,
            AutoBatching autoBatching) {
        this.channel = channel;
        this.ownsChannel = ownsChannel;
        this.deadlineNanos = RetryPolicy.saturatedNanos(deadline);
        this.requestIds = new RequestIds(requestIdPrefix);
        this.adminCredentials = adminCredentials;
        this.calls = new RetryingCalls(
                channel,
                deadlineNanos,
                attemptDeadline == null ? Long.MAX_VALUE : RetryPolicy.saturatedNanos(attemptDeadline),
                retryPolicy,
                concurrencyLimit,
                autoBatching == null ? null : new ReserveBatcher(channel, autoBatching, requestIds, deadlineNanos));
    }

    /**
     * Starts building a client that opens and owns a channel to {@code target}.
     *
     * @param target a gRPC target such as {@code "localhost:9090"} or {@code "dns:///checkout:443"};
     *     checked by {@link CheckoutClientBuilder#build()}
     * @return a builder with the default settings
     */
    public static CheckoutClientBuilder builder(String target) {
        return new CheckoutClientBuilder(target, null, false);
    }

    /**
     * Starts building a client over a channel the caller owns; {@link #close()} leaves it open.
     *
     * @param channel the channel to use; checked by {@link CheckoutClientBuilder#build()}
     * @return a builder with the default settings
     */
    public static CheckoutClientBuilder builder(ManagedChannel channel) {
        return new CheckoutClientBuilder(null, channel, true);
    }

    /**
     * Returns a new request id: unique for this client, at most 64 printable ASCII characters,
     * starting with the configured prefix. Use it to repeat a call yourself with the same id.
     *
     * @return a fresh request id
     */
    public String newRequestId() {
        return requestIds.next();
    }

    /** {@link #reserve(String, String, List)} with a generated request id. */
    public ReserveReply reserve(String userId, List<OrderLine> lines) {
        return reserve(newRequestId(), userId, lines);
    }

    /**
     * Reserves all {@code lines} for {@code userId} atomically under the given request id.
     *
     * @param requestId the idempotency key, 1..64 printable ASCII characters
     * @param userId the buyer
     * @param lines the SKUs and quantities to reserve
     * @return the outcome; sold out, limit reached and similar are answers, not exceptions
     * @throws StatusRuntimeException if the call fails
     * @throws IllegalArgumentException if {@code requestId} is not a valid request id
     * @throws NullPointerException if an argument is null
     * @throws IllegalStateException if the client is closed
     */
    public ReserveReply reserve(String requestId, String userId, List<OrderLine> lines) {
        return RetryingCalls.join(reserveAsync(requestId, userId, lines));
    }

    /**
     * Reserves all {@code lines} for {@code userId} with the discount of campaign {@code campaignId}
     * (a coupon code; {@link #upsertCampaign}), atomically with the stock. The reply's {@code
     * amount_minor} is what the buyer pays, the lines' gross less its {@code discount_minor}. A
     * campaign that does not apply is an answer, and nothing is reserved: {@code CAMPAIGN_UNKNOWN},
     * {@code CAMPAIGN_NOT_ACTIVE}, {@code CAMPAIGN_NOT_APPLICABLE}, {@code
     * CAMPAIGN_BUDGET_EXHAUSTED}, {@code CAMPAIGN_USER_LIMIT_REACHED}.
     *
     * @param campaignId the campaign, 1..64 characters from [A-Za-z0-9._:-]; empty for none
     * @throws StatusRuntimeException if the call fails, e.g. INVALID_ARGUMENT naming {@code campaign_id}
     * @throws IllegalArgumentException if {@code requestId} is not a valid request id
     * @throws NullPointerException if an argument is null
     * @see #reserve(String, String, List)
     */
    public ReserveReply reserve(String requestId, String userId, List<OrderLine> lines, String campaignId) {
        return RetryingCalls.join(reserveAsync(requestId, userId, lines, campaignId));
    }

    /** {@link #reserve(String, String, List, String)} with a generated request id. */
    public ReserveReply reserveWithCampaign(String userId, List<OrderLine> lines, String campaignId) {
        return reserve(newRequestId(), userId, lines, campaignId);
    }

    /** {@link #reserve(String, String, List, String)} without blocking. */
    public CompletableFuture<ReserveReply> reserveAsync(
            String requestId, String userId, List<OrderLine> lines, String campaignId) {
        ReserveRequest request = reserveRequest(requestId, userId, lines).toBuilder()
                .setCampaignId(Objects.requireNonNull(campaignId, "campaignId"))
                .build();
        return callAsync(CheckoutGrpc.getReserveMethod(), request, null);
    }

    /** {@link #reserve(String, String, String, int)} with a generated request id. */
    public ReserveReply reserve(String userId, String skuId, int quantity) {
        return reserve(newRequestId(), userId, List.of(line(skuId, quantity)));
    }

    /** {@link #reserve(String, String, List)} of one line: {@code quantity} units of {@code skuId}. */
    public ReserveReply reserve(String requestId, String userId, String skuId, int quantity) {
        return reserve(requestId, userId, List.of(line(skuId, quantity)));
    }

    /** {@link #reserveAsync(String, String, List)} with a generated request id. */
    public CompletableFuture<ReserveReply> reserveAsync(String userId, List<OrderLine> lines) {
        return reserveAsync(newRequestId(), userId, lines);
    }

    /** {@link #reserve(String, String, List)} without blocking. */
    public CompletableFuture<ReserveReply> reserveAsync(String requestId, String userId, List<OrderLine> lines) {
        return callAsync(CheckoutGrpc.getReserveMethod(), reserveRequest(requestId, userId, lines), null);
    }

    /**
     * {@link #reserve(String, String, List)} of a request the caller built, e.g. with its own
     * {@code budget_millis}, without blocking.
     *
     * @param request the reserve; its {@code request_id} must be 1..64 printable ASCII characters
     */
    public CompletableFuture<ReserveReply> reserveAsync(ReserveRequest request) {
        RequestIds.requireValid(Objects.requireNonNull(request, "request").getRequestId());
        return callAsync(CheckoutGrpc.getReserveMethod(), request, null);
    }

    /** {@link #reserveAsync(String, String, String, int)} with a generated request id. */
    public CompletableFuture<ReserveReply> reserveAsync(String userId, String skuId, int quantity) {
        return reserveAsync(newRequestId(), userId, List.of(line(skuId, quantity)));
    }

    /** {@link #reserve(String, String, String, int)} without blocking. */
    public CompletableFuture<ReserveReply> reserveAsync(String requestId, String userId, String skuId, int quantity) {
        return reserveAsync(requestId, userId, List.of(line(skuId, quantity)));
    }

    /**
     * Opens a {@code ReserveStream} for high-rate callers. The stream has no deadline; close it
     * before closing this client.
     *
     * @param maxInFlight the most requests queued or awaiting a reply at once, 1..100,000
     * @return an open stream
     * @throws IllegalArgumentException if {@code maxInFlight} is out of range
     * @throws IllegalStateException if the client is closed
     */
    public StreamingReserver openReserveStream(int maxInFlight) {
        return openReserveStream(maxInFlight, null);
    }

    /**
     * {@link #openReserveStream(int)} whose requests carry a budget: each request sent without a
     * {@code budget_millis} of its own gets {@code requestBudget}, so the server refuses it at once
     * when its queue is longer than that and skips it (answering DEADLINE_EXCEEDED) if it waited
     * longer. A stream has no per-request gRPC deadline; this is how a flash crowd's stream
     * requests are shed like unary calls. The budget counts from when the server reads the
     * request, not from {@code submit}: the stream's own window ({@code maxInFlight}) bounds the
     * time before that.
     *
     * @param maxInFlight the most requests queued or awaiting a reply at once, 1..100,000
     * @param requestBudget 1 ms..1 h, or null for none
     * @return an open stream
     * @throws IllegalArgumentException if an argument is out of range
     * @throws IllegalStateException if the client is closed
     */
    public StreamingReserver openReserveStream(int maxInFlight, Duration requestBudget) {
        if (maxInFlight < 1 || maxInFlight > STREAM_IN_FLIGHT_MAX) {
            throw new IllegalArgumentException(
                    "maxInFlight must be 1.." + STREAM_IN_FLIGHT_MAX + ", got " + maxInFlight);
        }
        int budgetMillis = budgetMillis(requestBudget);
        ensureOpen();
        return StreamingReserver.open(channel, maxInFlight, requestIds, deadlineNanos, budgetMillis);
    }

    /**
     * Opens a {@code ReserveBatchStream} for the highest rates: many reserves per message. The
     * stream has no deadline; close it before closing this client.
     *
     * @param maxInFlight the most requests queued or awaiting a reply at once, 1..100,000
     * @param maxBatchSize the most requests in one batch, 1..4,096; the server takes up to its
     *     {@code stream-batch-max} setting (256 by default) and rejects every request of a larger batch
     * @return an open stream
     * @throws IllegalArgumentException if an argument is out of range, or {@code maxBatchSize} is
     *     above {@code maxInFlight} (such a batch could never be sent)
     * @throws IllegalStateException if the client is closed
     */
    public BatchStreamingReserver openReserveBatchStream(int maxInFlight, int maxBatchSize) {
        return openReserveBatchStream(maxInFlight, maxBatchSize, null);
    }

    /**
     * {@link #openReserveBatchStream(int, int)} whose requests carry a budget, as {@link
     * #openReserveStream(int, Duration)} describes.
     *
     * @param maxInFlight the most requests queued or awaiting a reply at once, 1..100,000
     * @param maxBatchSize the most requests in one batch, 1..4,096
     * @param requestBudget 1 ms..1 h, or null for none
     * @return an open stream
     * @throws IllegalArgumentException if an argument is out of range
     * @throws IllegalStateException if the client is closed
     */
    public BatchStreamingReserver openReserveBatchStream(int maxInFlight, int maxBatchSize, Duration requestBudget) {
        if (maxInFlight < 1 || maxInFlight > STREAM_IN_FLIGHT_MAX) {
            throw new IllegalArgumentException(
                    "maxInFlight must be 1.." + STREAM_IN_FLIGHT_MAX + ", got " + maxInFlight);
        }
        if (maxBatchSize < 1 || maxBatchSize > Math.min(STREAM_BATCH_SIZE_MAX, maxInFlight)) {
            throw new IllegalArgumentException("maxBatchSize must be 1.." + Math.min(STREAM_BATCH_SIZE_MAX, maxInFlight)
                    + " (at most " + STREAM_BATCH_SIZE_MAX + " and at most maxInFlight), got " + maxBatchSize);
        }
        int budgetMillis = budgetMillis(requestBudget);
        ensureOpen();
        return BatchStreamingReserver.open(channel, maxInFlight, maxBatchSize, requestIds, deadlineNanos, budgetMillis);
    }

    /**
     * {@link #subscribeOrderEvents(long, OrderEventHandler, OrderEventSubscriptionOptions)} with
     * {@link OrderEventSubscriptionOptions#defaults()}: back-off from 100 ms up to 5 s, 32 events
     * read ahead.
     */
    public OrderEventSubscription subscribeOrderEvents(long afterSequence, OrderEventHandler handler) {
        return subscribeOrderEvents(afterSequence, handler, OrderEventSubscriptionOptions.defaults());
    }

    /**
     * Subscribes to the {@code OrderEvents} change feed: every order and stock change after
     * {@code afterSequence}, then live changes as they happen, handed to {@code handler} one at a
     * time, in sequence order, each exactly once, on the subscription's own thread; resubscribing
     * after failures that can heal, from the last sequence handed out. See {@link
     * OrderEventSubscription} for what is retried and what stops it.
     *
     * <p>To resume where an earlier subscription stopped, pass its {@link
     * OrderEventSubscription#lastSequence()}, stored with the consumer's own work. The feed is not
     * an admin call: it is sent without the configured call credentials. The subscription has no
     * deadline; it runs until closed, stopped by a failure, or this client is closed.
     *
     * @param afterSequence start after this sequence; 0 starts at the first event the server keeps
     * @param handler takes the events and, once, what stopped the subscription by itself
     * @param options back-off and read-ahead
     * @return the running subscription
     * @throws IllegalArgumentException if {@code afterSequence} is negative
     * @throws NullPointerException if {@code handler} or {@code options} is null
     * @throws IllegalStateException if the client is closed or already has {@link
     *     #ORDER_EVENT_SUBSCRIPTIONS_MAX} subscriptions open
     */
    public OrderEventSubscription subscribeOrderEvents(
            long afterSequence, OrderEventHandler handler, OrderEventSubscriptionOptions options) {
        if (afterSequence < 0) {
            throw new IllegalArgumentException("afterSequence must not be negative, got " + afterSequence);
        }
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(options, "options");
        synchronized (subscriptions) {
            // Checked under the lock that close() takes after closing, so no subscription escapes it.
            ensureOpen();
            if (subscriptions.size() >= ORDER_EVENT_SUBSCRIPTIONS_MAX) {
                throw new IllegalStateException("this client already has " + ORDER_EVENT_SUBSCRIPTIONS_MAX
                        + " order event subscriptions open; close one first");
            }
            OrderEventSubscription subscription =
                    OrderEventSubscription.open(channel, afterSequence, handler, options, this::forget);
            subscriptions.add(subscription);
            return subscription;
        }
    }

    private void forget(OrderEventSubscription subscription) {
        synchronized (subscriptions) {
            subscriptions.remove(subscription);
        }
    }

    /** A stream request budget in whole milliseconds; 0 for none. */
    private static int budgetMillis(Duration requestBudget) {
        if (requestBudget == null) {
            return 0;
        }
        if (requestBudget.compareTo(Duration.ofMillis(1)) < 0
                || requestBudget.compareTo(STREAM_REQUEST_BUDGET_MAX) > 0) {
            throw new IllegalArgumentException(
                    "requestBudget must be 1 ms.." + STREAM_REQUEST_BUDGET_MAX.toHours() + " h, got " + requestBudget);
        }
        return (int) requestBudget.toMillis();
    }

    /** {@link #confirm(String, long)} with a generated request id. */
    public Order confirm(long orderId) {
        return confirm(newRequestId(), orderId);
    }

    /**
     * Pays a RESERVED order under the given request id.
     *
     * @param requestId the idempotency key, 1..64 printable ASCII characters
     * @param orderId the order, as returned by a reserve
     * @return the order as it stands after the call
     * @throws StatusRuntimeException if the call fails
     * @throws IllegalArgumentException if {@code requestId} is not a valid request id
     * @throws IllegalStateException if the client is closed
     */
    public Order confirm(String requestId, long orderId) {
        return RetryingCalls.join(confirmAsync(requestId, orderId));
    }

    /** {@link #confirmAsync(String, long)} with a generated request id. */
    public CompletableFuture<Order> confirmAsync(long orderId) {
        return confirmAsync(newRequestId(), orderId);
    }

    /** {@link #confirm(String, long)} without blocking. */
    public CompletableFuture<Order> confirmAsync(String requestId, long orderId) {
        return callAsync(CheckoutGrpc.getConfirmMethod(), confirmRequest(requestId, orderId), null);
    }

    /**
     * Pays a RESERVED order with {@code payment}, which the order records: its amount and currency
     * must be the order's (else FAILED_PRECONDITION, reason PAYMENT_AMOUNT_MISMATCH or
     * PAYMENT_CURRENCY_MISMATCH, nothing changed). A payment callback delivered again may be passed
     * on under a new request id: the same (provider, payment id) for the same order gets the first
     * answer back (the order PAID at the payment's time) and changes nothing; for another order it
     * is FAILED_PRECONDITION, reason PAYMENT_ALREADY_USED.
     *
     * @param requestId the idempotency key, 1..64 printable ASCII characters
     * @param orderId the order, as returned by a reserve
     * @param payment the payment as the provider reported it; the server checks its fields and names
     *     the first bad one ({@code payment.provider}, {@code payment.payment_id}, ...)
     * @return the order as it stands after the call, with the payment
     * @throws StatusRuntimeException if the call fails
     * @throws IllegalArgumentException if {@code requestId} is not a valid request id
     * @throws NullPointerException if {@code payment} is null
     * @throws IllegalStateException if the client is closed
     */
    public Order confirm(String requestId, long orderId, Payment payment) {
        return RetryingCalls.join(confirmAsync(requestId, orderId, payment));
    }

    /** {@link #confirm(String, long, Payment)} with a generated request id. */
    public Order confirm(long orderId, Payment payment) {
        return confirm(newRequestId(), orderId, payment);
    }

    /** {@link #confirm(String, long, Payment)} without blocking. */
    public CompletableFuture<Order> confirmAsync(String requestId, long orderId, Payment payment) {
        ConfirmRequest request = confirmRequest(requestId, orderId).toBuilder()
                .setPayment(Objects.requireNonNull(payment, "payment"))
                .build();
        return callAsync(CheckoutGrpc.getConfirmMethod(), request, null);
    }

    /** {@link #cancel(String, long)} with a generated request id. */
    public Order cancel(long orderId) {
        return cancel(newRequestId(), orderId);
    }

    /**
     * Cancels a RESERVED order under the given request id.
     *
     * @param requestId the idempotency key, 1..64 printable ASCII characters
     * @param orderId the order, as returned by a reserve
     * @return the order as it stands after the call
     * @throws StatusRuntimeException if the call fails
     * @throws IllegalArgumentException if {@code requestId} is not a valid request id
     * @throws IllegalStateException if the client is closed
     */
    public Order cancel(String requestId, long orderId) {
        return RetryingCalls.join(cancelAsync(requestId, orderId));
    }

    /** {@link #cancelAsync(String, long)} with a generated request id. */
    public CompletableFuture<Order> cancelAsync(long orderId) {
        return cancelAsync(newRequestId(), orderId);
    }

    /** {@link #cancel(String, long)} without blocking. */
    public CompletableFuture<Order> cancelAsync(String requestId, long orderId) {
        return callAsync(CheckoutGrpc.getCancelMethod(), cancelRequest(requestId, orderId), null);
    }

    /** {@link #refund(String, long)} with a generated request id. */
    public Order refund(long orderId) {
        return refund(newRequestId(), orderId);
    }

    /**
     * Refunds a PAID order under the given request id.
     *
     * @param requestId the idempotency key, 1..64 printable ASCII characters
     * @param orderId the paid order
     * @return the order as it stands after the call
     * @throws StatusRuntimeException if the call fails
     * @throws IllegalArgumentException if {@code requestId} is not a valid request id
     * @throws IllegalStateException if the client is closed
     */
    public Order refund(String requestId, long orderId) {
        return RetryingCalls.join(refundAsync(requestId, orderId));
    }

    /** {@link #refundAsync(String, long)} with a generated request id. */
    public CompletableFuture<Order> refundAsync(long orderId) {
        return refundAsync(newRequestId(), orderId);
    }

    /** {@link #refund(String, long)} without blocking. */
    public CompletableFuture<Order> refundAsync(String requestId, long orderId) {
        return callAsync(CheckoutGrpc.getRefundMethod(), refundRequest(requestId, orderId), null);
    }

    /**
     * Refunds part of a PAID or PARTLY_REFUNDED order under the given request id: the units named
     * in {@code lines} (SKU id and quantity; unit prices are ignored), for {@code reason}. The order
     * becomes PARTLY_REFUNDED, or REFUNDED once every unit is; a repeat of the request id refunds
     * nothing more. A SKU the order does not have, or more units than it paid and has not yet
     * refunded, is FAILED_PRECONDITION (reason REFUND_SKU_NOT_IN_ORDER or REFUND_EXCEEDS_PAID, the
     * line named), and changes nothing.
     *
     * @param requestId the idempotency key, 1..64 printable ASCII characters
     * @param orderId the paid order
     * @param lines what to refund; empty: every unit not yet refunded
     * @param reason why, for the refund's event: 0..64 printable ASCII characters, or null
     * @param resellable whether the units go back to available stock; false: they leave the SKU's total
     * @return the order as it stands after the call, with each line's refunded units and amount
     * @throws StatusRuntimeException if the call fails
     * @throws IllegalArgumentException if {@code requestId} is not a valid request id
     * @throws IllegalStateException if the client is closed
     */
    public Order refund(String requestId, long orderId, List<OrderLine> lines, String reason, boolean resellable) {
        return RetryingCalls.join(refundAsync(requestId, orderId, lines, reason, resellable));
    }

    /** {@link #refund(String, long, List, String, boolean)} without blocking. */
    public CompletableFuture<Order> refundAsync(
            String requestId, long orderId, List<OrderLine> lines, String reason, boolean resellable) {
        RefundRequest.Builder request = refundRequest(requestId, orderId).toBuilder()
                .addAllLines(Objects.requireNonNull(lines, "lines"))
                .setNotResellable(!resellable);
        if (reason != null) {
            request.setReason(reason);
        }
        return callAsync(CheckoutGrpc.getRefundMethod(), request.build(), null);
    }

    /**
     * Reads one order as it stands now.
     *
     * @param orderId the order
     * @return the order
     * @throws StatusRuntimeException if the call fails, e.g. NOT_FOUND for an unknown order
     * @throws IllegalStateException if the client is closed
     */
    public Order getOrder(long orderId) {
        return RetryingCalls.join(getOrderAsync(orderId));
    }

    /**
     * Like {@link #getOrder(long)}, without blocking.
     *
     * @param orderId the order
     * @return a future of the order, failed with {@link StatusRuntimeException} if the call fails,
     *     e.g. NOT_FOUND for an unknown order
     * @throws IllegalStateException if the client is closed
     */
    public CompletableFuture<Order> getOrderAsync(long orderId) {
        return callAsync(
                CheckoutGrpc.getGetOrderMethod(),
                GetOrderRequest.newBuilder().setOrderId(orderId).build(),
                null);
    }

    /**
     * One page of a user's orders as they stand now, newest first: for "your reservation expires in
     * 8 minutes" pages. Pass the reply's {@code next_page_token} to read the next, older page; it is
     * empty after the last.
     *
     * @param userId the buyer
     * @param pageSize 1..100 orders, or 0 for the server's default (20)
     * @param pageToken empty or null for the newest orders, else the previous reply's {@code next_page_token}
     * @throws StatusRuntimeException if the call fails, e.g. INVALID_ARGUMENT naming page_token
     * @throws IllegalStateException if the client is closed
     */
    public ListUserOrdersReply listUserOrders(String userId, int pageSize, String pageToken) {
        ListUserOrdersRequest request = ListUserOrdersRequest.newBuilder()
                .setUserId(Objects.requireNonNull(userId, "userId"))
                .setPageSize(pageSize)
                .setPageToken(pageToken == null ? "" : pageToken)
                .build();
        return RetryingCalls.join(callAsync(CheckoutGrpc.getListUserOrdersMethod(), request, null));
    }

    /**
     * Reads one SKU's definition and stock levels.
     *
     * @param skuId the SKU
     * @return the SKU
     * @throws StatusRuntimeException if the call fails, e.g. NOT_FOUND for an unknown SKU
     * @throws NullPointerException if {@code skuId} is null
     * @throws IllegalStateException if the client is closed
     */
    public Sku getStock(String skuId) {
        Objects.requireNonNull(skuId, "skuId");
        return callBlocking(
                CheckoutGrpc.getGetStockMethod(),
                GetStockRequest.newBuilder().setSkuId(skuId).build(),
                null);
    }

    /**
     * Reads the partition map the server serves (any server of a partitioned deployment; a server
     * without a map answers one partition that owns everything, version 0).
     *
     * @return the map
     * @throws StatusRuntimeException if the call fails
     * @throws IllegalStateException if the client is closed
     */
    public PartitionMap getPartitionMap() {
        return callBlocking(
                PartitionsGrpc.getGetPartitionMapMethod(), GetPartitionMapRequest.getDefaultInstance(), null);
    }

    /**
     * Defines or updates a SKU and its sale. Sent with the configured call credentials.
     *
     * @param request the definition; an empty {@code request_id} is replaced by a generated one
     * @return the SKU as it stands after the call
     * @throws StatusRuntimeException if the call fails, e.g. INVALID_ARGUMENT or PERMISSION_DENIED
     * @throws IllegalArgumentException if a non-empty {@code request_id} is not a valid request id
     * @throws NullPointerException if {@code request} is null
     * @throws IllegalStateException if the client is closed
     */
    public Sku upsertSku(UpsertSkuRequest request) {
        Objects.requireNonNull(request, "request");
        UpsertSkuRequest withId = request.getRequestId().isEmpty()
                ? request.toBuilder().setRequestId(newRequestId()).build()
                : request;
        RequestIds.requireValid(withId.getRequestId());
        return callBlocking(InventoryGrpc.getUpsertSkuMethod(), withId, adminCredentials);
    }

    /**
     * Adds (positive {@code delta}) or removes (negative) available stock, with a generated
     * request id. Sent with the configured call credentials.
     *
     * @param skuId the SKU
     * @param delta units to add or remove; not 0
     * @return the SKU as it stands after the call
     * @throws StatusRuntimeException if the call fails, e.g. FAILED_PRECONDITION when removing
     *     more than is available
     * @throws NullPointerException if {@code skuId} is null
     * @throws IllegalStateException if the client is closed
     */
    public Sku adjustStock(String skuId, long delta) {
        return adjustStock(newRequestId(), skuId, delta);
    }

    /**
     * Adds or removes available stock under the given request id.
     *
     * @param requestId the idempotency key, 1..64 printable ASCII characters
     * @param skuId the SKU
     * @param delta units to add or remove; not 0
     * @return the SKU as it stands after the call
     * @throws StatusRuntimeException if the call fails
     * @throws IllegalArgumentException if {@code requestId} is not a valid request id
     * @throws NullPointerException if {@code skuId} is null
     * @throws IllegalStateException if the client is closed
     */
    public Sku adjustStock(String requestId, String skuId, long delta) {
        AdjustStockRequest request = AdjustStockRequest.newBuilder()
                .setRequestId(RequestIds.requireValid(requestId))
                .setSkuId(Objects.requireNonNull(skuId, "skuId"))
                .setDelta(delta)
                .build();
        return callBlocking(InventoryGrpc.getAdjustStockMethod(), request, adminCredentials);
    }

    /**
     * Defines a merchant or changes its commission rate, with a generated request id. Orders
     * reserved from then on settle at the new rate; orders already reserved keep theirs. Sent with
     * the configured call credentials.
     *
     * @param merchantId 1..64 characters from [A-Za-z0-9._:-]
     * @param commissionBps the platform's commission, 0..10,000 basis points of the gross
     * @return the merchant as it stands after the call
     * @throws StatusRuntimeException if the call fails, e.g. INVALID_ARGUMENT naming a field, or
     *     RESOURCE_EXHAUSTED when the server's merchant table is full
     * @throws NullPointerException if {@code merchantId} is null
     * @throws IllegalStateException if the client is closed
     */
    public Merchant upsertMerchant(String merchantId, int commissionBps) {
        UpsertMerchantRequest request = UpsertMerchantRequest.newBuilder()
                .setRequestId(newRequestId())
                .setMerchantId(Objects.requireNonNull(merchantId, "merchantId"))
                .setCommissionBps(commissionBps)
                .build();
        return callBlocking(InventoryGrpc.getUpsertMerchantMethod(), request, adminCredentials);
    }

    /**
     * A merchant and its commission rate now. Sent with the configured call credentials.
     *
     * @throws StatusRuntimeException NOT_FOUND if the merchant was never defined
     * @throws NullPointerException if {@code merchantId} is null
     * @throws IllegalStateException if the client is closed
     */
    public Merchant getMerchant(String merchantId) {
        GetMerchantRequest request = GetMerchantRequest.newBuilder()
                .setMerchantId(Objects.requireNonNull(merchantId, "merchantId"))
                .build();
        return callBlocking(InventoryGrpc.getGetMerchantMethod(), request, adminCredentials);
    }

    /**
     * Defines a SKU group (a sale's SKUs under one per-user limit) or changes its limit: the most
     * units one user may hold, reserved plus paid, across all of the group's SKUs. SKUs join it
     * through {@code UpsertSkuRequest.group_id}; a reserve past the limit is answered
     * {@code GROUP_LIMIT_EXCEEDED}. Sent with the configured call credentials.
     *
     * <p>The group has no attempt limit of its own: one it had is taken off. See {@link
     * #upsertSkuGroup(String, long, int, long)} for one.
     *
     * @throws StatusRuntimeException INVALID_ARGUMENT naming {@code group_id} or {@code per_user_limit}
     *     (1..1,000,000,000); RESOURCE_EXHAUSTED {@code GROUP_TABLE_FULL}
     */
    public SkuGroup upsertSkuGroup(String groupId, long perUserLimit) {
        return upsertSkuGroup(groupId, perUserLimit, 0, 0);
    }

    /**
     * Defines a SKU group or changes it, as {@link #upsertSkuGroup(String, long)}, with an attempt
     * limit of its own (a sale's, beside the global one of {@link #setAttemptLimit}): at most {@code
     * maxAttempts} reserves per user touching the group (with at least one line of its SKUs; once
     * per reserve) in each window of {@code windowMillis} of server time, windows aligned to the
     * epoch. The next is answered {@code RATE_LIMITED} with {@code failed_sku_id} naming its first
     * line in the group. Counted as the global limit counts: every reserve answered with its own
     * outcome, not {@code BLOCKED}, {@code RATE_LIMITED}, invalid or table-full answers, or repeats.
     * A different limit starts the group's counts afresh; {@code 0, 0} takes it off. The users all
     * groups count in their windows share {@code attempt-counter-capacity}: one more is
     * RESOURCE_EXHAUSTED {@code ATTEMPT_COUNTER_TABLE_FULL}. Sent with the configured call
     * credentials.
     *
     * @param maxAttempts 0 (no limit) .. 1,000,000
     * @param windowMillis 1..86,400,000 when {@code maxAttempts} is above 0, else 0
     * @return the group as it stands, its {@code max_attempts} and {@code window_millis} included
     * @throws StatusRuntimeException INVALID_ARGUMENT naming {@code group_id}, {@code per_user_limit},
     *     {@code max_attempts} or {@code window_millis}; RESOURCE_EXHAUSTED {@code GROUP_TABLE_FULL}
     */
    public SkuGroup upsertSkuGroup(String groupId, long perUserLimit, int maxAttempts, long windowMillis) {
        UpsertSkuGroupRequest request = UpsertSkuGroupRequest.newBuilder()
                .setRequestId(newRequestId())
                .setGroupId(Objects.requireNonNull(groupId, "groupId"))
                .setPerUserLimit(perUserLimit)
                .setMaxAttempts(maxAttempts)
                .setWindowMillis(windowMillis)
                .build();
        return callBlocking(InventoryGrpc.getUpsertSkuGroupMethod(), request, adminCredentials);
    }

    /**
     * A SKU group, its limits (per-user units, and attempts: {@code max_attempts} 0 for none) and its
     * SKUs; NOT_FOUND if never defined. Sent with the configured call credentials.
     */
    public SkuGroup getSkuGroup(String groupId) {
        GetSkuGroupRequest request = GetSkuGroupRequest.newBuilder()
                .setGroupId(Objects.requireNonNull(groupId, "groupId"))
                .build();
        return callBlocking(InventoryGrpc.getGetSkuGroupMethod(), request, adminCredentials);
    }

    /**
     * Defines a campaign (a coupon: its {@code campaign_id} is the code a buyer enters, as {@code
     * ReserveRequest.campaign_id}) or changes its terms, with a generated request id; orders already
     * reserved keep their discount. Its {@code redeemed} and {@code redeeming_users} are ignored.
     * Sent with the configured call credentials.
     *
     * @return the campaign as it stands after the call, with its redemptions now
     * @throws StatusRuntimeException INVALID_ARGUMENT naming the field ({@code campaign.kind},
     *     {@code campaign.budget}, ...); FAILED_PRECONDITION {@code CAMPAIGN_SKU_UNKNOWN} or {@code
     *     CAMPAIGN_MERCHANT_UNKNOWN} for a SKU or merchant never defined; RESOURCE_EXHAUSTED {@code
     *     CAMPAIGN_TABLE_FULL}
     * @throws NullPointerException if {@code campaign} is null
     * @throws IllegalStateException if the client is closed
     */
    public Campaign upsertCampaign(Campaign campaign) {
        UpsertCampaignRequest request = UpsertCampaignRequest.newBuilder()
                .setRequestId(newRequestId())
                .setCampaign(Objects.requireNonNull(campaign, "campaign"))
                .build();
        return callBlocking(InventoryGrpc.getUpsertCampaignMethod(), request, adminCredentials);
    }

    /**
     * A campaign, its terms and its redemptions now: {@code redeemed} (held by reserved and paid
     * orders, refunded ones too) and {@code redeeming_users}. Sent with the configured call
     * credentials.
     *
     * @throws StatusRuntimeException NOT_FOUND if the campaign was never defined
     * @throws NullPointerException if {@code campaignId} is null
     * @throws IllegalStateException if the client is closed
     */
    public Campaign getCampaign(String campaignId) {
        GetCampaignRequest request = GetCampaignRequest.newBuilder()
                .setCampaignId(Objects.requireNonNull(campaignId, "campaignId"))
                .build();
        return callBlocking(InventoryGrpc.getGetCampaignMethod(), request, adminCredentials);
    }

    /**
     * Blocks {@code userId}: from now on each of their reserves is answered {@code BLOCKED} and takes
     * nothing (orders already taken stay). Retried like every admin call, with one request id. Sent
     * with the configured call credentials.
     *
     * @return the user as the risk rules now see them
     * @throws StatusRuntimeException INVALID_ARGUMENT naming {@code user_id}; RESOURCE_EXHAUSTED
     *     {@code BLOCKLIST_FULL} when the blocklist is full (setting blocklist-capacity)
     * @throws NullPointerException if {@code userId} is null
     * @throws IllegalStateException if the client is closed
     */
    public UserRisk blockUser(String userId) {
        return setUserBlocked(userId, true);
    }

    /** Lifts the block on {@code userId} (a user not blocked stays so); otherwise as {@link #blockUser}. */
    public UserRisk unblockUser(String userId) {
        return setUserBlocked(userId, false);
    }

    private UserRisk setUserBlocked(String userId, boolean blocked) {
        SetUserBlockedRequest request = SetUserBlockedRequest.newBuilder()
                .setRequestId(newRequestId())
                .setUserId(Objects.requireNonNull(userId, "userId"))
                .setBlocked(blocked)
                .build();
        return callBlocking(InventoryGrpc.getSetUserBlockedMethod(), request, adminCredentials);
    }

    /**
     * Whether {@code userId} is blocked, and their reserve attempts in the current window of the
     * attempt limit. Sent with the configured call credentials.
     */
    public UserRisk getUserRisk(String userId) {
        GetUserRiskRequest request = GetUserRiskRequest.newBuilder()
                .setUserId(Objects.requireNonNull(userId, "userId"))
                .build();
        return callBlocking(InventoryGrpc.getGetUserRiskMethod(), request, adminCredentials);
    }

    /**
     * Sets the per-user attempt limit: at most {@code maxAttempts} reserves per user in each window
     * of {@code windowMillis} of server time (windows aligned to the epoch); 0 and 0 turn it off. A
     * reserve past the limit is answered {@code RATE_LIMITED}. Every user's count starts afresh.
     * Sent with the configured call credentials.
     *
     * @throws StatusRuntimeException INVALID_ARGUMENT naming {@code max_attempts} (0..1,000,000) or
     *     {@code window_millis} (1..86,400,000 with a limit, else 0)
     */
    public RiskRules setAttemptLimit(int maxAttempts, long windowMillis) {
        SetRiskRulesRequest request = SetRiskRulesRequest.newBuilder()
                .setRequestId(newRequestId())
                .setMaxAttempts(maxAttempts)
                .setWindowMillis(windowMillis)
                .build();
        return callBlocking(InventoryGrpc.getSetRiskRulesMethod(), request, adminCredentials);
    }

    /** The risk rules in force and the fill of their tables. Sent with the configured call credentials. */
    public RiskRules getRiskRules() {
        return callBlocking(
                InventoryGrpc.getGetRiskRulesMethod(), GetRiskRulesRequest.getDefaultInstance(), adminCredentials);
    }

    /**
     * Reads one page of SKUs in {@code sku_id} order. Sent with the configured call credentials.
     *
     * @param pageSize the most SKUs to return, 1..1,000, or 0 for the server's default
     * @param pageToken empty or null for the first page, otherwise the previous page's
     *     {@code next_page_token}
     * @return the page
     * @throws StatusRuntimeException if the call fails
     * @throws IllegalArgumentException if {@code pageSize} is out of range
     * @throws IllegalStateException if the client is closed
     */
    public ListSkusReply listSkus(int pageSize, String pageToken) {
        if (pageSize < 0 || pageSize > ContractLimits.LIST_PAGE_SIZE_MAX) {
            throw new IllegalArgumentException(
                    "pageSize must be 0.." + ContractLimits.LIST_PAGE_SIZE_MAX + ", got " + pageSize);
        }
        ListSkusRequest request = ListSkusRequest.newBuilder()
                .setPageSize(pageSize)
                .setPageToken(pageToken == null ? "" : pageToken)
                .build();
        return callBlocking(InventoryGrpc.getListSkusMethod(), request, adminCredentials);
    }

    /**
     * Reads every SKU, page by page, reading at most {@link #LIST_PAGES_MAX} pages.
     *
     * @return all SKUs in {@code sku_id} order
     * @throws StatusRuntimeException if a call fails
     * @throws IllegalStateException if the server still has more pages after the limit, which
     *     means a server that keeps handing out page tokens rather than a real catalogue, or if
     *     the client is closed
     */
    public List<Sku> listAllSkus() {
        return listAllSkus(LIST_PAGES_MAX);
    }

    List<Sku> listAllSkus(int maxPages) {
        List<Sku> all = new ArrayList<>();
        String pageToken = "";
        for (int page = 0; page < maxPages; page++) {
            // The largest page the contract allows, so listing everything takes the fewest round trips.
            ListSkusReply reply = listSkus(ContractLimits.LIST_PAGE_SIZE_MAX, pageToken);
            all.addAll(reply.getSkusList());
            pageToken = reply.getNextPageToken();
            if (pageToken.isEmpty()) {
                return all;
            }
        }
        throw new IllegalStateException("listAllSkus stopped after " + maxPages + " pages (" + all.size()
                + " SKUs) and the server still returned a next_page_token");
    }

    /**
     * The adaptive concurrency limit's current value: how many unary calls may be in flight before
     * the next one is refused without being sent; 0 if the client has no such limit.
     */
    public int concurrencyLimit() {
        return calls.concurrencyLimit();
    }

    /**
     * Whether a unary call started now would be refused at once by the adaptive concurrency limit,
     * without being sent (the limit is full and the client makes one attempt per call). A caller
     * in a crowd can ask before building a request the client would only refuse: the answer it
     * saves is the same {@code RESOURCE_EXHAUSTED} {@link #isClientLimitRefusal} recognizes. A
     * permit freed a moment later does not change an answer already given; false if the client
     * has no limit.
     */
    public boolean refusesAtOnce() {
        return calls.refusesAtOnce();
    }

    /** Unary calls in flight under the adaptive concurrency limit; 0 if the client has no such limit. */
    public int limitedCallsInFlight() {
        return calls.limitedCallsInFlight();
    }

    /**
     * Whether {@code failure} is this client's own refusal to send a call because its adaptive
     * concurrency limit was reached (a {@code RESOURCE_EXHAUSTED} that never left the process),
     * rather than the server's.
     */
    public static boolean isClientLimitRefusal(Throwable failure) {
        return RetryingCalls.isClientLimitRefusal(failure);
    }

    /**
     * Whether a mutating call that failed with {@code failure} may still have taken effect, so the
     * caller must not assume it did nothing: retry it with the same request id (the first answer
     * comes back, never a second effect) or read the order before acting on the failure.
     *
     * <p>True for the server's {@code OUTCOME_UNKNOWN} (in cluster mode, the cluster did not answer
     * within its timeout: a failover that outlasted it, or no majority) and for failures that left
     * the client without the server's answer: a deadline or a transport failure after the request
     * may have been sent ({@code DEADLINE_EXCEEDED}, {@code UNAVAILABLE}, {@code CANCELLED},
     * {@code UNKNOWN}, {@code INTERNAL} without the server's error details), and anything that is
     * not a gRPC status. False for an answer the server chose and explained (every refusal that
     * carries an {@code ErrorInfo} reason: invalid input, {@code QUEUE_DELAY}, {@code RING_FULL}, a
     * command skipped because its deadline passed in the queue, a table full) and for definite
     * codes that change nothing ({@code INVALID_ARGUMENT}, {@code NOT_FOUND}, {@code
     * FAILED_PRECONDITION}, {@code RESOURCE_EXHAUSTED}, {@code UNAUTHENTICATED}, {@code
     * PERMISSION_DENIED}, ...), and for this client's own concurrency-limit refusal.
     */
    public static boolean mayHaveTakenEffect(Throwable failure) {
        Status status = Status.fromThrowable(failure);
        String reason = RetryingCalls.errorReason(failure);
        if ("OUTCOME_UNKNOWN".equals(reason)) {
            return true;
        }
        if (reason != null) {
            return false;
        }
        return switch (status.getCode()) {
            case DEADLINE_EXCEEDED, UNAVAILABLE, CANCELLED, UNKNOWN, INTERNAL, ABORTED, DATA_LOSS -> true;
            default -> false;
        };
    }

    /**
     * Closes the client. Retries waiting for their back-off give up with their last failure, and
     * order event subscriptions are closed (as {@link OrderEventSubscription#close()} does). A
     * channel the client opened is shut down, waiting up to one deadline for calls in progress;
     * a caller's channel is left open. Calling this again has no effect.
     */
    @Override
    public void close() {
        if (!calls.close()) {
            return;
        }
        List<OrderEventSubscription> open;
        synchronized (subscriptions) {
            open = new ArrayList<>(subscriptions);
        }
        open.forEach(OrderEventSubscription::close);
        if (!ownsChannel) {
            return;
        }
        channel.shutdown();
        try {
            if (!channel.awaitTermination(deadlineNanos, TimeUnit.NANOSECONDS)) {
                channel.shutdownNow();
            }
        } catch (InterruptedException e) {
            channel.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private void ensureOpen() {
        if (calls.isClosed()) {
            throw new IllegalStateException("CheckoutClient is closed");
        }
    }

    private <Q, R> R callBlocking(MethodDescriptor<Q, R> method, Q request, CallCredentials credentials) {
        return RetryingCalls.join(callAsync(method, request, credentials));
    }

    private <Q, R> CompletableFuture<R> callAsync(
            MethodDescriptor<Q, R> method, Q request, CallCredentials credentials) {
        ensureOpen();
        return calls.call(method, request, credentials);
    }

    private static OrderLine line(String skuId, int quantity) {
        return OrderLine.newBuilder()
                .setSkuId(Objects.requireNonNull(skuId, "skuId"))
                .setQuantity(quantity)
                .build();
    }

    private static ReserveRequest reserveRequest(String requestId, String userId, List<OrderLine> lines) {
        return ReserveRequest.newBuilder()
                .setRequestId(RequestIds.requireValid(requestId))
                .setUserId(Objects.requireNonNull(userId, "userId"))
                .addAllLines(Objects.requireNonNull(lines, "lines"))
                .build();
    }

    private static ConfirmRequest confirmRequest(String requestId, long orderId) {
        return ConfirmRequest.newBuilder()
                .setRequestId(RequestIds.requireValid(requestId))
                .setOrderId(orderId)
                .build();
    }

    private static CancelRequest cancelRequest(String requestId, long orderId) {
        return CancelRequest.newBuilder()
                .setRequestId(RequestIds.requireValid(requestId))
                .setOrderId(orderId)
                .build();
    }

    private static RefundRequest refundRequest(String requestId, long orderId) {
        return RefundRequest.newBuilder()
                .setRequestId(RequestIds.requireValid(requestId))
                .setOrderId(orderId)
                .build();
    }
}
