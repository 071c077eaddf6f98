/**
 * Java client for the checkout core's {@code checkout.v1} gRPC contract.
 *
 * <p>{@link io.checkout.client.CheckoutClient} wraps the unary calls with per-attempt deadlines,
 * generated request ids and retries that are safe because they repeat the same request id;
 * {@link io.checkout.client.StreamingReserver} reserves over one flow-controlled bidirectional
 * stream for high-rate callers, and {@link io.checkout.client.BatchStreamingReserver} sends many
 * reserves per message on one stream, for the highest rates.
 * {@link io.checkout.client.OrderEventSubscription} follows the {@code OrderEvents} change feed,
 * resubscribing after failures from the last event it handed out, so each event is handled once.
 */
package io.checkout.client;
