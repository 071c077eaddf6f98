package io.checkout.loadgen;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import io.checkout.proto.v1.CancelRequest;
import io.checkout.proto.v1.CheckoutGrpc;
import io.checkout.proto.v1.ConfirmRequest;
import io.checkout.proto.v1.GetOrderRequest;
import io.checkout.proto.v1.GetPartitionMapRequest;
import io.checkout.proto.v1.GetStockRequest;
import io.checkout.proto.v1.InventoryGrpc;
import io.checkout.proto.v1.ListSkusRequest;
import io.checkout.proto.v1.Order;
import io.checkout.proto.v1.OrderEventsGrpc;
import io.checkout.proto.v1.OrderLine;
import io.checkout.proto.v1.PartitionsGrpc;
import io.checkout.proto.v1.RefundRequest;
import io.checkout.proto.v1.ReserveBatch;
import io.checkout.proto.v1.ReserveRequest;
import io.checkout.proto.v1.Sku;
import io.checkout.proto.v1.SubscribeRequest;
import io.checkout.proto.v1.UpsertSkuRequest;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Hostile bytes against a running server (issue 21): for every method of the public services,
 * payloads that are random, or a valid request mutated (bits flipped, cut short, bytes inserted,
 * fields of the wrong wire type, invalid UTF-8 in string fields, a repeated field many thousand
 * times, groups nested thousands deep, overlong varints and lengths past the end, huge strings),
 * sent through a real gRPC channel as raw bytes; and, every so often, raw HTTP/2 on a socket of its
 * own (no preface, a preface and random frames, a frame cut short).
 *
 * <p>After every case three things are checked. The server answered with a status a client may
 * get (a parse failure is gRPC's own INTERNAL "Invalid protobuf byte sequence"; UNKNOWN means a
 * handler threw, and UNAVAILABLE that the server went away: both are failures). It still answers
 * (a read of the fuzzed SKUs and orders within a deadline). And a call that was refused changed
 * nothing: the SKUs and orders read after it equal those read before (a call that succeeded may
 * change them, and the reading after it is the new reference). The admin service is called
 * without the admin token (so every call must be refused, and none may change anything): its
 * parser and its authentication are fuzzed, not its powers.
 *
 * <p>Deterministic for a seed, except for what the server's timing decides. Not thread-safe: one
 * thread runs the cases.
 */
final class WireFuzzer {
    /** What was sent. */
    enum Mutation {
        RANDOM_BYTES,
        BIT_FLIPS,
        TRUNCATED,
        INSERTED_BYTES,
        CONCATENATED,
        WRONG_WIRE_TYPE,
        INVALID_UTF8,
        HUGE_REPEATED,
        DEEP_NESTING,
        BAD_VARINT_OR_LENGTH,
        HUGE_STRING,
        RAW_HTTP2
    }

    /** One method as the fuzzer calls it. */
    private record Target(MethodDescriptor<byte[], byte[]> method, byte[] valid, boolean mutating, int stringField) {}

    /** A case that broke a rule. */
    record Failure(long caseNumber, Mutation mutation, String method, String what) {}

    /** What a run did; the counts in the order of their keys (mutations as declared, statuses by name). */
    record Result(long cases, Map<Mutation, Long> byMutation, Map<String, Long> byStatus, List<Failure> failures) {
        boolean passed() {
            return failures.isEmpty();
        }
    }

    static final String SKU_PREFIX = "fuzz-";
    /** The most failures kept (the first ones tell the story). */
    private static final int FAILURES_KEPT = 20;

    /** What an HTTP/2 connection starts with. */
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private static final int CALL_DEADLINE_MILLIS = 2_000;
    /** A subscription never ends by itself: its calls end at this deadline. */
    private static final int SUBSCRIBE_DEADLINE_MILLIS = 100;

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private final ManagedChannel channel;
    private final InetSocketAddress address;
    private final SplittableRandom random;
    private final List<Target> targets = new ArrayList<>();
    private final List<String> skuIds;
    private final List<Long> orderIds;
    private final Map<Mutation, Long> byMutation = new EnumMap<>(Mutation.class);
    private final Map<String, Long> byStatus = new TreeMap<>();
    private final List<Failure> failures = new ArrayList<>();
    private long cases;
    private String reference;

