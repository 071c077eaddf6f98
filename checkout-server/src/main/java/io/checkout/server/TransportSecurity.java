package io.checkout.server;

import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;

/** Builds the gRPC server's transport credentials from the TLS settings. */
final class TransportSecurity {
    private TransportSecurity() {}

    /**
     * Plaintext when {@code tls-cert-file} is empty; TLS with the certificate and key otherwise; and
     * with {@code tls-client-ca-file} set, mutual TLS that refuses every client without a
     * certificate signed by one of those CAs.
     */
    static ServerCredentials serverCredentials(ServerConfig config) {
        if (config.tlsCertFile() == null) {
            return InsecureServerCredentials.create();
        }
        TlsServerCredentials.Builder tls = TlsServerCredentials.newBuilder();
        try {
            tls.keyManager(config.tlsCertFile().toFile(), config.tlsKeyFile().toFile());
        } catch (IOException | RuntimeException e) {
            throw new ServerConfig.InvalidSettingException("invalid setting " + ServerConfig.Setting.TLS_CERT_FILE.key()
                    + "/" + ServerConfig.Setting.TLS_KEY_FILE.key() + ": cannot load the certificate and key: "
                    + e.getMessage());
        }
        if (config.tlsClientCaFile() != null) {
            try {
                tls.trustManager(config.tlsClientCaFile().toFile());
            } catch (IOException | RuntimeException e) {
                throw new ServerConfig.InvalidSettingException(
                        "invalid setting " + ServerConfig.Setting.TLS_CLIENT_CA_FILE.key()
                                + ": cannot load the CA certificates: " + e.getMessage());
            }
            tls.clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
        }
        return tls.build();
    }
}
