package io.checkout.client;

import io.grpc.CallCredentials;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Settings for a {@link CheckoutClient}, started by {@link CheckoutClient#builder(String)} or
 * {@link CheckoutClient#builder(ManagedChannel)}. Setters only record values; {@link #build()}
 * checks them all. Not thread-safe.
 */
public final class CheckoutClientBuilder {
    private final String target;
    private final ManagedChannel channel;
    private final boolean fromChannel;
    private Duration deadline = Duration.ofSeconds(5);
    private Duration attemptDeadline;
    private AdaptiveLimit concurrencyLimit;
    private AutoBatching autoBatching;
    private int maxAttempts = 5;
    private Duration initialBackoff = Duration.ofMillis(10);
    private Duration maxBackoff = Duration.ofMillis(500);
    private boolean plaintext = true;
    private boolean transportChosen;
    private String requestIdPrefix = "";
    private CallCredentials callCredentials;
    private Path trustedCaFile;
    private Path clientCertFile;
    private Path clientKeyFile;

    CheckoutClientBuilder(String target, ManagedChannel channel, boolean fromChannel) {
        this.target = target;
        this.channel = channel;
        this.fromChannel = fromChannel;
    }

    /**
     * Sets the deadline of each call, its retries and back-offs included (default 5 s). A retry
     * is made only if it can start before the deadline; a call made inside a gRPC call of the
     * caller's also ends by that call's deadline if it comes sooner.
     *
     * @param deadline a positive duration
     * @return this builder
     */
    public CheckoutClientBuilder deadline(Duration deadline) {
        this.deadline = deadline;
        return this;
    }

    /**
     * Limits each attempt to this long, so that an attempt stuck on a dead server leaves time
     * within the call's deadline for a retry elsewhere (default: no limit of its own, an attempt
     * may use all the time left).
     *
     * @param attemptDeadline a positive duration, or null for none
     * @return this builder
     */
    public CheckoutClientBuilder attemptDeadline(Duration attemptDeadline) {
        this.attemptDeadline = attemptDeadline;
        return this;
    }

    /**
     * Limits the unary calls in flight with an adaptive limit (default: none); a call over the
     * limit fails at once with {@code RESOURCE_EXHAUSTED} without being sent, and is retried like a
     * server refusal within its deadline. Does not apply to streams, which have their own window.
     *
     * @param limit {@link AdaptiveLimit#aimd} or {@link AdaptiveLimit#gradient}, or null for none
     * @return this builder
     */
    public CheckoutClientBuilder adaptiveConcurrencyLimit(AdaptiveLimit limit) {
        this.concurrencyLimit = limit;
        return this;
    }

    /**
     * Sends the client's {@code reserve()} and {@code reserveAsync()} calls, from however many
     * threads, in batches on a few {@code ReserveBatchStream} calls instead of one RPC each
     * (default: off, one RPC each). Each call keeps a unary call's deadline, retries with the same
     * request id, answers and errors; the adaptive limit, if any, still counts each call. Against a
     * server without the batch stream, calls fall back to unary RPCs. See {@link AutoBatching}.
     *
     * @param autoBatching {@link AutoBatching#defaults()} or {@link AutoBatching#of}, or null for off
     * @return this builder
     */
    public CheckoutClientBuilder autoBatching(AutoBatching autoBatching) {
        this.autoBatching = autoBatching;
        return this;
    }

    /**
     * Sets how many times a call is tried in total, the first try included (default 5).
     *
     * @param maxAttempts 1..20; 1 turns retries off
     * @return this builder
     */
    public CheckoutClientBuilder maxAttempts(int maxAttempts) {
        this.maxAttempts = maxAttempts;
        return this;
    }

    /**
     * Sets the back-off ceiling before the first retry (default 10 ms); it doubles with every
     * further retry up to {@link #maxBackoff(Duration)}.
     *
     * @param initialBackoff a positive duration, at most the maximum back-off
     * @return this builder
     */
    public CheckoutClientBuilder initialBackoff(Duration initialBackoff) {
        this.initialBackoff = initialBackoff;
        return this;
    }

    /**
     * Sets the longest back-off between two attempts (default 500 ms).
     *
     * @param maxBackoff a positive duration, at least the initial back-off
     * @return this builder
     */
    public CheckoutClientBuilder maxBackoff(Duration maxBackoff) {
        this.maxBackoff = maxBackoff;
        return this;
    }

    /**
     * Talks to the target without TLS (the default). Only for a client built from a target.
     *
     * @return this builder
     */
    public CheckoutClientBuilder plaintext() {
        this.plaintext = true;
        this.transportChosen = true;
        return this;
    }

    /**
     * Talks to the target over TLS, trusting the JDK's default certificate authorities. Only
     * for a client built from a target.
     *
     * @return this builder
     */
    public CheckoutClientBuilder useTransportSecurity() {
        this.plaintext = false;
        this.transportChosen = true;
        return this;
    }

    /**
     * Sets a prefix for generated request ids (default none), e.g. to tell callers apart in
     * server logs.
     *
     * @param requestIdPrefix at most 31 printable ASCII characters
     * @return this builder
     */
    public CheckoutClientBuilder requestIdPrefix(String requestIdPrefix) {
        this.requestIdPrefix = requestIdPrefix;
        return this;
    }

    /**
     * Sets the credentials sent with {@code Inventory} (admin) calls (default none). Frontline
     * {@code Checkout} calls are sent without them.
     *
     * @param callCredentials the credentials, or null for none
     * @return this builder
     */
    public CheckoutClientBuilder callCredentials(CallCredentials callCredentials) {
        this.callCredentials = callCredentials;
        return this;
    }

    /**
     * Sends {@code authorization: Bearer <token>} with {@code Inventory} (admin) calls only;
     * a shorthand for {@code callCredentials(new BearerTokenCredentials(token))}. Use it over
     * TLS: over plaintext anyone on the path can read the token.
     *
     * @param token the server's admin token (its {@code admin-token-file})
     * @return this builder
     * @throws IllegalArgumentException if the token is empty or not printable ASCII
     */
    public CheckoutClientBuilder adminToken(String token) {
        this.callCredentials = new BearerTokenCredentials(token);
        return this;
    }

    /**
     * Talks to the target over TLS, trusting only the CA certificates in {@code caFile} (PEM),
     * e.g. a private CA that signed the server's certificate. Only for a client built from a target.
     *
     * @param caFile PEM CA certificates
     * @return this builder
     */
    public CheckoutClientBuilder tls(Path caFile) {
        this.trustedCaFile = caFile;
        return useTransportSecurity();
    }

    /**
     * Presents a client certificate, for a server that requires mutual TLS. Implies TLS; combine
     * with {@link #tls(Path)} to trust a private CA. Only for a client built from a target.
     *
     * @param certFile PEM certificate chain of this client
     * @param keyFile PEM (PKCS#8) private key of {@code certFile}
     * @return this builder
     */
    public CheckoutClientBuilder mtls(Path certFile, Path keyFile) {
        this.clientCertFile = certFile;
        this.clientKeyFile = keyFile;
        return useTransportSecurity();
    }

    /**
     * Checks the settings and builds the client; for a target, this creates the channel.
     *
     * @return a new client
     * @throws IllegalArgumentException naming the first setting that is missing or out of
     *     range: {@code target}, {@code channel}, {@code deadline}, {@code attemptDeadline}, {@code maxAttempts},
     *     {@code initialBackoff}, {@code maxBackoff}, {@code requestIdPrefix}, or
     *     {@code plaintext/useTransportSecurity} when set for a caller's channel
     */
    public CheckoutClient build() {
        validate();
        ManagedChannel clientChannel = fromChannel
                ? channel
                : Grpc.newChannelBuilder(target, channelCredentials()).build();
        return new CheckoutClient(
                clientChannel,
                !fromChannel,
                deadline,
                attemptDeadline,
                new RetryPolicy(maxAttempts, initialBackoff, maxBackoff),
                concurrencyLimit,
                requestIdPrefix,
                callCredentials,
                autoBatching);
    }

    private ChannelCredentials channelCredentials() {
        if (plaintext) {
            return InsecureChannelCredentials.create();
        }
        TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder();
        if (trustedCaFile != null) {
            try {
                tls.trustManager(trustedCaFile.toFile());
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException(
                        "tls: cannot read CA certificates from " + trustedCaFile + ": " + e.getMessage(), e);
            }
        }
        if (clientCertFile != null) {
            try {
                tls.keyManager(clientCertFile.toFile(), clientKeyFile.toFile());
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException(
                        "mtls: cannot read the client certificate " + clientCertFile + " and key: " + e.getMessage(),
                        e);
            }
        }
        return tls.build();
    }

    private void validate() {
        if (fromChannel && channel == null) {
            throw new IllegalArgumentException("channel must not be null");
        }
        if (!fromChannel && (target == null || target.isBlank())) {
            throw new IllegalArgumentException("target must not be blank, got " + target);
        }
        if (fromChannel && transportChosen) {
            throw new IllegalArgumentException("plaintext/useTransportSecurity apply only to a client built "
                    + "from a target; a caller's channel brings its own transport security");
        }
        if (trustedCaFile != null && !Files.isReadable(trustedCaFile)) {
            throw new IllegalArgumentException("tls: CA file " + trustedCaFile + " is not a readable file");
        }
        if (clientCertFile != null || clientKeyFile != null) {
            if (clientCertFile == null || clientKeyFile == null) {
                throw new IllegalArgumentException("mtls: certFile and keyFile must both be set");
            }
            if (!Files.isReadable(clientCertFile) || !Files.isReadable(clientKeyFile)) {
                throw new IllegalArgumentException(
                        "mtls: " + clientCertFile + " and " + clientKeyFile + " must be readable files");
            }
        }
        if (fromChannel && (trustedCaFile != null || clientCertFile != null)) {
            throw new IllegalArgumentException("tls/mtls apply only to a client built from a target; "
                    + "a caller's channel brings its own transport security");
        }
        requirePositive("deadline", deadline);
        if (attemptDeadline != null) {
            requirePositive("attemptDeadline", attemptDeadline);
        }
        if (maxAttempts < 1 || maxAttempts > 20) {
            throw new IllegalArgumentException("maxAttempts must be 1..20, got " + maxAttempts);
        }
        requirePositive("initialBackoff", initialBackoff);
        requirePositive("maxBackoff", maxBackoff);
        if (initialBackoff.compareTo(maxBackoff) > 0) {
            throw new IllegalArgumentException(
                    "initialBackoff (" + initialBackoff + ") must not exceed maxBackoff (" + maxBackoff + ")");
        }
        if (requestIdPrefix == null
                || requestIdPrefix.length() > RequestIds.PREFIX_LENGTH_MAX
                || !RequestIds.isPrintableAscii(requestIdPrefix)) {
            throw new IllegalArgumentException("requestIdPrefix must be at most " + RequestIds.PREFIX_LENGTH_MAX
                    + " printable ASCII characters, got "
                    + (requestIdPrefix == null ? "null" : "\"" + requestIdPrefix + "\""));
        }
    }

    private static void requirePositive(String setting, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(setting + " must be a positive duration, got " + value);
        }
    }
}
