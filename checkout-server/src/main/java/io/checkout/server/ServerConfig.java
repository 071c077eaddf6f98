package io.checkout.server;

import io.checkout.cluster.ClusterBatches;
import io.checkout.cluster.ClusterHousekeeper;
import io.checkout.cluster.ClusterMemberConfig;
import io.checkout.contract.ContractLimits;
import io.checkout.contract.Partitioning;
import io.checkout.engine.EngineLimits;
import io.checkout.pipeline.JournalConfig;
import io.checkout.pipeline.PipelineConfig;
import io.checkout.pipeline.Snapshotter;
import io.checkout.state.StateCapacities;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import javax.security.auth.x500.X500Principal;

/**
 * Every server setting: its name, default, bounds and meaning, in one table. Values come from
 * defaults, then a properties file, then command-line overrides; {@link #conclude} validates them
 * once at start and fails with a message naming the setting. Unknown names are refused too, so a
 * typo in a config file is an error, not a silently ignored line.
 */
public final class ServerConfig {
    /**
     * The upper bound of stream-batch-max: 4,096 answers of at most about 500 bytes each (ids at
     * their longest, an error with its details) stay within gRPC's default 4 MiB inbound message
     * limit on the caller's side.
     */
    public static final int STREAM_BATCH_MAX_LIMIT = ContractLimits.STREAM_BATCH_SIZE_MAX;

