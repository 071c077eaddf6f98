/**
 * Java client for the checkout core's {@code checkout.v1} gRPC contract.
 *
 * <p>{@link io.checkout.client.CheckoutClient} wraps the unary calls with per-attempt deadlines,
 * generated request ids and retries that are safe because they repeat the same request id;
 * {@link io.checkout.client.StreamingReserver} reserves over one flow-controlled bidirectional
 * stream for high-rate callers, and {@link io.checkout.client.BatchStreamingReserver} sends many
 * reserves per message on one stream, for the highest rates.
 */
package io.checkout.client;
