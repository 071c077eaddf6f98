package io.checkout.cluster;

import io.aeron.Aeron;
import io.aeron.archive.Archive;
import io.aeron.archive.ArchiveThreadingMode;
import io.aeron.archive.client.AeronArchive;
import io.aeron.cluster.ClusteredMediaDriver;
import io.aeron.cluster.ConsensusModule;
import io.aeron.cluster.client.AeronCluster;
import io.aeron.cluster.service.ClusteredServiceContainer;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.security.AuthorisationService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.agrona.CloseHelper;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NoOpLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member of a checkout cluster, all in this process: a media driver, an archive (the log on
 * disk), a consensus module (elections, replication, commit) in one {@link ClusteredMediaDriver},
 * and a {@link ClusteredServiceContainer} running the {@link CheckoutClusteredService}.
 *
 * <p>Set for small machines and containers: every agent shares threads and backs off to a park
 * when idle (never a busy spin), log buffers are sized by the term length so they fit a
 * container's /dev/shm, and failover waits for a leader silent for the heartbeat timeout (1.5 s by
 * default, not Aeron's 10 s).
 */
public final class ClusterMember implements AutoCloseable {
    /**
     * Log terms per archive segment file: the archived log is purged a whole segment at a time, so
     * smaller segments free space closer to the retained snapshot (16 MiB at the default 4 MiB term,
     * not Aeron's 128 MiB).
     */
    static final int TERMS_PER_SEGMENT = 4;

    private static final Logger LOG = LoggerFactory.getLogger(ClusterMember.class);
    /** Terms of other streams (ingress, egress, archive control, IPC to the service). */
    private static final int SMALL_TERM_BYTES = 1 << 20;
    /** Streams besides the log that a member keeps buffers for, at most, in its driver. */
    private static final int OTHER_STREAMS = 12;

    private final ClusterMemberConfig config;
    private final ClusteredMediaDriver driver;
    private final ClusteredServiceContainer container;
    private final CheckoutClusteredService service;
    private final Aeron client;
    private final AeronArchive.Context archiveClient;
    private final FileChannel lock;

    private ClusterMember(
            ClusterMemberConfig config,
            ClusteredMediaDriver driver,
            ClusteredServiceContainer container,
            CheckoutClusteredService service,
            Aeron client,
            AeronArchive.Context archiveClient,
            FileChannel lock) {
        this.config = config;
        this.driver = driver;
        this.container = container;
        this.service = service;
        this.client = client;
        this.archiveClient = archiveClient;
        this.lock = lock;
    }