    /** One setting. Numbers are bounded; text settings list what they accept. */
    public enum Setting {
        MODE(
                "mode",
                "single",
                "single: one process, its journal and snapshots (the default); cluster: one member of a replicated"
                        + " group on Aeron Cluster (settings cluster-*), whose archived log replaces the journal"),
        HOST("host", "0.0.0.0", "address to listen on"),
        PORT("port", "9090", "gRPC port, 0 picks a free one", 0, 65_535),
        DATA_DIR("data-dir", "./data", "directory of the state files"),
        RING_SIZE("ring-size", "16384", "command ring slots, a power of two", 2, PipelineConfig.RING_SIZE_MAX),
        WAIT_STRATEGY(
                "wait-strategy",
                "parking",
                "how pipeline threads wait: parking, blocking, sleeping, yielding, busy-spin"),
        JOURNAL_THREAD(
                "journal-thread",
                "business-logic",
                "which thread journals and answers each batch: business-logic (one thread fewer, the default)"
                        + " or own (applies the next batch while this one syncs; for a spare core)"),
        PREFETCH_GROUP(
                "prefetch-group",
                "16",
                "commands of a batch the engine loads the ids and index slots of together before applying them,"
                        + " so that their cache misses overlap (0: none)",
                0,
                PipelineConfig.PREFETCH_GROUP_MAX),
        TICK_INTERVAL_MILLIS(
                "tick-interval-millis", "100", "how often engine time advances and reservations expire", 1, 60_000),
        SKU_CAPACITY("sku-capacity", "100000", "most SKUs", 1, 10_000_000),
        ORDER_CAPACITY("order-capacity", "2000000", "most orders", 1, 1_000_000_000),
        USER_COUNTER_CAPACITY(
                "user-counter-capacity", "2000000", "most (user, SKU) pairs holding units", 1, 1_000_000_000),
        IDEMPOTENCY_CAPACITY("idempotency-capacity", "5000000", "most remembered request ids", 1, 2_000_000_000),
        PAYMENT_CAPACITY(
                "payment-capacity",
                "0",
                "most payments recorded on orders; a confirm with a payment takes one, and each pays one order,"
                        + " so more than order-capacity is never used (0: as many as order-capacity)",
                0,
                1_000_000_000),
        MERCHANT_CAPACITY(
                "merchant-capacity",
                "65536",
                "most rows of the merchant table: each merchant defined and each change of its commission rate"
                        + " takes one (about 30 bytes each, taken as rows are added)",
                1,
                1_048_575),
        BLOCKLIST_CAPACITY(
                "blocklist-capacity",
                "1048576",
                "most users blocked at once (Inventory.SetUserBlocked); about 80 bytes each, taken as users are"
                        + " blocked",
                1,
                16_777_216),
        ATTEMPT_COUNTER_CAPACITY(
                "attempt-counter-capacity",
                "1048576",
                "most users whose reserves the attempt limit counts in one window (Inventory.SetRiskRules); a"
                        + " new user beyond it is refused ATTEMPT_COUNTER_TABLE_FULL until the window turns. The same"
                        + " bound applies, apart, to the users all SKU groups' attempt limits count together"
                        + " (Inventory.UpsertSkuGroup). About 84 bytes each, taken as users are counted and kept",
                1,
                16_777_216),
        SKU_GROUP_CAPACITY(
                "sku-group-capacity",
                "4096",
                "most SKU groups (Inventory.UpsertSkuGroup: a per-user limit across up to 64 SKUs, as a sale's);"
                        + " a few hundred bytes each, taken as groups are defined",
                1,
                1_048_576),
        CAMPAIGN_CAPACITY(
                "campaign-capacity",
                "4096",
                "most campaigns (Inventory.UpsertCampaign); a few hundred bytes each, taken as campaigns are"
                        + " defined",
                1,
                65_535),
        REDEMPTION_CAPACITY(
                "redemption-capacity",
                "1048576",
                "most (user, campaign) pairs holding campaign redemptions at once; a reserve that would add one"
                        + " more is refused REDEMPTION_TABLE_FULL. About 100 bytes each, taken as users redeem",
                1,
                16_777_216),
        STATE_MEMORY(
                "state-memory",
                "on-demand",
                "when the state tables take their memory: on-demand (as rows are written) or preallocate (all"
                        + " the capacities need, at start-up: a heap too small fails the start rather than a sale, a"
                        + " reserve allocates nothing; about 195 bytes per order, 110 per remembered request id and"
                        + " 126 per payment)"),
        IDEMPOTENCY_RETENTION_MILLIS(
                "idempotency-retention-millis",
                "86400000",
                "how long a request id's first answer is remembered at least; 0 keeps every answer for good",
                0,
                30L * 86_400_000),
        LINES_PER_ORDER_MAX(
                "lines-per-order-max", "16", "most lines in one reserve", 1, EngineLimits.LINES_PER_ORDER_MAX),
        QUANTITY_PER_LINE_MAX(
                "quantity-per-line-max", "1000", "most units in one line", 1, EngineLimits.QUANTITY_PER_LINE_MAX),
        ID_LENGTH_MAX(
                "id-length-max", "64", "longest request, user and SKU id accepted", 1, EngineLimits.ID_LENGTH_MAX),
        EXPIRIES_PER_TICK_MAX("expiries-per-tick-max", "10000", "most reservations one tick expires", 1, 1_000_000),
        INBOUND_MESSAGE_BYTES_MAX(
                "inbound-message-bytes-max", "65536", "largest request message accepted", 1024, 16 << 20),
        STREAM_WINDOW(
                "stream-window",
                "1024",
                "most unanswered requests per ReserveStream; a ReserveBatchStream reads another batch only while"
                        + " fewer are unanswered",
                1,
                65_536),
        STREAM_BATCH_MAX(
                "stream-batch-max",
                "256",
                "most reserves in one ReserveBatchStream message (and answers in one reply); every reserve of a"
                        + " larger batch is answered REJECTED",
                1,
                STREAM_BATCH_MAX_LIMIT),
        UNARY_ANSWERS(
                "unary-answers",
                "event-loop",
                "which thread writes the answers of the Checkout service's unary calls (Reserve, Confirm, Cancel,"
                        + " Refund, GetOrder, ListUserOrders, GetStock): event-loop (each call's Netty event loop, one"
                        + " task per loop for all its answers of a replier batch; the default) or replier (the"
                        + " pipeline's replier thread, one call at a time, as the admin calls are)"),
        STREAM_ANSWERS(
                "stream-answers",
                "event-loop",
                "which thread sends the answers on the reserve streams (ReserveStream, ReserveBatchStream):"
                        + " event-loop (the stream's Netty event loop, one task per stream for its answers of a"
                        + " replier batch; the default) or replier (the pipeline's replier thread)"),
        CONCURRENT_CALLS_PER_CONNECTION_MAX(
                "concurrent-calls-per-connection-max", "1000", "most concurrent calls on one connection", 1, 100_000),
        QUEUE_DELAY_MAX_MILLIS(
                "queue-delay-max-millis",
                "100",
                "admission by queueing delay: a reserve or read whose command would wait longer than this (or than"
                        + " its call's remaining deadline) before the engine takes it up is refused at once with"
                        + " RESOURCE_EXHAUSTED (reason QUEUE_DELAY) and a retry delay; 0 turns it off (only a full"
                        + " ring refuses)",
                0,
                10_000),
        SHUTDOWN_GRACE_MILLIS(
                "shutdown-grace-millis", "10000", "how long shutdown waits for calls to finish", 0, 600_000),
        JOURNAL_DURABILITY(
                "journal-durability",
                "fsync",
                "when an answer may go out: fsync (its journal batch is synced to the device: survives power loss)"
                        + " or process (its batch is in the OS page cache: survives the process dying)"),
        JOURNAL_SEGMENT_BYTES(
                "journal-segment-bytes",
                "268435456",
                "size of one journal or event log segment file",
                JournalConfig.SEGMENT_BYTES_MIN,
                1L << 34),
        JOURNAL_SEGMENT_FILES(
                "journal-segment-files",
                "prepared",
                "with journal-durability=fsync, how the journal's segment files are written: prepared (made"
                        + " ahead at full size and zero-filled by a thread of their own, then written over with"
                        + " direct I/O, each write synced: no page-cache copy, one system call a batch) or appended"
                        + " (a new file grown by each write, then fdatasync); without fsync, and for the event log,"
                        + " always appended"),
        JOURNAL_RETAINED_SEGMENTS(
                "journal-retained-segments",
                "2",
                "journal segments kept beyond those the newest snapshot covers",
                0,
                100_000),
        SNAPSHOT_INTERVAL_COMMANDS(
                "snapshot-interval-commands",
                "2000000",
                "journalled commands between background snapshots; 0 snapshots only at shutdown",
                0,
                1L << 40),
        SNAPSHOT_DEFER_MAX_COMMANDS(
                "snapshot-defer-max-commands",
                "3000000",
                "how many more journalled commands a due background snapshot may wait while the engine is saturated"
                        + " (a standing queue, or other work keeping 85% of the CPUs busy); 0 never waits",
                0,
                1L << 40),
        SNAPSHOT_COPY(
                "snapshot-copy",
                "freeze",
                "how a background snapshot gets the state: freeze (no copy: the live state is held still at a"
                        + " batch end and written while the engine goes on, copy-on-write in 4 KB units; no replay),"
                        + " keep (a copy of the state stays in memory between snapshots and each replays the"
                        + " commands since the last onto it and writes: a second copy of the state's rows for good)"
                        + " or transient (each snapshot loads the newest one into a fresh copy, replays onto it and"
                        + " drops it once written)"),
        EVENT_SUBSCRIBERS_MAX("event-subscribers-max", "16", "most concurrent OrderEvents subscriptions", 0, 1_024),
        METRICS_PORT(
                "metrics-port",
                "9464",
                "HTTP port of /metrics, /ready and /live (on host); 0 picks a free one, -1 turns them off",
                -1,
                65_535),
        METRICS_SKU_SERIES_MAX(
                "metrics-sku-series-max", "100", "most SKUs on sale that get their own stock series", 0, 10_000),
        METRICS_STOCK_INTERVAL_MILLIS(
                "metrics-stock-interval-millis",
                "5000",
                "how often (engine time) the stock of SKUs on sale is copied for metrics",
                100,
                3_600_000),
        CLUSTER_MEMBER_ID("cluster-member-id", "0", "cluster mode: this member's index in cluster-members", 0, 6),
        CLUSTER_MEMBERS(
                "cluster-members",
                "localhost:20000",
                "cluster mode: every member's host:base-port, by member id, separated by ','; 1, 3, 5 or 7 members;"
                        + " a member listens on UDP ports base-port+1 to base-port+5"),
        CLUSTER_DIR(
                "cluster-dir",
                "",
                "cluster mode: where the archived log and snapshots live; empty: <data-dir>/cluster"),
        AERON_DIR(
                "aeron-dir",
                "",
                "cluster mode: the media driver's directory, on a memory file system; empty:"
                        + " /dev/shm/checkout-<cluster-member-id>-<port> (or <cluster-dir>/aeron without /dev/shm)"),
        CLUSTER_TERM_BYTES(
                "cluster-term-bytes",
                "4194304",
                "cluster mode: log term length, a power of two; the driver maps three terms per log stream,"
                        + " so /dev/shm needs about 3 x (members + 2) x this plus 36 MiB",
                1 << 20,
                1 << 26),
        CLUSTER_FILE_SYNC_LEVEL(
                "cluster-file-sync-level",
                "1",
                "cluster mode: 1: a member fsyncs the log before it counts as appended, so an answer means on the"
                        + " disk of a majority; 0: in a majority's page cache only (a power loss of a majority can"
                        + " lose answered commands); 2: metadata synced too",
                0,
                2),
        CLUSTER_HEARTBEAT_TIMEOUT_MILLIS(
                "cluster-heartbeat-timeout-millis",
                "1500",
                "cluster mode: how long followers wait for a silent leader before electing another",
                200,
                60_000),
        CLUSTER_IDLE_PARK_MAX_MICROS(
                "cluster-idle-park-max-micros",
                "1000",
                "cluster mode: the longest an idle Aeron agent (driver, archive, consensus, service) parks between"
                        + " polls; lower cuts the latency of a quiet member's hops for CPU spent polling",
                10,
                100_000),
        CLUSTER_OUTCOME_TIMEOUT_MILLIS(
                "cluster-outcome-timeout-millis",
                "5000",
                "cluster mode: how long a command waits for the cluster before it is answered UNAVAILABLE"
                        + " (outcome unknown; a retry with the same request id is safe); outlasts a failover",
                100,
                600_000),
        CLUSTER_BATCH_COMMANDS_MAX(
                "cluster-batch-commands-max",
                "256",
                "cluster mode: most commands the gateway packs into one ingress message",
                1,
                ClusterBatches.COMMANDS_PER_BATCH_MAX),
        CLUSTER_SNAPSHOT_INTERVAL_SECONDS(
                "cluster-snapshot-interval-seconds",
                "3600",
                "cluster mode: the leader asks for a snapshot this long after the last, once the log is quiet"
                        + " (a snapshot pauses ingress: about 1.2 s per million orders), and at twice this even"
                        + " if it never is; 0: only when an operator asks (ClusterTool snapshot)",
                0,
                604_800),
        CLUSTER_LOG_RETAINED_SNAPSHOTS(
                "cluster-log-retained-snapshots",
                "2",
                "cluster mode: snapshots each member keeps, with the archived log since the oldest of them;"
                        + " older log and snapshots are deleted (the leader waits while a member is behind);"
                        + " 0: delete nothing (the archive grows without bound)",
                0,
                1_000),
        PARTITION_MAP_FILE(
                "partition-map-file",
                "",
                "the partition map (PartitionMap in JSON: version, partitions with id, targets and slot ranges);"
                        + " read again when it changes; empty: not partitioned (partition 0 owns every SKU)"),
        PARTITION_ID(
                "partition-id",
                "0",
                "this server's partition in partition-map-file: the high bits (48..62) of its order ids",
                0,
                Partitioning.PARTITIONS_MAX - 1),
        TLS_CERT_FILE("tls-cert-file", "", "PEM certificate chain for gRPC over TLS; empty serves plaintext"),
        TLS_KEY_FILE("tls-key-file", "", "PEM (PKCS#8) private key of tls-cert-file"),
        TLS_CLIENT_CA_FILE(
                "tls-client-ca-file",
                "",
                "PEM CA certificates; when set, every client must present a certificate they signed (mutual TLS)"),
        ADMIN_TOKEN_FILE(
                "admin-token-file",
                "",
                "file holding the bearer token Inventory calls need; empty: <data-dir>/admin-token, made with a random token if missing"),
        ADMIN_CLIENT_SUBJECTS(
                "admin-client-subjects",
                "",
                "with mutual TLS: client certificate subjects (RFC 2253 names, separated by ';') that may call Inventory without a token");

