package io.checkout.server;

import io.checkout.engine.Command;
import io.checkout.engine.EngineLimits;
import io.checkout.pipeline.ReplyHandler;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.ReserveResult;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/**
 * One ReserveStream call. Inbound flow control bounds the work a stream can have in the server:
 * at most {@code window} requests are requested from the transport and not yet answered. A new
 * request is asked for only when an answer has been sent and the transport can take more, so a
 * caller that stops reading replies stops being read from, and nothing buffers without bound.
 *
 * <p>Answers come from the replier thread, except rejections made before publishing, which come
 * from the gRPC thread; the lock keeps calls on the response observer one at a time, as gRPC needs.
 */
final class ReserveStreamSession implements StreamObserver<ReserveRequest> {
    /** Publishes a request to the ring; null if it did, otherwise why not. */
    interface Publisher {
        com.google.rpc.Status publish(ReserveRequest request, ReserveStreamSession session);
    }

    static final ReplyHandler REPLY = (command, context, failure) -> ((ReserveStreamSession) context).answer(command, failure);

    private final ServerCallStreamObserver<ReserveReply> out;
    private final Publisher publisher;
    private final ServerMetrics metrics;
    private final Object lock = new Object();
    private int inFlight;
    private int unrequested;
    private boolean halfClosed;
    private boolean finished;

    ReserveStreamSession(ServerCallStreamObserver<ReserveReply> out, int window, Publisher publisher, ServerMetrics metrics) {
        this.out = out;
        this.publisher = publisher;
        this.metrics = metrics;
        out.disableAutoRequest();
        out.setOnReadyHandler(this::onReady);
        out.setOnCancelHandler(this::onCancel);
        out.request(window);
    }

    @Override
    public void onNext(ReserveRequest request) {
        synchronized (lock) {
            inFlight++;
        }
        if (request.getLinesCount() > EngineLimits.LINES_PER_ORDER_MAX) {
            send(rejected(request.getRequestId(), GrpcErrors.tooManyLines(request.getLinesCount())));
        } else {
            com.google.rpc.Status refused = publisher.publish(request, this);
            if (refused != null) {
                send(rejected(request.getRequestId(), refused));
            }
        }
    }

    private void answer(Command command, Throwable failure) {
        ReserveReply reply;
        if (failure != null) {
            reply = rejected(command.requestId, GrpcErrors.ENGINE_STOPPED);
        } else {
            com.google.rpc.Status error = GrpcErrors.errorFor(command);
            reply = error == null ? ProtoMapping.toReserveReply(command) : rejected(command.requestId, error);
        }
        send(reply);
    }

    private static ReserveReply rejected(String requestId, com.google.rpc.Status error) {
        return ReserveReply.newBuilder().setRequestId(requestId).setResult(ReserveResult.REJECTED).setError(error).build();
    }

    private void send(ReserveReply reply) {
        metrics.reserveOutcome(reply.getResult());
        synchronized (lock) {
            inFlight--;
            if (finished) {
                return;
            }
            out.onNext(reply);
            if (halfClosed) {
                finishIfDrained();
            } else if (out.isReady()) {
                out.request(1);
            } else {
                unrequested++;
            }
        }
    }

    private void onReady() {
        synchronized (lock) {
            if (!finished && !halfClosed && unrequested > 0) {
                out.request(unrequested);
                unrequested = 0;
            }
        }
    }

    private void onCancel() {
        synchronized (lock) {
            finished = true;
        }
    }

    @Override
    public void onError(Throwable t) {
        synchronized (lock) {
            finished = true;
        }
    }

    @Override
    public void onCompleted() {
        synchronized (lock) {
            halfClosed = true;
            finishIfDrained();
        }
    }

    private void finishIfDrained() {
        if (!finished && inFlight == 0) {
            finished = true;
            out.onCompleted();
        }
    }
}
