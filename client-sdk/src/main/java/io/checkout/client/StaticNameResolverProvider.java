package io.checkout.client;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Resolves {@code static:///host1:port1,host2:port2,...} to those addresses: the members of a
 * replicated checkout group reached without a load balancer in front (compose, bare hosts). The
 * channel connects to one and moves to another when it fails; every member serves every call.
 * Registered through {@code META-INF/services}, so any channel built by grpc-java understands it.
 */
public final class StaticNameResolverProvider extends NameResolverProvider {
    /** The target scheme. */
    public static final String SCHEME = "static";

    /** Creates the provider; grpc-java's service loader calls this. */
    public StaticNameResolverProvider() {}

    @Override
    protected boolean isAvailable() {
        return true;
    }

    /** Below DNS (5): a target without a scheme still means DNS. */
    @Override
    protected int priority() {
        return 4;
    }

    @Override
    public String getDefaultScheme() {
        return SCHEME;
    }

    @Override
    public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
        return List.of(InetSocketAddress.class);
    }

    @Override
    public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
        if (!SCHEME.equals(targetUri.getScheme())) {
            return null;
        }
        String path = targetUri.getPath();
        if (path == null || path.length() < 2) {
            throw new IllegalArgumentException("static target " + targetUri + " lists no host:port");
        }
        List<String[]> members = new ArrayList<>();
        for (String member : path.substring(1).split(",", -1)) {
            int colon = member.lastIndexOf(':');
            if (colon <= 0 || colon == member.length() - 1) {
                throw new IllegalArgumentException(
                        "static target " + targetUri + ": '" + member + "' is not host:port");
            }
            int port;
            try {
                port = Integer.parseInt(member.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("static target " + targetUri + ": '" + member + "' has no port", e);
            }
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException("static target " + targetUri + ": port " + port + " out of range");
            }
            members.add(new String[] {member.substring(0, colon), String.valueOf(port)});
        }
        return new StaticNameResolver(members);
    }

    /** Hands the channel the listed addresses, resolving host names again on every refresh. */
    private static final class StaticNameResolver extends NameResolver {
        private final List<String[]> members;
        private Listener2 listener;

        StaticNameResolver(List<String[]> members) {
            this.members = members;
        }

        @Override
        public String getServiceAuthority() {
            return members.get(0)[0];
        }

        @Override
        public void start(Listener2 listener) {
            this.listener = listener;
            resolve();
        }

        @Override
        public void refresh() {
            resolve();
        }

        private void resolve() {
            List<EquivalentAddressGroup> addresses = new ArrayList<>();
            for (String[] member : members) {
                InetSocketAddress address = new InetSocketAddress(member[0], Integer.parseInt(member[1]));
                if (!address.isUnresolved()) {
                    addresses.add(new EquivalentAddressGroup(address));
                }
            }
            if (addresses.isEmpty()) {
                listener.onError(Status.UNAVAILABLE.withDescription("no member of the static target resolves"));
                return;
            }
            listener.onResult(
                    ResolutionResult.newBuilder().setAddresses(addresses).build());
        }

        @Override
        public void shutdown() {}
    }
}
