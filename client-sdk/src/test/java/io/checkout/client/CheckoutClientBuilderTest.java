package io.checkout.client;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.time.Duration;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CheckoutClientBuilderTest {

    private final ManagedChannel channel =
            InProcessChannelBuilder.forName("unused-" + System.nanoTime()).build();

    @AfterEach
    void closeChannel() {
        channel.shutdownNow();
    }

    static Stream<Arguments> invalidSettings() {
        return Stream.of(
                invalid("deadline", b -> b.deadline(Duration.ZERO)),
                invalid("deadline", b -> b.deadline(Duration.ofMillis(-1))),
                invalid("deadline", b -> b.deadline(null)),
                invalid("maxAttempts", b -> b.maxAttempts(0)),
                invalid("maxAttempts", b -> b.maxAttempts(21)),
                invalid("initialBackoff", b -> b.initialBackoff(Duration.ZERO)),
                invalid("initialBackoff", b -> b.initialBackoff(Duration.ofSeconds(1))),
                invalid("maxBackoff", b -> b.maxBackoff(null)),
                invalid("requestIdPrefix", b -> b.requestIdPrefix("p".repeat(RequestIds.PREFIX_LENGTH_MAX + 1))),
                invalid("requestIdPrefix", b -> b.requestIdPrefix("caf\u00e9")),
                invalid("requestIdPrefix", b -> b.requestIdPrefix(null)),
                invalid("useTransportSecurity", CheckoutClientBuilder::useTransportSecurity));
    }

    private static Arguments invalid(String setting, UnaryOperator<CheckoutClientBuilder> change) {
        return Arguments.of(setting, change);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidSettings")
    void buildShouldRejectAnInvalidSettingNamingIt(String setting, UnaryOperator<CheckoutClientBuilder> change) {
        CheckoutClientBuilder builder = change.apply(CheckoutClient.builder(channel));

        assertThatThrownBy(builder::build)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(setting);
    }

    @Test
    void tlsAndMtlsShouldRejectMissingFilesAndACallersChannelNamingTheOption() {
        java.nio.file.Path missing = java.nio.file.Path.of("/nonexistent/ca.pem");

        assertThatThrownBy(
                        () -> CheckoutClient.builder("localhost:1").tls(missing).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tls");
        assertThatThrownBy(() -> CheckoutClient.builder("localhost:1")
                        .mtls(missing, null)
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mtls");
        assertThatThrownBy(() -> CheckoutClient.builder(channel).tls(missing).build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void adminTokenShouldRefuseAnEmptyOrSpacedTokenAndNeverPrintIt() {
        assertThatThrownBy(() -> CheckoutClient.builder(channel).adminToken(""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token");
        assertThatThrownBy(() -> CheckoutClient.builder(channel).adminToken("two words"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token");
        org.assertj.core.api.Assertions.assertThat(new BearerTokenCredentials("s3cret-value").toString())
                .doesNotContain("s3cret-value");
    }

    @Test
    void buildShouldRejectABlankTargetOrMissingChannel() {
        assertThatThrownBy(() -> CheckoutClient.builder(" ").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("target");
        assertThatThrownBy(() -> CheckoutClient.builder((String) null).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("target");
        assertThatThrownBy(() -> CheckoutClient.builder((ManagedChannel) null).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("channel");
    }

    @Test
    void buildShouldAcceptTheBoundsOfEachSetting() {
        assertThatCode(() -> {
                    CheckoutClient.builder(channel).maxAttempts(1).build().close();
                    CheckoutClient.builder(channel).maxAttempts(20).build().close();
                    CheckoutClient.builder(channel)
                            .initialBackoff(Duration.ofMillis(500))
                            .build()
                            .close();
                    CheckoutClient.builder(channel)
                            .requestIdPrefix("p".repeat(RequestIds.PREFIX_LENGTH_MAX))
                            .build()
                            .close();
                    CheckoutClient.builder("localhost:9090")
                            .useTransportSecurity()
                            .build()
                            .close();
                    CheckoutClient.builder("localhost:9090")
                            .plaintext()
                            .deadline(Duration.ofDays(365_000_000))
                            .build()
                            .close();
                })
                .doesNotThrowAnyException();
    }

    @Test
    void openReserveStreamShouldRejectAWindowOutOfRange() {
        try (CheckoutClient client = CheckoutClient.builder(channel).build()) {
            assertThatThrownBy(() -> client.openReserveStream(0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("maxInFlight");
            assertThatThrownBy(() -> client.openReserveStream(100_001))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("maxInFlight");
        }
    }
}
