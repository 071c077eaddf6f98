package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.checkout.pipeline.PipelineConfig;
import io.checkout.pipeline.Snapshotter;
import io.checkout.server.ServerConfig.InvalidSettingException;
import io.checkout.server.ServerConfig.Setting;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** A bad setting must stop the server before it opens any file, with a message naming the setting. */
class ServerConfigTest {
    @TempDir
    Path dir;

    @Test
    void defaultsShouldConcludeToTheValuesTheSettingTableDocuments() {
        ServerConfig config = ServerConfig.builder().conclude();

        assertThat(config.host()).isEqualTo(Setting.HOST.defaultValue());
        assertThat(config.port()).isEqualTo(Integer.parseInt(Setting.PORT.defaultValue()));
        assertThat(config.dataDirectory()).isEqualTo(Path.of(Setting.DATA_DIR.defaultValue()));
        assertThat(config.ringSize()).isEqualTo(Integer.parseInt(Setting.RING_SIZE.defaultValue()));
        assertThat(config.waitStrategy().name().replace('_', '-'))
                .isEqualToIgnoringCase(Setting.WAIT_STRATEGY.defaultValue());
        assertThat(config.journalThread()).isEqualTo(PipelineConfig.JournalThread.BUSINESS_LOGIC);
        assertThat(config.pipelineConfig().journalThread()).isEqualTo(PipelineConfig.JournalThread.BUSINESS_LOGIC);
        assertThat(config.unaryAnswers()).isEqualTo(ServerConfig.AnswerThread.EVENT_LOOP);
        assertThat(config.streamAnswers()).isEqualTo(ServerConfig.AnswerThread.EVENT_LOOP);
        assertThat(config.streamWindow()).isEqualTo(Integer.parseInt(Setting.STREAM_WINDOW.defaultValue()));
        assertThat(config.streamBatchMax()).isEqualTo(256);
        assertThat(config.engineLimits().linesPerOrderMax())
                .isEqualTo(Integer.parseInt(Setting.LINES_PER_ORDER_MAX.defaultValue()));
        assertThat(config.stateCapacities().orderCapacity())
                .isEqualTo(Long.parseLong(Setting.ORDER_CAPACITY.defaultValue()));
        assertThat(config.stateCapacities().preallocated()).isFalse();
        assertThat(config.journalConfig().prepareSegments())
                .as("journal segments prepared (direct I/O under fsync) by default")
                .isTrue();
        assertThat(ServerConfig.builder()
                        .set("journal-segment-files", "appended")
                        .conclude()
                        .journalConfig()
                        .prepareSegments())
                .isFalse();
        assertThat(config.stateCapacities().paymentCapacity())
                .as("as many payments as orders by default")
                .isEqualTo(config.stateCapacities().orderCapacity());
        assertThat(ServerConfig.builder()
                        .set("order-capacity", "1000")
                        .set("payment-capacity", "10")
                        .conclude()
                        .stateCapacities()
                        .paymentCapacity())
                .isEqualTo(10);
        assertThat(ServerConfig.builder()
                        .set("order-capacity", "1000")
                        .set("payment-capacity", "5000")
                        .conclude()
                        .stateCapacities()
                        .paymentCapacity())
                .as("never more than the orders they pay")
                .isEqualTo(1000);
        assertThat(ServerConfig.builder()
                        .set("state-memory", "preallocate")
                        .conclude()
                        .stateCapacities()
                        .preallocated())
                .isTrue();
        assertThat(config.snapshotCopy()).isEqualTo(Snapshotter.Copy.FREEZE);
        assertThat(ServerConfig.builder()
                        .set("snapshot-copy", "transient")
                        .conclude()
                        .snapshotCopy())
                .isEqualTo(Snapshotter.Copy.TRANSIENT);
        assertThat(ServerConfig.builder()
                        .set("snapshot-copy", "keep")
                        .conclude()
                        .snapshotCopy())
                .isEqualTo(Snapshotter.Copy.KEEP);
        for (Setting setting : Setting.values()) {
            assertThat(config.describe()).contains(setting.key() + "=" + setting.defaultValue());
            if (setting.description().contains("..")) {
                assertThat(config.longValue(setting))
                        .as(setting.key())
                        .isEqualTo(Long.parseLong(setting.defaultValue()));
            }
        }
    }

