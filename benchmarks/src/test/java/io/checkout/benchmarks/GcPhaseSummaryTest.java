package io.checkout.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class GcPhaseSummaryTest {
    /** Lines as JDK 17's G1 writes them with -Xlog:gc*,gc+phases=debug:file=...:timemillis (abridged). */
    private static final List<String> LOG = List.of(
            "[1000ms] GC(7) Pause Young (Normal) (G1 Evacuation Pause)",
            "[1000ms] GC(7) Using 2 workers of 2 for evacuation",
            "[1015ms] GC(7)     Remembered Sets (ms):          Min:  0.0, Avg:  0.0, Max:  0.0, Diff:  0.0, Sum:  0.0,"
                    + " Workers: 2",
            "[1015ms] GC(7)       Dirty Cards:                   Min: 0, Avg: 261.5, Max: 523, Diff: 523, Sum: 523,"
                    + " Workers: 2",
            "[1015ms] GC(7)     Log Buffers (ms):              Min:  0.0, Avg:  0.0, Max:  0.0, Diff:  0.0, Sum:  0.0,"
                    + " Workers: 2",
            "[1015ms] GC(7)       Dirty Cards:                   Min: 20000, Avg: 22498.0, Max: 24996, Diff: 4996, Sum:"
                    + " 44996, Workers: 2",
            "[1015ms] GC(7)     Scan Heap Roots (ms):          Min:  14.0, Avg:  14.2, Max:  14.4, Diff:  0.4, Sum: 28.4,"
                    + " Workers: 2",
            "[1015ms] GC(7)       Scanned Cards:                 Min: 23000, Avg: 23283.0, Max: 23566, Diff: 566, Sum:"
                    + " 46566, Workers: 2",
            "[1015ms] GC(7)     Object Copy (ms):              Min:  2.8, Avg:  2.9, Max:  3.0, Diff:  0.2, Sum:  5.8,"
                    + " Workers: 2",
            "[1015ms] GC(7)         Copied Bytes                   Min: 1400000, Avg: 1500000.0, Max: 1600000, Diff:"
                    + " 200000, Sum: 3000000, Workers: 2",
            "[1015ms] GC(7) Eden regions: 52->0(79)",
            "[1016ms] GC(7) Pause Young (Normal) (G1 Evacuation Pause) 814M->609M(1060M) 17.493ms",
            "[1100ms] GC(8) Pause Remark",
            "[1106ms] GC(8) Class Unloading 2.500ms",
            "[1107ms] GC(8) Pause Remark 631M->631M(1080M) 6.490ms",
            "[2000ms] GC(9) Pause Young (Concurrent Start) (G1 Humongous Allocation)",
            "[2010ms] GC(9)     Scan Heap Roots (ms):          Min:  4.0, Avg:  4.5, Max:  5.0, Diff:  1.0, Sum:  9.0,"
                    + " Workers: 2",
            "[2010ms] GC(9)     Object Copy (ms):              Min:  6.0, Avg:  6.5, Max:  7.0, Diff:  1.0, Sum: 13.0,"
                    + " Workers: 2",
            "[2011ms] GC(9) Pause Young (Concurrent Start) (G1 Humongous Allocation) 757M->609M(1060M) 12.500ms",
            "[9000ms] GC(10) Pause Young (Normal) (G1 Evacuation Pause)",
            "[9020ms] GC(10) Pause Young (Normal) (G1 Evacuation Pause) 900M->600M(1060M) 20.000ms");

    @Test
    void youngPausesInTheWindowShouldCarryTheirPhasesAndLeaveOtherPausesOut() {
        List<GcPhaseSummary.Pause> pauses =
                GcPhaseSummary.read(LOG.iterator(), 1_000, 5_000).youngPauses();

        assertThat(pauses).hasSize(2);
        GcPhaseSummary.Pause first = pauses.get(0);
        assertThat(first.endEpochMillis()).isEqualTo(1_016);
        assertThat(first.millis()).isEqualTo(17.493);
        assertThat(first.scanMillis()).as("the slowest worker").isEqualTo(14.4);
        assertThat(first.cardsScanned()).isEqualTo(46_566);
        assertThat(first.cardsFromLogBuffers())
                .as("the log buffers' dirty cards, not the remembered sets'")
                .isEqualTo(44_996);
        assertThat(first.copyMillis()).isEqualTo(3.0);
        assertThat(first.bytesCopied()).isEqualTo(3_000_000);
        GcPhaseSummary.Pause second = pauses.get(1);
        assertThat(second.millis()).isEqualTo(12.5);
        assertThat(second.scanMillis()).isEqualTo(5.0);
        assertThat(second.cardsScanned()).as("not in the log: 0").isZero();
    }

    @Test
    void summaryShouldGiveTheMediansOfTheWindowsPauses() {
        List<GcPhaseSummary.Pause> pauses =
                GcPhaseSummary.read(LOG.iterator(), 0, Long.MAX_VALUE).youngPauses();

        assertThat(GcPhaseSummary.summary(pauses))
                .isEqualTo("3 young pauses, median 17.5 ms, max 20.0 ms; Scan Heap Roots median 5.0 ms (0 cards, 0 left"
                        + " for the pause); Object Copy median 3.0 ms (0.0 MB)");
        assertThat(GcPhaseSummary.summary(List.of())).isEqualTo("no young pauses in the window");
        assertThat(GcPhaseSummary.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
    }

    @Test
    void remarksInTheWindowShouldCarryTheirClassUnloading() {
        List<GcPhaseSummary.Remark> remarks =
                GcPhaseSummary.read(LOG.iterator(), 1_000, 5_000).remarks();

        assertThat(remarks).containsExactly(new GcPhaseSummary.Remark(1_107, 6.49, 2.5));
        assertThat(GcPhaseSummary.read(LOG.iterator(), 1_108, 5_000).remarks()).isEmpty();
        assertThat(GcPhaseSummary.remarkSummary(remarks))
                .isEqualTo("1 remark, median 6.5 ms, max 6.5 ms, class unloading median 2.5 ms");
        assertThat(GcPhaseSummary.remarkSummary(List.of())).isEqualTo("no remarks");
    }
}
