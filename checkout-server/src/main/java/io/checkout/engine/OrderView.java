package io.checkout.engine;

/**
 * An order as an answer shows it: the record, its lines' SKU ids, and their merchants, rates and
 * stores. A query that lists orders makes one per order listed (a read path, which may allocate).
 */
public final class OrderView implements LineSkuIdTarget {
    public final OrderRecord order = new OrderRecord();
    public final String[] lineSkuIds = new String[EngineLimits.LINES_PER_ORDER_MAX];
    public final LineParties parties = new LineParties();

    @Override
    public void orderLineSkuId(int line, String skuId) {
        lineSkuIds[line] = skuId;
    }
}