        private final String key;
        private final String defaultValue;
        private final String description;
        private final long min;
        private final long max;
        private final boolean numeric;

        Setting(String key, String defaultValue, String description) {
            this.key = key;
            this.defaultValue = defaultValue;
            this.description = description;
            this.min = 0;
            this.max = 0;
            this.numeric = false;
        }

        Setting(String key, String defaultValue, String description, long min, long max) {
            this.key = key;
            this.defaultValue = defaultValue;
            this.description = description;
            this.min = min;
            this.max = max;
            this.numeric = true;
        }

        public String key() {
            return key;
        }

        public String defaultValue() {
            return defaultValue;
        }

        public String description() {
            return numeric ? description + " (" + min + ".." + max + ")" : description;
        }

        static Setting byKey(String key) {
            for (Setting setting : values()) {
                if (setting.key.equals(key)) {
                    return setting;
                }
            }
            return null;
        }
    }

    private final Map<Setting, String> values;

    private ServerConfig(Map<Setting, String> values) {
        this.values = values;
    }

    /** Thrown when a setting is unknown or out of bounds; the message names it. */
    public static final class InvalidSettingException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        InvalidSettingException(String message) {
            super(message);
        }
    }

    /** Starts from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Collects values from a file and overrides; {@link #conclude()} checks them all. */
    public static final class Builder {
        private final Map<String, String> raw = new LinkedHashMap<>();

        /** Reads a Java properties file whose keys are setting names. */
        public Builder file(Path file) {
            Properties properties = new Properties();
            try (Reader reader = Files.newBufferedReader(file)) {
                properties.load(reader);
            } catch (IOException e) {
                throw new InvalidSettingException("cannot read config file " + file + ": " + e.getMessage());
            }
            for (String name : new TreeSet<>(properties.stringPropertyNames())) {
                set(name, properties.getProperty(name).trim());
            }
            return this;
        }

        public Builder set(String key, String value) {
            raw.put(key, value);
            return this;
        }

        public Builder set(Setting setting, Object value) {
            return set(setting.key, String.valueOf(value));
        }

        /** Validates every value and returns the configuration. */
        public ServerConfig conclude() {
            Map<Setting, String> values = new LinkedHashMap<>();
            for (Setting setting : Setting.values()) {
                values.put(setting, setting.defaultValue);
            }
            for (Map.Entry<String, String> entry : raw.entrySet()) {
                Setting setting = Setting.byKey(entry.getKey());
                if (setting == null) {
                    throw new InvalidSettingException("unknown setting '" + entry.getKey() + "'");
                }
                values.put(setting, entry.getValue());
            }
            ServerConfig config = new ServerConfig(values);
            config.validate();
            return config;
        }
    }

    private void validate() {
        for (Setting setting : Setting.values()) {
            if (setting.numeric) {
                number(setting);
            }
        }
        if (values.get(Setting.HOST).isBlank()) {
            throw invalid(Setting.HOST, "must not be empty");
        }
        if (values.get(Setting.DATA_DIR).isBlank()) {
            throw invalid(Setting.DATA_DIR, "must not be empty");
        }
        if (Integer.bitCount(ringSize()) != 1) {
            throw invalid(Setting.RING_SIZE, "must be a power of two");
        }
        waitStrategy();
        journalThread();
        unaryAnswers();
        streamAnswers();
        journalConfig();
        statePreallocated();
        snapshotCopy();
        mode();
        if (mode() == Mode.CLUSTER) {
            clusterMemberConfig();
        }
        validateSecurity();
    }

    private void validateSecurity() {
        Path cert = tlsCertFile();
        Path key = tlsKeyFile();
        if ((cert == null) != (key == null)) {
            throw invalid(
                    cert == null ? Setting.TLS_CERT_FILE : Setting.TLS_KEY_FILE,
                    "tls-cert-file and tls-key-file must be set together");
        }
        if (tlsClientCaFile() != null && cert == null) {
            throw invalid(Setting.TLS_CLIENT_CA_FILE, "mutual TLS needs tls-cert-file and tls-key-file too");
        }
        if (!adminClientSubjects().isEmpty() && tlsClientCaFile() == null) {
            throw invalid(Setting.ADMIN_CLIENT_SUBJECTS, "needs mutual TLS (tls-client-ca-file)");
        }
        for (Setting file : new Setting[] {Setting.TLS_CERT_FILE, Setting.TLS_KEY_FILE, Setting.TLS_CLIENT_CA_FILE}) {
            Path path = optionalPath(file);
            if (path != null && !Files.isReadable(path)) {
                throw invalid(file, "is not a readable file");
            }
        }
        Path token = optionalPath(Setting.ADMIN_TOKEN_FILE);
        if (token != null && !Files.isReadable(token)) {
            throw invalid(Setting.ADMIN_TOKEN_FILE, "is not a readable file");
        }
        for (String subject : adminClientSubjects()) {
            try {
                new X500Principal(subject);
            } catch (IllegalArgumentException e) {
                throw invalid(
                        Setting.ADMIN_CLIENT_SUBJECTS, "'" + subject + "' is not an X.500 name: " + e.getMessage());
            }
        }
    }

    private Path optionalPath(Setting setting) {
        String text = values.get(setting).trim();
        return text.isEmpty() ? null : Path.of(text);
    }

    private long number(Setting setting) {
        String text = values.get(setting);
        long value;
        try {
            value = Long.parseLong(text.replace("_", ""));
        } catch (NumberFormatException e) {
            throw invalid(setting, "is not a whole number");
        }
        if (value < setting.min || value > setting.max) {
            throw invalid(setting, "must be " + setting.min + ".." + setting.max);
        }
        return value;
    }

    private InvalidSettingException invalid(Setting setting, String problem) {
        return new InvalidSettingException(
                "invalid setting " + setting.key + "=" + values.get(setting) + ": " + problem);
    }

    /** How the server runs: alone, or as one member of a replicated group. */
    public enum Mode {
        SINGLE,
        CLUSTER
    }

    public Mode mode() {
        return choice(Setting.MODE, Mode.class, "single, cluster");
    }

    /** Cluster mode's member settings, checked: members, this member's id, directories and sizes. */
    public ClusterMemberConfig clusterMemberConfig() {
        List<ClusterMemberConfig.Endpoint> members = new ArrayList<>();
        for (String entry : values.get(Setting.CLUSTER_MEMBERS).split(",", -1)) {
            String member = entry.trim();
            int colon = member.lastIndexOf(':');
            if (colon <= 0 || colon == member.length() - 1) {
                throw invalid(Setting.CLUSTER_MEMBERS, "'" + member + "' is not host:base-port");
            }
            int basePort;
            try {
                basePort = Integer.parseInt(member.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw invalid(Setting.CLUSTER_MEMBERS, "'" + member + "': the base port is not a number");
            }
            if (basePort < 1 || basePort > 65_530) {
                throw invalid(Setting.CLUSTER_MEMBERS, "'" + member + "': the base port must be 1..65530");
            }
            members.add(new ClusterMemberConfig.Endpoint(member.substring(0, colon), basePort));
        }
        if (members.size() % 2 == 0 || members.size() > 7) {
            throw invalid(
                    Setting.CLUSTER_MEMBERS,
                    "lists " + members.size() + " members; a group has 1, 3, 5 or 7 (an odd number, for a majority)");
        }
        int memberId = (int) number(Setting.CLUSTER_MEMBER_ID);
        if (memberId >= members.size()) {
            throw invalid(
                    Setting.CLUSTER_MEMBER_ID,
                    "there are " + members.size() + " members in cluster-members, ids 0.." + (members.size() - 1));
        }
        int termBytes = (int) number(Setting.CLUSTER_TERM_BYTES);
        if (Integer.bitCount(termBytes) != 1) {
            throw invalid(Setting.CLUSTER_TERM_BYTES, "must be a power of two");
        }
        Path clusterDirectory = optionalPath(Setting.CLUSTER_DIR);
        if (clusterDirectory == null) {
            clusterDirectory = dataDirectory().resolve("cluster");
        }
        Path aeronDirectory = optionalPath(Setting.AERON_DIR);
        if (aeronDirectory == null) {
            Path shm = Path.of("/dev/shm");
            aeronDirectory = Files.isDirectory(shm) && Files.isWritable(shm)
                    ? shm.resolve("checkout-" + memberId + "-" + port())
                    : clusterDirectory.resolve("aeron");
        }
        return new ClusterMemberConfig(
                memberId,
                members,
                clusterDirectory,
                aeronDirectory,
                termBytes,
                (int) number(Setting.CLUSTER_FILE_SYNC_LEVEL),
                number(Setting.CLUSTER_HEARTBEAT_TIMEOUT_MILLIS),
                number(Setting.CLUSTER_IDLE_PARK_MAX_MICROS),
                stateCapacities(),
                engineLimits(),
                number(Setting.TICK_INTERVAL_MILLIS));
    }

    /**
     * This server's partition and the map it checks requests against.
     *
     * @throws IllegalArgumentException naming partition-map-file or partition-id if the map cannot be
     *     read, is not valid, or does not list the partition
     */
    PartitionGuard partitionGuard() {
        Path mapFile = optionalPath(Setting.PARTITION_MAP_FILE);
        int partition = (int) number(Setting.PARTITION_ID);
        if (mapFile == null) {
            if (partition != 0) {
                throw invalid(Setting.PARTITION_ID, "is " + partition + " but no partition-map-file is set");
            }
            return PartitionGuard.single();
        }
        try {
            return PartitionGuard.load(mapFile, partition);
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            throw invalid(Setting.PARTITION_MAP_FILE, e.getMessage());
        }
    }

    /** Cluster mode: when the leader asks for snapshots and how much archived log members keep. */
    public ClusterHousekeeper.Settings clusterHousekeeping() {
        return new ClusterHousekeeper.Settings(
                TimeUnit.SECONDS.toMillis(number(Setting.CLUSTER_SNAPSHOT_INTERVAL_SECONDS)),
                (int) number(Setting.CLUSTER_LOG_RETAINED_SNAPSHOTS));
    }

    public long clusterOutcomeTimeoutMillis() {
        return number(Setting.CLUSTER_OUTCOME_TIMEOUT_MILLIS);
    }

    public int clusterBatchCommandsMax() {
        return (int) number(Setting.CLUSTER_BATCH_COMMANDS_MAX);
    }

    public String host() {
        return values.get(Setting.HOST);
    }

    public int port() {
        return (int) number(Setting.PORT);
    }

    public Path dataDirectory() {
        return Path.of(values.get(Setting.DATA_DIR));
    }

    public int ringSize() {
        return (int) number(Setting.RING_SIZE);
    }

    public PipelineConfig.WaitStrategyKind waitStrategy() {
        return choice(
                Setting.WAIT_STRATEGY,
                PipelineConfig.WaitStrategyKind.class,
                "parking, blocking, sleeping, yielding, busy-spin");
    }

    public PipelineConfig.JournalThread journalThread() {
        return choice(Setting.JOURNAL_THREAD, PipelineConfig.JournalThread.class, "business-logic, own");
    }

    /** Which thread writes the answers of calls the engine ran (settings unary-answers, stream-answers). */
    public enum AnswerThread {
        /** The call's own event loop, one task per loop (unary) or stream and replier batch. */
        EVENT_LOOP,
        /** The replier thread, as it answers each command. */
        REPLIER
    }

    /** Which thread writes the answers of the Checkout service's unary calls the engine ran. */
    public AnswerThread unaryAnswers() {
        return choice(Setting.UNARY_ANSWERS, AnswerThread.class, "event-loop, replier");
    }

    /** Which thread sends the answers on the reserve streams. */
    public AnswerThread streamAnswers() {
        return choice(Setting.STREAM_ANSWERS, AnswerThread.class, "event-loop, replier");
    }

    /**
     * The constant of {@code type} a text setting names, written in lower case with '-' for '_'.
     *
     * @param choices the accepted values, as the error lists them
     */
    private <E extends Enum<E>> E choice(Setting setting, Class<E> type, String choices) {
        String text = values.get(setting).toUpperCase(Locale.ROOT).replace('-', '_');
        try {
            return Enum.valueOf(type, text);
        } catch (IllegalArgumentException e) {
            throw invalid(setting, "must be one of " + choices);
        }
    }

    /** The value of a numeric setting. */
    public long longValue(Setting setting) {
        if (!setting.numeric) {
            throw new IllegalArgumentException(setting.key + " is not numeric");
        }
        return number(setting);
    }

    /** The metrics HTTP port; 0 picks a free one, -1 means no HTTP endpoint. */
    public int metricsPort() {
        return (int) number(Setting.METRICS_PORT);
    }

    public int metricsSkuSeriesMax() {
        return (int) number(Setting.METRICS_SKU_SERIES_MAX);
    }

    public long metricsStockIntervalMillis() {
        return number(Setting.METRICS_STOCK_INTERVAL_MILLIS);
    }

    /** The server certificate chain, or null to serve plaintext. */
    public Path tlsCertFile() {
        return optionalPath(Setting.TLS_CERT_FILE);
    }

    public Path tlsKeyFile() {
        return optionalPath(Setting.TLS_KEY_FILE);
    }

    /** CA certificates for client certificates, or null when clients need none. */
    public Path tlsClientCaFile() {
        return optionalPath(Setting.TLS_CLIENT_CA_FILE);
    }

    /** The admin token's file: the configured one, or {@code admin-token} in the data directory. */
    public Path adminTokenFile() {
        Path configured = optionalPath(Setting.ADMIN_TOKEN_FILE);
        return configured != null ? configured : dataDirectory().resolve("admin-token");
    }

    /** Whether the admin token file was configured (rather than made in the data directory). */
    public boolean adminTokenFileConfigured() {
        return optionalPath(Setting.ADMIN_TOKEN_FILE) != null;
    }

    /** Client certificate subjects allowed to call Inventory, as given (RFC 2253). */
    public List<String> adminClientSubjects() {
        List<String> subjects = new ArrayList<>();
        for (String part : values.get(Setting.ADMIN_CLIENT_SUBJECTS).split(";")) {
            if (!part.isBlank()) {
                subjects.add(part.trim());
            }
        }
        return subjects;
    }

    public int streamWindow() {
        return (int) number(Setting.STREAM_WINDOW);
    }

    public int streamBatchMax() {
        return (int) number(Setting.STREAM_BATCH_MAX);
    }

    public int inboundMessageBytesMax() {
        return (int) number(Setting.INBOUND_MESSAGE_BYTES_MAX);
    }

    public int concurrentCallsPerConnectionMax() {
        return (int) number(Setting.CONCURRENT_CALLS_PER_CONNECTION_MAX);
    }

    public long queueDelayMaxMillis() {
        return number(Setting.QUEUE_DELAY_MAX_MILLIS);
    }

    public long shutdownGraceMillis() {
        return number(Setting.SHUTDOWN_GRACE_MILLIS);
    }

    public PipelineConfig pipelineConfig() {
        return new PipelineConfig(
                ringSize(), waitStrategy(), number(Setting.TICK_INTERVAL_MILLIS), journalThread(), (int)
                        number(Setting.PREFETCH_GROUP));
    }

    public JournalConfig journalConfig() {
        String durability = values.get(Setting.JOURNAL_DURABILITY);
        boolean fsync;
        if (durability.equals("fsync")) {
            fsync = true;
        } else if (durability.equals("process")) {
            fsync = false;
        } else {
            throw invalid(Setting.JOURNAL_DURABILITY, "must be fsync or process");
        }
        String segmentFiles = values.get(Setting.JOURNAL_SEGMENT_FILES);
        if (!segmentFiles.equals("prepared") && !segmentFiles.equals("appended")) {
            throw invalid(Setting.JOURNAL_SEGMENT_FILES, "must be prepared or appended");
        }
        return new JournalConfig(
                fsync,
                number(Setting.JOURNAL_SEGMENT_BYTES),
                JournalConfig.BATCH_BYTES_MIN * 2,
                segmentFiles.equals("prepared"));
    }

    public int journalRetainedSegments() {
        return (int) number(Setting.JOURNAL_RETAINED_SEGMENTS);
    }

    public long snapshotIntervalCommands() {
        return number(Setting.SNAPSHOT_INTERVAL_COMMANDS);
    }

    public long snapshotDeferMaxCommands() {
        return number(Setting.SNAPSHOT_DEFER_MAX_COMMANDS);
    }

    public Snapshotter.Copy snapshotCopy() {
        String copy = values.get(Setting.SNAPSHOT_COPY);
        if (copy.equals("keep")) {
            return Snapshotter.Copy.KEEP;
        } else if (copy.equals("transient")) {
            return Snapshotter.Copy.TRANSIENT;
        } else if (copy.equals("freeze")) {
            return Snapshotter.Copy.FREEZE;
        }
        throw invalid(Setting.SNAPSHOT_COPY, "must be freeze, keep or transient");
    }

    public int eventSubscribersMax() {
        return (int) number(Setting.EVENT_SUBSCRIBERS_MAX);
    }

    public StateCapacities stateCapacities() {
        return new StateCapacities(
                (int) number(Setting.SKU_CAPACITY),
                number(Setting.ORDER_CAPACITY),
                number(Setting.USER_COUNTER_CAPACITY),
                number(Setting.IDEMPOTENCY_CAPACITY),
                paymentCapacity(),
                (int) number(Setting.MERCHANT_CAPACITY),
                (int) number(Setting.BLOCKLIST_CAPACITY),
                (int) number(Setting.ATTEMPT_COUNTER_CAPACITY),
                (int) number(Setting.SKU_GROUP_CAPACITY),
                (int) number(Setting.CAMPAIGN_CAPACITY),
                (int) number(Setting.REDEMPTION_CAPACITY),
                statePreallocated());
    }

    /** The payment table's capacity: as set, at most the order capacity (0: the order capacity). */
    private long paymentCapacity() {
        long orders = number(Setting.ORDER_CAPACITY);
        long payments = number(Setting.PAYMENT_CAPACITY);
        return payments == 0 ? orders : Math.min(payments, orders);
    }

    private boolean statePreallocated() {
        String memory = values.get(Setting.STATE_MEMORY);
        if (memory.equals("preallocate")) {
            return true;
        } else if (memory.equals("on-demand")) {
            return false;
        }
        throw invalid(Setting.STATE_MEMORY, "must be on-demand or preallocate");
    }

    public EngineLimits engineLimits() {
        return new EngineLimits(
                (int) number(Setting.LINES_PER_ORDER_MAX),
                (int) number(Setting.QUANTITY_PER_LINE_MAX),
                (int) number(Setting.EXPIRIES_PER_TICK_MAX),
                (int) number(Setting.ID_LENGTH_MAX),
                number(Setting.IDEMPOTENCY_RETENTION_MILLIS));
    }

    /**
     * The effective settings, one per line, for the start-up log. Nothing here is secret: secrets
     * (the admin token, private keys) are only ever named by their file, never held as a setting.
     */
    public String describe() {
        StringBuilder text = new StringBuilder();
        for (Map.Entry<Setting, String> entry : values.entrySet()) {
            text.append("  ")
                    .append(entry.getKey().key)
                    .append('=')
                    .append(entry.getValue())
                    .append('\n');
        }
        return text.toString();
    }

    /** Every setting with its default and meaning, for --help. */
    public static String help() {
        StringBuilder text = new StringBuilder();
        for (Setting setting : Setting.values()) {
            text.append(String.format(
                    "  %s (default %s)%n      %s%n",
                    setting.key,
                    setting.defaultValue.isEmpty() ? "none" : setting.defaultValue,
                    setting.description()));
        }
        return text.toString();
    }
}
