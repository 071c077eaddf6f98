package io.checkout.client;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Sends {@code authorization: Bearer <token>} with each call, the credential the server's admin
 * ({@code Inventory}) methods ask for. {@link #toString()} never shows the token.
 */
public final class BearerTokenCredentials extends CallCredentials {
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final String headerValue;

    /**
     * @param token the admin token, printable ASCII without spaces
     * @throws IllegalArgumentException if the token is empty or not printable ASCII
     */
    public BearerTokenCredentials(String token) {
        Objects.requireNonNull(token, "token");
        if (token.isEmpty()) {
            throw new IllegalArgumentException("token must not be empty");
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c <= ' ' || c > '~') {
                throw new IllegalArgumentException("token must be printable ASCII without spaces");
            }
        }
        this.headerValue = "Bearer " + token;
    }

    @Override
    public void applyRequestMetadata(RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
        try {
            Metadata headers = new Metadata();
            headers.put(AUTHORIZATION, headerValue);
            applier.apply(headers);
        } catch (RuntimeException e) {
            applier.fail(Status.UNAUTHENTICATED
                    .withDescription("cannot attach the admin token")
                    .withCause(e));
        }
    }

    @Override
    public String toString() {
        return "BearerTokenCredentials[token hidden]";
    }
}
