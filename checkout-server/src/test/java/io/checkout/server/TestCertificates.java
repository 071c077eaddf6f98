package io.checkout.server;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates made when a test runs, written as PEM files into the test's temporary directory:
 * a CA, server certificates for localhost / 127.0.0.1 and client certificates. No key is ever
 * committed; each run makes its own.
 */
final class TestCertificates {
    private static final AtomicLong SERIAL = new AtomicLong(System.nanoTime());

    /** A certificate and its key, in memory and as PEM files. */
    record Issued(X509Certificate certificate, KeyPair keys, Path certFile, Path keyFile) {}

    private TestCertificates() {}

    static Issued authority(Path directory, String name) throws Exception {
        KeyPair keys = newKeys();
        X500Name subject = new X500Name("CN=" + name);
        X509v3CertificateBuilder builder = builder(subject, subject, keys)
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        return write(directory, name, sign(builder, keys), keys);
    }

    static Issued server(Path directory, Issued authority) throws Exception {
        KeyPair keys = newKeys();
        X509v3CertificateBuilder builder = builder(issuer(authority), new X500Name("CN=localhost"), keys)
                .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                    new GeneralName(GeneralName.dNSName, "localhost"),
                    new GeneralName(
                            GeneralName.iPAddress,
                            InetAddress.getLoopbackAddress().getHostAddress()),
                }))
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        return write(directory, "server", sign(builder, authority.keys()), keys);
    }

    /**
     * A client certificate whose subject reads {@code CN=<commonName>,O=checkout-tests} in RFC 2253
     * (the JDK's and {@code openssl -nameopt RFC2253}'s order, most specific first; BouncyCastle
     * takes names in encoding order, hence the reversed string).
     */
    static Issued client(Path directory, Issued authority, String commonName) throws Exception {
        KeyPair keys = newKeys();
        X509v3CertificateBuilder builder = builder(
                        issuer(authority), new X500Name("O=checkout-tests,CN=" + commonName), keys)
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
        return write(directory, "client-" + commonName, sign(builder, authority.keys()), keys);
    }

    private static X500Name issuer(Issued authority) {
        return X500Name.getInstance(
                authority.certificate().getSubjectX500Principal().getEncoded());
    }

    private static KeyPair newKeys() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(
                issuer,
                BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(Duration.ofDays(1))),
                subject,
                keys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair signer)
            throws OperatorCreationException, GeneralSecurityException {
        return new JcaX509CertificateConverter()
                .getCertificate(
                        builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
    }

    private static Issued write(Path directory, String name, X509Certificate certificate, KeyPair keys)
            throws IOException, GeneralSecurityException {
        Files.createDirectories(directory);
        Path certFile = directory.resolve(name + ".crt");
        Path keyFile = directory.resolve(name + ".key");
        Files.writeString(certFile, pem("CERTIFICATE", certificate.getEncoded()), StandardCharsets.US_ASCII);
        // An EC private key's encoding in the JDK is PKCS#8, the form gRPC's TLS reads.
        Files.writeString(keyFile, pem("PRIVATE KEY", keys.getPrivate().getEncoded()), StandardCharsets.US_ASCII);
        return new Issued(certificate, keys, certFile, keyFile);
    }

    private static String pem(String type, byte[] der) {
        String base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + base64 + "\n-----END " + type + "-----\n";
    }
}
