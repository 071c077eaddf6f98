package io.checkout.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Entry point of {@code benchmarks.jar}: JMH's own command line (benchmark regex, {@code -prof gc},
 * {@code -f}, {@code -wi}, {@code -i}, {@code -p name=value}, ...) plus the JVM flags Chronicle Map
 * needs on JDK 17, appended to every forked benchmark JVM.
 *
 * <p>The flags come from the repository's {@code jvm.options} (java {@code @argfile} format), the one
 * list the launcher and the tests use too. It is looked up at the system property
 * {@code checkout.jvm.options}, else at {@code ./jvm.options}, so run the jar from the repository
 * root or pass {@code -Dcheckout.jvm.options=/path/to/jvm.options}. Any {@code -jvmArgsAppend}
 * given on the command line is kept and comes first, and system properties starting with
 * {@code checkout.bench.} (e.g. {@code -Dcheckout.bench.dir=/dev/shm}) are passed on to the forks.
 * With {@code -prof gc} it also adds {@link TimedAllocationProfiler}, whose {@code timed.alloc.norm}
 * leaves out what each invocation's setup allocates.
 */
public final class BenchmarkMain {
    /** System property naming the JVM options file. */
    public static final String JVM_OPTIONS_PROPERTY = "checkout.jvm.options";
    /** System properties with this prefix are passed on to the forked benchmark JVMs. */
    public static final String FORWARDED_PROPERTY_PREFIX = "checkout.bench.";

    private BenchmarkMain() {}

    public static void main(String[] args) throws RunnerException, IOException {
        CommandLineOptions commandLine;
        try {
            commandLine = new CommandLineOptions(args);
        } catch (CommandLineOptionException e) {
            System.err.println("Error parsing command line: " + e.getMessage());
            System.exit(1);
            return;
        }
        if (commandLine.shouldHelp()
                || commandLine.shouldList()
                || commandLine.shouldListWithParams()
                || commandLine.shouldListProfilers()
                || commandLine.shouldListResultFormats()) {
            // Nothing forks: let JMH's own main print what was asked for.
            org.openjdk.jmh.Main.main(args);
            return;
        }

        Path optionsFile = Paths.get(System.getProperty(JVM_OPTIONS_PROPERTY, "jvm.options"));
        if (!Files.isRegularFile(optionsFile)) {
            System.err.println("benchmarks: JVM options file " + optionsFile.toAbsolutePath() + " not found."
                    + " Run from the repository root or pass -D" + JVM_OPTIONS_PROPERTY + "=/path/to/jvm.options"
                    + " (Chronicle Map needs its --add-opens/--add-exports flags on JDK 17).");
            System.exit(2);
            return;
        }

        List<String> append = new ArrayList<>(commandLine.getJvmArgsAppend().orElse(List.of()));
        append.addAll(readArgFile(optionsFile));
        // Benchmark knobs given to this JVM (e.g. -Dcheckout.bench.dir=/dev/shm) reach the forks too.
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith(FORWARDED_PROPERTY_PREFIX)) {
                append.add("-D" + name + "=" + System.getProperty(name));
            }
        }

        ChainedOptionsBuilder options = new OptionsBuilder().parent(commandLine);
        options.jvmArgsAppend(append.toArray(new String[0]));
        if (asksForGcProfiler(commandLine) && !asksFor(commandLine, TimedAllocationProfiler.class)) {
            // gc.alloc.rate.norm includes per-invocation setup; report the timed region's share next to it.
            options.addProfiler(TimedAllocationProfiler.class);
        }
        Collection<?> results = new Runner(options.build()).run();
        if (results.isEmpty()) {
            // Mirrors JMH's Main: no result means nothing matched or every benchmark failed.
            System.exit(1);
        }
    }

    private static boolean asksForGcProfiler(CommandLineOptions commandLine) {
        return asksFor(commandLine, GCProfiler.class)
                || commandLine.getProfilers().stream()
                        .anyMatch(p -> p.getKlass().equalsIgnoreCase("gc"));
    }

    private static boolean asksFor(CommandLineOptions commandLine, Class<?> profiler) {
        return commandLine.getProfilers().stream().anyMatch(p -> p.getKlass().equals(profiler.getName()));
    }

    /**
     * The arguments in a java launcher {@code @argfile}: whitespace-separated, {@code #} starts a
     * comment line. Quoting is not supported; the file does not need it.
     */
    static List<String> readArgFile(Path file) throws IOException {
        List<String> args = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            if (trimmed.indexOf('"') >= 0 || trimmed.indexOf('\'') >= 0) {
                throw new IOException(file + ": quoted arguments are not supported: " + trimmed);
            }
            for (String arg : trimmed.split("\\s+")) {
                args.add(arg);
            }
        }
        return args;
    }
}
