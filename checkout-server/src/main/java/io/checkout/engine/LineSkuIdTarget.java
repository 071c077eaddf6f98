package io.checkout.engine;

/** Where the engine writes the SKU ids of an answered order's lines: a command's answer, or an order of a listed page. */
interface LineSkuIdTarget {
    /** Sets the SKU id of order line {@code line} (0 <= line < LINES_PER_ORDER_MAX). */
    void orderLineSkuId(int line, String skuId);
}
