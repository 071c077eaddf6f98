package io.checkout.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.engine.IdBuffer;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The paced sink passes every record on unchanged and in order, and pauses once every few thousand. */
class PacedSnapshotSinkTest {
    @Test
    void shouldPassEveryRecordOnInOrderAndPauseOnceEveryRecordsPerPause() {
        List<String> received = new ArrayList<>();
        SnapshotSink recorder = (SnapshotSink) Proxy.newProxyInstance(
                SnapshotSink.class.getClassLoader(), new Class<?>[] {SnapshotSink.class}, (proxy, method, args) -> {
                    received.add(method.getName() + Arrays.toString(args));
                    return null;
                });
        List<Integer> pausedAfter = new ArrayList<>();
        SnapshotSink paced = new PacedSnapshotSink(recorder, () -> pausedAfter.add(received.size()));

        List<String> expected = new ArrayList<>();
        int records = 2 * PacedSnapshotSink.RECORDS_PER_PAUSE + 7;
        for (int i = 0; i < records - 4; i++) {
            paced.attempts("user-" + i, i);
            expected.add("attempts[user-" + i + ", " + i + "]");
        }
        paced.userUnits(IdBuffer.of("buyer"), 3, 5L);
        expected.add("userUnits[buyer, 3, 5]");
        paced.riskRule(4, 60_000L, 7L);
        expected.add("riskRule[4, 60000, 7]");
        paced.blockedUser("blocked");
        expected.add("blockedUser[blocked]");
        paced.skuGroup(1, "group", 2L, 3, 4L);
        expected.add("skuGroup[1, group, 2, 3, 4]");

        assertThat(received).containsExactlyElementsOf(expected);
        assertThat(pausedAfter)
                .as("a pause after each full run of records, none for the remainder")
                .containsExactly(PacedSnapshotSink.RECORDS_PER_PAUSE, 2 * PacedSnapshotSink.RECORDS_PER_PAUSE);
    }
}
