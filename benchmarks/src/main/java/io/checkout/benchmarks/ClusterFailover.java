package io.checkout.benchmarks;

import io.checkout.client.CheckoutClient;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.UpsertSkuRequest;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Failover as a caller sees it: three cluster members as separate JVMs on loopback (the server's
 * own command line, {@code serve --set mode=cluster}), one probe reserving one unit at a time
 * through the SDK over {@code static:///} all three (one attempt per call, 1 s deadline, a new
 * request id after each failure), the leader killed with SIGKILL. The figure is the time from the
 * kill to the first reserve that was sent after the kill and acknowledged. The killed member is
 * restarted and rejoins before the next kill.
 *
 * <pre>ClusterFailover DIR [KILLS] [HEARTBEAT_TIMEOUT_MILLIS]</pre>
 *
 * Run from the repository root (it reads jvm.options there). Prints one line per kill and the median.
 */
public final class ClusterFailover {
    private static final int MEMBERS = 3;
    private static final int GRPC_BASE = 22_100;
    private static final int METRICS_BASE = 22_150;
    private static final int CLUSTER_BASE = 22_200;
    private static final String TOKEN = "failover-benchmark-token-0123456789";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private ClusterFailover() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: ClusterFailover DIR [KILLS] [HEARTBEAT_TIMEOUT_MILLIS]");
            System.exit(2);
            return;
        }
        Path directory = Path.of(args[0]);
        int kills = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        long heartbeatTimeoutMillis = args.length > 2 ? Long.parseLong(args[2]) : 1_500;
        Workload.deleteRecursively(directory);
        Files.createDirectories(directory);
        Process[] members = new Process[MEMBERS];
        try {
            for (int id = 0; id < MEMBERS; id++) {
                members[id] = start(directory, id, heartbeatTimeoutMillis);
            }
            for (int id = 0; id < MEMBERS; id++) {
                awaitServing(id, members[id]);
            }
            try (CheckoutClient admin = CheckoutClient.builder(target())
                    .deadline(Duration.ofSeconds(10))
                    .adminToken(TOKEN)
                    .build()) {
                admin.upsertSku(UpsertSkuRequest.newBuilder()
                        .setSkuId("FAILOVER")
                        .setPriceMinor(100)
                        .setCurrency("EUR")
                        .setTotalStock(1_000_000_000)
                        .setReservationTtlMillis(60_000)
                        .build());
            }
            try (CheckoutClient client = CheckoutClient.builder(target())
                    .deadline(Duration.ofSeconds(1))
                    .maxAttempts(1)
                    .build()) {
                long[] millis = new long[kills];
                for (int kill = 0; kill < kills; kill++) {
                    millis[kill] = killLeaderAndTime(client, members, directory, heartbeatTimeoutMillis, kill);
                }
                long[] sorted = millis.clone();
                Arrays.sort(sorted);
                System.out.printf(
                        "failover_ms median=%d min=%d max=%d runs=%s heartbeat_timeout_ms=%d%n",
                        sorted[sorted.length / 2],
                        sorted[0],
                        sorted[sorted.length - 1],
                        Arrays.toString(millis),
                        heartbeatTimeoutMillis);
            }
        } finally {
            for (Process member : members) {
                if (member != null) {
                    member.destroyForcibly().waitFor();
                }
            }
        }
    }

    private static long killLeaderAndTime(
            CheckoutClient client, Process[] members, Path directory, long heartbeatTimeoutMillis, int kill)
            throws Exception {
        int leader = leader(members);
        Probe probe = new Probe(client, "k" + kill + "-");
        Thread probeThread = new Thread(probe, "failover-probe");
        probeThread.start();
        Thread.sleep(2_000);
        long killedAt = System.nanoTime();
        probe.killedAt = killedAt;
        members[leader].destroyForcibly().waitFor();
        while (probe.firstAfterKill.get() == 0) {
            if (System.nanoTime() - killedAt > TimeUnit.SECONDS.toNanos(60)) {
                throw new IllegalStateException("no reserve acknowledged within 60 s of the kill");
            }
            Thread.sleep(1);
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(probe.firstAfterKill.get() - killedAt);
        probe.stop = true;
        probeThread.join();
        System.out.printf(
                "kill %d: leader member %d killed; first reserve sent after the kill acknowledged %d ms later"
                        + " (%d acknowledged before, %d failed calls)%n",
                kill + 1, leader, millis, probe.beforeKill.get(), probe.failures.get());
        members[leader] = start(directory, leader, heartbeatTimeoutMillis);
        awaitServing(leader, members[leader]);
        Thread.sleep(1_000);
        return millis;
    }

    /** Reserves one unit at a time; records the first acknowledgement of a call sent after the kill. */
    private static final class Probe implements Runnable {
        final AtomicLong firstAfterKill = new AtomicLong();
        final AtomicLong beforeKill = new AtomicLong();
        final AtomicLong failures = new AtomicLong();
        volatile long killedAt;
        volatile boolean stop;
        private final CheckoutClient client;
        private final String prefix;

        Probe(CheckoutClient client, String prefix) {
            this.client = client;
            this.prefix = prefix;
        }

        @Override
        public void run() {
            long n = 0;
            while (!stop) {
                n++;
                long sentAt = System.nanoTime();
                try {
                    ReserveResult result = client.reserve(prefix + "r" + n, prefix + "buyer" + n, "FAILOVER", 1)
                            .getResult();
                    if (result != ReserveResult.RESERVED) {
                        throw new IllegalStateException("probe reserve answered " + result);
                    }
                    long killed = killedAt;
                    if (killed == 0) {
                        beforeKill.incrementAndGet();
                    } else if (sentAt >= killed) {
                        firstAfterKill.compareAndSet(0, System.nanoTime());
                    }
                } catch (StatusRuntimeException e) {
                    failures.incrementAndGet();
                }
            }
        }
    }

    private static int leader(Process[] members) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            for (int id = 0; id < MEMBERS; id++) {
                if (members[id].isAlive() && metric(id, "checkout_cluster_role") == 2) {
                    return id;
                }
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("no leader within 60 s");
    }

    private static void awaitServing(int id, Process member) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!member.isAlive()) {
                throw new IllegalStateException("member " + id + " exited; see its output.log");
            }
            if (metric(id, "checkout_serving") == 1) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("member " + id + " not serving within 120 s");
    }

    private static long metric(int id, String name) throws InterruptedException {
        try {
            HttpResponse<String> response = HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + (METRICS_BASE + id) + "/metrics"))
                            .timeout(Duration.ofSeconds(2))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            for (String line : response.body().split("\n")) {
                if (line.startsWith(name + " ")) {
                    return (long)
                            Double.parseDouble(line.substring(name.length() + 1).trim());
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    private static String target() {
        StringBuilder target = new StringBuilder("static:///");
        for (int id = 0; id < MEMBERS; id++) {
            target.append(id == 0 ? "" : ",").append("127.0.0.1:").append(GRPC_BASE + id);
        }
        return target.toString();
    }

    private static Process start(Path directory, int id, long heartbeatTimeoutMillis) throws IOException {
        Path dir = Files.createDirectories(directory.resolve("member-" + id));
        Path token = Files.writeString(dir.resolve("admin-token"), TOKEN);
        StringBuilder clusterMembers = new StringBuilder();
        for (int member = 0; member < MEMBERS; member++) {
            clusterMembers.append(member == 0 ? "" : ",").append("127.0.0.1:").append(CLUSTER_BASE + member * 10);
        }
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + Path.of("jvm.options").toAbsolutePath(),
                "-Xmx1g",
                "-cp",
                System.getProperty("java.class.path"),
                "io.checkout.server.Main",
                "serve"));
        command.addAll(List.of(
                "--port",
                String.valueOf(GRPC_BASE + id),
                "--data-dir",
                dir.toString(),
                "--set",
                "mode=cluster",
                "--set",
                "cluster-member-id=" + id,
                "--set",
                "cluster-members=" + clusterMembers,
                "--set",
                "cluster-heartbeat-timeout-millis=" + heartbeatTimeoutMillis,
                "--set",
                // Under DIR, not /dev/shm: a killed member's buffers stay until its next start.
                "aeron-dir=" + dir.resolve("aeron"),
                "--set",
                "metrics-port=" + (METRICS_BASE + id),
                "--set",
                "admin-token-file=" + token,
                "--set",
                "host=127.0.0.1",
                "--set",
                "sku-capacity=100",
                "--set",
                "order-capacity=2000000",
                "--set",
                "user-counter-capacity=2000000",
                "--set",
                "idempotency-capacity=4000000"));
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        dir.resolve("output.log").toFile()))
                .start();
    }
}