    @Test
    void unknownSettingShouldFailNamingIt() {
        ServerConfig.Builder builder = ServerConfig.builder().set("rign-size", "8");

        assertThatThrownBy(builder::conclude)
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("rign-size");
    }

    @ParameterizedTest(name = "{0}={1} fails: {2}")
    @CsvSource(
            delimiter = '|',
            value = {
                "ring-size             | 1000      | power of two",
                "ring-size             | 1         | 2..",
                "ring-size             | 8388608   | 2..",
                "ring-size             | many      | not a whole number",
                "port                  | -1        | 0..65535",
                "port                  | 65536     | 0..65535",
                "wait-strategy         | nonsense  | blocking, sleeping, yielding, busy-spin",
                "journal-thread        | separate  | must be one of business-logic, own",
                "unary-answers         | netty     | must be one of event-loop, replier",
                "stream-answers        | grpc      | must be one of event-loop, replier",
                "tick-interval-millis  | 0         | 1..60000",
                "lines-per-order-max   | 65        | 1..64",
                "quantity-per-line-max | 1000001   | 1..1000000",
                "order-capacity        | 0         | 1..",
                "state-memory          | lots      | must be on-demand or preallocate",
                "journal-segment-files | zeroed    | must be prepared or appended",
                "snapshot-copy         | always    | must be freeze, keep or transient",
                "prefetch-group        | 257       | 0..256",
                "stream-window         | 1.5       | not a whole number",
                "stream-batch-max      | 0         | 1..4096",
                "stream-batch-max      | 4097      | 1..4096",
                "host                  | ' '       | must not be empty",
                "data-dir              | ''        | must not be empty",
            })
    void invalidValueShouldFailNamingTheSettingAndTheProblem(String key, String value, String problem) {
        ServerConfig.Builder builder = ServerConfig.builder().set(key, value);

        assertThatThrownBy(builder::conclude)
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("invalid setting " + key + "=")
                .hasMessageContaining(problem);
    }

    @ParameterizedTest(name = "cluster mode, {0}={1} fails: {2}")
    @CsvSource(
            delimiter = '|',
            value = {
                "mode                     | replicated          | must be one of single, cluster",
                "cluster-members          | 'a:1,b:2'           | 1, 3, 5 or 7",
                "cluster-members          | 'a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8,i:9' | 1, 3, 5 or 7",
                "cluster-members          | 'a:1,b,c:3'         | 'b' is not host:base-port",
                "cluster-members          | 'a:1,b:x,c:3'       | the base port is not a number",
                "cluster-members          | 'a:1,b:65531,c:3'   | base port must be 1..65530",
                "cluster-member-id        | 3                   | ids 0..2",
                "cluster-term-bytes       | 3000000             | power of two",
                "cluster-term-bytes       | 65536               | 1048576..",
                "cluster-file-sync-level  | 3                   | 0..2",
                "cluster-heartbeat-timeout-millis | 50          | 200..",
            })
    void invalidClusterSettingShouldFailNamingIt(String key, String value, String problem) {
        ServerConfig.Builder builder = ServerConfig.builder()
                .set("mode", "cluster")
                .set("cluster-members", "a:20000,b:20000,c:20000")
                .set(key, value);

        assertThatThrownBy(builder::conclude)
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("invalid setting " + key + "=")
                .hasMessageContaining(problem);
    }

