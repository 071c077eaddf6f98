package io.checkout.client;

import static io.checkout.client.Await.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.rpc.Code;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.ReserveResult;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class StreamingReserverTest {

    private final FakeCheckoutService checkout = new FakeCheckoutService();
    private InProcessServer server;
    private CheckoutClient client;

    @BeforeEach
    void start() {
        server = new InProcessServer(checkout);
        client = CheckoutClient.builder(server.channel())
                .deadline(Duration.ofSeconds(5))
                .build();
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    private static ReserveRequest request(String requestId, long user) {
        return ReserveRequest.newBuilder()
                .setRequestId(requestId)
                .setUserId("user-" + user)
                .addLines(OrderLine.newBuilder().setSkuId("sku-1").setQuantity(1))
                .build();
    }

    @Test
    void submitsFromManyThreadsShouldCompleteWithMatchingRequestIdsWhenRepliesComeOutOfOrder() throws Exception {
        checkout.onReserveStream(ReversingBatches::new);
        int threads = 4;
        int perThread = 500;
        List<ReserveRequest> sent = new CopyOnWriteArrayList<>();
        List<CompletableFuture<ReserveReply>> futures = new CopyOnWriteArrayList<>();

        try (StreamingReserver reserver = client.openReserveStream(threads * perThread)) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> submitters = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    submitters.add(pool.submit(() -> {
                        for (int i = 0; i < perThread; i++) {
                            ReserveRequest request = request("", thread * perThread + i);
                            CompletableFuture<ReserveReply> future = reserver.submit(request);
                            synchronized (sent) {
                                sent.add(request);
                                futures.add(future);
                            }
                        }
                    }));
                }
                for (Future<?> submitter : submitters) {
                    submitter.get(10, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            // 2,000 is a whole number of batches, so every reply arrives without the half-close.
            awaitTrue(() -> futures.stream().allMatch(CompletableFuture::isDone));
        }

        List<String> requestIds = new ArrayList<>();
        for (int i = 0; i < sent.size(); i++) {
            ReserveReply reply = futures.get(i).getNow(null);
            assertThat(reply).as("reply %d", i).isNotNull();
            assertThat(reply.getOrderId()).isEqualTo(FakeCheckoutService.orderIdOf(sent.get(i)));
            requestIds.add(reply.getRequestId());
        }
        assertThat(requestIds).doesNotHaveDuplicates().hasSize(threads * perThread);
        assertThat(requestIds)
                .allSatisfy(id -> assertThat(RequestIds.isValid(id)).isTrue());
    }

    @Test
    void submitShouldFailWithResourceExhaustedWhenTheWindowIsFull() throws Exception {
        Withholding fake = new Withholding();
        checkout.onReserveStream(fake::attach);

        try (StreamingReserver reserver = client.openReserveStream(4)) {
            List<CompletableFuture<ReserveReply>> accepted = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                accepted.add(reserver.submit(request("w-" + i, i)));
            }
            CompletableFuture<ReserveReply> refused = reserver.submit(request("w-4", 4));

            assertThat(refused).isCompletedExceptionally();
            assertThatThrownBy(refused::join).cause().isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                assertThat(e.getStatus().getDescription()).contains("reserve stream window full");
            });
            assertThat(reserver.inFlight()).isEqualTo(4);
            assertThat(accepted).noneMatch(CompletableFuture::isDone);

            awaitTrue(() -> fake.received() == 4);
            fake.answer("w-2");
            assertThat(accepted.get(2).get(5, TimeUnit.SECONDS).getRequestId()).isEqualTo("w-2");
            awaitTrue(() -> reserver.inFlight() == 3);

            CompletableFuture<ReserveReply> admitted = reserver.submit(request("w-5", 5));
            assertThat(admitted).isNotDone();
            assertThat(reserver.inFlight()).isEqualTo(4);
        }
    }

    @Test
    void streamErrorShouldFailEveryPendingFutureWithItsStatus() throws Exception {
        Withholding fake = new Withholding();
        checkout.onReserveStream(fake::attach);

        try (StreamingReserver reserver = client.openReserveStream(100)) {
            List<CompletableFuture<ReserveReply>> pending = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                pending.add(reserver.submit(request("e-" + i, i)));
            }
            awaitTrue(() -> fake.received() == 10);

            fake.fail(Status.UNAVAILABLE.withDescription("server draining"));

            for (CompletableFuture<ReserveReply> future : pending) {
                assertThatThrownBy(() -> future.get(5, TimeUnit.SECONDS))
                        .cause()
                        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                            assertThat(e.getStatus().getDescription()).isEqualTo("server draining");
                        });
            }
            assertThat(reserver.inFlight()).isZero();
            CompletableFuture<ReserveReply> late = reserver.submit(request("e-late", 99));
            assertThat(late).isCompletedExceptionally();
            assertThatThrownBy(late::join)
                    .cause()
                    .isInstanceOfSatisfying(
                            StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        }
    }

    @Test
    void closeShouldWaitForPendingReplies() {
        Withholding fake = new Withholding();
        checkout.onReserveStream(fake::attach);
        StreamingReserver reserver = client.openReserveStream(100);
        List<CompletableFuture<ReserveReply>> pending = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            pending.add(reserver.submit(request("c-" + i, i)));
        }

        reserver.close();

        assertThat(pending).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
        for (int i = 0; i < 50; i++) {
            assertThat(pending.get(i).join().getRequestId()).isEqualTo("c-" + i);
        }
        assertThat(fake.halfClosed()).isTrue();
        assertThat(reserver.inFlight()).isZero();
        CompletableFuture<ReserveReply> afterClose = reserver.submit(request("c-late", 1));
        assertThatThrownBy(afterClose::join)
                .cause()
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.CANCELLED));
    }

    @Test
    void closeShouldGiveUpAfterTheDeadlineAndFailWhatIsStillPending() throws Exception {
        Withholding fake = new Withholding();
        fake.ignoreHalfClose = true;
        checkout.onReserveStream(fake::attach);
        try (CheckoutClient impatient = CheckoutClient.builder(server.channel())
                .deadline(Duration.ofMillis(100))
                .build()) {
            StreamingReserver reserver = impatient.openReserveStream(10);
            CompletableFuture<ReserveReply> pending = reserver.submit(request("g-1", 1));

            reserver.close();

            assertThat(pending).isCompletedExceptionally();
            assertThatThrownBy(pending::join)
                    .cause()
                    .isInstanceOfSatisfying(
                            StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.CANCELLED));
            awaitTrue(fake::cancelled);
        }
    }

    @Test
    void requestsShouldWaitInTheQueueUntilTheServerAsksForThem() throws Exception {
        ManualInbound fake = new ManualInbound();
        checkout.onReserveStream(fake::attach);

        try (StreamingReserver reserver = client.openReserveStream(10)) {
            List<CompletableFuture<ReserveReply>> futures = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                futures.add(reserver.submit(request("q-" + i, i)));
            }
            assertThat(reserver.inFlight()).isEqualTo(6);
            assertThat(fake.received).isEmpty();
            assertThat(reserver.queued()).isEqualTo(6);

            fake.request(2);
            awaitTrue(() -> fake.received.size() == 2);
            assertThat(reserver.queued()).isEqualTo(4);
            assertThat(futures.get(0).get(5, TimeUnit.SECONDS).getRequestId()).isEqualTo("q-0");
            assertThat(futures.get(1).get(5, TimeUnit.SECONDS).getRequestId()).isEqualTo("q-1");
            assertThat(futures.subList(2, 6)).noneMatch(CompletableFuture::isDone);

            fake.request(4);
            for (int i = 2; i < 6; i++) {
                assertThat(futures.get(i).get(5, TimeUnit.SECONDS).getOrderId()).isEqualTo(i);
            }
            assertThat(reserver.inFlight()).isZero();
        }
    }

    @Test
    void rejectedReplyShouldCompleteTheFutureNormally() throws Exception {
        checkout.onReserveStream(responses -> new StreamObserver<>() {
            @Override
            public void onNext(ReserveRequest request) {
                responses.onNext(ReserveReply.newBuilder()
                        .setRequestId(request.getRequestId())
                        .setResult(ReserveResult.REJECTED)
                        .setError(com.google.rpc.Status.newBuilder()
                                .setCode(Code.INVALID_ARGUMENT_VALUE)
                                .setMessage("lines must not be empty"))
                        .build());
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {
                responses.onCompleted();
            }
        });

        try (StreamingReserver reserver = client.openReserveStream(10)) {
            ReserveReply reply = reserver.submit(
                            ReserveRequest.newBuilder().setUserId("user-1").build())
                    .get(5, TimeUnit.SECONDS);

            assertThat(reply.getResult()).isEqualTo(ReserveResult.REJECTED);
            assertThat(reply.getError().getMessage()).contains("lines");
            assertThat(reply.getRequestId()).isNotEmpty();
        }
    }

    @Test
    void aStreamWithARequestBudgetShouldGiveItToEveryRequestWithoutOneOfItsOwn() throws Exception {
        List<ReserveRequest> received = new CopyOnWriteArrayList<>();
        checkout.onReserveStream(responses -> new StreamObserver<>() {
            @Override
            public void onNext(ReserveRequest request) {
                received.add(request);
                responses.onNext(ReserveReply.newBuilder()
                        .setRequestId(request.getRequestId())
                        .setResult(ReserveResult.RESERVED)
                        .build());
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {
                responses.onCompleted();
            }
        });

        try (StreamingReserver reserver = client.openReserveStream(10, Duration.ofMillis(250))) {
            reserver.submit(request("b-1", 1)).get(5, TimeUnit.SECONDS);
            reserver.submit(request("b-2", 2).toBuilder().setBudgetMillis(40).build())
                    .get(5, TimeUnit.SECONDS);
            reserver.submit(request("", 3)).get(5, TimeUnit.SECONDS);
        }
        try (StreamingReserver reserver = client.openReserveStream(10)) {
            reserver.submit(request("b-4", 4)).get(5, TimeUnit.SECONDS);
        }

        assertThat(received).extracting(ReserveRequest::getBudgetMillis).containsExactly(250, 40, 250, 0);
        assertThat(received.get(2).getRequestId()).as("a generated id as well").isNotEmpty();
        assertThatThrownBy(() -> client.openReserveStream(10, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("requestBudget must be 1 ms..1 h");
        assertThatThrownBy(() -> client.openReserveBatchStream(10, 2, Duration.ofHours(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("requestBudget");
    }

    @Test
    void submitShouldRefuseARequestIdThatIsAlreadyPending() throws Exception {
        Withholding fake = new Withholding();
        checkout.onReserveStream(fake::attach);

        try (StreamingReserver reserver = client.openReserveStream(10)) {
            CompletableFuture<ReserveReply> first = reserver.submit(request("dup", 1));
            CompletableFuture<ReserveReply> second = reserver.submit(request("dup", 1));

            assertThat(second).isCompletedExceptionally();
            assertThatThrownBy(second::join)
                    .cause()
                    .isInstanceOfSatisfying(
                            StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
            assertThat(first).isNotDone();
            assertThat(reserver.inFlight()).isEqualTo(1);
        }
    }

    @Test
    void serverEndingTheStreamEarlyShouldFailPendingFuturesAsUnavailable() {
        Withholding fake = new Withholding();
        checkout.onReserveStream(fake::attach);

        try (StreamingReserver reserver = client.openReserveStream(10)) {
            CompletableFuture<ReserveReply> pending = reserver.submit(request("early-1", 1));
            awaitTrue(() -> fake.received() == 1);

            fake.complete();

            assertThatThrownBy(() -> pending.get(5, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOfSatisfying(
                            StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        }
    }

    /** Answers requests in batches of 16, each batch in reverse order; answers the rest on half-close. */
    private static final class ReversingBatches implements StreamObserver<ReserveRequest> {
        private final StreamObserver<ReserveReply> responses;
        private final List<ReserveRequest> batch = new ArrayList<>();

        ReversingBatches(ServerCallStreamObserver<ReserveReply> responses) {
            this.responses = responses;
        }

        @Override
        public synchronized void onNext(ReserveRequest request) {
            batch.add(request);
            if (batch.size() == 16) {
                flush();
            }
        }

        private void flush() {
            for (int i = batch.size() - 1; i >= 0; i--) {
                responses.onNext(FakeCheckoutService.reservedReply(batch.get(i)));
            }
            batch.clear();
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public synchronized void onCompleted() {
            flush();
            responses.onCompleted();
        }
    }

    /**
     * Keeps every request unanswered until the test says otherwise; on half-close answers what is
     * left in reverse order and ends the stream, unless told to ignore the half-close.
     */
    private static final class Withholding {
        volatile boolean ignoreHalfClose;
        private final List<ReserveRequest> held = new ArrayList<>();
        private ServerCallStreamObserver<ReserveReply> responses;
        private int received;
        private boolean halfClosed;
        private volatile boolean cancelled;

        StreamObserver<ReserveRequest> attach(ServerCallStreamObserver<ReserveReply> responses) {
            synchronized (this) {
                this.responses = responses;
            }
            responses.setOnCancelHandler(() -> cancelled = true);
            return new StreamObserver<>() {
                @Override
                public void onNext(ReserveRequest request) {
                    synchronized (Withholding.this) {
                        held.add(request);
                        received++;
                    }
                }

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {
                    synchronized (Withholding.this) {
                        halfClosed = true;
                        if (ignoreHalfClose) {
                            return;
                        }
                        for (int i = held.size() - 1; i >= 0; i--) {
                            responses.onNext(FakeCheckoutService.reservedReply(held.get(i)));
                        }
                        held.clear();
                        responses.onCompleted();
                    }
                }
            };
        }

        synchronized int received() {
            return received;
        }

        synchronized boolean halfClosed() {
            return halfClosed;
        }

        boolean cancelled() {
            return cancelled;
        }

        synchronized void answer(String requestId) {
            ReserveRequest request = held.stream()
                    .filter(r -> r.getRequestId().equals(requestId))
                    .findFirst()
                    .orElseThrow();
            held.remove(request);
            responses.onNext(FakeCheckoutService.reservedReply(request));
        }

        synchronized void fail(Status status) {
            responses.onError(status.asRuntimeException());
        }

        synchronized void complete() {
            responses.onCompleted();
        }
    }

    /** Asks for requests only when the test says so, and answers each one at once. */
    private static final class ManualInbound {
        final List<ReserveRequest> received = new CopyOnWriteArrayList<>();
        private final CountDownLatch attached = new CountDownLatch(1);
        private volatile ServerCallStreamObserver<ReserveReply> responses;

        StreamObserver<ReserveRequest> attach(ServerCallStreamObserver<ReserveReply> responses) {
            responses.disableAutoRequest();
            this.responses = responses;
            attached.countDown();
            return new StreamObserver<>() {
                @Override
                public void onNext(ReserveRequest request) {
                    received.add(request);
                    synchronized (ManualInbound.this) {
                        responses.onNext(FakeCheckoutService.reservedReply(request));
                    }
                }

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {
                    synchronized (ManualInbound.this) {
                        responses.onCompleted();
                    }
                }
            };
        }

        void request(int count) throws InterruptedException {
            assertThat(attached.await(5, TimeUnit.SECONDS)).isTrue();
            responses.request(count);
        }
    }
}
