package io.checkout.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import io.checkout.client.FakeOrderEventsService.Script;
import io.checkout.proto.v1.OrderEvent;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.LongPredicate;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link OrderEventSubscription} against a scripted {@code OrderEvents} fake on an in-process
 * server that the tests can fail, restart and make lie. Every wait is on a condition, with a
 * bound only a hang reaches.
 */
class OrderEventSubscriberTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int READ_AHEAD = 4;
    /** Short back-offs so the tests run fast; the doubling and jitter are RetryPolicy's. */
    private static final OrderEventSubscriptionOptions FAST =
            OrderEventSubscriptionOptions.of(Duration.ofMillis(1), Duration.ofMillis(20), READ_AHEAD);

    private final String serverName = InProcessServerBuilder.generateName();
    private final FakeOrderEventsService events = new FakeOrderEventsService();
    /** The most events any one Subscribe call had asked for and not yet received. */
    private final AtomicLong maxOutstandingDemand = new AtomicLong();

    private Server server;
    private ManagedChannel channel;
    private CheckoutClient client;

    @BeforeEach
    void start() {
        server = startServer();
        ClientInterceptor demandMeter = new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(
                    MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                AtomicLong requested = new AtomicLong();
                AtomicLong received = new AtomicLong();
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        super.start(
                                new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                                    @Override
                                    public void onMessage(R message) {
                                        received.incrementAndGet();
                                        super.onMessage(message);
                                    }
                                },
                                headers);
                    }

                    @Override
                    public void request(int count) {
                        long outstanding = requested.addAndGet(count) - received.get();
                        maxOutstandingDemand.accumulateAndGet(outstanding, Math::max);
                        super.request(count);
                    }
                };
            }
        };
        channel = InProcessChannelBuilder.forName(serverName)
                .intercept(demandMeter)
                .build();
        client = CheckoutClient.builder(channel).build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        client.close();
        channel.shutdownNow();
        server.shutdownNow();
        events.close();
        channel.awaitTermination(5, TimeUnit.SECONDS);
        server.awaitTermination(5, TimeUnit.SECONDS);
    }

    private Server startServer() {
        try {
            return InProcessServerBuilder.forName(serverName)
                    .directExecutor()
                    .addService(events)
                    .build()
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void handsOutEveryEventOnceInOrderAcrossFailuresOverlapsAndAServerRestart() throws Exception {
        events.publishUpTo(100);
        events.script(
                // 1..10, then the server fails.
                Script.sendThenEnd(10, Status.UNAVAILABLE),
                // Starts 5 early (6..10 again, skipped), 11..15, then ends the stream normally.
                Script.sendThenEnd(10, Status.OK).rewind(5),
                // Only events seen already (1..7), then too many subscribers.
                Script.sendThenEnd(7, Status.RESOURCE_EXHAUSTED).rewind(15));
        Recorder handler = new Recorder();
        OrderEventSubscription subscription = client.subscribeOrderEvents(0, handler, FAST);
        events.watchClient(subscription::lastSequence);

        awaitUntil(() -> handler.count() >= 60);
        long reconnectsBefore = subscription.reconnects();
        server.shutdownNow();
        assertThat(server.awaitTermination(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        // Down long enough for the client to fail at least once more before the server is back.
        awaitUntil(() -> subscription.reconnects() >= reconnectsBefore + 2);
        server = startServer();
        events.publishUpTo(150);
        awaitUntil(() -> handler.count() >= 150);

        assertThat(handler.sequences).containsExactlyElementsOf(range(1, 150));
        assertThat(subscription.lastSequence()).isEqualTo(150);
        assertThat(handler.errors).isEmpty();
        assertThat(handler.maxConcurrent.get()).isEqualTo(1);
        assertThat(handler.threads).allMatch(name -> name.startsWith("checkout-order-events-"));
        // Each resubscription starts after the last event handed out, as the client saw it then.
        assertThat(events.fromSequences()).startsWith(0L, 10L, 15L, 15L);
        // (The first Subscribe may come before the fake could watch the client.)
        List<Long> from = events.fromSequences();
        List<Long> clientLast = events.clientLastSequenceAtSubscribe();
        assertThat(from.subList(1, from.size())).containsExactlyElementsOf(clientLast.subList(1, clientLast.size()));
        // Some resubscriptions never reached a server: it was down.
        assertThat(subscription.reconnects())
                .isGreaterThan(events.fromSequences().size() - 1L);
        assertThat(events.sent()).isGreaterThanOrEqualTo(150 + 5 + 7);
    }

    @Test
    void aStoredLastSequenceResumesExactlyWhereTheLastSubscriptionStopped() throws Exception {
        events.publishUpTo(20);
        Recorder first = new Recorder();
        OrderEventSubscription subscription = client.subscribeOrderEvents(0, first, FAST);
        awaitUntil(() -> first.count() == 20);
        subscription.close();
        assertThat(subscription.awaitTermination(WAIT)).isTrue();
        long stored = subscription.lastSequence();
        assertThat(stored).isEqualTo(20);
        assertThat(first.sequences).containsExactlyElementsOf(range(1, 20));

        events.publishUpTo(40);
        Recorder second = new Recorder();
        OrderEventSubscription resumed = client.subscribeOrderEvents(stored, second, FAST);
        awaitUntil(() -> resumed.lastSequence() == 40);

        assertThat(second.sequences).containsExactlyElementsOf(range(21, 40));
        assertThat(events.fromSequences()).containsExactly(0L, 20L);
        assertThat(first.errors).isEmpty();
        assertThat(second.errors).isEmpty();
        assertThat(subscription.failure()).isNull();
    }

    @Test
    void fromZeroStartsAtTheFirstEventTheServerKeeps() {
        events.keepFrom(11);
        events.publishUpTo(20);
        Recorder handler = new Recorder();
        client.subscribeOrderEvents(0, handler, FAST);
        awaitUntil(() -> handler.count() >= 10);
        assertThat(handler.sequences).containsExactlyElementsOf(range(11, 20));
        assertThat(handler.errors).isEmpty();
    }

    @Test
    void aSequenceNoLongerKeptIsReportedOnceAndNotRetried() throws Exception {
        events.keepFrom(21);
        events.publishUpTo(40);
        Recorder handler = new Recorder();
        OrderEventSubscription subscription = client.subscribeOrderEvents(5, handler, FAST);

        assertThat(subscription.awaitTermination(WAIT)).isTrue();
        assertThat(handler.sequences).isEmpty();
        assertThat(handler.errors).hasSize(1);
        Throwable error = handler.errors.get(0);
        assertThat(Status.fromThrowable(error).getCode()).isEqualTo(Status.Code.OUT_OF_RANGE);
        assertThat(error)
                .hasMessageContaining("no longer keeps the order events after sequence 5")
                .hasMessageContaining("sequence 5 is no longer kept");
        assertThat(subscription.failure()).isSameAs(error);
        assertThat(subscription.lastSequence()).isEqualTo(5);
        assertThat(subscription.reconnects()).isZero();
        assertThat(events.fromSequences()).containsExactly(5L);
    }

    @ParameterizedTest
    @EnumSource(
            value = Status.Code.class,
            names = {"PERMISSION_DENIED", "UNAUTHENTICATED", "INVALID_ARGUMENT", "UNIMPLEMENTED"})
    void statusesThatCannotHealAreReportedOnceAndNotRetried(Status.Code code) throws Exception {
        events.publishUpTo(10);
        events.script(Script.sendThenEnd(3, code.toStatus().withDescription("scripted")));
        Recorder handler = new Recorder();
        OrderEventSubscription subscription = client.subscribeOrderEvents(0, handler, FAST);

        assertThat(subscription.awaitTermination(WAIT)).isTrue();
        assertThat(handler.sequences).containsExactly(1L, 2L, 3L);
        assertThat(handler.errors).hasSize(1);
        assertThat(handler.errors.get(0)).isInstanceOf(StatusRuntimeException.class);
        assertThat(Status.fromThrowable(handler.errors.get(0)).getCode()).isEqualTo(code);
        assertThat(subscription.lastSequence()).isEqualTo(3);
        assertThat(subscription.reconnects()).isZero();
        assertThat(events.fromSequences()).containsExactly(0L);
    }

    @ParameterizedTest
    @EnumSource(
            value = Status.Code.class,
            names = {
                "OK",
                "UNAVAILABLE",
                "RESOURCE_EXHAUSTED",
                "DEADLINE_EXCEEDED",
                "INTERNAL",
                "UNKNOWN",
                "ABORTED",
                "CANCELLED"
            })
    void failuresThatCanHealResubscribeAfterTheLastEventHandedOut(Status.Code code) {
        events.publishUpTo(10);
        events.script(Script.sendThenEnd(3, code.toStatus()), Script.sendThenEnd(2, code.toStatus()));
        Recorder handler = new Recorder();
        OrderEventSubscription subscription = client.subscribeOrderEvents(0, handler, FAST);

        awaitUntil(() -> handler.count() >= 10);
        assertThat(handler.sequences).containsExactlyElementsOf(range(1, 10));
        assertThat(handler.errors).isEmpty();
        assertThat(events.fromSequences()).containsExactly(0L, 3L, 5L);
        assertThat(subscription.reconnects()).isEqualTo(2);
        assertThat(subscription.isTerminated()).isFalse();
    }

    @Test
    void aGapInTheSequencesStopsTheSubscription() throws Exception {
        events.publishUpTo(20);
        events.script(Script.live().gapAfter(3));
        Recorder handler = new Recorder();
        OrderEventSubscription subscription = client.subscribeOrderEvents(0, handler, FAST);

        assertThat(subscription.awaitTermination(WAIT)).isTrue();
        assertThat(handler.sequences).containsExactly(1L, 2L, 3L);
        assertThat(handler.errors).hasSize(1);
        assertThat(Status.fromThrowable(handler.errors.get(0)).getCode()).isEqualTo(Status.Code.DATA_LOSS);
        assertThat(handler.errors.get(0))
                .hasMessageContaining("expected sequence 4 after 3")
                .hasMessageContaining("sent 5");
        assertThat(subscription.lastSequence()).isEqualTo(3);
        assertThat(subscription.reconnects()).isZero();
        assertThat(events.fromSequences()).containsExactly(0L);
        awaitUntil(() -> events.cancelled() == 1);
    }

    @Test
    void aHandlerThatThrowsStopsItAndTheFailedEventIsNotCountedAsHandedOut() throws Exception {
        events.publishUpTo(20);
        IllegalStateException boom = new IllegalStateException("settlement database down");
        Recorder handler = new Recorder();
        handler.failOn = sequence -> sequence == 7;
        handler.failure = boom;
        OrderEventSubscription subscription = client.subscribeOrderEvents(0, handler, FAST);

        assertThat(subscription.awaitTermination(WAIT)).isTrue();
        assertThat(handler.sequences).containsExactlyElementsOf(range(1, 6));
        assertThat(handler.errors).containsExactly(boom);
        assertThat(subscription.failure()).isSameAs(boom);
        assertThat(subscription.lastSequence()).isEqualTo(6);
        assertThat(events.fromSequences()).containsExactly(0L);
        awaitUntil(() -> events.cancelled() == 1);

        // Restarted from what it handed out, the consumer gets the failed event again.
        Recorder again = new Recorder();
        OrderEventSubscription restarted = client.subscribeOrderEvents(subscription.lastSequence(), again, FAST);
        awaitUntil(() -> restarted.lastSequence() == 20);
        assertThat(again.sequences).containsExactlyElementsOf(range(7, 20));
    }

    @Test
    void aSlowHandlerHoldsBackTheServerInsteadOfFillingTheClient() throws Exception {
        int total = 1_000;
        events.publishUpTo(total);
        CountDownLatch release = new CountDownLatch(1);
        AtomicLong maxSentNotHandled = new AtomicLong();
        AtomicInteger handled = new AtomicInteger();
        AtomicInteger entered = new AtomicInteger();
        OrderEventSubscription subscription = client.subscribeOrderEvents(
                0,
                event -> {
                    entered.incrementAndGet();
                    maxSentNotHandled.accumulateAndGet(events.sent() - handled.get(), Math::max);
                    release.await();
                    handled.incrementAndGet();
                },
                FAST);

        // The handler sits on the first event; the server stops because the client asks for no more.
        awaitUntil(() -> entered.get() == 1 && events.waitingForReady() > 0);
        assertThat(events.sent()).isLessThanOrEqualTo(READ_AHEAD);
        release.countDown();
        awaitUntil(() -> subscription.lastSequence() == total);

        assertThat(handled.get()).isEqualTo(total);
        assertThat(maxOutstandingDemand.get()).isBetween(1L, (long) READ_AHEAD);
        assertThat(maxSentNotHandled.get()).isLessThanOrEqualTo(READ_AHEAD);
    }

    @Test
    void closeStopsDeliveryAndIsIdempotent() throws Exception {
        events.publishUpTo(10);
        Recorder handler = new Recorder();
        OrderEventSubscription subscription = client.subscribeOrderEvents(0, handler, FAST);
        awaitUntil(() -> handler.count() >= 10);

        subscription.close();
        subscription.close();
        assertThat(subscription.awaitTermination(WAIT)).isTrue();
        awaitUntil(() -> events.cancelled() == 1);
        events.publishUpTo(20);

        assertThat(subscription.isTerminated()).isTrue();
        assertThat(handler.sequences).containsExactlyElementsOf(range(1, 10));
        assertThat(handler.errors).isEmpty();
        assertThat(subscription.failure()).isNull();
        assertThat(events.fromSequences()).containsExactly(0L);
    }

    @Test
    void closedFromTheHandlerItDeliversNothingMoreThoughEventsWereReadAhead() throws Exception {
        events.publishUpTo(20);
        List<Long> sequences = new CopyOnWriteArrayList<>();
        OrderEventSubscription[] self = new OrderEventSubscription[1];
        CountDownLatch opened = new CountDownLatch(1);
        OrderEventSubscription subscription = client.subscribeOrderEvents(
                0,
                event -> {
                    opened.await();
                    sequences.add(event.getSequence());
                    if (event.getSequence() == 5) {
                        self[0].close();
                    }
                },
                FAST);
        self[0] = subscription;
        opened.countDown();

        assertThat(subscription.awaitTermination(WAIT)).isTrue();
        assertThat(sequences).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(subscription.lastSequence()).isEqualTo(5);
    }

    @Test
    void closingTheClientClosesItsSubscriptions() throws Exception {
        events.publishUpTo(5);
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        OrderEventSubscription first = client.subscribeOrderEvents(0, a, FAST);
        OrderEventSubscription second = client.subscribeOrderEvents(2, b);
        awaitUntil(() -> a.count() == 5 && b.count() == 3);

        client.close();

        assertThat(first.awaitTermination(WAIT)).isTrue();
        assertThat(second.awaitTermination(WAIT)).isTrue();
        assertThat(a.errors).isEmpty();
        assertThat(b.errors).isEmpty();
        assertThat(b.sequences).containsExactly(3L, 4L, 5L);
        assertThatThrownBy(() -> client.subscribeOrderEvents(0, new Recorder()))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aClientHasABoundedNumberOfSubscriptions() throws Exception {
        List<OrderEventSubscription> open = new ArrayList<>();
        for (int i = 0; i < CheckoutClient.ORDER_EVENT_SUBSCRIPTIONS_MAX; i++) {
            open.add(client.subscribeOrderEvents(0, new Recorder(), FAST));
        }
        assertThatThrownBy(() -> client.subscribeOrderEvents(0, new Recorder(), FAST))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(String.valueOf(CheckoutClient.ORDER_EVENT_SUBSCRIPTIONS_MAX));

        // A terminated subscription frees its place.
        open.get(0).close();
        assertThat(open.get(0).awaitTermination(WAIT)).isTrue();
        open.add(client.subscribeOrderEvents(0, new Recorder(), FAST));
        for (OrderEventSubscription subscription : open) {
            subscription.close();
        }
        for (OrderEventSubscription subscription : open) {
            assertThat(subscription.awaitTermination(WAIT)).isTrue();
        }
    }

    @Test
    void argumentsAndOptionsAreChecked() {
        assertThatThrownBy(() -> client.subscribeOrderEvents(-1, new Recorder()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("afterSequence");
        assertThatThrownBy(() -> client.subscribeOrderEvents(0, null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> client.subscribeOrderEvents(0, new Recorder(), null))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> OrderEventSubscriptionOptions.of(Duration.ZERO, Duration.ofSeconds(1), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("initialBackoff");
        assertThatThrownBy(() -> OrderEventSubscriptionOptions.of(Duration.ofMinutes(11), Duration.ofMinutes(11), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("initialBackoff");
        assertThatThrownBy(() -> OrderEventSubscriptionOptions.of(Duration.ofSeconds(2), Duration.ofSeconds(1), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxBackoff");
        assertThatThrownBy(() -> OrderEventSubscriptionOptions.of(Duration.ofSeconds(1), Duration.ofMinutes(11), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxBackoff");
        assertThatThrownBy(() -> OrderEventSubscriptionOptions.of(Duration.ofSeconds(1), null, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxBackoff");
        assertThatThrownBy(() -> OrderEventSubscriptionOptions.of(Duration.ofSeconds(1), Duration.ofSeconds(1), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("readAhead");
        assertThatThrownBy(() -> OrderEventSubscriptionOptions.of(
                        Duration.ofSeconds(1), Duration.ofSeconds(1), OrderEventSubscriptionOptions.READ_AHEAD_MAX + 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("readAhead");
        assertThat(OrderEventSubscriptionOptions.of(
                        Duration.ofMillis(1), OrderEventSubscriptionOptions.MAX_BACKOFF_MAX, 1024))
                .isNotNull();
    }

    @Test
    void onlyHealableCodesAreRetried() {
        for (Status.Code code : Status.Code.values()) {
            boolean heals = Set.of(
                            Status.Code.OK,
                            Status.Code.UNAVAILABLE,
                            Status.Code.RESOURCE_EXHAUSTED,
                            Status.Code.DEADLINE_EXCEEDED,
                            Status.Code.INTERNAL,
                            Status.Code.UNKNOWN,
                            Status.Code.ABORTED,
                            Status.Code.CANCELLED)
                    .contains(code);
            assertThat(OrderEventSubscription.canHeal(code)).as(code.name()).isEqualTo(heals);
        }
    }

    private static List<Long> range(long first, long last) {
        return LongStream.rangeClosed(first, last).boxed().toList();
    }

    /** Polls {@code condition} every millisecond; fails after {@link #WAIT}, a bound only a hang reaches. */
    private static void awaitUntil(BooleanSupplier condition) {
        long giveUp = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - giveUp > 0) {
                fail("condition not met within " + WAIT.toSeconds() + " s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /** Records what it is handed, on which threads and how many at once; may be told to fail. */
    private static final class Recorder implements OrderEventHandler {
        final List<Long> sequences = new CopyOnWriteArrayList<>();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final Set<String> threads = new CopyOnWriteArraySet<>();
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger maxConcurrent = new AtomicInteger();
        volatile LongPredicate failOn = sequence -> false;
        volatile RuntimeException failure;

        @Override
        public void onEvent(OrderEvent event) {
            maxConcurrent.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                threads.add(Thread.currentThread().getName());
                if (failOn.test(event.getSequence())) {
                    throw failure;
                }
                sequences.add(event.getSequence());
            } finally {
                running.decrementAndGet();
            }
        }

        @Override
        public void onError(Throwable error) {
            errors.add(error);
        }

        int count() {
            return sequences.size();
        }
    }
}
