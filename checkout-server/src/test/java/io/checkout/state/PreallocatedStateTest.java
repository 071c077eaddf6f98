package io.checkout.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.checkout.engine.CheckoutBook;
import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.ResultCode;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * {@code state-memory=preallocate}: the tables take their capacities' memory at start-up, so that a
 * reserve allocates nothing, and a heap too small for them fails the start with a message naming the
 * capacities. Answers are the same either way ({@code CheckoutSimulationTest} runs a preallocated
 * state against the reference model).
 */
class PreallocatedStateTest {
    private static final int WARM_UP = 20_000;
    private static final int MEASURED = 200_000;
    private static final long CAPACITY = WARM_UP + MEASURED + 10;

    @Test
    void aReserveShouldAllocateNothingOnAPreallocatedState() {
        double perReserve = bytesPerReserve(new StateCapacities(4, CAPACITY, CAPACITY, CAPACITY, true));

        assertThat(perReserve).as("bytes allocated per reserve, preallocated").isLessThan(1.0);
    }

    /** The measurement sees allocation when there is some: on demand, the state grows as it writes. */
    @Test
    void onDemandTheSameReservesShouldAllocateTheRowsTheyWrite() {
        double perReserve = bytesPerReserve(new StateCapacities(4, CAPACITY, CAPACITY, CAPACITY, false));

        // An order row (64 bytes), its line (16), the user's row (16) and the remembered answer
        // (42 bytes of columns and the request id's bytes) at least.
        assertThat(perReserve).as("bytes allocated per reserve, on demand").isGreaterThan(150.0);
    }

    @Test
    void preallocatedBytesShouldBeWhatTheTablesTook() {
        StateCapacities capacities = new StateCapacities(16, 300_000, 200_000, 500_000, true);

        PackedCheckoutState state = PackedCheckoutState.of(capacities);

        assertThat(state.preallocated()).isTrue();
        assertThat(state.preallocatedBytes()).isEqualTo(PackedCheckoutState.preallocatedBytes(capacities));
        // Rows of 64 + 16 bytes per order, 16 + 4 per user, 42 plus up to 65 id bytes per answer.
        assertThat(state.preallocatedBytes()).isGreaterThan(300_000L * 80 + 200_000L * 20 + 500_000L * 107);
        assertThat(PackedCheckoutState.of(capacities.onDemand()).preallocated()).isFalse();
    }

    @Test
    void aHeapTooSmallForThePreallocatedTablesShouldFailNamingTheCapacities() {
        StateCapacities huge = new StateCapacities(16, 900_000_000, 900_000_000, 1_000_000_000, true);

        assertThatThrownBy(() -> PackedCheckoutState.of(huge))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot hold")
                .hasMessageContaining("orderCapacity=900000000")
                .hasMessageContaining("raise -Xmx");
    }

    /**
     * Bytes this thread allocates per reserve over {@value #MEASURED} reserves by new buyers (each a
     * new order, user and remembered answer), after {@value #WARM_UP} others; ids built beforehand.
     */
    private static double bytesPerReserve(StateCapacities capacities) {
        CheckoutBook book = new CheckoutBook(PackedCheckoutState.of(capacities), EngineLimits.defaults());
        Command upsert = Command.upsertSku(1_000, "upsert-1", "sku-1", 100, "USD", CAPACITY, 1, 0, 0, 600_000);
        book.execute(upsert);
        assertThat(upsert.result()).isEqualTo(ResultCode.SUCCESS);
        int total = WARM_UP + MEASURED;
        String[] requestIds = new String[total];
        String[] userIds = new String[total];
        for (int i = 0; i < total; i++) {
            requestIds[i] = "request-" + i;
            userIds[i] = "user-" + i;
        }
        Command reserve = new Command();
        for (int i = 0; i < WARM_UP; i++) {
            reserveInto(book, reserve, requestIds[i], userIds[i]);
        }
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = WARM_UP; i < total; i++) {
            reserveInto(book, reserve, requestIds[i], userIds[i]);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        return (double) allocated / MEASURED;
    }

    /** Fills the reused command as the pipeline fills a ring slot, and applies it. */
    private static void reserveInto(CheckoutBook book, Command reserve, String requestId, String userId) {
        reserve.clear();
        reserve.type(CommandType.RESERVE);
        reserve.timestampMillis = 2_000;
        reserve.requestId.set(requestId);
        reserve.userId.set(userId);
        reserve.addLine("sku-1", 1);
        book.execute(reserve);
        if (reserve.result() != ResultCode.SUCCESS) {
            throw new AssertionError("reserve " + requestId + " answered " + reserve.result());
        }
    }
}
