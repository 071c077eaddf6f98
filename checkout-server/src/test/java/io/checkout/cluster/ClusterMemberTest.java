package io.checkout.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ClusterMemberTest {
    private static final Path SHM = Path.of("/dev/shm/checkout-0-9090");

    @Test
    void threeMembersAtFourMebibyteTermsShouldAskForAboutNinetySixMebibytes() {
        ClusterMemberConfig config = ClusterGatewayIT.config(Path.of("/tmp/unused"), 0, 3);
        ClusterMemberConfig fourMebibytes = new ClusterMemberConfig(
                0,
                config.members(),
                config.clusterDirectory(),
                config.aeronDirectory(),
                4 << 20,
                1,
                1_500,
                1_000,
                config.capacities(),
                config.limits(),
                100);

        assertThat(ClusterMember.needsBytes(fourMebibytes)).isEqualTo(96L << 20);
    }

    @Test
    void aTooSmallAeronDirectoryShouldBeRefusedNamingTheSettings() {
        ClusterMemberConfig config = ClusterGatewayIT.config(Path.of("/tmp/unused"), 0, 3);
        long needed = ClusterMember.needsBytes(config);

        assertThatThrownBy(() -> ClusterMember.checkSpace(config, SHM, 32L << 20))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("aeron-dir /dev/shm/checkout-0-9090 has 32 MiB free")
                .hasMessageContaining("cluster-term-bytes=" + config.termBytes())
                .hasMessageContaining("docker --shm-size");
        assertThatCode(() -> ClusterMember.checkSpace(config, SHM, needed)).doesNotThrowAnyException();
    }
}
