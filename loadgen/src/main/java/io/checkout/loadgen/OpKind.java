package io.checkout.loadgen;

/** The operations a run sends; each has its own latency histogram. */
enum OpKind {
    RESERVE("reserve"),
    CONFIRM("confirm"),
    CANCEL("cancel"),
    GET_ORDER("get-order"),
    HEALTH_CHECK("health-check");

    private final String label;

    OpKind(String label) {
        this.label = label;
    }

    String label() {
        return label;
    }
}
