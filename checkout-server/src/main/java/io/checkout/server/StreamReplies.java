package io.checkout.server;

import io.checkout.engine.Command;
import io.checkout.proto.v1.ReserveReply;
import io.checkout.proto.v1.ReserveResult;

/**
 * Answers on the reserve streams (ReserveStream, ReserveBatchStream): every reserve gets a
 * {@link ReserveReply}, and what would end a unary call with an error status is a REJECTED reply
 * carrying that status, so one bad reserve never ends the stream of the others.
 */
final class StreamReplies {
    private StreamReplies() {}

    /** The answer to a reserve the pipeline ran, or could not run ({@code failure} not null). */
    static ReserveReply answer(Command command, Throwable failure) {
        com.google.rpc.Status error = GrpcErrors.errorFor(command, failure);
        return error == null ? ProtoMapping.toReserveReply(command) : rejected(command.requestId.asString(), error);
    }

    /** A reserve refused with {@code error}, before or by the engine. */
    static ReserveReply rejected(String requestId, com.google.rpc.Status error) {
        return ReserveReply.newBuilder()
                .setRequestId(requestId)
                .setResult(ReserveResult.REJECTED)
                .setError(error)
                .build();
    }
}
