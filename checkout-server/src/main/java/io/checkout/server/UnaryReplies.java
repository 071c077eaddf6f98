package io.checkout.server;

import io.checkout.engine.Command;
import io.checkout.pipeline.CommandPublisher.CommandTranslator;
import io.checkout.pipeline.ReplyHandler;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveResult;
import io.grpc.stub.StreamObserver;
import java.util.function.Function;

/**
 * How unary calls are answered: the reply handlers the pipeline calls once a command is applied
 * and journalled (the call's observer travels as the context), and the refusal of a call the ring
 * had no room for. The handlers are stateless apart from their {@link Sender}: the constants here
 * answer on the replier thread and are shared by every call; {@link CheckoutService} builds a set
 * per event loop that hands the answers to that loop.
 */
final class UnaryReplies {
    /**
     * Where a handler's answer goes: {@link #NOW} writes it on the replier thread as the command is
     * answered; a {@link LoopAnswers} hands it to the call's event loop. An answer is the reply
     * message, or the {@code Throwable} the call fails with.
     */
    @FunctionalInterface
    interface Sender {
        void send(StreamObserver<?> observer, Object answer);
    }

    /** Writes the answer at once, on the calling thread. */
    static final Sender NOW = UnaryReplies::answer;

    static final ReplyHandler SKU = sku(NOW);

    static final ReplyHandler SKU_PAGE = completingWith(ProtoMapping::toListSkusReply, NOW);

    static final ReplyHandler MERCHANT = completingWith(ProtoMapping::toMerchant, NOW);

    static final ReplyHandler SKU_GROUP = completingWith(ProtoMapping::toSkuGroup, NOW);

    static final ReplyHandler CAMPAIGN = completingWith(ProtoMapping::toCampaign, NOW);

    static final ReplyHandler USER_RISK = completingWith(ProtoMapping::toUserRisk, NOW);

    static final ReplyHandler RISK_RULES = completingWith(ProtoMapping::toRiskRules, NOW);

    private UnaryReplies() {}

    /** Answers with the command's order (Confirm, Cancel, Refund, GetOrder). */
    static ReplyHandler order(Sender sender) {
        return completingWith(ProtoMapping::toOrder, sender);
    }

    /** Answers with the command's SKU (GetStock, and the admin calls on one SKU). */
    static ReplyHandler sku(Sender sender) {
        return completingWith(command -> ProtoMapping.toSku(command.sku), sender);
    }

    /** Answers with a page of the user's orders (ListUserOrders). */
    static ReplyHandler userOrders(Sender sender) {
        return completingWith(ProtoMapping::toListUserOrdersReply, sender);
    }

    /**
     * A handler that answers with {@code reply}'s message built from the command, or with the
     * error the command ended in, through {@code sender}. Built once per kind of call and sender.
     * The message is built here, on the replier thread, while the command is at hand.
     */
    private static <T> ReplyHandler completingWith(Function<Command, T> reply, Sender sender) {
        return (command, context, failure) -> {
            com.google.rpc.Status error = GrpcErrors.errorFor(command, failure);
            sender.send(
                    (StreamObserver<?>) context, error != null ? GrpcErrors.exception(error) : reply.apply(command));
        };
    }

    /** Answers a unary Reserve through {@code sender} and counts its outcome. */
    static ReplyHandler reserve(ServerMetrics metrics, Sender sender) {
        return (command, context, failure) -> {
            StreamObserver<?> observer = (StreamObserver<?>) context;
            com.google.rpc.Status error = GrpcErrors.errorFor(command, failure);
            if (error != null) {
                metrics.reserveOutcome(ReserveResult.REJECTED);
                sender.send(observer, GrpcErrors.exception(error));
            } else {
                ReserveReply reply = ProtoMapping.toReserveReply(command);
                metrics.reserveOutcome(reply.getResult());
                sender.send(observer, reply);
            }
        };
    }

    /** Ends a unary call: with {@code answer} as its one message, or with it as the error if it is a Throwable. */
    @SuppressWarnings("unchecked")
    static void answer(StreamObserver<?> observer, Object answer) {
        if (answer instanceof Throwable error) {
            observer.onError(error);
        } else {
            StreamObserver<Object> call = (StreamObserver<Object>) observer;
            call.onNext(answer);
            call.onCompleted();
        }
    }

    /**
     * Publishes a unary call's command, to be answered by {@code handler}; refuses the call at once
     * when {@link Admission} does (queueing delay, if {@code shed}; a full ring; shutdown).
     */
    static <A> void publish(
            Admission admission,
            CommandTranslator<A> translator,
            A request,
            ReplyHandler handler,
            StreamObserver<?> observer,
            boolean shed) {
        com.google.rpc.Status refusal = admission.publish(translator, request, handler, observer, shed);
        if (refusal != null) {
            observer.onError(GrpcErrors.exception(refusal));
        }
    }
}
