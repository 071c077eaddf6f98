package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server as its own process ({@code Main serve}) on a data directory, for tests that kill or
 * stop it: SIGKILL ({@link #kill}) or SIGTERM ({@link #terminate}). Everything it prints is kept
 * ({@link #output}).
 */
final class ServerProcess {
    private static final Pattern LISTENING = Pattern.compile("serving on port (\\d+)");

    final int port;
    private final Process process;
    private final StringBuffer output;
    /** Reads the rest of what the process prints into {@link #output}; ends with the process. */
    private final Thread reader;

    private ServerProcess(Process process, int port, StringBuffer output, Thread reader) {
        this.process = process;
        this.port = port;
        this.output = output;
        this.reader = reader;
    }

    /** Starts a server on {@code data} with the admin token of {@link ItFixtures}; waits until it serves. */
    static ServerProcess start(Path data, String durability) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("@" + ItFixtures.jvmOptions());
        command.add("-Xmx512m");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Main.class.getName());
        command.add("serve");
        Path adminToken = Files.createDirectories(data).resolve("admin-token");
        Files.writeString(adminToken, ItFixtures.ADMIN_TOKEN);
        command.addAll(List.of(
                "--port",
                "0",
                "--data-dir",
                data.toString(),
                "--set",
                "metrics-port=0",
                "--set",
                "admin-token-file=" + adminToken,
                "--set",
                "host=127.0.0.1",
                "--set",
                "journal-durability=" + durability,
                "--set",
                "sku-capacity=100",
                "--set",
                "order-capacity=500000",
                "--set",
                "user-counter-capacity=500000",
                "--set",
                "idempotency-capacity=1000000"));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        BufferedReader lines =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        StringBuffer seen = new StringBuffer();
        String line;
        while (System.nanoTime() < deadline && (line = lines.readLine()) != null) {
            seen.append(line).append('\n');
            Matcher matcher = LISTENING.matcher(line);
            if (matcher.find()) {
                int port = Integer.parseInt(matcher.group(1));
                Thread drain = new Thread(
                        () -> lines.lines().forEach(rest -> seen.append(rest).append('\n')), "server-output");
                drain.setDaemon(true);
                drain.start();
                System.out.print(seen.toString()
                        .lines()
                        .filter(l -> l.contains("Recovery"))
                        .map(l -> l + "\n")
                        .reduce("", String::concat));
                return new ServerProcess(process, port, seen, drain);
            }
        }
        process.destroyForcibly().waitFor();
        throw new AssertionError("server did not start:\n" + seen);
    }

    /** SIGKILL: no shutdown hook, no final snapshot, no flush. Killing twice is harmless. */
    void kill() throws InterruptedException {
        process.toHandle().destroyForcibly();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        reader.join(TimeUnit.SECONDS.toMillis(10));
    }

    /**
     * SIGTERM, as an orchestrator stops a pod: the shutdown hook drains and snapshots.
     *
     * @return the exit code, or -1 if the process did not end within {@code timeoutSeconds}
     */
    int terminate(long timeoutSeconds) throws InterruptedException {
        // Through the handle: Process.destroy() would also close our end of its output, and the
        // lines it prints while it shuts down would be lost.
        process.toHandle().destroy();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            return -1;
        }
        reader.join(TimeUnit.SECONDS.toMillis(10)); // the last lines, up to the end of the output
        return process.exitValue();
    }

    /** Everything the process printed so far. */
    String output() {
        return output.toString();
    }
}
