package io.checkout.server;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import com.google.protobuf.UnknownFieldSet;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * Bytes that are not a valid request message get INVALID_ARGUMENT, quietly.
 *
 * <p>grpc-java treats a request its parser refuses as an application error: the call ends with
 * UNKNOWN ("Application error processing RPC") and the server logs a SEVERE stack trace of some
 * eighty lines, per message. A client sending garbage then gets an answer that says nothing, and a
 * hostile one fills the server's log (and its disk) at will. Found by {@code loadgen fuzz}.
 *
 * <p>So every service's request marshaller is wrapped ({@link #lenient}): when the real one refuses
 * the bytes, the wrapper returns the message type's default instance carrying a marker (an unknown
 * field with this process's random nonce and the parser's reason) instead of throwing. The
 * interceptor ({@link #INTERCEPTOR}) ends a call whose client sends one message with
 * INVALID_ARGUMENT naming the message type and the reason, before the handler sees it. On a stream
 * of requests the marked message goes on to the handler, which answers that one message as
 * rejected and keeps the stream ({@link #refusal}); a stream's own handler knows how to answer
 * without racing its reply thread, which closing the call here would not.
 */
final class UnparseableRequests {
    /** The interceptor that answers unparseable single-message requests; register it on the server. */
    static final ServerInterceptor INTERCEPTOR = new Interceptor();

    /** An unknown-field number no request of ours uses (the largest protobuf allows). */
    private static final int MARKER_FIELD = (1 << 29) - 1;
    /** Told apart from a client's own use of the field by a nonce it cannot know. */
    private static final long NONCE = new SecureRandom().nextLong();

    private UnparseableRequests() {}

    /** {@code service} with request marshallers that mark, rather than throw on, bytes they cannot parse. */
    static ServerServiceDefinition lenient(ServerServiceDefinition service) {
        ServiceDescriptor descriptor = service.getServiceDescriptor();
        List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>();
        ServiceDescriptor.Builder wrapped = ServiceDescriptor.newBuilder(descriptor.getName())
                .setSchemaDescriptor(descriptor.getSchemaDescriptor());
        for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
            ServerMethodDefinition<?, ?> lenientMethod = lenient(method);
            methods.add(lenientMethod);
            wrapped.addMethod(lenientMethod.getMethodDescriptor());
        }
        ServerServiceDefinition.Builder builder = ServerServiceDefinition.builder(wrapped.build());
        for (ServerMethodDefinition<?, ?> method : methods) {
            builder.addMethod(method);
        }
        return builder.build();
    }

    private static <ReqT, RespT> ServerMethodDefinition<ReqT, RespT> lenient(
            ServerMethodDefinition<ReqT, RespT> method) {
        MethodDescriptor<ReqT, RespT> descriptor = method.getMethodDescriptor();
        if (!(descriptor.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<ReqT> marshaller)
                || !(marshaller.getMessagePrototype() instanceof Message)) {
            return method; // not a protobuf message: left as it is
        }
        MethodDescriptor<ReqT, RespT> lenient = descriptor.toBuilder()
                .setRequestMarshaller(new LenientMarshaller<>(marshaller))
                .build();
        return ServerMethodDefinition.create(lenient, method.getServerCallHandler());
    }

    /** Whether {@code message} stands for bytes that did not parse. */
    static boolean isMarked(Object message) {
        if (!(message instanceof Message parsed)) {
            return false;
        }
        UnknownFieldSet unknown = parsed.getUnknownFields();
        // A request without unknown fields (nearly all) has the shared empty set: no lookup, no allocation.
        if (unknown == UnknownFieldSet.getDefaultInstance() || !unknown.hasField(MARKER_FIELD)) {
            return false;
        }
        List<Long> nonce = unknown.getField(MARKER_FIELD).getFixed64List();
        return nonce.size() == 1 && nonce.get(0) == NONCE;
    }

    /** The INVALID_ARGUMENT for a marked message: its type and why it did not parse. */
    static com.google.rpc.Status refusal(Object message) {
        Message marked = (Message) message;
        List<ByteString> reasons =
                marked.getUnknownFields().getField(MARKER_FIELD).getLengthDelimitedList();
        String reason = reasons.isEmpty() ? "" : reasons.get(0).toString(StandardCharsets.UTF_8);
        return com.google.rpc.Status.newBuilder()
                .setCode(Status.Code.INVALID_ARGUMENT.value())
                .setMessage("the request is not a valid "
                        + marked.getDescriptorForType().getFullName() + " message: " + reason)
                .build();
    }

    private static final class LenientMarshaller<T> implements MethodDescriptor.PrototypeMarshaller<T> {
        private final MethodDescriptor.PrototypeMarshaller<T> parser;

        LenientMarshaller(MethodDescriptor.PrototypeMarshaller<T> parser) {
            this.parser = parser;
        }

        @Override
        public InputStream stream(T value) {
            return parser.stream(value);
        }

        @Override
        @SuppressWarnings("unchecked")
        public T parse(InputStream stream) {
            try {
                return parser.parse(stream);
            } catch (StatusRuntimeException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                String reason = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
                if (reason.length() > 200) {
                    reason = reason.substring(0, 200);
                }
                Message prototype = (Message) parser.getMessagePrototype();
                UnknownFieldSet marker = UnknownFieldSet.newBuilder()
                        .addField(
                                MARKER_FIELD,
                                UnknownFieldSet.Field.newBuilder()
                                        .addFixed64(NONCE)
                                        .addLengthDelimited(ByteString.copyFromUtf8(reason))
                                        .build())
                        .build();
                return (T) prototype.toBuilder().setUnknownFields(marker).build();
            }
        }

        @Override
        public Class<T> getMessageClass() {
            return parser.getMessageClass();
        }

        @Override
        public T getMessagePrototype() {
            return parser.getMessagePrototype();
        }
    }

    /** A call that ignores a second close (a closed call throws on one). */
    private static final class ClosedOnce<ReqT, RespT>
            extends io.grpc.ForwardingServerCall.SimpleForwardingServerCall<ReqT, RespT> {
        private final java.util.concurrent.atomic.AtomicBoolean closed =
                new java.util.concurrent.atomic.AtomicBoolean();

        ClosedOnce(ServerCall<ReqT, RespT> call) {
            super(call);
        }

        @Override
        public void close(Status status, Metadata trailers) {
            if (closed.compareAndSet(false, true)) {
                super.close(status, trailers);
            }
        }
    }

    private static final class Interceptor implements ServerInterceptor {
        @Override
        public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
                ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
            if (!call.getMethodDescriptor().getType().clientSendsOneMessage()) {
                return next.startCall(call, headers); // a stream's handler answers a marked message itself
            }
            // Whoever closes the call first (an interceptor inside, such as the admin check, may have
            // closed it before any message came), it is closed once.
            ClosedOnce<ReqT, RespT> once = new ClosedOnce<>(call);
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
                    next.startCall(once, headers)) {
                private boolean refused;

                @Override
                public void onMessage(ReqT message) {
                    if (refused) {
                        return;
                    }
                    if (isMarked(message)) {
                        refused = true;
                        once.close(
                                Status.INVALID_ARGUMENT.withDescription(
                                        refusal(message).getMessage()),
                                new Metadata());
                        return;
                    }
                    super.onMessage(message);
                }

                @Override
                public void onHalfClose() {
                    if (!refused) {
                        super.onHalfClose();
                    }
                }

                @Override
                public void onReady() {
                    if (!refused) {
                        super.onReady();
                    }
                }
            };
        }
    }
}
