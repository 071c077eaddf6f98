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
 * had no room for. Stateless, shared by every call.
 */
final class UnaryReplies {
    static final ReplyHandler ORDER = completingWith(ProtoMapping::toOrder);

    static final ReplyHandler SKU = completingWith(command -> ProtoMapping.toSku(command.sku));

    static final ReplyHandler SKU_PAGE = completingWith(ProtoMapping::toListSkusReply);

    static final ReplyHandler MERCHANT = completingWith(ProtoMapping::toMerchant);

    static final ReplyHandler SKU_GROUP = completingWith(ProtoMapping::toSkuGroup);

    static final ReplyHandler CAMPAIGN = completingWith(ProtoMapping::toCampaign);

    static final ReplyHandler USER_RISK = completingWith(ProtoMapping::toUserRisk);

    static final ReplyHandler RISK_RULES = completingWith(ProtoMapping::toRiskRules);

    static final ReplyHandler USER_ORDERS = completingWith(ProtoMapping::toListUserOrdersReply);

    private UnaryReplies() {}

    /**
     * A handler that answers with {@code reply}'s message built from the command, or with the
     * error the command ended in. Built once per kind of call; it captures only {@code reply}.
     */
    private static <T> ReplyHandler completingWith(Function<Command, T> reply) {
        return (command, context, failure) -> {
            @SuppressWarnings("unchecked")
            StreamObserver<T> observer = (StreamObserver<T>) context;
            if (!answeredWithError(command, failure, observer)) {
                observer.onNext(reply.apply(command));
                observer.onCompleted();
            }
        };
    }

    /** Answers a unary Reserve and counts its outcome. */
    static ReplyHandler reserve(ServerMetrics metrics) {
        return (command, context, failure) -> {
            @SuppressWarnings("unchecked")
            StreamObserver<ReserveReply> observer = (StreamObserver<ReserveReply>) context;
            if (answeredWithError(command, failure, observer)) {
                metrics.reserveOutcome(ReserveResult.REJECTED);
            } else {
                ReserveReply reply = ProtoMapping.toReserveReply(command);
                metrics.reserveOutcome(reply.getResult());
                observer.onNext(reply);
                observer.onCompleted();
            }
        };
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

    /** Sends the error if the command failed or ended in an error result; returns whether it did. */
    private static boolean answeredWithError(Command command, Throwable failure, StreamObserver<?> observer) {
        com.google.rpc.Status error = GrpcErrors.errorFor(command, failure);
        if (error != null) {
            observer.onError(GrpcErrors.exception(error));
            return true;
        }
        return false;
    }
}
