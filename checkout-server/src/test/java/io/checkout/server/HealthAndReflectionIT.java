package io.checkout.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What operators and tools (load balancers, grpcurl) see of a running server. */
class HealthAndReflectionIT {
    @TempDir
    Path dataDir;

    private CheckoutServer server;
    private ManagedChannel channel;

    @BeforeEach
    void startServer() {
        server = CheckoutServer.start(ItFixtures.smallConfig(dataDir).conclude());
        channel = ItFixtures.loopbackChannel(server);
    }

    @AfterEach
    void stopServer() {
        ItFixtures.shutdownChannel(channel);
        ItFixtures.closeQuietly(server);
    }

    @Test
    void healthShouldReportServingForTheWholeServerAndEachServiceWhileRunning() {
        assertThat(ItFixtures.health(channel, "")).isEqualTo(ServingStatus.SERVING);
        assertThat(ItFixtures.health(channel, "checkout.v1.Checkout")).isEqualTo(ServingStatus.SERVING);
        assertThat(ItFixtures.health(channel, "checkout.v1.Inventory")).isEqualTo(ServingStatus.SERVING);
    }

    @Test
    void healthShouldAnswerNotFoundForAServiceTheServerDoesNotHave() {
        Status.Code code = ItFixtures.grpcFailure(() -> ItFixtures.health(channel, "checkout.v1.NoSuchService"))
                .getStatus()
                .getCode();

        assertThat(code).isEqualTo(Status.Code.NOT_FOUND);
    }

    @Test
    void reflectionShouldListTheCheckoutAndInventoryServices() throws Exception {
        ServerReflectionResponse response = reflect(
                ServerReflectionRequest.newBuilder().setListServices("*").build());

        List<String> services = response.getListServicesResponse().getServiceList().stream()
                .map(ServiceResponse::getName)
                .toList();
        assertThat(services).contains("checkout.v1.Checkout", "checkout.v1.Inventory");
    }

    @Test
    void reflectionShouldDescribeTheCheckoutContractSoToolsCanCallIt() throws Exception {
        ServerReflectionResponse response = reflect(ServerReflectionRequest.newBuilder()
                .setFileContainingSymbol("checkout.v1.Checkout")
                .build());

        List<String> services = new ArrayList<>();
        for (var bytes : response.getFileDescriptorResponse().getFileDescriptorProtoList()) {
            services.addAll(parse(bytes.toByteArray()).getServiceList().stream()
                    .map(ServiceDescriptorProto::getName)
                    .toList());
        }
        assertThat(services).contains("Checkout", "Inventory");
    }

    private static FileDescriptorProto parse(byte[] bytes) throws InvalidProtocolBufferException {
        return FileDescriptorProto.parseFrom(bytes);
    }

    /** Reflection is a bidirectional stream; one request, one response is all these tests need. */
    private ServerReflectionResponse reflect(ServerReflectionRequest request) throws Exception {
        CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse value) {
                        answer.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        answer.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        answer.completeExceptionally(new AssertionError("reflection stream ended without an answer"));
                    }
                });
        requests.onNext(request);
        requests.onCompleted();
        ServerReflectionResponse response = answer.get(10, TimeUnit.SECONDS);
        assertThat(response.hasErrorResponse())
                .as("reflection error %s", response.getErrorResponse())
                .isFalse();
        return response;
    }
}