    /**
     * @param channel a plaintext channel to the server
     * @param address the server's address, for raw HTTP/2
     * @param skuIds the SKUs whose state is checked (made by the caller, ids starting with {@value #SKU_PREFIX})
     * @param orderIds orders of those SKUs whose state is checked; the first is the one requests name
     */
    WireFuzzer(ManagedChannel channel, InetSocketAddress address, long seed, List<String> skuIds, List<Long> orderIds) {
        if (skuIds.isEmpty() || orderIds.isEmpty()) {
            throw new IllegalArgumentException("the fuzzer needs at least one SKU and one order to watch");
        }
        this.channel = channel;
        this.address = address;
        this.random = new SplittableRandom(seed);
        this.skuIds = List.copyOf(skuIds);
        this.orderIds = List.copyOf(orderIds);
        String sku = skuIds.get(0);
        long order = orderIds.get(0);
        ReserveRequest reserve = ReserveRequest.newBuilder()
                .setRequestId("fuzz-seed-reserve")
                .setUserId("fuzz-user")
                .addLines(OrderLine.newBuilder().setSkuId(sku).setQuantity(1))
                .build();
        add(CheckoutGrpc.getReserveMethod(), reserve, true, 1);
        add(CheckoutGrpc.getReserveStreamMethod(), reserve, true, 1);
        add(
                CheckoutGrpc.getReserveBatchStreamMethod(),
                ReserveBatch.newBuilder()
                        .addRequests(reserve)
                        .addRequests(reserve.toBuilder().setRequestId("fuzz-seed-2"))
                        .build(),
                true,
                -1);
        add(
                CheckoutGrpc.getConfirmMethod(),
                ConfirmRequest.newBuilder()
                        .setRequestId("fuzz-seed-confirm")
                        .setOrderId(order)
                        .build(),
                true,
                1);
        add(
                CheckoutGrpc.getCancelMethod(),
                CancelRequest.newBuilder()
                        .setRequestId("fuzz-seed-cancel")
                        .setOrderId(order)
                        .build(),
                true,
                1);
        add(
                CheckoutGrpc.getRefundMethod(),
                RefundRequest.newBuilder()
                        .setRequestId("fuzz-seed-refund")
                        .setOrderId(order)
                        .build(),
                true,
                1);
        add(
                CheckoutGrpc.getGetOrderMethod(),
                GetOrderRequest.newBuilder().setOrderId(order).build(),
                false,
                -1);
        add(
                CheckoutGrpc.getGetStockMethod(),
                GetStockRequest.newBuilder().setSkuId(sku).build(),
                false,
                1);
        add(
                InventoryGrpc.getUpsertSkuMethod(),
                UpsertSkuRequest.newBuilder().setRequestId("fuzz-seed-upsert").build(),
                true,
                1);
        add(
                InventoryGrpc.getListSkusMethod(),
                ListSkusRequest.newBuilder().setPageSize(10).build(),
                false,
                2);
        add(OrderEventsGrpc.getSubscribeMethod(), SubscribeRequest.getDefaultInstance(), false, -1);
        add(PartitionsGrpc.getGetPartitionMapMethod(), GetPartitionMapRequest.getDefaultInstance(), false, -1);
        add(
                HealthGrpc.getCheckMethod(),
                HealthCheckRequest.newBuilder().setService("").build(),
                false,
                1);
        this.reference = state();
    }

    private void add(MethodDescriptor<?, ?> method, MessageLite valid, boolean mutating, int stringField) {
        targets.add(new Target(method.toBuilder(BYTES, BYTES).build(), valid.toByteArray(), mutating, stringField));
    }

    /** Runs cases until {@code more} says stop or {@code maxCases} are done. */
    Result run(long maxCases, BooleanSupplier more) {
        while (cases < maxCases && more.getAsBoolean()) {
            cases++;
            if (cases % 50 == 0) {
                rawHttp2();
            } else {
                Target target = targets.get(random.nextInt(targets.size()));
                Mutation mutation = Mutation.values()[random.nextInt(Mutation.RAW_HTTP2.ordinal())];
                call(target, mutation, payload(target, mutation));
            }
        }
        return new Result(
                cases,
                java.util.Collections.unmodifiableMap(new EnumMap<>(byMutation)),
                java.util.Collections.unmodifiableMap(new TreeMap<>(byStatus)),
                List.copyOf(failures));
    }

