package io.checkout.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every metric the dashboard and the alert rules read is one the server really exports, checked
 * against a scrape of a running server after a short sale (so labelled series exist).
 */
class ExportedMetricsIT {
    /**
     * Series the dashboard and alerts already use but that a later change adds. Each must be
     * exported once that change lands; until then it must not be (so this list cannot silently go
     * stale). Empty now that the journal's latency histograms are exported.
     */
    static final Set<String> PENDING = Set.of();
    /** Made by Prometheus itself, never by a target. */
    static final Set<String> SYNTHETIC = Set.of("up");

    @TempDir
    Path dataDir;

    @Test
    void dashboardAndAlertsShouldOnlyNameMetricsTheServerExports() throws Exception {
        Set<String> exported;
        try (RunningServer running = new RunningServer(dataDir)) {
            running.sale("SKU-DASH", 3, 5);
            System.gc();                                  // so the GC pause timer has a sample
            Thread.sleep(300);                            // a stock snapshot (interval 100 ms) is taken
            exported = RunningServer.sampleNames(running.scrape());
        }
        Set<String> used = new LinkedHashSet<>();
        for (String expression : concat(DeployFiles.dashboardExpressions(), DeployFiles.alertExpressions())) {
            used.addAll(DeployFiles.metricNames(expression));
        }

        assertThat(used).as("metric names the dashboard and alerts read").hasSizeGreaterThan(10);
        Set<String> missing = new LinkedHashSet<>(used);
        missing.removeAll(exported);
        missing.removeAll(SYNTHETIC);
        missing.removeAll(PENDING);
        assertThat(missing).as("names in the dashboard or alerts that the server does not export; exported: %s", exported)
                .isEmpty();
        for (String pending : PENDING) {
            assertThat(exported).as("%s is exported now: take it off the PENDING list", pending).doesNotContain(pending);
            assertThat(used).as("pending %s is still used", pending).contains(pending);
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }
}
