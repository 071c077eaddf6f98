package io.checkout.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every metric the dashboard and the alert rules read is one the server really exports, checked
 * against a scrape of a running server after a short sale (so labelled series exist): the cluster
 * series ({@value #CLUSTER_PREFIX}*) against a one-member cluster, every other one against a
 * single-node server.
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
    /** Series only a cluster member (mode=cluster) exports. */
    static final String CLUSTER_PREFIX = "checkout_cluster_";
    /** How long the test scrapes for series that appear only after a timer or a GC. */
    static final Duration SCRAPE_WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dataDir;

    @Test
    void dashboardAndAlertsShouldOnlyNameMetricsTheServerExports() throws Exception {
        Set<String> used = usedNames();
        Set<String> expected = new LinkedHashSet<>(used);
        expected.removeAll(SYNTHETIC);
        expected.removeAll(PENDING);
        expected.removeIf(name -> name.startsWith(CLUSTER_PREFIX));
        Set<String> exported;
        try (RunningServer running = new RunningServer(dataDir)) {
            running.sale("SKU-DASH", 3, 5);
            System.gc(); // so the GC pause timer has a sample
            exported = scrapeUntilAllThere(running, expected);
        }

        assertThat(used).as("metric names the dashboard and alerts read").hasSizeGreaterThan(10);
        Set<String> missing = new LinkedHashSet<>(expected);
        missing.removeAll(exported);
        assertThat(missing)
                .as("names in the dashboard or alerts that the server does not export; exported: %s", exported)
                .isEmpty();
        assertThat(exported)
                .as("a single-node server exports no cluster series")
                .noneMatch(name -> name.startsWith(CLUSTER_PREFIX));
        for (String pending : PENDING) {
            assertThat(exported)
                    .as("%s is exported now: take it off the PENDING list", pending)
                    .doesNotContain(pending);
            assertThat(used).as("pending %s is still used", pending).contains(pending);
        }
    }

    @Test
    void clusterPanelsAndAlertsShouldOnlyNameMetricsAClusterMemberExports() throws Exception {
        Set<String> expected = new LinkedHashSet<>(usedNames());
        expected.removeIf(name -> !name.startsWith(CLUSTER_PREFIX));
        Set<String> exported;
        try (RunningServer running = new RunningServer(dataDir.resolve("member"), true)) {
            running.sale("SKU-CLUSTER", 3, 5);
            exported = scrapeUntilAllThere(running, expected);
        }

        assertThat(expected)
                .as("cluster series the dashboard and alerts read")
                .contains(
                        "checkout_cluster_role",
                        "checkout_cluster_leadership_term",
                        "checkout_cluster_elections_total",
                        "checkout_cluster_commit_position_bytes",
                        "checkout_cluster_apply_lag_bytes",
                        "checkout_cluster_snapshot_last_seconds",
                        "checkout_cluster_gateway_connected",
                        "checkout_cluster_gateway_pending",
                        "checkout_cluster_gateway_outcomes_unknown_total");
        Set<String> missing = new LinkedHashSet<>(expected);
        missing.removeAll(exported);
        assertThat(missing)
                .as(
                        "cluster names in the dashboard or alerts that a cluster member does not export; exported: %s",
                        exported)
                .isEmpty();
    }

    private static Set<String> usedNames() {
        Set<String> used = new LinkedHashSet<>();
        for (String expression : concat(DeployFiles.dashboardExpressions(), DeployFiles.alertExpressions())) {
            used.addAll(DeployFiles.metricNames(expression));
        }
        return used;
    }

    /**
     * Some series appear only once a timer has fired (the stock snapshot, every 100 ms) or a GC has
     * run: scrape until they are all there or SCRAPE_WAIT passes, not a fixed sleep that a busy
     * machine can outlast.
     */
    private static Set<String> scrapeUntilAllThere(RunningServer running, Set<String> expected)
            throws InterruptedException {
        long deadline = System.nanoTime() + SCRAPE_WAIT.toNanos();
        Set<String> exported = RunningServer.sampleNames(running.scrape());
        while (!exported.containsAll(expected) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            exported = RunningServer.sampleNames(running.scrape());
        }
        return exported;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }
}
