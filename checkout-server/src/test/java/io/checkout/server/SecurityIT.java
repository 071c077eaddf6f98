package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.checkout.client.BearerTokenCredentials;
import io.checkout.client.CheckoutClient;
import io.checkout.client.CheckoutClientBuilder;
import io.checkout.proto.v1.AdjustStockRequest;
import io.checkout.proto.v1.InventoryGrpc;
import io.checkout.proto.v1.ListSkusRequest;
import io.checkout.proto.v1.ReserveResult;
import io.checkout.proto.v1.Sku;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS, mutual TLS and the admin credential, against a real server on loopback. */
class SecurityIT {
    private static final String SKU = "SECURE-SKU";

    @TempDir
    Path dataDir;

    @TempDir
    Path certDir;

    private CheckoutServer server;
    private ManagedChannel channel;

    @AfterEach
    void stopServer() {
        ItFixtures.shutdownChannel(channel);
        ItFixtures.closeQuietly(server);
    }

    private CheckoutClient tlsClient(CheckoutClientBuilder builder) {
        return builder.deadline(Duration.ofSeconds(5)).maxAttempts(1).build();
    }

    @Nested
    class AdminToken {
        @Test
        void inventoryCallsWithoutAValidTokenShouldBeRefusedAndChangeNothing() {
            server = CheckoutServer.start(ItFixtures.smallConfig(dataDir).conclude());
            channel = ItFixtures.loopbackChannel(server);
            try (CheckoutClient admin = ItFixtures.client(channel)) {
                admin.upsertSku(ItFixtures.sku(SKU, 10, 1));
            }
            AdjustStockRequest adjust = AdjustStockRequest.newBuilder()
                    .setRequestId("steal")
                    .setSkuId(SKU)
                    .setDelta(1_000)
                    .build();
            InventoryGrpc.InventoryBlockingStub anonymous =
                    InventoryGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);

            assertThat(code(() -> anonymous.adjustStock(adjust))).isEqualTo(Status.Code.UNAUTHENTICATED);
            assertThat(code(() -> anonymous.upsertSku(ItFixtures.sku("NEW-SKU", 5, 1))))
                    .isEqualTo(Status.Code.UNAUTHENTICATED);
            assertThat(code(() -> anonymous.listSkus(
                            ListSkusRequest.newBuilder().setPageSize(10).build())))
                    .isEqualTo(Status.Code.UNAUTHENTICATED);
            assertThat(code(() -> anonymous
                            .withCallCredentials(new BearerTokenCredentials("not-the-admin-token-at-all"))
                            .adjustStock(adjust)))
                    .isEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(code(() -> anonymous
                            .withCallCredentials(new BearerTokenCredentials(ItFixtures.ADMIN_TOKEN + "x"))
                            .adjustStock(adjust)))
                    .isEqualTo(Status.Code.PERMISSION_DENIED);
            Metadata basic = new Metadata();
            basic.put(AdminAuthInterceptor.AUTHORIZATION, "Basic " + ItFixtures.ADMIN_TOKEN);
            assertThat(code(() -> anonymous
                            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(basic))
                            .adjustStock(adjust)))
                    .isEqualTo(Status.Code.UNAUTHENTICATED);

