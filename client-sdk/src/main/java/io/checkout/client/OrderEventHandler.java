package io.checkout.client;

import io.checkout.proto.v1.OrderEvent;

/**
 * What an {@link OrderEventSubscription} hands its events to, given to {@link
 * CheckoutClient#subscribeOrderEvents}. Both methods are called on the subscription's own thread,
 * never on a gRPC thread, one call at a time.
 */
public interface OrderEventHandler {

    /**
     * Handles the next event: called for one event at a time, in sequence order, each event once.
     * The next event is requested from the server only as calls return, so a slow handler slows the
     * feed rather than filling the client's memory. An event counts as handed out (and becomes
     * {@link OrderEventSubscription#lastSequence()}) only when this returns normally.
     *
     * @param event the event whose sequence follows the last one handed out
     * @throws Exception to stop the subscription: the event does not count as handed out, so a new
     *     subscription from {@link OrderEventSubscription#lastSequence()} delivers it again, and
     *     {@link #onError} gets what was thrown
     */
    void onEvent(OrderEvent event) throws Exception;

    /**
     * Called once if the subscription stops by itself, after the last {@link #onEvent} call
     * returned; not called when the caller closes it. {@code error} is what stopped it: a
     * {@link io.grpc.StatusRuntimeException} for a failure that retrying cannot heal ({@code
     * OUT_OF_RANGE} when the server no longer keeps the events after the last sequence, {@code
     * PERMISSION_DENIED}, {@code UNAUTHENTICATED}, {@code INVALID_ARGUMENT}, {@code UNIMPLEMENTED},
     * ...), {@code DATA_LOSS} for an event whose sequence does not follow the last one handed out,
     * or the exception {@link #onEvent} threw. The default does nothing; the failure can also be
     * read from {@link OrderEventSubscription#failure()}. What this method throws is logged and
     * otherwise ignored.
     *
     * @param error why the subscription stopped
     */
    default void onError(Throwable error) {}
}
