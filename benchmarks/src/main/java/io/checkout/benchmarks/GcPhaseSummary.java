package io.checkout.benchmarks;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a JVM's G1 young pauses were made of within a window: reads a log written with
 * {@code -Xlog:gc*,gc+phases=debug:file=LOG:timemillis} and prints, over the young pauses that
 * ended in {@code [FROM, TO]} (epoch milliseconds), their count, median and longest duration, and
 * the medians of the two phases that made up most of them at half of the unary peak (benchmarks/README,
 * History 2026-12-05 15:27): scanning the cards of old objects that may point into the young
 * generation ("Scan Heap Roots", with how many cards it scanned and how many of those G1 had left
 * unrefined in the log buffers for the pause) and copying the survivors ("Object Copy", with the
 * bytes copied). Each phase is the slowest worker's time. Then the Remark pauses of concurrent
 * cycles in the same window: their count, median and longest, and the median of their class
 * unloading, which made 11.5 ms of a 54 ms Remark at 11,000 ops/s (benchmarks/README, History
 * 2026-12-06 00:05): a server whose live state sits above G1's initiating occupancy starts a cycle
 * every few seconds, and each ends in a Remark that stops every thread.
 *
 * <pre>GcPhaseSummary LOG FROM_EPOCH_MS TO_EPOCH_MS</pre>
 *
 * Prints one line, e.g. {@code 12 young pauses, median 14.2 ms, max 31.0 ms; Scan Heap Roots
 * median 8.1 ms (20,789 cards, 5,348 left for the pause); Object Copy median 4.0 ms (7.0 MB); 2
 * remarks, median 8.3 ms, max 54.0 ms, class unloading median 6.2 ms}.
 */
public final class GcPhaseSummary {
    private static final Pattern LINE = Pattern.compile("^\\[(\\d+)ms\\] GC\\((\\d+)\\)\\s+(.*)$");
    private static final Pattern YOUNG_END =
            Pattern.compile("^Pause Young .*\\d+[KMG]->\\d+[KMG]\\(\\d+[KMG]\\) ([\\d.]+)ms$");
    private static final Pattern REMARK_END =
            Pattern.compile("^Pause Remark .*\\d+[KMG]->\\d+[KMG]\\(\\d+[KMG]\\) ([\\d.]+)ms$");
    private static final Pattern CLASS_UNLOADING = Pattern.compile("^Class Unloading ([\\d.]+)ms$");
    private static final Pattern WORKERS = Pattern.compile(
            "^([A-Za-z][A-Za-z -]*?)(?: \\(ms\\))?:?\\s+Min:.*?Max:\\s*([\\d.]+),.*?Sum:\\s*([\\d.]+),");
    /** The most pauses one summary keeps: a log of hours at one pause a second. */
    private static final int PAUSES_MAX = 1_000_000;
    /** The most collections kept open at once while their lines are read: G1 interleaves few. */
    private static final int OPEN_MAX = 64;

    private GcPhaseSummary() {}

    /** One young pause's figures; a phase the log did not show reads 0. */
    record Pause(
            long endEpochMillis,
            double millis,
            double scanMillis,
            long cardsScanned,
            long cardsFromLogBuffers,
            double copyMillis,
            long bytesCopied) {}

    /** A line of the log: when it was written, which collection it belongs to, and what it says. */
    record LogLine(long epochMillis, long gcId, String text) {
        /** The line's parts, or null for a line that is not a collection's (e.g. "Using G1"). */
        static LogLine parse(String line) {
            Matcher parts = LINE.matcher(line);
            if (!parts.matches()) {
                return null;
            }
            return new LogLine(
                    Long.parseLong(parts.group(1)),
                    Long.parseLong(parts.group(2)),
                    parts.group(3).trim());
        }
    }

    /** One Remark pause's figures; class unloading reads 0 when the log did not show it. */
    record Remark(long endEpochMillis, double millis, double classUnloadingMillis) {}