            try (CheckoutClient frontline = CheckoutClient.builder(channel)
                    .deadline(Duration.ofSeconds(5))
                    .build()) {
                Sku stock = frontline.getStock(SKU);
                assertThat(stock.getAvailable()).as("nothing changed").isEqualTo(10);
                assertThat(stock.getTotalStock()).isEqualTo(10);
                assertThat(frontline.reserve("buyer", SKU, 1).getResult())
                        .as("checkout calls need no credential")
                        .isEqualTo(ReserveResult.RESERVED);
            }
            try (CheckoutClient admin = ItFixtures.client(channel)) {
                assertThat(admin.listAllSkus()).extracting(Sku::getSkuId).containsExactly(SKU);
                assertThat(admin.adjustStock(SKU, 5).getTotalStock())
                        .as("with the token it works")
                        .isEqualTo(15);
            }
            // After right, wrong and malformed credentials: no series, label or help text holds the
            // token (or the wrong one a caller sent).
            assertThat(ItFixtures.metricsText(server))
                    .contains("checkout_serving")
                    .doesNotContain(ItFixtures.ADMIN_TOKEN)
                    .doesNotContain("not-the-admin-token-at-all");
        }

        @Test
        void aMissingOrTooShortTokenFileShouldStopTheStartNamingTheSettingButNotTheToken() throws Exception {
            Path shortToken = dataDir.resolve("short-token");
            Files.writeString(shortToken, "tiny-secret");
            ServerConfig config = ItFixtures.smallConfig(dataDir)
                    .set(ServerConfig.Setting.ADMIN_TOKEN_FILE, shortToken)
                    .conclude();

            assertThatThrownBy(() -> CheckoutServer.start(config))
                    .isInstanceOf(ServerConfig.InvalidSettingException.class)
                    .hasMessageContaining("admin-token-file")
                    .hasMessageNotContaining("tiny-secret");
            assertThatThrownBy(() -> ItFixtures.smallConfig(dataDir)
                            .set(ServerConfig.Setting.ADMIN_TOKEN_FILE, dataDir.resolve("absent"))
                            .conclude())
                    .hasMessageContaining("admin-token-file");
        }

        @Test
        void theStartUpDescriptionShouldNameTheTokenFileButNeverTheToken() {
            ServerConfig config = ItFixtures.smallConfig(dataDir).conclude();

            assertThat(config.describe()).contains("admin-token-file=").doesNotContain(ItFixtures.ADMIN_TOKEN);
        }
    }

    @Nested
    class Tls {
        /**
         * Weak TLS is refused by the server, not just unused by our clients: TLS 1.0 and 1.1, and TLS
         * 1.2 with a cipher without forward secrecy, are refused in the handshake, while TLS 1.2 and
         * 1.3 with their default ciphers succeed (the control). The client is {@code openssl s_client}
         * allowed everything ({@code @SECLEVEL=0}), so a refusal is the server's.
         */
        @Test
        void weakProtocolsAndCiphersShouldBeRefusedInTheHandshake() throws Exception {
            org.junit.jupiter.api.Assumptions.assumeTrue(
                    handshake(0, "-help").contains("s_client"), "needs openssl on the PATH (CI has it)");
            TestCertificates.Issued ca = TestCertificates.authority(certDir, "test-ca");
            TestCertificates.Issued serverCert = TestCertificates.server(certDir, ca);
            server = CheckoutServer.start(ItFixtures.smallConfig(dataDir)
                    .set(ServerConfig.Setting.TLS_CERT_FILE, serverCert.certFile())
                    .set(ServerConfig.Setting.TLS_KEY_FILE, serverCert.keyFile())
                    .conclude());
            int port = server.port();

            assertThat(handshake(port, "-tls1_2")).as("control: TLS 1.2").contains("Protocol version: TLSv1.2");
            assertThat(handshake(port, "-tls1_3")).as("control: TLS 1.3").contains("Protocol version: TLSv1.3");
            for (String weak : new String[] {"-tls1", "-tls1_1"}) {
                assertThat(handshake(port, weak, "-cipher", "DEFAULT@SECLEVEL=0"))
                        .as("handshake with %s", weak)
                        .doesNotContain("Protocol version:");
            }
            assertThat(handshake(port, "-tls1_2", "-cipher", "AES128-SHA:AES256-SHA:DES-CBC3-SHA@SECLEVEL=0"))
                    .as("TLS 1.2 without forward secrecy")
                    .doesNotContain("Protocol version:");
        }

        /** Runs {@code openssl s_client} against the port with the arguments; its output. */
        private String handshake(int port, String... arguments) throws Exception {
            java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("openssl", "s_client"));
            if (port > 0) {
                command.addAll(java.util.List.of("-connect", "127.0.0.1:" + port, "-brief", "-alpn", "h2"));
            }
            command.addAll(java.util.List.of(arguments));
            Process process;
            try {
                process = new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                        .start();
            } catch (java.io.IOException noOpenssl) {
                return "";
            }
            String output =
                    new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            return output;
        }

        @Test
        void aClientTrustingTheServersCaShouldWorkAndOthersShouldBeRefused() throws Exception {
            TestCertificates.Issued ca = TestCertificates.authority(certDir, "test-ca");
            TestCertificates.Issued serverCert = TestCertificates.server(certDir, ca);
            TestCertificates.Issued otherCa = TestCertificates.authority(certDir.resolve("other"), "other-ca");
            server = CheckoutServer.start(ItFixtures.smallConfig(dataDir)
                    .set(ServerConfig.Setting.TLS_CERT_FILE, serverCert.certFile())
                    .set(ServerConfig.Setting.TLS_KEY_FILE, serverCert.keyFile())
                    .conclude());
            String target = "localhost:" + server.port();

            try (CheckoutClient trusting =
                    tlsClient(CheckoutClient.builder(target).tls(ca.certFile()).adminToken(ItFixtures.ADMIN_TOKEN))) {
                trusting.upsertSku(ItFixtures.sku(SKU, 3, 1));
                assertThat(trusting.reserve("buyer", SKU, 1).getResult()).isEqualTo(ReserveResult.RESERVED);
            }
            try (CheckoutClient plaintext =
                    tlsClient(CheckoutClient.builder(target).plaintext())) {
                assertThat(code(() -> plaintext.reserve("buyer-2", SKU, 1))).isEqualTo(Status.Code.UNAVAILABLE);
            }
            try (CheckoutClient wrongCa =
                    tlsClient(CheckoutClient.builder(target).tls(otherCa.certFile()))) {
                assertThat(code(() -> wrongCa.reserve("buyer-3", SKU, 1))).isEqualTo(Status.Code.UNAVAILABLE);
            }
        }

        @Test
        void aCertificateWithoutItsKeyShouldStopTheStartNamingTheSetting() throws Exception {
            TestCertificates.Issued ca = TestCertificates.authority(certDir, "test-ca");

            assertThatThrownBy(() -> ItFixtures.smallConfig(dataDir)
                            .set(ServerConfig.Setting.TLS_CERT_FILE, ca.certFile())
                            .conclude())
                    .isInstanceOf(ServerConfig.InvalidSettingException.class)
                    .hasMessageContaining("tls-key-file");
            assertThatThrownBy(() -> ItFixtures.smallConfig(dataDir)
                            .set(ServerConfig.Setting.TLS_CLIENT_CA_FILE, ca.certFile())
                            .conclude())
                    .hasMessageContaining("tls-client-ca-file");
            assertThatThrownBy(() -> ItFixtures.smallConfig(dataDir)
                            .set(ServerConfig.Setting.ADMIN_CLIENT_SUBJECTS, "CN=x")
                            .conclude())
                    .hasMessageContaining("admin-client-subjects");
        }
    }

    @Nested
    class MutualTls {
        private TestCertificates.Issued ca;
        private TestCertificates.Issued adminCert;
        private TestCertificates.Issued frontlineCert;
        private String target;

        private void startMutualTls() throws Exception {
            ca = TestCertificates.authority(certDir, "test-ca");
            TestCertificates.Issued serverCert = TestCertificates.server(certDir, ca);
            adminCert = TestCertificates.client(certDir, ca, "ops-admin");
            frontlineCert = TestCertificates.client(certDir, ca, "frontline");
            server = CheckoutServer.start(ItFixtures.smallConfig(dataDir)
                    .set(ServerConfig.Setting.TLS_CERT_FILE, serverCert.certFile())
                    .set(ServerConfig.Setting.TLS_KEY_FILE, serverCert.keyFile())
                    .set(ServerConfig.Setting.TLS_CLIENT_CA_FILE, ca.certFile())
                    .set(ServerConfig.Setting.ADMIN_CLIENT_SUBJECTS, "CN=ops-admin, O=checkout-tests; CN=someone-else")
                    .conclude());
            target = "localhost:" + server.port();
            assertThat(adminCert.certificate().getSubjectX500Principal().getName())
                    .isEqualTo("CN=ops-admin,O=checkout-tests");
        }

        @Test
        void clientsWithACertificateFromTheCaShouldWorkAndClientsWithoutOneShouldBeRefused() throws Exception {
            startMutualTls();
            TestCertificates.Issued strangerCa = TestCertificates.authority(certDir.resolve("stranger"), "stranger-ca");
            TestCertificates.Issued strangerCert =
                    TestCertificates.client(certDir.resolve("stranger"), strangerCa, "frontline");

            try (CheckoutClient admin = tlsClient(CheckoutClient.builder(target)
                    .tls(ca.certFile())
                    .mtls(adminCert.certFile(), adminCert.keyFile()))) {
                admin.upsertSku(ItFixtures.sku(SKU, 3, 1));
            }
            try (CheckoutClient frontline = tlsClient(CheckoutClient.builder(target)
                    .tls(ca.certFile())
                    .mtls(frontlineCert.certFile(), frontlineCert.keyFile()))) {
                assertThat(frontline.reserve("buyer", SKU, 1).getResult()).isEqualTo(ReserveResult.RESERVED);
            }
            try (CheckoutClient noCert =
                    tlsClient(CheckoutClient.builder(target).tls(ca.certFile()))) {
                assertThat(code(() -> noCert.reserve("buyer-2", SKU, 1))).isEqualTo(Status.Code.UNAVAILABLE);
            }
            try (CheckoutClient stranger = tlsClient(CheckoutClient.builder(target)
                    .tls(ca.certFile())
                    .mtls(strangerCert.certFile(), strangerCert.keyFile()))) {
                assertThat(code(() -> stranger.reserve("buyer-3", SKU, 1))).isEqualTo(Status.Code.UNAVAILABLE);
            }
        }

        @Test
        void onlyAnAdminSubjectOrTheTokenShouldCallInventory() throws Exception {
            startMutualTls();
            try (CheckoutClient admin = tlsClient(CheckoutClient.builder(target)
                    .tls(ca.certFile())
                    .mtls(adminCert.certFile(), adminCert.keyFile()))) {
                admin.upsertSku(ItFixtures.sku(SKU, 3, 1));
                assertThat(admin.adjustStock(SKU, 2).getTotalStock()).isEqualTo(5);
            }
            try (CheckoutClient frontline = tlsClient(CheckoutClient.builder(target)
                    .tls(ca.certFile())
                    .mtls(frontlineCert.certFile(), frontlineCert.keyFile()))) {
                assertThat(code(() -> frontline.adjustStock(SKU, 100))).isEqualTo(Status.Code.PERMISSION_DENIED);
                assertThat(frontline.getStock(SKU).getTotalStock())
                        .as("nothing changed")
                        .isEqualTo(5);
            }
            CallCredentials token = new BearerTokenCredentials(ItFixtures.ADMIN_TOKEN);
            try (CheckoutClient frontlineWithToken = tlsClient(CheckoutClient.builder(target)
                    .tls(ca.certFile())
                    .mtls(frontlineCert.certFile(), frontlineCert.keyFile())
                    .callCredentials(token))) {
                assertThat(frontlineWithToken.adjustStock(SKU, 1).getTotalStock())
                        .isEqualTo(6);
            }
        }
    }

    private static Status.Code code(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        return ItFixtures.grpcFailure(call).getStatus().getCode();
    }
}