    @Test
    void clusterSettingsShouldBecomeTheMemberConfig() {
        ServerConfig config = ServerConfig.builder()
                .set("mode", "cluster")
                .set("cluster-members", "node-a:20000, node-b:21000 ,node-c:22000")
                .set("cluster-member-id", "1")
                .set("data-dir", dir.toString())
                .set("aeron-dir", dir.resolve("aeron").toString())
                .conclude();

        io.checkout.cluster.ClusterMemberConfig member = config.clusterMemberConfig();
        assertThat(member.memberId()).isEqualTo(1);
        assertThat(member.self()).isEqualTo(new io.checkout.cluster.ClusterMemberConfig.Endpoint("node-b", 21_000));
        assertThat(member.members()).hasSize(3);
        assertThat(member.clusterDirectory()).isEqualTo(dir.resolve("cluster"));
        assertThat(member.aeronDirectory()).isEqualTo(dir.resolve("aeron"));
        assertThat(member.fileSyncLevel()).isEqualTo(1);
        assertThat(member.termBytes()).isEqualTo(4 << 20);
    }

    @Test
    void enumOverloadShouldBeCheckedLikeTheKeyForm() {
        ServerConfig.Builder builder = ServerConfig.builder().set(Setting.RING_SIZE, 1_000);

        assertThatThrownBy(builder::conclude).hasMessageContaining("ring-size");
    }

    @Test
    void propertiesFileWithABadValueShouldFailNamingTheSetting() throws IOException {
        Path file = Files.writeString(
                dir.resolve("checkout.properties"),
                "# a typo in production config must not be ignored\nport=9091\nring-size=1000\n");
        ServerConfig.Builder builder = ServerConfig.builder().file(file);

        assertThatThrownBy(builder::conclude)
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("ring-size")
                .hasMessageContaining("power of two");
    }

    @Test
    void propertiesFileWithAnUnknownKeyShouldFailNamingTheKey() throws IOException {
        Path file = Files.writeString(dir.resolve("checkout.properties"), "port=9091\nwait_strategy=blocking\n");
        ServerConfig.Builder builder = ServerConfig.builder().file(file);

        assertThatThrownBy(builder::conclude)
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("wait_strategy");
    }

    @Test
    void missingPropertiesFileShouldFailNamingTheFile() {
        Path missing = dir.resolve("nowhere.properties");

        assertThatThrownBy(() -> ServerConfig.builder().file(missing))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("nowhere.properties");
    }

    @Test
    void propertiesFileValuesShouldApplyAndLaterOverridesShouldWin() throws IOException {
        Path file = Files.writeString(
                dir.resolve("checkout.properties"),
                "ring-size = 1_024 \nwait-strategy=busy-spin\nport=7000\njournal-thread=own\nunary-answers=replier\n");

        ServerConfig config =
                ServerConfig.builder().file(file).set(Setting.PORT, 7001).conclude();

        assertThat(config.ringSize()).isEqualTo(1_024);
        assertThat(config.waitStrategy()).isEqualTo(PipelineConfig.WaitStrategyKind.BUSY_SPIN);
        assertThat(config.pipelineConfig().journalThread()).isEqualTo(PipelineConfig.JournalThread.OWN);
        assertThat(config.unaryAnswers()).isEqualTo(ServerConfig.AnswerThread.REPLIER);
        assertThat(config.port()).isEqualTo(7001);
    }

    @Test
    void boundaryValuesShouldConclude() {
        ServerConfig config = ServerConfig.builder()
                .set(Setting.PORT, 0)
                .set(Setting.RING_SIZE, 2)
                .set(Setting.LINES_PER_ORDER_MAX, 64)
                .set(Setting.WAIT_STRATEGY, "yielding")
                .conclude();

        assertThat(config.port()).isZero();
        assertThat(config.ringSize()).isEqualTo(2);
        assertThat(config.engineLimits().linesPerOrderMax()).isEqualTo(64);
    }

    @Test
    void helpShouldListEverySettingWithItsDefault() {
        String help = ServerConfig.help();

        for (Setting setting : Setting.values()) {
            assertThat(help).contains(setting.key()).contains(setting.defaultValue());
        }
    }
}
