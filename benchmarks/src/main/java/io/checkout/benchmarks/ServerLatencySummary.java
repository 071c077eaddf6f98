package io.checkout.benchmarks;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How long the server itself took over one gRPC method's calls between two scrapes of its
 * {@code /metrics}: the calls counted in {@code grpc_server_processing_duration_seconds} (from the
 * call's start on the event loop to its close, the engine's work and hand-offs included, the
 * writing of the answer to the socket not) in the second scrape and not in the first, summed over
 * the status codes, and the share of them above each bucket bound from 1 ms to 25 ms. Set beside
 * the client's p99 of the same window, it says how much of a tail is the server's and how much
 * the transport's and the client's (benchmarks/latency.sh prints it for each unary and empty run).
 *
 * <pre>ServerLatencySummary BEFORE AFTER METHOD</pre>
 *
 * Prints one line, e.g. {@code server's own Reserve: 178,653 calls, above 1 ms 6.51%, 2.5 ms
 * 1.82%, 5 ms 0.20%, 10 ms 0.00%, 25 ms 0.00%; its p99 within 2.5-5 ms}.
 */
public final class ServerLatencySummary {
    private static final String BUCKET = "grpc_server_processing_duration_seconds_bucket{";
    private static final Pattern LE = Pattern.compile("le=\"([^\"]+)\"");
    /** The bounds printed, in seconds: the server's latency buckets between these. */
    private static final double SHOWN_FROM = 0.001;

    private static final double SHOWN_TO = 0.025;
    /** The most distinct bucket bounds read: the server exports 18. */
    private static final int BOUNDS_MAX = 1_000;

    private ServerLatencySummary() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: ServerLatencySummary BEFORE AFTER METHOD");
            System.exit(2);
        }
        Map<Double, Double> before;
        Map<Double, Double> after;
        try (var lines = Files.lines(Path.of(args[0]), StandardCharsets.UTF_8)) {
            before = buckets(lines.iterator(), args[2]);
        }
        try (var lines = Files.lines(Path.of(args[1]), StandardCharsets.UTF_8)) {
            after = buckets(lines.iterator(), args[2]);
        }
        System.out.println(summary(args[2], before, after));
    }

    /**
     * The method's cumulative bucket counts by upper bound in seconds (+Inf as infinity), summed
     * over its series (one per status code).
     */
    static Map<Double, Double> buckets(Iterator<String> lines, String method) {
        String methodLabel = "method=\"" + method + "\"";
        Map<Double, Double> counts = new TreeMap<>();
        while (lines.hasNext()) {
            String line = lines.next();
            if (!line.startsWith(BUCKET) || !line.contains(methodLabel)) {
                continue;
            }
            Matcher le = LE.matcher(line);
            int valueAt = line.lastIndexOf(' ');
            if (!le.find() || valueAt < 0) {
                continue;
            }
            double bound = le.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le.group(1));
            if (counts.size() >= BOUNDS_MAX && !counts.containsKey(bound)) {
                continue;
            }
            counts.merge(bound, Double.parseDouble(line.substring(valueAt + 1)), Double::sum);
        }
        return counts;
    }

    /** The line {@link #main} prints, from the two scrapes' buckets. */
    static String summary(String method, Map<Double, Double> before, Map<Double, Double> after) {
        double calls =
                after.getOrDefault(Double.POSITIVE_INFINITY, 0.0) - before.getOrDefault(Double.POSITIVE_INFINITY, 0.0);
        if (calls <= 0) {
            return "server's own " + method + ": no calls between the scrapes";
        }
        StringBuilder line =
                new StringBuilder(String.format(Locale.ROOT, "server's own %s: %,.0f calls, above", method, calls));
        String separator = " ";
        double p99Below = Double.NaN;
        double previousBound = 0;
        for (Map.Entry<Double, Double> bucket : after.entrySet()) {
            double bound = bucket.getKey();
            double within = bucket.getValue() - before.getOrDefault(bound, 0.0);
            double above = (calls - within) / calls;
            if (Double.isNaN(p99Below) && above <= 0.01) {
                p99Below = bound;
            } else if (Double.isNaN(p99Below)) {
                previousBound = bound;
            }
            if (bound >= SHOWN_FROM - 1e-12 && bound <= SHOWN_TO + 1e-12) {
                line.append(String.format(Locale.ROOT, "%s%s ms %.2f%%", separator, millis(bound), 100 * above));
                separator = ", ";
            }
        }
        line.append(String.format(
                Locale.ROOT,
                "; its p99 within %s-%s ms",
                millis(previousBound),
                Double.isInfinite(p99Below) ? "inf" : millis(p99Below)));
        return line.toString();
    }

    private static String millis(double seconds) {
        return BigDecimal.valueOf(seconds)
                .movePointRight(3)
                .stripTrailingZeros()
                .toPlainString();
    }
}
