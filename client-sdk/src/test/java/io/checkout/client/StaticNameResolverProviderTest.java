package io.checkout.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StaticNameResolverProviderTest {
    private final StaticNameResolverProvider provider = new StaticNameResolverProvider();

    @Test
    void shouldResolveEveryListedMemberInOrder() {
        NameResolver resolver =
                provider.newNameResolver(URI.create("static:///127.0.0.1:9090,127.0.0.1:9091,localhost:9092"), null);
        List<EquivalentAddressGroup> resolved = new ArrayList<>();
        resolver.start(new NameResolver.Listener2() {
            @Override
            public void onResult(NameResolver.ResolutionResult result) {
                resolved.addAll(result.getAddressesOrError().getValue());
            }

            @Override
            public void onError(Status error) {
                throw new AssertionError(error.toString());
            }
        });

        assertThat(resolved)
                .extracting(group -> ((InetSocketAddress) group.getAddresses().get(0)).getPort())
                .containsExactly(9090, 9091, 9092);
        assertThat(resolver.getServiceAuthority()).isEqualTo("127.0.0.1");
    }

    @Test
    void shouldIgnoreOtherSchemesAndBeRegisteredBelowDns() {
        assertThat(provider.newNameResolver(URI.create("dns:///localhost:9090"), null))
                .isNull();
        assertThat(NameResolverRegistry.getDefaultRegistry().getProviderForScheme("static"))
                .isInstanceOf(StaticNameResolverProvider.class);
        assertThat(NameResolverRegistry.getDefaultRegistry().getDefaultScheme()).isEqualTo("dns");
    }

    @Test
    void shouldRefuseAMemberWithoutAPort() {
        assertThatThrownBy(() -> provider.newNameResolver(URI.create("static:///a:1,b,c:3"), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'b' is not host:port");
        assertThatThrownBy(() -> provider.newNameResolver(URI.create("static:///a:70000"), null))
                .hasMessageContaining("out of range");
        assertThatThrownBy(() -> provider.newNameResolver(URI.create("static:///"), null))
                .hasMessageContaining("lists no host:port");
    }
}
