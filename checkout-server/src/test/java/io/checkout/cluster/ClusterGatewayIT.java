package io.checkout.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.OrderState;
import io.checkout.engine.ResultCode;
import io.checkout.pipeline.OutcomeUnknownException;
import io.checkout.pipeline.ReplyHandler;
import io.checkout.state.StateCapacities;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway in front of a real one-member cluster in this JVM: commands published to its ring are
 * applied through the cluster's log and answered with the engine's full output, reads included;
 * with no leader to take them, commands are answered "outcome unknown" within the timeout.
 */
class ClusterGatewayIT {
    private static final long NOW = 1_700_000_000_000L;
    private static final long SALE_OPEN = 0;

    @TempDir
    Path directory;

    @Test
    void shouldApplyCommandsThroughTheLogAndAnswerWithTheEngineOutput() throws Exception {
        ClusterMemberConfig config = config(directory, 0, 1);
        try (Fixture fixture = Fixture.start(config, 5_000)) {
            Command sku =
                    fixture.send(Command.upsertSku(NOW, "define", "SKU-1", 250, "EUR", 3, 2, SALE_OPEN, 0, 60_000));
            assertThat(sku.result()).isEqualTo(ResultCode.SUCCESS);
            assertThat(sku.sku.totalStock).isEqualTo(3);

            // Many commands at once: packed into few ingress messages, answered in order.
            List<CompletableFuture<Command>> reserves = new ArrayList<>();
            for (int i = 1; i <= 5; i++) {
                reserves.add(fixture.publish(Command.reserve(NOW, "r-" + i, "buyer-" + i, "SKU-1", 1)));
            }
            List<ResultCode> results = new ArrayList<>();
            for (CompletableFuture<Command> reserve : reserves) {
                results.add(reserve.get(30, TimeUnit.SECONDS).result());
            }
            assertThat(results)
                    .containsExactly(
                            ResultCode.SUCCESS,
                            ResultCode.SUCCESS,
                            ResultCode.SUCCESS,
                            ResultCode.SOLD_OUT,
                            ResultCode.SOLD_OUT);
            Command first = reserves.get(0).get();
            assertThat(first.order.orderId).isPositive();
            assertThat(first.order.amountMinor).isEqualTo(250);
            assertThat(first.repeated).isFalse();

            // A repeat gets the first answer.
            Command repeat = fixture.send(Command.reserve(NOW, "r-1", "buyer-1", "SKU-1", 1));
            assertThat(repeat.repeated).isTrue();
            assertThat(repeat.order.orderId).isEqualTo(first.order.orderId);

            // Reads go through the log too, and see every acknowledged write.
            Command order = fixture.send(Command.getOrder(first.order.orderId));
            assertThat(order.result()).isEqualTo(ResultCode.SUCCESS);
            assertThat(order.order.state()).isEqualTo(OrderState.RESERVED);
            assertThat(order.order.userId.asString()).isEqualTo("buyer-1");
            assertThat(order.orderLineSkuId(0).asString()).isEqualTo("SKU-1");
            Command stock = fixture.send(Command.getSku("SKU-1"));
            assertThat(stock.sku.available).isZero();
            assertThat(stock.sku.reserved).isEqualTo(3);
            Command page = fixture.send(Command.listSkus(10, null));
            assertThat(page.skuPage).extracting(record -> record.skuId).containsExactly("SKU-1");

            Command confirm =
                    fixture.send(Command.orderCommand(CommandType.CONFIRM, NOW, "pay-1", first.order.orderId));
            assertThat(confirm.order.state()).isEqualTo(OrderState.PAID);
            assertThat(fixture.gateway.commandsApplied()).isEqualTo(11);
            assertThat(fixture.gateway.outcomesUnknown()).isZero();

            // A caller that gave up before its command was offered: never offered, so never in the
            // log (each member's replay agrees), answered DEADLINE_EXCEEDED, and not remembered.
            Command late = Command.reserve(NOW, "late-1", "buyer-late", "SKU-1", 1);
            late.deadlineNanos = System.nanoTime() - 1;
            assertThat(fixture.send(late).result()).isEqualTo(ResultCode.DEADLINE_EXCEEDED);
            assertThat(fixture.gateway.expiredSkipped()).isEqualTo(1);
            assertThat(fixture.gateway.commandsApplied()).isEqualTo(11);
            Command again = fixture.send(Command.reserve(NOW, "late-1", "buyer-late", "SKU-1", 1));
            assertThat(again.result()).isEqualTo(ResultCode.SOLD_OUT);
            assertThat(again.repeated).isFalse();
            assertThat(fixture.gateway.commandsApplied()).isEqualTo(12);
        }
    }

