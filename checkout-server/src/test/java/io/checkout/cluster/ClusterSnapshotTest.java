package io.checkout.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.checkout.engine.CampaignKind;
import io.checkout.engine.CampaignTerms;
import io.checkout.engine.CheckoutBook;
import io.checkout.engine.CurrencyCode;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.IdBuffer;
import io.checkout.engine.OrderRecord;
import io.checkout.engine.OrderState;
import io.checkout.journal.CommandCodec;
import io.checkout.state.CampaignSamples;
import io.checkout.state.GroupAttemptSamples;
import io.checkout.state.PackedCheckoutState;
import io.checkout.state.SnapshotCodec;
import io.checkout.state.StateCapacities;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.NoOpIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * The cluster snapshot's records without a cluster: written to a list of messages, read back from
 * it. Format 9 keeps SKU groups' attempt limits and what they count; a format 8 snapshot, written
 * before them, loads its groups without one. Format 8 keeps campaigns and every order's campaign
 * fields; a format 7 snapshot, written before campaigns, loads with none.
 */
class ClusterSnapshotTest {
    private static final StateCapacities CAPACITIES = new StateCapacities(16, 1_000, 1_000, 1_000);
    private static final byte HEADER = 1;
    private static final byte SKU = 2;
    private static final byte ORDER = 3;
    private static final byte END = 6;
    private static final byte GROUP = 11;
    private static final byte CAMPAIGN = 12;
    private static final byte GROUP_ATTEMPTS = 13;

    @Test
    void campaignsShouldComeBackUnderTheirNumbersWithTheirOrdersAndTheSameRedemptionsRecounted() {
        PackedCheckoutState written = PackedCheckoutState.of(CAPACITIES);
        CheckoutBook book = CampaignSamples.run(written);
        List<byte[]> messages = new ArrayList<>();

        ClusterSnapshot.write(written, book.nowMillis(), 77, into(messages), new NoOpIdleStrategy());
        PackedCheckoutState loaded = PackedCheckoutState.of(CAPACITIES);
        ClusterSnapshot.Loaded header = read(messages, loaded);
        new CheckoutBook(loaded, EngineLimits.defaults());

        assertThat(header).isEqualTo(new ClusterSnapshot.Loaded(book.nowMillis(), 77));
        CampaignSamples.assertSameCampaigns(written, loaded);
        assertThat(loaded.campaigns().terms(2).minSpendMinor).isEqualTo(5_000);
    }

    @Test
    void groupAttemptLimitsShouldComeBackWithTheSameWindowsAndCountsAndAnswerTheNextReservesAlike() {
        PackedCheckoutState written = PackedCheckoutState.of(CAPACITIES);
        CheckoutBook book = GroupAttemptSamples.run(written);
        List<byte[]> messages = new ArrayList<>();

        ClusterSnapshot.write(written, book.nowMillis(), 77, into(messages), new NoOpIdleStrategy());
        PackedCheckoutState loaded = PackedCheckoutState.of(CAPACITIES);
        ClusterSnapshot.Loaded header = read(messages, loaded);

        assertThat(header).isEqualTo(new ClusterSnapshot.Loaded(book.nowMillis(), 77));
        GroupAttemptSamples.assertSameGroupAttempts(written, loaded);
        assertThat(loaded.skuGroups().maxAttempts(1)).isEqualTo(3);
        assertThat(loaded.skuGroups().attemptWindowMillis(1)).isEqualTo(1_000);
        assertThat(loaded.skuGroups().countedWindow(1)).isEqualTo(GroupAttemptSamples.NOW / 1_000);
        CheckoutBook restarted = new CheckoutBook(loaded, EngineLimits.defaults());
        restarted.restoreNowMillis(header.nowMillis());
        GroupAttemptSamples.assertSameAnswersNext(book, restarted);
    }

    @Test
    void loadShouldRefuseMoreUsersCountedByGroupsThanTheAttemptCounterCapacity() {
        PackedCheckoutState written = PackedCheckoutState.of(CAPACITIES);
        CheckoutBook book = GroupAttemptSamples.run(written);
        List<byte[]> messages = new ArrayList<>();
        ClusterSnapshot.write(written, book.nowMillis(), 77, into(messages), new NoOpIdleStrategy());

        PackedCheckoutState fits = PackedCheckoutState.of(attemptCounters(GroupAttemptSamples.COUNTED_ROWS));
        read(messages, fits);
        GroupAttemptSamples.assertSameGroupAttempts(written, fits);
        assertThatThrownBy(() ->
                        read(messages, PackedCheckoutState.of(attemptCounters(GroupAttemptSamples.COUNTED_ROWS - 1))))
                .hasMessageContaining(
                        "more users counted by SKU groups' attempt limits than the configured capacity of "
                                + (GroupAttemptSamples.COUNTED_ROWS - 1));
    }