    /**
     * Starts the member; it joins (or forms, with a majority) the cluster in the background.
     *
     * @param appliedBatches hears of every batch the service applies (the gateway)
     * @throws IllegalStateException if the Aeron directory's file system is too small for the buffers
     */
    public static ClusterMember launch(ClusterMemberConfig config, AppliedBatchListener appliedBatches) {
        checkSelfAddress(config);
        checkSpace(config);
        FileChannel lock = lockAndClearStaleMarkFiles(config.clusterDirectory());
        String aeronDirectory = config.aeronDirectory().toString();
        Path base = config.clusterDirectory();
        ClusterMemberConfig.Endpoint self = config.self();
        long heartbeatTimeoutNs = TimeUnit.MILLISECONDS.toNanos(config.leaderHeartbeatTimeoutMillis());
        MediaDriver.Context driverContext = new MediaDriver.Context()
                .aeronDirectoryName(aeronDirectory)
                .threadingMode(ThreadingMode.SHARED)
                .sharedIdleStrategy(idleStrategy(config))
                .publicationTermBufferLength(SMALL_TERM_BYTES)
                .ipcTermBufferLength(config.termBytes())
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true)
                .errorHandler(error -> LOG.error("media driver error", error));
        Archive.Context archiveContext = new Archive.Context()
                .aeronDirectoryName(aeronDirectory)
                .archiveDir(base.resolve("archive").toFile())
                .segmentFileLength(config.termBytes() * TERMS_PER_SEGMENT)
                .controlChannel("aeron:udp?endpoint=" + self.address(ClusterMemberConfig.ARCHIVE_PORT))
                .localControlChannel("aeron:ipc?term-length=64k")
                .replicationChannel("aeron:udp?endpoint=" + self.host() + ":0")
                .recordingEventsEnabled(false)
                .threadingMode(ArchiveThreadingMode.SHARED)
                .idleStrategySupplier(() -> idleStrategy(config))
                .fileSyncLevel(config.fileSyncLevel())
                .catalogFileSyncLevel(config.fileSyncLevel())
                .errorHandler(error -> LOG.error("archive error", error));
        AeronArchive.Context archiveClient = new AeronArchive.Context()
                .lock(NoOpLock.INSTANCE)
                .controlRequestChannel(archiveContext.localControlChannel())
                .controlResponseChannel(archiveContext.localControlChannel())
                .aeronDirectoryName(aeronDirectory);
        ConsensusModule.Context consensusContext = new ConsensusModule.Context()
                .clusterMemberId(config.memberId())
                .clusterMembers(config.clusterMembers())
                .clusterDir(consensusDirectory(config).toFile())
                .ingressChannel("aeron:udp")
                .logChannel("aeron:udp?term-length=" + config.termBytes())
                .replicationChannel("aeron:udp?endpoint=" + self.host() + ":0")
                .leaderHeartbeatTimeoutNs(heartbeatTimeoutNs)
                .leaderHeartbeatIntervalNs(Math.max(TimeUnit.MILLISECONDS.toNanos(50), heartbeatTimeoutNs / 10))
                .electionTimeoutNs(Math.max(TimeUnit.MILLISECONDS.toNanos(100), heartbeatTimeoutNs / 4))
                .fileSyncLevel(config.fileSyncLevel())
                .archiveContext(archiveClient.clone())
                // Lets a session ask for a snapshot (an admin request); sessions come from members' gateways.
                .authorisationServiceSupplier(() -> AuthorisationService.ALLOW_ALL)
                .idleStrategySupplier(() -> idleStrategy(config))
                .errorHandler(error -> LOG.error("consensus module error", error));
        CheckoutClusteredService service = new CheckoutClusteredService(
                config.capacities(),
                config.limits(),
                config.tickIntervalMillis(),
                appliedBatches,
                config.eventsDirectory());
        ClusteredMediaDriver clusteredDriver;
        try {
            clusteredDriver = ClusteredMediaDriver.launch(driverContext, archiveContext, consensusContext);
        } catch (RuntimeException e) {
            CloseHelper.quietClose(lock);
            throw e;
        }
        ClusteredServiceContainer container = null;
        Aeron client = null;
        try {
            container = ClusteredServiceContainer.launch(new ClusteredServiceContainer.Context()
                    .aeronDirectoryName(aeronDirectory)
                    .archiveContext(archiveClient.clone())
                    .clusterDir(consensusDirectory(config).toFile())
                    .clusteredService(service)
                    .idleStrategySupplier(() -> idleStrategy(config))
                    .errorHandler(error -> LOG.error("clustered service error", error)));
            client = Aeron.connect(new Aeron.Context()
                    .aeronDirectoryName(aeronDirectory)
                    .errorHandler(error -> LOG.error("gateway's Aeron client error", error)));
        } catch (RuntimeException e) {
            CloseHelper.quietCloseAll(client, container, clusteredDriver, lock);
            throw e;
        }
        LOG.info(
                "cluster member {} of {} started: {} (Aeron directory {}, log term {} bytes, file sync level {})",
                config.memberId(),
                config.members().size(),
                base.toAbsolutePath(),
                aeronDirectory,
                config.termBytes(),
                config.fileSyncLevel());
        return new ClusterMember(config, clusteredDriver, container, service, client, archiveClient, lock);
    }

    /**
     * Takes the member's lock on its cluster directory, then deletes the mark files a killed
     * process left behind. Aeron refuses to start over a mark file whose owner was active within
     * the last seconds, so a member restarted at once after a kill -9 would fail; the lock (which
     * the kernel drops when its process dies) tells a dead owner from a live one.
     */
    private static FileChannel lockAndClearStaleMarkFiles(Path clusterDirectory) {
        try {
            Files.createDirectories(clusterDirectory);
            FileChannel channel = FileChannel.open(
                    clusterDirectory.resolve("member.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                channel.close();
                throw new IllegalStateException("cluster-dir " + clusterDirectory.toAbsolutePath()
                        + " is in use by another running member: each member needs a directory of its own");
            }
            for (String directory : new String[] {"archive", "cluster"}) {
                Path path = clusterDirectory.resolve(directory);
                if (!Files.isDirectory(path)) {
                    continue;
                }
                try (DirectoryStream<Path> markFiles = Files.newDirectoryStream(path, "*-mark*.dat")) {
                    for (Path markFile : markFiles) {
                        Files.delete(markFile);
                        LOG.info("deleted {} left by a member that is no longer running", markFile);
                    }
                }
            }
            return channel;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock cluster-dir " + clusterDirectory.toAbsolutePath(), e);
        }
    }

    /** Spins a little, yields, then parks for longer and longer up to the configured bound: never a busy spin. */
    private static IdleStrategy idleStrategy(ClusterMemberConfig config) {
        return new BackoffIdleStrategy(
                10, 20, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(config.idleParkMaxMicros()));
    }

    /**
     * Refuses to start when this member's own entry in the member list is not an address of this
     * machine: its driver could not bind there (a wrong member id or a wrong list), and Aeron's
     * own error names neither. Other members' names need not resolve yet (their pods may not exist).
     */
    private static void checkSelfAddress(ClusterMemberConfig config) {
        String host = config.self().host();
        String entry = "cluster-members entry " + config.memberId() + " (this member, cluster-member-id="
                + config.memberId() + ") is '" + host + "'";
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(entry + ", which does not resolve on this machine", e);
        }
        try {
            if (!address.isLoopbackAddress()
                    && !address.isAnyLocalAddress()
                    && NetworkInterface.getByInetAddress(address) == null) {
                throw new IllegalStateException(entry + " = " + address.getHostAddress()
                        + ", which is not an address of this machine: check cluster-member-id and cluster-members");
            }
        } catch (SocketException e) {
            throw new UncheckedIOException("cannot list this machine's addresses", e);
        }
    }

    /**
     * Refuses to start when the Aeron directory's file system cannot hold the log buffers: Aeron
     * would otherwise fail later, or a sparse buffer would crash the process when touched.
     */
    private static void checkSpace(ClusterMemberConfig config) {
        Path directory = config.aeronDirectory().toAbsolutePath();
        Path existing = directory;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return;
        }
        long usable;
        try {
            usable = Files.getFileStore(existing).getUsableSpace();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the free space of " + existing, e);
        }
        checkSpace(config, directory, usable);
    }

    /** Refuses {@code usableBytes} of room in {@code directory} if the buffers need more. */
    static void checkSpace(ClusterMemberConfig config, Path directory, long usableBytes) {
        long needed = needsBytes(config);
        if (usableBytes < needed) {
            throw new IllegalStateException(String.format(
                    "aeron-dir %s has %d MiB free, the cluster's buffers need about %d MiB (cluster-term-bytes=%d):"
                            + " give the file system more room (a larger /dev/shm: docker --shm-size, a memory"
                            + " emptyDir sizeLimit) or lower cluster-term-bytes",
                    directory, usableBytes >> 20, (needed >> 20) + 1, config.termBytes()));
        }
    }

    /**
     * About what the driver maps, with room to spare: three terms per stream, the log once per
     * member and twice more (the service, a catch-up), twelve smaller streams. A 3-member group at
     * 4 MiB terms maps about 47 MiB per member in a steady sale; this asks for 96 MiB.
     */
    static long needsBytes(ClusterMemberConfig config) {
        long logStreams = config.members().size() + 2L;
        return 3L * config.termBytes() * logStreams + 3L * SMALL_TERM_BYTES * OTHER_STREAMS;
    }

    /** Client contexts for this member's gateway, over this member's driver; one per connection attempt. */
    public Supplier<AeronCluster.Context> clientContexts(long messageTimeoutMillis) {
        return () -> new AeronCluster.Context()
                .aeron(client)
                .ownsAeronClient(false)
                .ingressChannel("aeron:udp?term-length=" + SMALL_TERM_BYTES)
                .ingressEndpoints(config.ingressEndpoints())
                .egressChannel("aeron:udp?endpoint=" + config.self().host() + ":0|term-length=" + SMALL_TERM_BYTES)
                .messageTimeoutNs(TimeUnit.MILLISECONDS.toNanos(messageTimeoutMillis));
    }

    private static Path consensusDirectory(ClusterMemberConfig config) {
        return config.clusterDirectory().resolve("cluster");
    }

    /** Where the consensus module keeps its recording log and mark file ({@code ClusterTool}'s directory). */
    public Path consensusDirectory() {
        return consensusDirectory(config);
    }

    /** The consensus module's cluster id (its control toggle is found by it). */
    public int clusterId() {
        return driver.consensusModule().context().clusterId();
    }

    /** A context for a client of this member's archive, over this member's Aeron client. */
    AeronArchive.Context archiveClient() {
        return archiveClient.clone().aeron(client).ownsAeronClient(false);
    }

    public CheckoutClusteredService service() {
        return service;
    }

    public ClusterMemberConfig config() {
        return config;
    }

    /** The Aeron client over this member's driver (its counters carry the consensus module's state). */
    public Aeron aeron() {
        return client;
    }

    @Override
    public void close() {
        CloseHelper.closeAll(client, container, driver, lock);
    }
}
