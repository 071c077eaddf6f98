package io.checkout.server;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guards the admin service. A call passes with {@code authorization: Bearer <token>} carrying the
 * admin token, or, under mutual TLS, with a client certificate whose subject is in
 * {@code admin-client-subjects}. Otherwise it is closed before any request is read, so nothing
 * changes: {@code UNAUTHENTICATED} when no credential came at all, {@code PERMISSION_DENIED} when
 * one came and is not good enough (a wrong token, or a frontline client's certificate).
 *
 * <p>Tokens are compared as SHA-256 digests with {@link MessageDigest#isEqual}, which takes the same
 * time wherever the digests differ, so neither the token's bytes nor its length leak through timing.
 * The token never reaches a log line or a metric.
 */
final class AdminAuthInterceptor implements ServerInterceptor {
    static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    /** A token shorter than this is too easy to guess; one longer is surely a wrong file. */
    static final int TOKEN_LENGTH_MIN = 16;

    static final int TOKEN_LENGTH_MAX = 4096;

    private static final Logger LOG = LoggerFactory.getLogger(AdminAuthInterceptor.class);
    private static final String BEARER = "Bearer ";
    private static final int GENERATED_TOKEN_BYTES = 32;

    private final byte[] tokenDigest;
    private final Set<X500Principal> adminSubjects;

    AdminAuthInterceptor(String token, List<String> adminSubjects) {
        this.tokenDigest = sha256(token);
        this.adminSubjects = new HashSet<>();
        for (String subject : adminSubjects) {
            this.adminSubjects.add(new X500Principal(subject));
        }
    }

    /**
     * Reads the admin token from {@code admin-token-file}; when that setting is empty and the data
     * directory has no {@code admin-token} yet, writes a fresh random one there, readable by the
     * owner only.
     */
    static AdminAuthInterceptor fromConfig(ServerConfig config) {
        Path file = config.adminTokenFile();
        if (!config.adminTokenFileConfigured() && !Files.exists(file)) {
            generateToken(file);
            LOG.info("no admin-token-file set: wrote a new random admin token to {}", file.toAbsolutePath());
        }
        return new AdminAuthInterceptor(readToken(file), config.adminClientSubjects());
    }

    private static void generateToken(Path file) {
        byte[] random = new byte[GENERATED_TOKEN_BYTES];
        new SecureRandom().nextBytes(random);
        // Hex, not base64url: a token that began with '-' (one in 64) read as an option on every command
        // line it was passed to (loadgen --admin-token took it for a missing value in a CI run, 2026-12-07).
        String token = HexFormat.of().formatHex(random);
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try {
                Files.createFile(
                        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(file);
            }
            Files.writeString(file, token + "\n", StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (FileAlreadyExistsException e) {
            // Another process made it first; its token is as good.
        } catch (IOException e) {
            throw new ServerConfig.InvalidSettingException("invalid setting "
                    + ServerConfig.Setting.ADMIN_TOKEN_FILE.key() + ": cannot create " + file + ": " + e.getMessage());
        }
    }

    /** The token in {@code file}, trimmed; the message of a bad one names the setting, never the content. */
    static String readToken(Path file) {
        String setting = ServerConfig.Setting.ADMIN_TOKEN_FILE.key();
        String token;
        try {
            token = Files.readString(file, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            throw new ServerConfig.InvalidSettingException(
                    "invalid setting " + setting + ": cannot read " + file + ": " + e.getMessage());
        }
        if (token.length() < TOKEN_LENGTH_MIN || token.length() > TOKEN_LENGTH_MAX) {
            throw new ServerConfig.InvalidSettingException("invalid setting " + setting + ": the token in " + file
                    + " must be " + TOKEN_LENGTH_MIN + ".." + TOKEN_LENGTH_MAX + " characters");
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c <= ' ' || c > '~') {
                throw new ServerConfig.InvalidSettingException("invalid setting " + setting + ": the token in " + file
                        + " must be printable ASCII without spaces");
            }
        }
        return token;
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        Status refusal = check(headers.get(AUTHORIZATION), call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        if (refusal == null) {
            return next.startCall(call, headers);
        }
        call.close(refusal, new Metadata());
        return new ServerCall.Listener<>() {};
    }

    /** Null if the caller may call admin methods, otherwise the status to refuse it with. */
    Status check(String authorization, SSLSession session) {
        if (authorization != null) {
            if (!authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
                return Status.UNAUTHENTICATED.withDescription("admin calls need 'authorization: Bearer <token>'");
            }
            String presented = authorization.substring(BEARER.length()).trim();
            return MessageDigest.isEqual(tokenDigest, sha256(presented))
                    ? null
                    : Status.PERMISSION_DENIED.withDescription("the admin token is not valid");
        }
        X500Principal subject = clientSubject(session);
        if (subject == null) {
            return Status.UNAUTHENTICATED.withDescription(
                    "admin calls need a bearer token or an admin client certificate");
        }
        return adminSubjects.contains(subject)
                ? null
                : Status.PERMISSION_DENIED.withDescription("this client certificate may not call admin methods");
    }

    private static X500Principal clientSubject(SSLSession session) {
        if (session == null) {
            return null;
        }
        try {
            Certificate[] chain = session.getPeerCertificates();
            if (chain.length > 0 && chain[0] instanceof X509Certificate leaf) {
                return leaf.getSubjectX500Principal();
            }
        } catch (SSLPeerUnverifiedException e) {
            // No client certificate: the caller is anonymous.
        }
        return null;
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
