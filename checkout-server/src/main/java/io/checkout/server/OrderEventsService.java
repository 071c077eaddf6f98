package io.checkout.server;

import io.checkout.journal.OrderEventReader;
import io.checkout.journal.OrderEventRecord;
import io.checkout.journal.SequenceNotRetainedException;
import io.checkout.proto.v1.OrderEvent;
import io.checkout.proto.v1.OrderEventType;
import io.checkout.proto.v1.OrderEventsGrpc;
import io.checkout.proto.v1.OrderState;
import io.checkout.proto.v1.SubscribeRequest;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code OrderEvents.Subscribe}: each subscription reads the event log on a thread of its own (at
 * most {@code event-subscribers-max} of them), sends only what the pipeline has made visible (the
 * command is journalled and applied), and only while the transport is ready for more. The engine
 * never waits for a subscriber, and a subscriber never holds more than one read batch in memory.
 */
final class OrderEventsService extends OrderEventsGrpc.OrderEventsImplBase implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OrderEventsService.class);
    private static final int EVENTS_PER_READ_MAX = 64;
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    private final LongSupplier visibleEventSequence;
    private final Path eventsDirectory;
    private final ThreadPoolExecutor subscribers;
    private final int subscribersMax;
    private final long orderIdBase;
    private volatile boolean closed;

    /** @param orderIdBase what this partition's order ids have above the engine's (0 without partitions) */
    OrderEventsService(LongSupplier visibleEventSequence, Path eventsDirectory, int subscribersMax, long orderIdBase) {
        this.visibleEventSequence = visibleEventSequence;
        this.orderIdBase = orderIdBase;
        this.eventsDirectory = eventsDirectory;
        AtomicInteger count = new AtomicInteger();
        // A direct hand-off and a thread cap: a subscriber past the cap is refused, never queued.
        this.subscribers = new ThreadPoolExecutor(
                0, Math.max(1, subscribersMax), 30, TimeUnit.SECONDS, new SynchronousQueue<>(), runnable -> {
                    Thread thread = new Thread(runnable, "order-events-" + count.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        this.subscribersMax = subscribersMax;
    }

    @Override
    public void subscribe(SubscribeRequest request, StreamObserver<OrderEvent> responseObserver) {
        ServerCallStreamObserver<OrderEvent> observer = (ServerCallStreamObserver<OrderEvent>) responseObserver;
        if (closed) {
            observer.onError(Status.UNAVAILABLE
                    .withDescription("server is shutting down")
                    .asRuntimeException());
            return;
        }
        if (subscribersMax == 0) {
            observer.onError(Status.UNIMPLEMENTED
                    .withDescription("event subscriptions are turned off " + "(event-subscribers-max=0)")
                    .asRuntimeException());
            return;
        }
        long from = request.getFromSequence();
        if (from < 0) {
            observer.onError(Status.INVALID_ARGUMENT
                    .withDescription("from_sequence must not be negative")
                    .asRuntimeException());
            return;
        }
        Subscription subscription = new Subscription(observer, from);
        observer.setOnCancelHandler(subscription::cancel);
        observer.setOnReadyHandler(subscription::wake);
        try {
            subscribers.execute(subscription);
        } catch (RejectedExecutionException full) {
            observer.onError(Status.RESOURCE_EXHAUSTED
                    .withDescription("too many event subscribers (event-subscribers-max=" + subscribersMax + ")")
                    .asRuntimeException());
        }
    }

    /** Ends every subscription with UNAVAILABLE; their consumers resubscribe elsewhere or later. */
    @Override
    public void close() {
        closed = true;
        subscribers.shutdown();
        try {
            if (!subscribers.awaitTermination(2, TimeUnit.SECONDS)) {
                subscribers.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private final class Subscription implements Runnable {
        private final ServerCallStreamObserver<OrderEvent> observer;
        private final long fromSequence;
        private volatile boolean cancelled;
        private volatile Thread thread;

        Subscription(ServerCallStreamObserver<OrderEvent> observer, long fromSequence) {
            this.observer = observer;
            this.fromSequence = fromSequence;
        }

        void cancel() {
            cancelled = true;
            wake();
        }

        void wake() {
            Thread waiting = thread;
            if (waiting != null) {
                LockSupport.unpark(waiting);
            }
        }

        @Override
        public void run() {
            thread = Thread.currentThread();
            try (OrderEventReader reader = OrderEventReader.after(eventsDirectory, fromSequence)) {
                while (!cancelled && !closed) {
                    if (!observer.isReady()) {
                        LockSupport.parkNanos(this, IDLE_PARK_NANOS * 10);
                        continue;
                    }
                    int sent = reader.read(
                            visibleEventSequence.getAsLong(),
                            EVENTS_PER_READ_MAX,
                            record -> observer.onNext(toProto(record, orderIdBase)));
                    if (sent == 0) {
                        LockSupport.parkNanos(this, IDLE_PARK_NANOS);
                    }
                }
                if (!cancelled) {
                    observer.onError(Status.UNAVAILABLE
                            .withDescription(
                                    "server is shutting down; resubscribe from the " + "last sequence processed")
                            .asRuntimeException());
                }
            } catch (SequenceNotRetainedException e) {
                observer.onError(
                        Status.OUT_OF_RANGE.withDescription(e.getMessage()).asRuntimeException());
            } catch (RuntimeException e) {
                if (!cancelled) {
                    LOG.warn("event subscription from {} failed", fromSequence, e);
                    observer.onError(Status.INTERNAL
                            .withDescription("event stream failed: " + e.getMessage())
                            .asRuntimeException());
                }
            } finally {
                thread = null;
            }
        }
    }

    static OrderEvent toProto(OrderEventRecord record, long orderIdBase) {
        OrderEvent.Builder event = OrderEvent.newBuilder()
                .setSequence(record.eventSequence)
                .setAtEpochMillis(record.atEpochMillis)
                .setJournalSequence(record.journalSequence);
        if (record.isOrder()) {
            event.setOrder(ProtoMapping.toOrder(record.order, record.lineSkuIds, record.lineParties, orderIdBase))
                    .setPreviousState(
                            record.previousState == null
                                    ? OrderState.ORDER_STATE_UNSPECIFIED
                                    : ProtoMapping.toOrderState(record.previousState))
                    .setType(
                            switch (record.order.state()) {
                                case RESERVED -> OrderEventType.ORDER_EVENT_TYPE_ORDER_RESERVED;
                                case PAID -> OrderEventType.ORDER_EVENT_TYPE_ORDER_PAID;
                                case CANCELLED -> OrderEventType.ORDER_EVENT_TYPE_ORDER_CANCELLED;
                                case EXPIRED -> OrderEventType.ORDER_EVENT_TYPE_ORDER_EXPIRED;
                                case REFUNDED -> OrderEventType.ORDER_EVENT_TYPE_ORDER_REFUNDED;
                                case PAID_TOO_LATE -> OrderEventType.ORDER_EVENT_TYPE_ORDER_PAID_TOO_LATE;
                                case PARTLY_REFUNDED -> OrderEventType.ORDER_EVENT_TYPE_ORDER_PARTLY_REFUNDED;
                            });
            if (record.refundReason != null) {
                event.setRefundReason(record.refundReason);
            }
            ProtoMapping.addRefundLines(record.order, record.lineSkuIds, record.lineParties, record.refundedNow, event);
        } else {
            event.setSku(ProtoMapping.toSku(record.sku))
                    .setStockDelta(record.stockDelta)
                    .setType(
                            record.upserted
                                    ? OrderEventType.ORDER_EVENT_TYPE_SKU_UPSERTED
                                    : OrderEventType.ORDER_EVENT_TYPE_STOCK_ADJUSTED);
        }
        return event.build();
    }
}