    // ---- payloads ---------------------------------------------------------------------------------

    byte[] payload(Target target, Mutation mutation) {
        byte[] valid = target.valid();
        return switch (mutation) {
            case RANDOM_BYTES -> randomBytes(random.nextInt(4) == 0 ? random.nextInt(64 * 1024) : random.nextInt(64));
            case BIT_FLIPS -> {
                byte[] flipped = valid.clone();
                int flips = 1 + random.nextInt(8);
                for (int i = 0; i < flips && flipped.length > 0; i++) {
                    flipped[random.nextInt(flipped.length)] ^= (byte) (1 << random.nextInt(8));
                }
                yield flipped;
            }
            case TRUNCATED -> java.util.Arrays.copyOf(valid, valid.length == 0 ? 0 : random.nextInt(valid.length));
            case INSERTED_BYTES -> {
                int at = valid.length == 0 ? 0 : random.nextInt(valid.length + 1);
                byte[] inserted = randomBytes(1 + random.nextInt(16));
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                out.write(valid, 0, at);
                out.writeBytes(inserted);
                out.write(valid, at, valid.length - at);
                yield out.toByteArray();
            }
            case CONCATENATED -> concat(valid, valid, random.nextBoolean() ? valid : new byte[0]);
            case WRONG_WIRE_TYPE ->
                encode(out -> {
                    int field = 1 + random.nextInt(6);
                    switch (random.nextInt(4)) {
                        case 0 -> out.writeUInt64(field, random.nextLong()); // varint where a string or message is
                        case 1 -> out.writeFixed64(field, random.nextLong());
                        case 2 -> out.writeFixed32(field, random.nextInt());
                        default ->
                            out.writeByteArray(field, randomBytes(random.nextInt(32))); // bytes where a number is
                    }
                    out.writeRawBytes(valid);
                });
            case INVALID_UTF8 ->
                encode(out -> {
                    out.writeRawBytes(valid);
                    // A later occurrence of a field wins: the string field now holds what is not UTF-8.
                    byte[][] bad = {
                        {(byte) 0xC3, 0x28},
                        {(byte) 0xFF, (byte) 0xFE},
                        {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                        {'a', 0, 'b'},
                        {(byte) 0xF0, (byte) 0x9F}
                    };
                    int field = target.stringField() > 0 ? target.stringField() : 1 + random.nextInt(4);
                    out.writeByteArray(field, bad[random.nextInt(bad.length)]);
                });
            case HUGE_REPEATED ->
                encode(out -> {
                    out.writeRawBytes(valid);
                    byte[] line = OrderLine.newBuilder()
                            .setSkuId(SKU_PREFIX + "x")
                            .setQuantity(1)
                            .build()
                            .toByteArray();
                    int count = 1_000 + random.nextInt(random.nextBoolean() ? 10_000 : 400_000);
                    int field = 1 + random.nextInt(4);
                    for (int i = 0; i < count; i++) {
                        out.writeByteArray(field, line);
                    }
                });
            case DEEP_NESTING ->
                encode(out -> {
                    out.writeRawBytes(valid);
                    int depth = 50 + random.nextInt(20_000);
                    int field = random.nextBoolean() ? 3 : 99;
                    for (int i = 0; i < depth; i++) {
                        out.writeTag(field, 3); // start group
                    }
                    for (int i = 0; i < depth; i++) {
                        out.writeTag(field, 4); // end group
                    }
                });
            case BAD_VARINT_OR_LENGTH ->
                encode(out -> {
                    out.writeRawBytes(valid);
                    out.writeTag(1 + random.nextInt(4), 2);
                    if (random.nextBoolean()) {
                        out.writeRawBytes(new byte[] {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1}); // 11-byte varint
                    } else {
                        out.writeUInt32NoTag(Integer.MAX_VALUE - random.nextInt(1000)); // a length past the end
                        out.writeRawBytes(randomBytes(random.nextInt(8)));
                    }
                });
            case HUGE_STRING ->
                encode(out -> {
                    out.writeRawBytes(valid);
                    int field = target.stringField() > 0 ? target.stringField() : 1;
                    byte[] big = new byte[random.nextBoolean() ? 70_000 : 3_000_000];
                    java.util.Arrays.fill(big, (byte) 'z');
                    out.writeByteArray(field, big);
                });
            case RAW_HTTP2 -> throw new IllegalArgumentException("raw HTTP/2 goes on its own socket");
        };
    }

    private byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) random.nextInt(256);
        }
        return bytes;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private interface Writer {
        void write(CodedOutputStream out) throws IOException;
    }

    private static byte[] encode(Writer writer) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        try {
            writer.write(out);
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    // ---- calls --------------------------------------------------------------------------------

    private void call(Target target, Mutation mutation, byte[] payload) {
        byMutation.merge(mutation, 1L, Long::sum);
        Status status = send(target.method(), payload, mutation == Mutation.CONCATENATED ? 2 : 1);
        String method = target.method().getBareMethodName();
        byStatus.merge(status.getCode().name(), 1L, Long::sum);
        String unexpected = unexpected(status);
        if (unexpected != null) {
            fail(mutation, method, unexpected);
        }
        // A mutating call that succeeded may have changed the state, and one that ran out of time may
        // still be applied after the status came (its outcome is unknown to the caller).
        boolean mayChange = target.mutating() && (status.isOk() || status.getCode() == Status.Code.DEADLINE_EXCEEDED);
        check(mutation, method, mayChange);
    }

    /** Sends {@code payload} (on a stream, {@code messages} times) and returns how the call ended. */
    private Status send(MethodDescriptor<byte[], byte[]> method, byte[] payload, int messages) {
        int deadlineMillis = method.getType() == MethodDescriptor.MethodType.SERVER_STREAMING
                ? SUBSCRIBE_DEADLINE_MILLIS
                : CALL_DEADLINE_MILLIS;
        ClientCall<byte[], byte[]> call =
                channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS));
        CompletableFuture<Status> closed = new CompletableFuture<>();
        call.start(
                new ClientCall.Listener<>() {
                    @Override
                    public void onClose(Status status, Metadata trailers) {
                        closed.complete(status);
                    }
                },
                new Metadata());
        call.request(Integer.MAX_VALUE);
        boolean client = method.getType().clientSendsOneMessage();
        for (int i = 0; i < (client ? 1 : messages); i++) {
            call.sendMessage(payload);
        }
        call.halfClose();
        try {
            return closed.get(deadlineMillis + 5_000L, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            call.cancel("the fuzzer gave up", null);
            return Status.UNKNOWN.withDescription("no status within the deadline and 5 s more");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            return Status.fromThrowable(e.getCause());
        }
    }

    /** Why a status is not one a hostile request may get; null if it is. */
    static String unexpected(Status status) {
        String description = Objects.requireNonNullElse(status.getDescription(), "");
        return switch (status.getCode()) {
            case OK,
                    INVALID_ARGUMENT,
                    FAILED_PRECONDITION,
                    NOT_FOUND,
                    OUT_OF_RANGE,
                    ALREADY_EXISTS,
                    RESOURCE_EXHAUSTED,
                    UNAUTHENTICATED,
                    PERMISSION_DENIED,
                    UNIMPLEMENTED,
                    DEADLINE_EXCEEDED -> null;
            // gRPC's own answer to bytes its parser refuses; any other INTERNAL is ours, and a bug.
            case INTERNAL ->
                description.startsWith("Invalid protobuf byte sequence") ? null : "INTERNAL: " + description;
            default -> status.getCode() + ": " + description;
        };
    }

    // ---- checks -------------------------------------------------------------------------------

    /** The server still answers; and, unless the call may have changed something, nothing changed. */
    private void check(Mutation mutation, String method, boolean mayChange) {
        String after;
        try {
            after = state();
        } catch (RuntimeException e) {
            fail(mutation, method, "the server stopped answering reads: " + e);
            return;
        }
        if (!mayChange && !after.equals(reference)) {
            fail(
                    mutation,
                    method,
                    "a refused or read-only call changed the state: before " + reference + ", after " + after);
        }
        reference = after;
    }

    /** The watched SKUs' and orders' state as text. */
    private String state() {
        StringBuilder text = new StringBuilder();
        CheckoutGrpc.CheckoutBlockingStub checkout =
                CheckoutGrpc.newBlockingStub(channel).withDeadlineAfter(CALL_DEADLINE_MILLIS, TimeUnit.MILLISECONDS);
        for (String skuId : skuIds) {
            Sku sku = checkout.getStock(
                    GetStockRequest.newBuilder().setSkuId(skuId).build());
            text.append(sku.getSkuId())
                    .append(':')
                    .append(sku.getAvailable())
                    .append('/')
                    .append(sku.getReserved())
                    .append('/')
                    .append(sku.getSold())
                    .append(' ');
        }
        for (long orderId : orderIds) {
            Order order = checkout.getOrder(
                    GetOrderRequest.newBuilder().setOrderId(orderId).build());
            text.append(orderId).append(':').append(order.getState()).append(' ');
        }
        return text.toString();
    }

    private void fail(Mutation mutation, String method, String what) {
        if (failures.size() < FAILURES_KEPT) {
            failures.add(new Failure(cases, mutation, method, what));
        }
    }

    // ---- raw HTTP/2 ---------------------------------------------------------------------------

    private void rawHttp2() {
        byMutation.merge(Mutation.RAW_HTTP2, 1L, Long::sum);
        byte[] bytes = switch (random.nextInt(4)) {
            case 0 -> randomBytes(1 + random.nextInt(4096)); // no preface at all
            case 1 -> concat(PREFACE, frame(4, 0, 0, new byte[0]), randomFrames()); // settings, then random frames
            case 2 -> concat(PREFACE, frame(4, 0, 0, new byte[0]), frame(1, 4, 1, randomBytes(random.nextInt(200))));
            default -> {
                byte[] whole = concat(PREFACE, frame(4, 0, 0, new byte[0]), frame(0, 0, 1, randomBytes(5000)));
                yield java.util.Arrays.copyOf(whole, PREFACE.length + 9 + 9 + random.nextInt(4000)); // cut short
            }
        };
        try (Socket socket = new Socket()) {
            socket.connect(address, CALL_DEADLINE_MILLIS);
            socket.setSoTimeout(200);
            OutputStream out = socket.getOutputStream();
            out.write(bytes);
            out.flush();
            try {
                socket.getInputStream().read(new byte[4096]); // whatever the server says (a GOAWAY), or nothing
            } catch (java.net.SocketTimeoutException | java.net.SocketException ignored) {
                // nothing to read, or the server closed the connection: both fine
            }
        } catch (IOException e) {
            fail(Mutation.RAW_HTTP2, "(socket)", "could not connect: " + e);
            return;
        }
        byStatus.merge("RAW_HTTP2_SENT", 1L, Long::sum);
        check(Mutation.RAW_HTTP2, "(socket)", false);
    }

    private byte[] randomFrames() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int frames = 1 + random.nextInt(8);
        for (int i = 0; i < frames; i++) {
            out.writeBytes(frame(
                    random.nextInt(12), random.nextInt(256), random.nextInt(8), randomBytes(random.nextInt(300))));
        }
        return out.toByteArray();
    }

    /** An HTTP/2 frame: 24-bit length, type, flags, 31-bit stream id, payload. */
    private static byte[] frame(int type, int flags, int streamId, byte[] payload) {
        byte[] frame = new byte[9 + payload.length];
        frame[0] = (byte) (payload.length >>> 16);
        frame[1] = (byte) (payload.length >>> 8);
        frame[2] = (byte) payload.length;
        frame[3] = (byte) type;
        frame[4] = (byte) flags;
        frame[5] = (byte) (streamId >>> 24 & 0x7F);
        frame[6] = (byte) (streamId >>> 16);
        frame[7] = (byte) (streamId >>> 8);
        frame[8] = (byte) streamId;
        System.arraycopy(payload, 0, frame, 9, payload.length);
        return frame;
    }
}
