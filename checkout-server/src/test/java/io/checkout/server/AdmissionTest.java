package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;
import io.checkout.engine.Command;
import io.checkout.pipeline.CommandPublisher;
import io.checkout.pipeline.ReplyBatchListener;
import io.checkout.pipeline.ReplyHandler;
import io.grpc.Context;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Admission by queueing delay and by ring slots, against a publisher whose state the test sets. */
class AdmissionTest {
    private static final CommandPublisher.CommandTranslator<Void> NOTHING = (request, command) -> {};
    private static final ReplyHandler NO_REPLY = (command, context, failure) -> {};

    private final FakePublisher publisher = new FakePublisher();
    private final ServerMetrics metrics = new ServerMetrics(0, 1_000);
    private final Admission admission = new Admission(publisher, 100, metrics, PartitionGuard.single());
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
        metrics.close();
    }

    @Test
    void aShortQueueShouldBeJoined() {
        publisher.queueDelayNanos = TimeUnit.MILLISECONDS.toNanos(99);

        assertThat(admission.publish(NOTHING, null, NO_REPLY, null, true)).isNull();
        assertThat(publisher.published).isEqualTo(1);
    }

    @Test
    void aWaitAboveTheMaximumShouldBeRefusedAtOnceWithAReasonAndARetryDelay() throws Exception {
        publisher.queueDelayNanos = TimeUnit.MILLISECONDS.toNanos(250);

        com.google.rpc.Status refusal = admission.publish(NOTHING, null, NO_REPLY, null, true);

        assertThat(publisher.published).as("nothing queued").isZero();
        assertThat(refusal.getCode()).isEqualTo(Code.RESOURCE_EXHAUSTED_VALUE);
        assertThat(refusal.getMessage()).contains("250 ms").contains("100 ms").contains("queue-delay-max-millis");
        ErrorInfo info = detail(refusal, ErrorInfo.class);
        assertThat(info.getReason()).isEqualTo("QUEUE_DELAY");
        assertThat(info.getMetadataMap())
                .containsEntry("estimated_wait_millis", "250")
                .containsEntry("limit_millis", "100");
        RetryInfo retry = detail(refusal, RetryInfo.class);
        assertThat(retry.getRetryDelay().getSeconds()).isZero();
        assertThat(retry.getRetryDelay().getNanos()).isEqualTo(250_000_000);
        assertThat(scrape()).contains("checkout_requests_refused_total{reason=\"queue_delay\"} 1.0");
    }

    @Test
    void aWaitLongerThanWhatIsLeftOfTheCallersDeadlineShouldBeRefused() throws Exception {
        publisher.queueDelayNanos = TimeUnit.MILLISECONDS.toNanos(60);
        Context.CancellableContext call = Context.current().withDeadlineAfter(40, TimeUnit.MILLISECONDS, scheduler);
        try {
            com.google.rpc.Status refusal = call.call(() -> admission.publish(NOTHING, null, NO_REPLY, null, true));

            assertThat(refusal).isNotNull();
            assertThat(refusal.getMessage()).contains("left of the call's deadline");
            assertThat(publisher.published).isZero();
        } finally {
            call.cancel(null);
        }
    }

    @Test
    void aWaitLongerThanTheRequestsOwnBudgetShouldBeRefused() {
        publisher.queueDelayNanos = TimeUnit.MILLISECONDS.toNanos(60);

        com.google.rpc.Status refusal =
                admission.publish(NOTHING, null, NO_REPLY, null, true, TimeUnit.MILLISECONDS.toNanos(20));

        assertThat(refusal).isNotNull();
        assertThat(refusal.getMessage()).contains("budget_millis").contains("20 ms");
        assertThat(publisher.published).isZero();
        assertThat(admission.publish(NOTHING, null, NO_REPLY, null, true, TimeUnit.MILLISECONDS.toNanos(80)))
                .isNull();
    }

    @Test
    void callsThatFinishAdmittedOrdersAndAdminCallsShouldNotBeShed() {
        publisher.queueDelayNanos = TimeUnit.SECONDS.toNanos(5);

        assertThat(admission.publish(NOTHING, null, NO_REPLY, null, false)).isNull();
        assertThat(publisher.published).isEqualTo(1);
    }

    @Test
    void aBatchShouldBeRefusedWholeSoItsReservesAreAnsweredOneByOne() {
        publisher.queueDelayNanos = TimeUnit.MILLISECONDS.toNanos(500);

        assertThat(admission.tryPublishAll((batch, index, command) -> {}, null, 8, NO_REPLY, null))
                .isFalse();
        assertThat(publisher.published).isZero();

        publisher.queueDelayNanos = 0;
        assertThat(admission.tryPublishAll((batch, index, command) -> {}, null, 8, NO_REPLY, null))
                .isTrue();
        assertThat(publisher.published).isEqualTo(8);
    }

    @Test
    void zeroShouldTurnQueueDelayAdmissionOff() {
        Admission slotsOnly = new Admission(publisher, 0, metrics, PartitionGuard.single());
        publisher.queueDelayNanos = TimeUnit.SECONDS.toNanos(5);

        assertThat(slotsOnly.publish(NOTHING, null, NO_REPLY, null, true)).isNull();
    }

    @Test
    void aFullRingShouldStillRefuseAndBeCountedApart() throws IOException {
        publisher.full = true;

        com.google.rpc.Status refused = admission.publish(NOTHING, null, NO_REPLY, null, true);
        assertThat(refused.getCode()).isEqualTo(com.google.rpc.Code.RESOURCE_EXHAUSTED_VALUE);
        assertThat(reasonAndRetryMillis(refused))
                .as("no estimate yet: the default retry delay")
                .isEqualTo("RING_FULL " + GrpcErrors.RING_FULL_RETRY_MILLIS);
        publisher.queueDelayNanos = TimeUnit.MILLISECONDS.toNanos(80);
        assertThat(reasonAndRetryMillis(admission.publish(NOTHING, null, NO_REPLY, null, true)))
                .as("the time the ring takes to drain")
                .isEqualTo("RING_FULL 80");
        publisher.queueDelayNanos = 0;
        assertThat(scrape())
                .contains("checkout_requests_refused_total{reason=\"ring_full\"} 2.0")
                .contains("checkout_requests_refused_total{reason=\"queue_delay\"} 0.0");
    }

    private String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        metrics.scrape(out);
        return out.toString(StandardCharsets.UTF_8);
    }

    private static <T extends com.google.protobuf.Message> T detail(com.google.rpc.Status status, Class<T> type)
            throws InvalidProtocolBufferException {
        for (Any any : status.getDetailsList()) {
            if (any.is(type)) {
                return any.unpack(type);
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " in " + status);
    }

    private static final class FakePublisher implements CommandPublisher {
        volatile long queueDelayNanos;
        volatile boolean full;
        int published;

        @Override
        public <A> boolean tryPublish(
                CommandTranslator<A> translator, A request, ReplyHandler handler, Object context) {
            if (full) {
                return false;
            }
            translator.translate(request, new Command());
            published++;
            return true;
        }

        @Override
        public <A> boolean tryPublishEach(
                BatchTranslator<A> translator, A batch, int count, ReplyHandler handler, Object context) {
            if (full) {
                return false;
            }
            published += count;
            return true;
        }

        @Override
        public void afterReplyBatch(ReplyBatchListener listener) {}

        @Override
        public boolean isClosed() {
            return false;
        }

        @Override
        public long queueDelayNanos() {
            return queueDelayNanos;
        }

        @Override
        public long remainingCapacity() {
            return full ? 0 : 1024;
        }

        @Override
        public int ringSize() {
            return 1024;
        }

        @Override
        public long commandsApplied() {
            return 0;
        }
    }

    private static String reasonAndRetryMillis(com.google.rpc.Status status) {
        String reason = null;
        long retryMillis = -1;
        try {
            for (com.google.protobuf.Any detail : status.getDetailsList()) {
                if (detail.is(com.google.rpc.ErrorInfo.class)) {
                    reason = detail.unpack(com.google.rpc.ErrorInfo.class).getReason();
                }
                if (detail.is(com.google.rpc.RetryInfo.class)) {
                    com.google.protobuf.Duration delay =
                            detail.unpack(com.google.rpc.RetryInfo.class).getRetryDelay();
                    retryMillis = delay.getSeconds() * 1_000 + delay.getNanos() / 1_000_000;
                }
            }
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
        return reason + " " + retryMillis;
    }
}