    @Test
    void aFormat8SnapshotShouldLoadItsGroupsWithoutAttemptLimitsAndMayNotHoldCounts() {
        List<byte[]> format8 = List.of(message(header(8), group(8), sku(), end(0, 1, 0, 0, 0, 0, 0, 1, 0)));
        PackedCheckoutState loaded = PackedCheckoutState.of(CAPACITIES);

        read(format8, loaded);

        assertThat(loaded.skuGroups().numberOf(IdBuffer.of("drop"))).isZero();
        assertThat(loaded.skuGroups().perUserLimit(0)).isEqualTo(4);
        assertThat(loaded.skuGroups().hasAttemptLimit(0)).isFalse();
        List<byte[]> withCounts =
                List.of(message(header(8), group(8), groupAttempts("alice", 1), sku(), end(0, 1, 0, 0, 0, 0, 0, 1, 0)));
        assertThatThrownBy(() -> read(withCounts, PackedCheckoutState.of(CAPACITIES)))
                .hasMessageContaining("unexpected snapshot record type " + GROUP_ATTEMPTS);
    }

    @Test
    void theEndRecordShouldCountTheGroupsCountedUsers() {
        PackedCheckoutState loaded = PackedCheckoutState.of(CAPACITIES);
        read(
                List.of(message(
                        header(9),
                        group(9),
                        groupAttempts("alice", 2),
                        groupAttempts("bob", 1),
                        sku(),
                        end(0, 1, 0, 0, 0, 0, 0, 1, 0, 2))),
                loaded);
        assertThat(loaded.skuGroups().maxAttempts(0)).isEqualTo(2);
        assertThat(loaded.skuGroups().attemptWindowMillis(0)).isEqualTo(60_000);
        assertThat(loaded.skuGroups().countedWindow(0)).isEqualTo(7);
        assertThat(GroupAttemptSamples.counts(loaded.skuGroups(), 0))
                .containsExactly(Map.entry("alice", 2), Map.entry("bob", 1));

        List<byte[]> miscounted = List.of(
                message(header(9), group(9), groupAttempts("alice", 2), sku(), end(0, 1, 0, 0, 0, 0, 0, 1, 0, 0)));
        assertThatThrownBy(() -> read(miscounted, PackedCheckoutState.of(CAPACITIES)))
                .hasMessageContaining("counts 0 records of kind " + GROUP_ATTEMPTS + " but 1 came");
        List<byte[]> pastTheLimit = List.of(message(header(9), group(9), groupAttempts("alice", 3)));
        assertThatThrownBy(() -> read(pastTheLimit, PackedCheckoutState.of(CAPACITIES)))
                .hasMessageContaining("3 attempts of alice");
    }

    @Test
    void aFormat7SnapshotShouldLoadWithoutCampaignsAndMayNotHoldOne() {
        List<byte[]> format7 = List.of(message(header(7), sku(), order(), end(0, 1, 1, 0, 0, 0, 0, 0)));
        PackedCheckoutState loaded = PackedCheckoutState.of(CAPACITIES);

        assertThat(read(format7, loaded)).isEqualTo(new ClusterSnapshot.Loaded(5_000, 3));

        OrderRecord order = new OrderRecord();
        assertThat(loaded.readOrder(1, order)).isTrue();
        assertThat(order.campaignNumber).isEqualTo(-1);
        assertThat(order.discountMinor).isZero();
        assertThat(order.amountMinor).isEqualTo(2 * 250);
        assertThat(loaded.campaigns().size()).isZero();

        List<byte[]> withCampaign = List.of(message(header(7), sku(), campaign("SKU-1"), end(0, 1, 0, 0, 0, 0, 0, 0)));
        assertThatThrownBy(() -> read(withCampaign, PackedCheckoutState.of(CAPACITIES)))
                .hasMessageContaining("unexpected snapshot record type " + CAMPAIGN);
    }

    @Test
    void theEndRecordShouldCountTheCampaigns() {
        PackedCheckoutState loaded = PackedCheckoutState.of(CAPACITIES);
        read(List.of(message(header(8), sku(), campaign("SKU-1"), end(0, 1, 0, 0, 0, 0, 0, 0, 1))), loaded);
        assertThat(loaded.campaigns().numberOf("C")).isZero();

        List<byte[]> miscounted = List.of(message(header(8), sku(), campaign("SKU-1"), end(0, 1, 0, 0, 0, 0, 0, 0, 0)));
        assertThatThrownBy(() -> read(miscounted, PackedCheckoutState.of(CAPACITIES)))
                .hasMessageContaining("counts 0 records of kind " + CAMPAIGN + " but 1 came");
    }

