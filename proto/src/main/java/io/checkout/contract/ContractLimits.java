package io.checkout.contract;

/**
 * The hard limits of the checkout contract that the server and its callers must agree on, defined
 * once so that neither side can drift from the other. The server enforces each of them, and its
 * settings may only tighten them; the client SDK and the load generator check their input against
 * the same values so that they never send what the server is bound to refuse.
 */
public final class ContractLimits {

    /** Longest request, user and SKU id in characters: the server refuses longer ids, the SDK refuses to send a longer request id. */
    public static final int ID_LENGTH_MAX = 64;

    /** Largest {@code page_size} of ListSkus: the server refuses a larger one, the SDK's listSkus refuses to ask for one. */
    public static final int LIST_PAGE_SIZE_MAX = 1_000;

    /** Largest ReserveBatchStream batch: the server's stream-batch-max setting cannot exceed it, the SDK's batch stream refuses a larger batch size. */
    public static final int STREAM_BATCH_SIZE_MAX = 4_096;

    /** Most units in one order line: the server refuses more (its quantity-per-line-max may lower it), loadgen's --quantity stays within it. */
    public static final int QUANTITY_PER_LINE_MAX = 1_000_000;

    /** Most units of stock one SKU may hold: the server refuses more, loadgen's --stock stays within it. */
    public static final long TOTAL_STOCK_MAX = 1_000_000_000L;

    /** Shortest reservation time-to-live of a SKU: the server refuses a shorter one, loadgen's --reservation-ttl stays within it. */
    public static final long RESERVATION_TTL_MILLIS_MIN = 1_000L;

    /** Longest reservation time-to-live of a SKU: the server refuses a longer one, loadgen's --reservation-ttl stays within it. */
    public static final long RESERVATION_TTL_MILLIS_MAX = 86_400_000L;

    private ContractLimits() {}
}
