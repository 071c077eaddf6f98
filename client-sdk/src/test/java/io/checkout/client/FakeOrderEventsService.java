package io.checkout.client;

import io.checkout.proto.v1.OrderEvent;
import io.checkout.proto.v1.OrderEventType;
import io.checkout.proto.v1.OrderEventsGrpc;
import io.checkout.proto.v1.SubscribeRequest;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A scripted {@code OrderEvents} service over an event log of sequences {@code firstKept..published}.
 * Like the real server, each subscription sends from its own thread and only while the transport
 * is ready (so only as far as the client asked for), answers OUT_OF_RANGE for a sequence no longer
 * kept, and waits for more events once it has sent all there are. What a subscription does besides
 * is up to the next queued {@link Script}: send a number of events and then end, start earlier
 * than asked (overlap), skip an event (gap), or refuse at once.
 */
final class FakeOrderEventsService extends OrderEventsGrpc.OrderEventsImplBase implements AutoCloseable {

    /** What one subscription does. */
    record Script(int rewind, int sendThenEnd, Status endWith, int gapAfter) {
        /** Sends everything there is and waits for more, until cancelled: the default. */
        static Script live() {
            return new Script(0, -1, null, -1);
        }

        /** Sends {@code events} events, then ends the stream with {@code status} (OK: completes it). */
        static Script sendThenEnd(int events, Status status) {
            return new Script(0, events, status, -1);
        }

        /** Refuses at once with {@code status}. */
        static Script refuse(Status status) {
            return sendThenEnd(0, status);
        }

        /** Starts {@code events} events before what was asked for. */
        Script rewind(int events) {
            return new Script(events, sendThenEnd, endWith, gapAfter);
        }

        /** Leaves one event out after sending {@code events}. */
        Script gapAfter(int events) {
            return new Script(rewind, sendThenEnd, endWith, events);
        }
    }

    private final Object lock = new Object();
    private final Deque<Script> scripts = new ConcurrentLinkedDeque<>();
    private final ExecutorService senders = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "fake-order-events");
        thread.setDaemon(true);
        return thread;
    });
    private final List<Long> fromSequences = new CopyOnWriteArrayList<>();
    private final List<Long> clientLastSequenceAtSubscribe = new CopyOnWriteArrayList<>();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicInteger cancelled = new AtomicInteger();
    private final AtomicInteger waitingForReady = new AtomicInteger();
    private final AtomicLong readySignals = new AtomicLong();
    private volatile LongSupplier clientLastSequence = () -> -1;
    // Guarded by lock.
    private long firstKept = 1;
    private long published;

    /** Makes events up to {@code sequence} available. */
    void publishUpTo(long sequence) {
        synchronized (lock) {
            published = Math.max(published, sequence);
            lock.notifyAll();
        }
    }

    /** Forgets the events before {@code sequence}, as a server that pruned its event log. */
    void keepFrom(long sequence) {
        synchronized (lock) {
            firstKept = sequence;
        }
    }

    /** The next subscriptions follow these scripts, one each; after them, {@link Script#live()}. */
    void script(Script... next) {
        scripts.addAll(List.of(next));
    }

    /** Records what the client's last sequence was at each Subscribe, read through {@code last}. */
    void watchClient(LongSupplier last) {
        clientLastSequence = last;
    }

    /** The {@code from_sequence} of every Subscribe, in order. */
    List<Long> fromSequences() {
        return fromSequences;
    }

    /** The client's last sequence handed out at each Subscribe (see {@link #watchClient}). */
    List<Long> clientLastSequenceAtSubscribe() {
        return clientLastSequenceAtSubscribe;
    }

    /** Events sent over all subscriptions. */
    long sent() {
        return sent.get();
    }

    /** Subscriptions the client cancelled. */
    int cancelled() {
        return cancelled.get();
    }

    /** Subscriptions waiting now because the client has not asked for more. */
    int waitingForReady() {
        return waitingForReady.get();
    }

    static OrderEvent event(long sequence) {
        return OrderEvent.newBuilder()
                .setSequence(sequence)
                .setType(OrderEventType.ORDER_EVENT_TYPE_ORDER_RESERVED)
                .setJournalSequence(sequence)
                .build();
    }

    @Override
    public void subscribe(SubscribeRequest request, StreamObserver<OrderEvent> responseObserver) {
        ServerCallStreamObserver<OrderEvent> observer = (ServerCallStreamObserver<OrderEvent>) responseObserver;
        long from = request.getFromSequence();
        fromSequences.add(from);
        clientLastSequenceAtSubscribe.add(clientLastSequence.getAsLong());
        Script script = scripts.poll();
        if (script == null) {
            script = Script.live();
        }
        boolean[] gone = new boolean[1];
        observer.setOnCancelHandler(() -> {
            cancelled.incrementAndGet();
            synchronized (lock) {
                gone[0] = true;
                lock.notifyAll();
            }
        });
        observer.setOnReadyHandler(() -> {
            readySignals.incrementAndGet();
            synchronized (lock) {
                lock.notifyAll();
            }
        });
        Script chosen = script;
        senders.execute(() -> send(observer, from, chosen, gone));
    }

    private void send(ServerCallStreamObserver<OrderEvent> observer, long from, Script script, boolean[] gone) {
        long next;
        boolean kept;
        synchronized (lock) {
            kept = from == 0 || from >= firstKept - 1;
            next = Math.max(from == 0 ? firstKept : from + 1 - script.rewind(), firstKept);
        }
        if (!kept) {
            observer.onError(Status.OUT_OF_RANGE
                    .withDescription("sequence " + from + " is no longer kept")
                    .asRuntimeException());
            return;
        }
        int count = 0;
        boolean gapLeft = script.gapAfter() >= 0;
        try {
            while (true) {
                if (script.sendThenEnd() >= 0 && count == script.sendThenEnd()) {
                    if (script.endWith() == null || script.endWith().isOk()) {
                        observer.onCompleted();
                    } else {
                        observer.onError(script.endWith().asRuntimeException());
                    }
                    return;
                }
                synchronized (lock) {
                    if (gone[0]) {
                        return;
                    }
                    if (next > published) {
                        lock.wait(100);
                        continue;
                    }
                }
                // Asked outside the lock: the transport may call the ready handler holding its own.
                long readySeen = readySignals.get();
                if (!observer.isReady()) {
                    waitingForReady.incrementAndGet();
                    try {
                        synchronized (lock) {
                            if (!gone[0] && readySignals.get() == readySeen) {
                                lock.wait(100);
                            }
                        }
                    } finally {
                        waitingForReady.decrementAndGet();
                    }
                    continue;
                }
                if (gapLeft && count == script.gapAfter()) {
                    gapLeft = false;
                    next++;
                }
                observer.onNext(event(next));
                sent.incrementAndGet();
                next++;
                count++;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // The call was cancelled or the server shut down under us.
        }
    }

    @Override
    public void close() {
        senders.shutdownNow();
    }
}