    /** A window's young pauses and Remark pauses, each in the log's order. */
    record Window(List<Pause> youngPauses, List<Remark> remarks) {}

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: GcPhaseSummary LOG FROM_EPOCH_MS TO_EPOCH_MS");
            System.exit(2);
        }
        long from = Long.parseLong(args[1]);
        long to = Long.parseLong(args[2]);
        Window window;
        try (BufferedReader reader = Files.newBufferedReader(Path.of(args[0]), StandardCharsets.UTF_8)) {
            window = read(reader.lines().iterator(), from, to);
        }
        System.out.println(summary(window.youngPauses()) + "; " + remarkSummary(window.remarks()));
    }

    /**
     * The young pauses and the Remark pauses in the log's lines that ended within {@code [from,
     * to]}, in one pass. Lines of collections still open are kept per collection id, at most
     * {@link #OPEN_MAX} of them (a log cut short leaves ids that never end).
     */
    static Window read(Iterator<String> lines, long from, long to) {
        Map<Long, Builder> open = new LinkedHashMap<>();
        Map<Long, Double> classUnloading = new LinkedHashMap<>();
        List<Pause> pauses = new ArrayList<>();
        List<Remark> remarks = new ArrayList<>();
        while (lines.hasNext()) {
            LogLine line = LogLine.parse(lines.next());
            if (line == null) {
                continue;
            }
            long at = line.epochMillis();
            long id = line.gcId();
            String text = line.text();
            boolean kept = at >= from && at <= to;
            Matcher unloading = CLASS_UNLOADING.matcher(text);
            if (unloading.matches()) {
                putBounded(classUnloading, id, Double.parseDouble(unloading.group(1)));
                continue;
            }
            Matcher remarkEnd = REMARK_END.matcher(text);
            if (remarkEnd.matches()) {
                Double unloadingMillis = classUnloading.remove(id);
                if (kept && remarks.size() < PAUSES_MAX) {
                    remarks.add(new Remark(
                            at, Double.parseDouble(remarkEnd.group(1)), unloadingMillis == null ? 0 : unloadingMillis));
                }
                continue;
            }
            Matcher youngEnd = YOUNG_END.matcher(text);
            if (youngEnd.matches()) {
                Builder pause = open.remove(id);
                if (kept && pauses.size() < PAUSES_MAX) {
                    pauses.add(
                            (pause == null ? new Builder() : pause).build(at, Double.parseDouble(youngEnd.group(1))));
                }
                continue;
            }
            if (text.startsWith("Pause ")) {
                // A young pause's first line, or a Remark's, a Cleanup's, a full collection's: the
                // lines of collections other than young pauses are dropped.
                if (!text.startsWith("Pause Young")) {
                    open.remove(id);
                }
                continue;
            }
            Builder pause = open.get(id);
            if (pause == null) {
                pause = new Builder();
                putBounded(open, id, pause);
            }
            pause.read(text);
        }
        return new Window(pauses, remarks);
    }

    /** Puts, then drops the eldest entry if the map holds more than {@link #OPEN_MAX}. */
    private static <V> void putBounded(Map<Long, V> map, long id, V value) {
        map.put(id, value);
        if (map.size() > OPEN_MAX) {
            map.remove(map.keySet().iterator().next());
        }
    }

    /** The one line {@link #main} prints. */
    static String summary(List<Pause> pauses) {
        if (pauses.isEmpty()) {
            return "no young pauses in the window";
        }
        return String.format(
                Locale.ROOT,
                "%d young pauses, median %.1f ms, max %.1f ms; Scan Heap Roots median %.1f ms (%,d cards, %,d left for"
                        + " the pause); Object Copy median %.1f ms (%.1f MB)",
                pauses.size(),
                median(pauses.stream().mapToDouble(Pause::millis).toArray()),
                pauses.stream().mapToDouble(Pause::millis).max().orElse(0),
                median(pauses.stream().mapToDouble(Pause::scanMillis).toArray()),
                Math.round(
                        median(pauses.stream().mapToDouble(Pause::cardsScanned).toArray())),
                Math.round(median(
                        pauses.stream().mapToDouble(Pause::cardsFromLogBuffers).toArray())),
                median(pauses.stream().mapToDouble(Pause::copyMillis).toArray()),
                median(pauses.stream().mapToDouble(Pause::bytesCopied).toArray()) / 1e6);
    }

    /** The Remark part of the line {@link #main} prints. */
    static String remarkSummary(List<Remark> remarks) {
        if (remarks.isEmpty()) {
            return "no remarks";
        }
        return String.format(
                Locale.ROOT,
                "%d remark%s, median %.1f ms, max %.1f ms, class unloading median %.1f ms",
                remarks.size(),
                remarks.size() == 1 ? "" : "s",
                median(remarks.stream().mapToDouble(Remark::millis).toArray()),
                remarks.stream().mapToDouble(Remark::millis).max().orElse(0),
                median(remarks.stream()
                        .mapToDouble(Remark::classUnloadingMillis)
                        .toArray()));
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n == 0 ? 0 : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** A pause's phase lines as they are read; "Dirty Cards" counts under the section above it. */
    private static final class Builder {
        private String section = "";
        private double scanMillis;
        private long cardsScanned;
        private long cardsFromLogBuffers;
        private double copyMillis;
        private long bytesCopied;

        void read(String text) {
            Matcher workers = WORKERS.matcher(text);
            if (!workers.find()) {
                return;
            }
            String name = workers.group(1).trim();
            double max = Double.parseDouble(workers.group(2));
            double sum = Double.parseDouble(workers.group(3));
            switch (name) {
                case "Remembered Sets", "Hot Card Cache", "Log Buffers" -> section = name;
                case "Scan Heap Roots" -> scanMillis = max;
                case "Scanned Cards" -> cardsScanned = (long) sum;
                case "Dirty Cards" -> {
                    if (section.equals("Log Buffers")) {
                        cardsFromLogBuffers = (long) sum;
                    }
                }
                case "Object Copy" -> copyMillis = max;
                case "Copied Bytes" -> bytesCopied = (long) sum;
                default -> {
                    // Another phase: not summarised.
                }
            }
        }

        Pause build(long endEpochMillis, double millis) {
            return new Pause(
                    endEpochMillis, millis, scanMillis, cardsScanned, cardsFromLogBuffers, copyMillis, bytesCopied);
        }
    }
}
