package io.checkout.loadgen;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a {@link Report} as one self-contained HTML page: summary tables, the audit, and two
 * charts drawn as inline SVG by this class (latency over time, and the latency distribution by
 * percentile). Nothing is loaded from elsewhere, so the file can be mailed or archived as it is.
 *
 * <p>Why our own SVG rather than a charting library inlined at build time: two line charts are
 * about a hundred lines here, while a JavaScript library would add a Node toolchain to the Maven
 * build and a few hundred kilobytes of script to every report, and the page would show nothing
 * with scripts off.
 */
final class HtmlReport {

    private static final int WIDTH = 860;
    private static final int HEIGHT = 320;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 30;
    private static final int BOTTOM = 50;
    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};

    private HtmlReport() {}

    /** One line of a chart. */
    private record Series(String name, double[] x, double[] y) {}

    static String render(Report report) {
        StringBuilder html = new StringBuilder(64 * 1024);
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<title>loadgen ")
                .append(escape(report.scenario()))
                .append(" run ")
                .append(escape(report.runId()))
                .append("</title>\n<style>")
                .append("body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:900px}")
                .append(
                        "table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{padding:3px 10px;border-bottom:1px solid #ddd;")
                .append("text-align:right}td:first-child,th:first-child{text-align:left}")
                .append(
                        ".PASS{color:#1a7f37;font-weight:bold}.FAIL{color:#cf222e;font-weight:bold}.SKIPPED{color:#9a6700}.WARN{color:#9a6700;font-weight:bold}")
                .append("svg{background:#fafafa;border:1px solid #ddd}text{font-size:12px;fill:#333}")
                .append("</style></head><body>\n");
        html.append("<h1>loadgen: ")
                .append(escape(report.scenario()))
                .append(" <span class=\"")
                .append(report.audit().passed() ? "PASS\">audit passed" : "FAIL\">audit FAILED")
                .append("</span></h1>\n");
        html.append("<p>")
                .append(escape(String.format(
                        Locale.ROOT,
                        "Run %s against %s: %s model (%s), %s API, %d channel(s). Sent %,d operations in %.1f s; measured %.1f s "
                                + "after %.1f s of warm-up: %,.0f operations/s, %,.0f reserves/s.",
                        report.runId(),
                        report.target(),
                        report.model(),
                        report.model().equals("open")
                                ? String.format(
                                        Locale.ROOT,
                                        "%.0f/s, at most %d in flight",
                                        report.ratePerSecond(),
                                        report.maxInFlight())
                                : report.concurrency() + " in flight",
                        report.api(),
                        report.channels(),
                        report.operationsSent(),
                        report.durationSeconds(),
                        report.measuredSeconds(),
                        report.warmupSeconds(),
                        report.operationsPerSecond(),
                        report.reservesPerSecond())))
                .append("</p>\n");
        if (report.coordinatedOmissionCorrected()) {
            html.append("<p>Latency is measured from each operation's intended send time on the fixed schedule, so ")
                    .append(
                            "time spent waiting behind a stalled server counts (coordinated omission corrected).</p>\n");
        }

        html.append(
                        "<h2>Latency (ms)</h2>\n<table><tr><th>operation</th><th>count</th><th>mean</th><th>p50</th><th>p90</th>")
                .append("<th>p99</th><th>p99.9</th><th>p99.99</th><th>max</th></tr>\n");
        for (Map.Entry<String, Report.Latency> entry : report.latency().entrySet()) {
            Report.Latency l = entry.getValue();
            html.append(String.format(
                    Locale.ROOT,
                    "<tr><td>%s</td><td>%,d</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%.3f</td>"
                            + "<td>%.3f</td><td>%.3f</td><td>%.3f</td></tr>%n",
                    escape(entry.getKey()),
                    l.count(),
                    l.meanMillis(),
                    l.p50Millis(),
                    l.p90Millis(),
                    l.p99Millis(),
                    l.p999Millis(),
                    l.p9999Millis(),
                    l.maxMillis()));
        }
        html.append("</table>\n");

        List<Measurements.Interval> intervals = report.primaryIntervals();
        if (!intervals.isEmpty()) {
            double[] x = new double[intervals.size()];
            double[] p50 = new double[x.length];
            double[] p99 = new double[x.length];
            double[] max = new double[x.length];
            double[] rate = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                Measurements.Interval interval = intervals.get(i);
                x[i] = interval.startSeconds() + interval.lengthSeconds();
                p50[i] = interval.p50Millis();
                p99[i] = interval.p99Millis();
                max[i] = interval.maxMillis();
                rate[i] = interval.lengthSeconds() > 0 ? interval.count() / interval.lengthSeconds() : 0;
            }
            html.append("<h2>").append(escape(report.primaryOperation())).append(" latency over time</h2>\n");
            html.append(chart(
                    "seconds into the measured run",
                    "ms",
                    List.of(new Series("p50", x, p50), new Series("p99", x, p99), new Series("max", x, max)),
                    false));
            html.append("<h2>").append(escape(report.primaryOperation())).append(" calls per second over time</h2>\n");
            html.append(
                    chart("seconds into the measured run", "calls/s", List.of(new Series("calls/s", x, rate)), false));
        }
        List<Timeline.Second> timeline = report.timeline() == null ? List.of() : report.timeline();
        if (!timeline.isEmpty()) {
            double[] x = new double[timeline.size()];
            double[] offered = new double[x.length];
            double[] refused = new double[x.length];
            double[] expired = new double[x.length];
            double[] goodput = new double[x.length];
            List<Double> p99x = new java.util.ArrayList<>();
            List<Double> p99y = new java.util.ArrayList<>();
            for (int i = 0; i < x.length; i++) {
                Timeline.Second second = timeline.get(i);
                x[i] = second.second();
                offered[i] = second.offered();
                refused[i] = second.refusedByClient() + second.refusedByServer();
                expired[i] = second.expired();
                goodput[i] = second.reservedAnswered();
                if (second.admittedP99Millis() >= 0) {
                    p99x.add((double) second.second());
                    p99y.add(second.admittedP99Millis());
                }
            }
            html.append("<h2>Reserves per second: offered, admitted, refused, expired (by send second);"
                    + " goodput (by answer second)</h2>\n");
            html.append(chart(
                    "seconds into the run",
                    "reserves/s",
                    List.of(
                            new Series("offered", x, offered),
                            new Series("refused", x, refused),
                            new Series("goodput", x, goodput),
                            new Series("expired", x, expired)),
                    false));
            html.append("<h2>p99 of admitted reserves, from the intended send time</h2>\n");
            html.append(chart(
                    "seconds into the run",
                    "ms",
                    List.of(new Series(
                            "p99 admitted",
                            p99x.stream().mapToDouble(Double::doubleValue).toArray(),
                            p99y.stream().mapToDouble(Double::doubleValue).toArray())),
                    false));
        }
        List<Report.PercentilePoint> distribution = report.primaryDistribution();
        if (!distribution.isEmpty()) {
            double[] x = new double[distribution.size()];
            double[] y = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                // Plot against log10(1 / (1 - p)): 90% at 1, 99% at 2, 99.9% at 3, so the tail gets room.
                double fraction = Math.min(distribution.get(i).percentile() / 100.0, 0.99999);
                x[i] = Math.log10(1 / (1 - fraction));
                y[i] = distribution.get(i).millis();
            }
            html.append("<h2>").append(escape(report.primaryOperation())).append(" latency by percentile</h2>\n");
            html.append(chart("percentile", "ms", List.of(new Series(report.primaryOperation(), x, y)), true));
        }

        html.append("<h2>Outcomes</h2>\n<table><tr><th>reserve result</th><th>count</th></tr>\n");
        report.reserveResults()
                .forEach((name, count) -> html.append(
                        String.format(Locale.ROOT, "<tr><td>%s</td><td>%,d</td></tr>%n", escape(name), count)));
        html.append("</table>\n<table><tr><th>gRPC error</th><th>count</th></tr>\n");
        if (report.grpcErrors().isEmpty()) {
            html.append("<tr><td>none</td><td>0</td></tr>\n");
        }
        report.grpcErrors()
                .forEach((name, count) -> html.append(
                        String.format(Locale.ROOT, "<tr><td>%s</td><td>%,d</td></tr>%n", escape(name), count)));
        html.append("</table>\n");

        if (report.abuse() != null) {
            appendAbuse(html, report.abuse());
        }
        if (report.coupon() != null) {
            appendCoupon(html, report.coupon());
        }

        html.append(String.format(
                Locale.ROOT,
                "<h2>Audit</h2>%n<p>%,d orders and %,d SKUs read back from the server.</p>%n",
                report.audit().ordersChecked(),
                report.audit().skusChecked()));
        html.append("<table><tr><th>check</th><th>verdict</th><th>detail</th></tr>\n");
        for (Audit.Check check : report.audit().checks()) {
            html.append("<tr><td>")
                    .append(escape(check.name()))
                    .append("</td><td class=\"")
                    .append(check.verdict())
                    .append("\">")
                    .append(check.verdict())
                    .append("</td><td style=\"text-align:left\">")
                    .append(escape(check.detail()))
                    .append("</td></tr>\n");
        }
        html.append("</table>\n</body></html>\n");
        return html.toString();
    }

    /** abuse: the attempt limit, a row per class of user, and a row per hammer user. */
    private static void appendAbuse(StringBuilder html, Report.AbuseSummary abuse) {
        html.append("<h2>Abuse: users by class</h2>\n<p>")
                .append(escape(String.format(
                        Locale.ROOT,
                        "Attempt limit %d per %d ms window per user%s. The whole run, warm-up included, first sends"
                                + " only. Refused: other outcomes of their own (SOLD_OUT, LIMIT_EXCEEDED, ...), counted"
                                + " by the limit as RESERVED is; failed: REJECTED or no answer.",
                        abuse.maxAttempts(),
                        abuse.windowMillis(),
                        abuse.partitions() > 1 ? " on each of " + abuse.partitions() + " partitions" : "")))
                .append("</p>\n");
        countsTable(html, "users", abuse.classes(), true);
        if (!abuse.hammerUsers().isEmpty()) {
            html.append("<p>")
                    .append(escape(String.format(
                            Locale.ROOT,
                            "Hammer users: at most %,d counted answers (RESERVED + refused) each over the run's %d"
                                    + " window(s), plus one for clock skew.",
                            abuse.countedBound(),
                            abuse.windowsSpanned())))
                    .append("</p>\n");
            countsTable(html, "hammer user", abuse.hammerUsers(), false);
        }
        if (!abuse.afterwards().isEmpty()) {
            html.append("<p>").append(escape(abuse.afterwards())).append("</p>\n");
        }
    }

    /** coupon: the campaign's terms, a row for the reserves naming it and one for the others. */
    private static void appendCoupon(StringBuilder html, Report.CouponSummary coupon) {
        html.append("<h2>Coupon campaign</h2>\n<p>")
                .append(escape(String.format(
                        Locale.ROOT,
                        "Campaign %s, %s, budget %,d redemptions held at once, %,d per user%s; %.0f%% of reserves named"
                                + " it. An order of %,d minor got %,d off; %,d minor given in all; %,d cancels of"
                                + " redeeming orders sent; redemptions held as the run saw them peaked at %,d.%s"
                                + " The whole run, warm-up included, first sends only.",
                        coupon.campaignId(),
                        coupon.terms(),
                        coupon.budget(),
                        coupon.perUserLimit(),
                        coupon.partitions() > 1 ? " on each of " + coupon.partitions() + " partitions" : "",
                        100 * coupon.share(),
                        coupon.orderGrossMinor(),
                        coupon.discountPerOrderMinor(),
                        coupon.discountGivenMinor(),
                        coupon.cancelsSent(),
                        coupon.peakHeld(),
                        coupon.redeemed() < 0
                                ? ""
                                : String.format(
                                        Locale.ROOT,
                                        " At the audit GetCampaign said redeemed %,d by %,d user(s).",
                                        coupon.redeemed(),
                                        coupon.redeemingUsers()))))
                .append("</p>\n");
        html.append("<table><tr><th>reserves</th><th>sent</th><th>RESERVED</th><th>CAMPAIGN_BUDGET_EXHAUSTED</th>")
                .append("<th>CAMPAIGN_USER_LIMIT_REACHED</th><th>CAMPAIGN_NOT_APPLICABLE</th><th>CAMPAIGN_UNKNOWN</th>")
                .append("<th>CAMPAIGN_NOT_ACTIVE</th><th>other</th><th>failed</th></tr>\n");
        for (Report.CouponSummary.Counts row : List.of(coupon.named(), coupon.notNamed())) {
            html.append("<tr><td>").append(escape(row.name())).append("</td>");
            html.append(String.format(
                    Locale.ROOT,
                    "<td>%,d</td><td>%,d</td><td>%,d</td><td>%,d</td><td>%,d</td><td>%,d</td><td>%,d</td><td>%,d</td>"
                            + "<td>%,d</td></tr>%n",
                    row.sent(),
                    row.reserved(),
                    row.budgetExhausted(),
                    row.userLimitReached(),
                    row.notApplicable(),
                    row.unknown(),
                    row.notActive(),
                    row.other(),
                    row.failed()));
        }
        html.append("</table>\n");
        if (!coupon.afterwards().isEmpty()) {
            html.append("<p>").append(escape(coupon.afterwards())).append("</p>\n");
        }
    }

    private static void countsTable(
            StringBuilder html, String first, List<Report.AbuseSummary.Counts> rows, boolean classes) {
        html.append("<table><tr><th>")
                .append(escape(first))
                .append("</th>")
                .append(classes ? "<th>count</th><th>share</th>" : "")
                .append("<th>sent</th><th>counted</th><th>RESERVED</th><th>refused</th><th>RATE_LIMITED</th>")
                .append("<th>BLOCKED</th><th>failed</th></tr>\n");
        for (Report.AbuseSummary.Counts c : rows) {
            html.append("<tr><td>").append(escape(c.name())).append("</td>");
            if (classes) {
                html.append(String.format(Locale.ROOT, "<td>%,d</td><td>%.0f%%</td>", c.users(), 100 * c.share()));
            }
            html.append(String.format(
                    Locale.ROOT,
                    "<td>%,d</td><td>%,d</td><td>%,d</td><td>%,d</td><td>%,d</td><td>%,d</td><td>%,d</td></tr>%n",
                    c.sent(),
                    c.counted(),
                    c.reserved(),
                    c.refused(),
                    c.rateLimited(),
                    c.blocked(),
                    c.failed()));
        }
        html.append("</table>\n");
    }

    /** A line chart; {@code percentileAxis} labels x as percentiles placed at log10(1 / (1 - p)). */
    private static String chart(String xLabel, String yLabel, List<Series> series, boolean percentileAxis) {
        double xMin = Double.MAX_VALUE;
        double xMax = -Double.MAX_VALUE;
        double yMax = 0;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                xMin = Math.min(xMin, s.x()[i]);
                xMax = Math.max(xMax, s.x()[i]);
                yMax = Math.max(yMax, s.y()[i]);
            }
        }
        if (percentileAxis) {
            xMin = 0;
            xMax = 5;
        }
        if (xMax <= xMin) {
            xMax = xMin + 1;
        }
        yMax = niceCeiling(yMax);
        int plotWidth = WIDTH - LEFT - RIGHT;
        int plotHeight = HEIGHT - TOP - BOTTOM;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(
                Locale.ROOT,
                "<svg width=\"%d\" height=\"%d\" " + "viewBox=\"0 0 %d %d\" role=\"img\">%n",
                WIDTH,
                HEIGHT,
                WIDTH,
                HEIGHT));
        for (int tick = 0; tick <= 5; tick++) {
            double value = yMax * tick / 5;
            double y = TOP + plotHeight - plotHeight * tick / 5.0;
            svg.append(String.format(
                    Locale.ROOT,
                    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                            + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
                    LEFT,
                    y,
                    LEFT + plotWidth,
                    y,
                    LEFT - 6,
                    y + 4,
                    label(value)));
        }
        if (percentileAxis) {
            String[] names = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"};
            for (int i = 0; i <= 5; i++) {
                double x = LEFT + plotWidth * (i - xMin) / (xMax - xMin);
                svg.append(String.format(
                        Locale.ROOT,
                        "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>"
                                + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                        x,
                        TOP,
                        x,
                        TOP + plotHeight,
                        x,
                        TOP + plotHeight + 16,
                        names[i]));
            }
        } else {
            for (int i = 0; i <= 6; i++) {
                double value = xMin + (xMax - xMin) * i / 6;
                double x = LEFT + plotWidth * i / 6.0;
                svg.append(String.format(
                        Locale.ROOT,
                        "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                        x,
                        TOP + plotHeight + 16,
                        label(value)));
            }
        }
        svg.append(String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                LEFT + plotWidth / 2,
                HEIGHT - 10,
                escape(xLabel)));
        svg.append(String.format(
                Locale.ROOT,
                "<text x=\"14\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 14 %d)\">" + "%s</text>%n",
                TOP + plotHeight / 2,
                TOP + plotHeight / 2,
                escape(yLabel)));
        svg.append(String.format(
                Locale.ROOT,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#999\"/>%n",
                LEFT,
                TOP,
                plotWidth,
                plotHeight));
        for (int index = 0; index < series.size(); index++) {
            Series s = series.get(index);
            String colour = COLOURS[index % COLOURS.length];
            StringBuilder points = new StringBuilder();
            for (int i = 0; i < s.x().length; i++) {
                double x = LEFT + plotWidth * (s.x()[i] - xMin) / (xMax - xMin);
                double y = TOP + plotHeight - plotHeight * Math.min(s.y()[i], yMax) / yMax;
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            }
            svg.append("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"")
                    .append(colour)
                    .append("\" points=\"")
                    .append(points.toString().trim())
                    .append("\"/>\n");
            if (s.x().length == 1) {
                svg.append(String.format(
                        Locale.ROOT,
                        "<circle cx=\"%s\" r=\"3\" fill=\"%s\"/>%n",
                        points.toString().trim().replace(",", "\" cy=\""),
                        colour));
            }
            svg.append(String.format(
                    Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"4\" fill=\"%s\"/>"
                            + "<text x=\"%d\" y=\"%d\">%s</text>%n",
                    LEFT + 10 + 90 * index,
                    12,
                    colour,
                    LEFT + 26 + 90 * index,
                    17,
                    escape(s.name())));
        }
        svg.append("</svg>\n");
        return svg.toString();
    }

    /** The smallest 1, 2 or 5 times a power of ten at or above {@code value}, so axis ticks are round. */
    static double niceCeiling(double value) {
        if (!(value > 0)) {
            return 1;
        }
        double power = Math.pow(10, Math.floor(Math.log10(value)));
        for (double step : new double[] {1, 2, 5, 10}) {
            if (step * power >= value) {
                return step * power;
            }
        }
        return 10 * power;
    }

    private static String label(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e9) {
            return String.format(Locale.ROOT, "%,d", (long) value);
        }
        return String.format(Locale.ROOT, value < 1 ? "%.3f" : "%.1f", value);
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