    @Test
    void aCampaignNamingASkuTheSnapshotDoesNotHoldShouldStopTheLoad() {
        List<byte[]> messages = List.of(message(header(8), sku(), campaign("SKU-9")));

        assertThatThrownBy(() -> read(messages, PackedCheckoutState.of(CAPACITIES)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("campaign C names SKU SKU-9, which it does not hold");
    }

    /** Group drop (number 0, 4 units a user), as format 8 writes it, or as format 9 with 2 attempts a minute. */
    private static ByteBuffer group(int format) {
        ByteBuffer group = record(GROUP).putInt(0);
        CommandCodec.putText(group, "drop");
        group.putLong(4);
        if (format >= 9) {
            group.putInt(2).putLong(60_000);
        }
        return group;
    }

    /** A user group 0 counts in window 7. */
    private static ByteBuffer groupAttempts(String userId, int count) {
        ByteBuffer attempts = record(GROUP_ATTEMPTS).putInt(0).putLong(7);
        CommandCodec.putText(attempts, userId);
        return attempts.putInt(count);
    }

    /** {@link #CAPACITIES} with room for {@code counters} users counted by attempt limits. */
    private static StateCapacities attemptCounters(int counters) {
        return CAPACITIES.withAttemptCounterCapacity(counters);
    }

    /** Messages offered into {@code messages}, copied, each taken at once. */
    private static ClusterSnapshot.Messages into(List<byte[]> messages) {
        return new ClusterSnapshot.Messages() {
            @Override
            public int maxMessageLength() {
                return 64 * 1024;
            }

            @Override
            public long offer(DirectBuffer buffer, int offset, int length) {
                byte[] copy = new byte[length];
                buffer.getBytes(offset, copy);
                messages.add(copy);
                return messages.size();
            }
        };
    }

    private static ClusterSnapshot.Loaded read(List<byte[]> messages, PackedCheckoutState into) {
        ClusterSnapshot.Reader reader = new ClusterSnapshot.Reader(SnapshotCodec.loaderInto(into));
        for (byte[] message : messages) {
            reader.onChunk(new UnsafeBuffer(message), 0, message.length);
        }
        assertThat(reader.ended()).as("the end record came").isTrue();
        return reader.loaded();
    }

    /** One snapshot message: each record after its length. */
    private static byte[] message(ByteBuffer... records) {
        ByteBuffer message = ByteBuffer.allocate(64 * 1024).order(ByteOrder.LITTLE_ENDIAN);
        for (ByteBuffer record : records) {
            record.flip();
            message.putInt(record.remaining()).put(record);
        }
        return Arrays.copyOf(message.array(), message.position());
    }

    private static ByteBuffer record(byte type) {
        return ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX)
                .order(ByteOrder.LITTLE_ENDIAN)
                .put(type);
    }

    private static ByteBuffer header(int format) {
        return record(HEADER).put((byte) format).putLong(5_000).putLong(3);
    }

    /** SKU-1 at 2.50 EUR, as formats 7 and 8 write a SKU: no merchant, store or group. */
    private static ByteBuffer sku() {
        ByteBuffer sku = record(SKU).putInt(0);
        CommandCodec.putText(sku, "SKU-1");
        sku.putLong(250)
                .putInt(CurrencyCode.pack("EUR"))
                .putLong(10)
                .putLong(8)
                .putLong(2)
                .putLong(0)
                .putLong(0)
                .putLong(0)
                .putLong(0)
                .putLong(60_000);
        CommandCodec.putText(sku, null);
        CommandCodec.putText(sku, null);
        CommandCodec.putText(sku, null);
        return sku;
    }

    /** Order 1, alice's 2 units of SKU-1, reserved, as format 7 writes an order. */
    private static ByteBuffer order() {
        ByteBuffer order = record(ORDER).putLong(1);
        CommandCodec.putId(order, IdBuffer.of("alice"));
        order.put((byte) OrderState.RESERVED.code())
                .putInt(CurrencyCode.pack("EUR"))
                .putLong(500)
                .putLong(1_000)
                .putLong(61_000)
                .putLong(1_000)
                .put((byte) 1)
                .putInt(0)
                .putInt(2)
                .putLong(250)
                .put((byte) 0) // no payment
                .putInt(0) // refunded units
                .putInt(0); // merchant row + 1
        return order;
    }

    private static ByteBuffer campaign(String skuId) {
        CampaignTerms terms = CampaignSamples.terms(new CampaignTerms(), "C", CampaignKind.AMOUNT_OFF);
        terms.amountOffMinor = 100;
        terms.skuIds.add(skuId);
        ByteBuffer campaign = record(CAMPAIGN).putInt(0);
        CommandCodec.putCampaignTerms(campaign, terms);
        return campaign;
    }

    /**
     * The end record: merchants, SKUs, orders, units, answers, blocked, attempts, groups (and
     * campaigns; and groups' counted users).
     */
    private static ByteBuffer end(long... counts) {
        ByteBuffer end = record(END);
        for (long count : counts) {
            end.putLong(count);
        }
        return end;
    }
}