    @Test
    void shouldAnswerOutcomeUnknownWhenNoLeaderTakesTheCommand() throws Exception {
        // One of three members: never a majority, never a leader.
        ClusterMemberConfig config = config(directory, 0, 3);
        try (Fixture fixture = Fixture.start(config, 1_000)) {
            long start = System.nanoTime();
            CompletableFuture<Command> reserve = fixture.publish(Command.reserve(NOW, "r-1", "buyer-1", "SKU-1", 1));
            Throwable failure = reserve.handle((command, error) -> error).get(30, TimeUnit.SECONDS);
            assertThat(failure).isInstanceOf(OutcomeUnknownException.class);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(10_000);
            // The slot is given back just after the answer goes out.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (fixture.gateway.remainingCapacity() < fixture.gateway.ringSize() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertThat(fixture.gateway.remainingCapacity()).isEqualTo(fixture.gateway.ringSize());
        }
    }

    @Test
    void aMemberListedAtAnAddressOfAnotherMachineShouldNotStart() {
        ClusterMemberConfig local = config(directory, 0, 1);
        ClusterMemberConfig elsewhere = new ClusterMemberConfig(
                0,
                List.of(new ClusterMemberConfig.Endpoint("10.255.255.1", 19_000)),
                local.clusterDirectory(),
                local.aeronDirectory(),
                local.termBytes(),
                local.fileSyncLevel(),
                local.leaderHeartbeatTimeoutMillis(),
                local.idleParkMaxMicros(),
                local.capacities(),
                local.limits(),
                local.tickIntervalMillis());

        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> ClusterMember.launch(elsewhere, AppliedBatchListener.NONE))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cluster-members entry 0 (this member, cluster-member-id=0) is '10.255.255.1'")
                .hasMessageContaining("not an address of this machine");
    }

    static ClusterMemberConfig config(Path root, int memberId, int memberCount) {
        List<ClusterMemberConfig.Endpoint> members = new ArrayList<>();
        for (int id = 0; id < memberCount; id++) {
            members.add(new ClusterMemberConfig.Endpoint("localhost", 19_000 + id * 10));
        }
        Path base = root.resolve("member-" + memberId);
        return new ClusterMemberConfig(
                memberId,
                members,
                base.resolve("cluster"),
                base.resolve("aeron"),
                1 << 20,
                0,
                1_000,
                1_000,
                new StateCapacities(16, 1_000, 1_000, 1_000),
                EngineLimits.defaults(),
                100);
    }

    /** A member and its gateway; each command is answered into a future with a copy of its output. */
    static final class Fixture implements AutoCloseable {
        private static final ReplyHandler COMPLETE = (command, context, failure) -> {
            @SuppressWarnings("unchecked")
            CompletableFuture<Command> future = (CompletableFuture<Command>) context;
            if (failure != null) {
                future.completeExceptionally(failure);
                return;
            }
            Command copy = new Command();
            copy.type(command.type());
            copy.requestId.copyFrom(command.requestId);
            copy.copyOutputFrom(command);
            future.complete(copy);
        };

        final ClusterMember member;
        final ClusterGateway gateway;

        private Fixture(ClusterMember member, ClusterGateway gateway) {
            this.member = member;
            this.gateway = gateway;
        }

        static Fixture start(ClusterMemberConfig config, long outcomeTimeoutMillis) {
            ClusterGateway[] gateway = new ClusterGateway[1];
            ClusterMember member = ClusterMember.launch(config, (session, batchId, commands, count) -> {
                ClusterGateway started = gateway[0];
                if (started != null) {
                    started.onBatchApplied(session, batchId, commands, count);
                }
            });
            gateway[0] = new ClusterGateway(
                    1024, System::currentTimeMillis, member.clientContexts(5_000), 64, outcomeTimeoutMillis, () -> {});
            gateway[0].start();
            return new Fixture(member, gateway[0]);
        }

        CompletableFuture<Command> publish(Command command) {
            CompletableFuture<Command> future = new CompletableFuture<>();
            boolean published =
                    gateway.tryPublish((request, slot) -> copyInput(request, slot), command, COMPLETE, future);
            assertThat(published).isTrue();
            return future;
        }

        Command send(Command command) throws Exception {
            return publish(command).get(30, TimeUnit.SECONDS);
        }

        private static void copyInput(Command from, Command into) {
            into.type(from.type());
            into.requestId.copyFrom(from.requestId);
            into.userId.copyFrom(from.userId);
            for (int i = 0; i < from.lineCount; i++) {
                into.addLine(from.lineQuantities[i]).copyFrom(from.lineSkuId(i));
            }
            into.orderId = from.orderId;
            into.skuId.copyFrom(from.skuId);
            into.priceMinor = from.priceMinor;
            into.currency = from.currency;
            into.totalStock = from.totalStock;
            into.perUserLimit = from.perUserLimit;
            into.saleStartEpochMillis = from.saleStartEpochMillis;
            into.saleEndEpochMillis = from.saleEndEpochMillis;
            into.reservationTtlMillis = from.reservationTtlMillis;
            into.delta = from.delta;
            into.pageSize = from.pageSize;
            into.pageToken = from.pageToken;
            into.deadlineNanos = from.deadlineNanos;
        }

        @Override
        public void close() {
            gateway.close();
            member.close();
        }
    }
}
