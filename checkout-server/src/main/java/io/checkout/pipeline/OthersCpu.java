package io.checkout.pipeline;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * How busy the machine's CPUs are with work other than the calling thread's: of the CPU time the
 * calling thread left to others since the previous sample, the share that was used ({@code 0..1}),
 * from the machine's counters in {@code /proc/stat} and the calling thread's own CPU time. NaN
 * when it cannot tell (not Linux, {@code /proc/stat} unreadable, the caller's thread took nearly
 * all the CPU there was).
 *
 * <p>Why: the background snapshotter waits while the engine is saturated, and the queue in front of
 * the business logic does not show every saturation: when the transport binds (gRPC's threads and a
 * load generator on the same cores), calls wait before they reach the ring, which stays empty; a
 * snapshot then started 2 s into a capacity run and took a core from it (benchmarks/README.md,
 * 2026-12-04). The machine's CPU shows it; the snapshotter's own share is taken out, so a running
 * snapshot does not count as load against itself.
 *
 * <p>One thread samples (the snapshotter's). A sample sooner than {@link #INTERVAL_MIN_NANOS} after
 * the previous one returns the previous figure: {@code /proc/stat} counts in ticks of 10 ms, so
 * shorter intervals are noise. The machine's counters are the host's: in a container with a CPU
 * quota, the quota's throttling does not show here (the queue signal still does).
 */
public final class OthersCpu implements DoubleSupplier {
    static final long INTERVAL_MIN_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    /** {@code /proc/stat}'s unit: USER_HZ, 100 on Linux. */
    private static final long NANOS_PER_TICK = TimeUnit.MILLISECONDS.toNanos(10);

    /** Below this share of the CPUs left by the calling thread, the others' share is not told. */
    private static final double LEFT_SHARE_MIN = 0.05;

    private static final Path PROC_STAT = Path.of("/proc/stat");

    /** Reads the machine's CPU ticks: {busy, total} since boot, or null if it cannot. */
    @FunctionalInterface
    interface MachineTicks {
        long[] read();
    }

    private final MachineTicks machine;
    private final LongSupplier ownCpuNanos;
    private final LongSupplier nanoTime;
    private boolean sampled;
    private long[] lastTicks;
    private long lastOwnNanos;
    private long lastSampleNanos;
    private double last = Double.NaN;

    OthersCpu(MachineTicks machine, LongSupplier ownCpuNanos, LongSupplier nanoTime) {
        this.machine = machine;
        this.ownCpuNanos = ownCpuNanos;
        this.nanoTime = nanoTime;
    }

    /** The machine's {@code /proc/stat} and the calling thread's CPU time (NaN throughout if either is missing). */
    public static OthersCpu ofThisMachine() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        boolean ownTimed = threads.isCurrentThreadCpuTimeSupported();
        if (ownTimed && !threads.isThreadCpuTimeEnabled()) {
            threads.setThreadCpuTimeEnabled(true);
        }
        return new OthersCpu(
                ownTimed ? OthersCpu::procStat : () -> null, threads::getCurrentThreadCpuTime, System::nanoTime);
    }

    @Override
    public double getAsDouble() {
        long now = nanoTime.getAsLong();
        if (sampled && now - lastSampleNanos < INTERVAL_MIN_NANOS) {
            return last;
        }
        long[] ticks = machine.read();
        long own = ownCpuNanos.getAsLong();
        double share = Double.NaN;
        if (ticks != null && lastTicks != null) {
            share = share(ticks[0] - lastTicks[0], ticks[1] - lastTicks[1], own - lastOwnNanos);
        }
        sampled = true;
        lastTicks = ticks;
        lastOwnNanos = own;
        lastSampleNanos = now;
        last = share;
        return share;
    }

    /**
     * Of the ticks the caller left ({@code totalTicks} less its own {@code ownNanos}), the share
     * others used ({@code busyTicks} less its own); NaN if there were none or it left next to none.
     */
    static double share(long busyTicks, long totalTicks, long ownNanos) {
        if (totalTicks <= 0 || busyTicks < 0 || ownNanos < 0) {
            return Double.NaN;
        }
        double own = Math.min(1.0, (double) ownNanos / NANOS_PER_TICK / totalTicks);
        double left = 1.0 - own;
        if (left < LEFT_SHARE_MIN) {
            return Double.NaN;
        }
        double others = (double) busyTicks / totalTicks - own;
        return Math.max(0.0, Math.min(1.0, others / left));
    }

    /**
     * The first line of {@code /proc/stat} ("cpu user nice system idle iowait irq softirq steal
     * ..."): busy is all but idle and iowait. Null if it cannot be read or parsed.
     */
    private static long[] procStat() {
        try {
            String line;
            try (var lines = Files.lines(PROC_STAT)) {
                line = lines.findFirst().orElse("");
            }
            String[] fields = line.trim().split("\\s+");
            if (fields.length < 5 || !fields[0].equals("cpu")) {
                return null;
            }
            long total = 0;
            long idle = 0;
            // user nice system idle iowait irq softirq steal; guest time is already in user.
            for (int i = 1; i < fields.length && i <= 8; i++) {
                long value = Long.parseLong(fields[i]);
                total += value;
                if (i == 4 || i == 5) {
                    idle += value;
                }
            }
            return new long[] {total - idle, total};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
