package io.checkout.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServerLatencySummaryTest {
    private static final double[] BOUNDS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05};

    /** A scrape's lines for one method and status code, as the server's Prometheus registry writes them. */
    private static List<String> series(String method, String status, long... cumulative) {
        List<String> lines = new ArrayList<>();
        lines.add("# TYPE grpc_server_processing_duration_seconds histogram");
        for (int i = 0; i < BOUNDS.length; i++) {
            lines.add("grpc_server_processing_duration_seconds_bucket{method=\"" + method
                    + "\",methodType=\"UNARY\",service=\"checkout.v1.Checkout\",statusCode=\"" + status + "\",le=\""
                    + BOUNDS[i] + "\"} " + cumulative[i]);
        }
        lines.add("grpc_server_processing_duration_seconds_bucket{method=\"" + method
                + "\",methodType=\"UNARY\",service=\"checkout.v1.Checkout\",statusCode=\"" + status
                + "\",le=\"+Inf\"} " + cumulative[BOUNDS.length]);
        return lines;
    }

    private static List<String> scrape(List<String>... parts) {
        List<String> lines = new ArrayList<>();
        for (List<String> part : parts) {
            lines.addAll(part);
        }
        return lines;
    }

    @Test
    void theCallsBetweenTheScrapesShouldBeSummedOverStatusCodesAndOtherMethodsLeftOut() {
        List<String> before = scrape(
                series("Reserve", "OK", 100, 100, 100, 100, 100, 100, 100, 100),
                series("Confirm", "OK", 0, 0, 0, 0, 0, 0, 0, 5_000));
        // 1,000 new calls, 900 answered OK and 100 refused (all within 0.5 ms): 150 above 1 ms,
        // 20 above 2.5 ms, 5 above 5 ms, none above 10 ms.
        List<String> after = scrape(
                series("Reserve", "OK", 700, 850, 980, 995, 1_000, 1_000, 1_000, 1_000),
                series("Reserve", "RESOURCE_EXHAUSTED", 100, 100, 100, 100, 100, 100, 100, 100),
                series("Confirm", "OK", 0, 0, 0, 0, 0, 0, 0, 9_000));

        Map<Double, Double> first = ServerLatencySummary.buckets(before.iterator(), "Reserve");
        Map<Double, Double> second = ServerLatencySummary.buckets(after.iterator(), "Reserve");

        assertThat(second.get(Double.POSITIVE_INFINITY)).isEqualTo(1_100.0);
        assertThat(ServerLatencySummary.summary("Reserve", first, second))
                .isEqualTo("server's own Reserve: 1,000 calls, above 1 ms 15.00%, 2.5 ms 2.00%, 5 ms 0.50%,"
                        + " 10 ms 0.00%, 25 ms 0.00%; its p99 within 2.5-5 ms");
    }

    @Test
    void noCallsBetweenTheScrapesShouldSaySo() {
        List<String> same = series("Check", "OK", 7, 7, 7, 7, 7, 7, 7, 7);
        Map<Double, Double> buckets = ServerLatencySummary.buckets(same.iterator(), "Check");

        assertThat(ServerLatencySummary.summary("Check", buckets, buckets))
                .isEqualTo("server's own Check: no calls between the scrapes");
        assertThat(ServerLatencySummary.buckets(same.iterator(), "Reserve")).isEmpty();
    }
}
