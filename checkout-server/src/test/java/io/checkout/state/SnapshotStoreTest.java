package io.checkout.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.checkout.engine.CampaignKind;
import io.checkout.engine.CampaignTerms;
import io.checkout.engine.CheckoutBook;
import io.checkout.engine.CheckoutState;
import io.checkout.engine.CommandType;
import io.checkout.engine.CurrencyCode;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.HeapCheckoutState;
import io.checkout.engine.IdBuffer;
import io.checkout.engine.OrderRecord;
import io.checkout.engine.OrderState;
import io.checkout.engine.Outcome;
import io.checkout.engine.ResultCode;
import io.checkout.engine.SkuRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotStoreTest {
    private static final StateCapacities CAPACITIES = new StateCapacities(10, 1_000, 1_000, 1_000);

    @TempDir
    Path directory;

    @Test
    void loadShouldGiveBackEveryRecordWithEveryFieldInTheSameOrder() {
        PackedCheckoutState written = sampleState();
        SnapshotStore store = new SnapshotStore(directory);

        store.write(written, new SnapshotStore.Meta(42, 17, 5_000));
        PackedCheckoutState loaded = PackedCheckoutState.of(CAPACITIES);
        SnapshotStore.Meta meta = store.loadLatest(loaded);

        assertThat(meta).isEqualTo(new SnapshotStore.Meta(42, 17, 5_000));
        assertThat(records(loaded)).isEqualTo(records(written));
        assertThat(loaded.paymentCount()).isEqualTo(3);
        OrderRecord inPart = new OrderRecord();
        loaded.readOrder(5, inPart);
        assertThat(inPart.refundedQuantity(1)).isEqualTo(1);
        assertThat(inPart.paymentId.asString()).isEqualTo("psp-5");
        loaded.readOrder(4, inPart);
        assertThat(inPart.refundedQuantity(0))
                .as("a REFUNDED order refunded every unit")
                .isEqualTo(1);
        assertThat(loaded.paymentOrder(IdBuffer.of("stripe"), IdBuffer.of("pi_" + "9".repeat(61))))
                .isEqualTo(2);
        assertThat(loaded.paymentOrder(IdBuffer.of("P".repeat(32)), IdBuffer.of("p")))
                .isEqualTo(4);
        assertThat(loaded.paymentOrder(IdBuffer.of("adyen"), IdBuffer.of("p"))).isZero();
        assertThat(loaded.lastOrderOf(IdBuffer.of("alice")))
                .as("alice's newest order")
                .isEqualTo(3);
        assertThat(loaded.previousOrderOfUser(3)).isEqualTo(1);
        assertThat(loaded.previousOrderOfUser(1)).isZero();
        assertThat(loaded.lastOrderOf(IdBuffer.of("nobody"))).isZero();
        assertThat(loaded.merchants().rowCount()).isEqualTo(3);
        assertThat(loaded.merchants().rowCommissionBps(loaded.merchants().currentRow(0)))
                .as("acme's rate now: its last row")
                .isEqualTo(1_250);
        SkuRecord skuB = new SkuRecord();
        loaded.readSku(1, skuB);
        assertThat(skuB.merchantId).isEqualTo("acme");
        assertThat(skuB.merchantNumber).isZero();
        assertThat(skuB.storeId).isEqualTo("store:9");
        loaded.readOrder(7, inPart);
        assertThat(inPart.merchantRow(0)).isEqualTo(2);
        assertThat(inPart.merchantRow(1)).isEqualTo(1);
        loaded.readOrder(5, inPart);
        assertThat(inPart.merchantRow(0)).isZero();
        assertThat(inPart.merchantRow(1)).isEqualTo(3);
    }

    @Test
    void campaignsShouldComeBackUnderTheirNumbersWithTheirOrdersAndTheSameRedemptionsRecounted() {
        PackedCheckoutState written = PackedCheckoutState.of(CAPACITIES);
        CampaignSamples.run(written);
        SnapshotStore store = new SnapshotStore(directory);

        Path snapshot = store.write(written, new SnapshotStore.Meta(9, 30, CampaignSamples.NOW + 5_000));
        PackedCheckoutState loaded = PackedCheckoutState.of(CAPACITIES);
        store.loadLatest(loaded);
        // Redemptions are not stored: a book started on the loaded state counts them from its orders.
        new CheckoutBook(loaded, EngineLimits.defaults());

        assertThat(snapshot.resolve("campaigns.cm")).isRegularFile();
        CampaignSamples.assertSameCampaigns(written, loaded);
        // All but the answers, which all came at one time and so come back in the map's order.
        assertThat(records(loaded))
                .filteredOn(record -> !record.startsWith("outcome "))
                .isEqualTo(records(written).stream()
                        .filter(record -> !record.startsWith("outcome "))
                        .toList());
        OrderRecord first = new OrderRecord();
        loaded.readOrder(1, first);
        assertThat(first.campaignNumber).isZero();
        assertThat(first.discountMinor).isEqualTo(300);
        assertThat(first.eligibleLines).as("SKU-A's line, not SKU-C's").isEqualTo(0b01);
        assertThat(first.amountMinor).isEqualTo(2 * 1_000 + 400 - 300);
        CampaignTerms redefined = loaded.campaigns().terms(0);
        assertThat(redefined.amountOffMinor).isEqualTo(350);
        assertThat(redefined.budget).isEqualTo(6);
        assertThat(redefined.skuIds).containsExactly("SKU-B", "SKU-A");
        assertThat(loaded.campaigns().terms(1).merchantId).isEqualTo("acme");
    }

    @Test
    void campaignsListingTheMostSkusAtTheLongestIdsShouldComeBackBesideSmallOnes() {
        StateCapacities capacities = new StateCapacities(100, 10, 10, 10);
        PackedCheckoutState written = PackedCheckoutState.of(capacities);
        int[] listed = new int[CampaignTerms.SKUS_MAX];
        CampaignTerms longest = CampaignSamples.terms(new CampaignTerms(), "L".repeat(64), CampaignKind.AMOUNT_OFF);
        longest.amountOffMinor = CampaignTerms.DISCOUNT_MINOR_MAX;
        for (int i = 0; i < listed.length; i++) {
            String skuId = String.format("%064d", i);
            written.writeSku(sku(i, skuId, 5));
            // Listed backwards: the terms keep the order given, the table its sorted indexes.
            longest.skuIds.add(0, skuId);
            listed[listed.length - 1 - i] = i;
        }
        for (int number = 0; number < 20; number++) {
            CampaignTerms small = CampaignSamples.terms(new CampaignTerms(), "c" + number, CampaignKind.PERCENT_OFF);
            small.percentOffBps = 1 + number;
            written.campaigns().upsert(small, -1, new int[0]);
            if (number == 10) {
                written.campaigns().upsert(longest, -1, listed);
            }
        }
        SnapshotStore store = new SnapshotStore(directory);

        store.write(written, new SnapshotStore.Meta(1, 1, 100));
        PackedCheckoutState loaded = PackedCheckoutState.of(capacities);
        store.loadLatest(loaded);

        CampaignSamples.assertSameCampaigns(written, loaded);
        assertThat(loaded.campaigns().numberOf("L".repeat(64))).isEqualTo(11);
    }

    @Test
    void aSnapshotFromBeforeCampaignsShouldLoadWithNone() throws Exception {
        SnapshotStore store = new SnapshotStore(directory);
        Path written = store.write(sampleState(), new SnapshotStore.Meta(1, 1, 100));
        Files.delete(written.resolve("campaigns.cm"));
        PackedCheckoutState loaded = PackedCheckoutState.of(CAPACITIES);

        store.loadLatest(loaded);

        assertThat(loaded.campaigns().size()).isZero();
        assertThat(records(loaded)).isEqualTo(records(sampleState()));
    }

    @Test
    void groupAttemptLimitsShouldComeBackWithTheSameWindowsAndCountsAndAnswerTheNextReservesAlike() {
        PackedCheckoutState written = PackedCheckoutState.of(CAPACITIES);
        CheckoutBook book = GroupAttemptSamples.run(written);
        SnapshotStore store = new SnapshotStore(directory);

        Path snapshot = store.write(written, new SnapshotStore.Meta(9, 30, book.nowMillis()));
        PackedCheckoutState loaded = PackedCheckoutState.of(CAPACITIES);
        SnapshotStore.Meta meta = store.loadLatest(loaded);

        assertThat(snapshot.resolve("group-attempts.cm")).isRegularFile();
        GroupAttemptSamples.assertSameGroupAttempts(written, loaded);
        assertThat(records(loaded))
                .filteredOn(record -> !record.startsWith("outcome "))
                .isEqualTo(records(written).stream()
                        .filter(record -> !record.startsWith("outcome "))
                        .toList());
        assertThat(loaded.skuGroups().maxAttempts(0)).isEqualTo(2);
        assertThat(loaded.skuGroups().attemptWindowMillis(0)).isEqualTo(60_000);
        assertThat(loaded.skuGroups().countedWindow(0)).isEqualTo(GroupAttemptSamples.NOW / 60_000);
        assertThat(loaded.skuGroups().hasAttemptLimit(2)).as("plain").isFalse();
        assertThat(loaded.skuGroups().hasAttemptLimit(3)).as("was-limited").isFalse();
        CheckoutBook restarted = new CheckoutBook(loaded, EngineLimits.defaults());
        restarted.restoreNowMillis(meta.nowMillis());
        GroupAttemptSamples.assertSameAnswersNext(book, restarted);
    }

    @Test
    void aSnapshotFromBeforeGroupAttemptLimitsShouldLoadItsGroupsWithoutOne() throws Exception {
        PackedCheckoutState written = PackedCheckoutState.of(CAPACITIES);
        GroupAttemptSamples.run(written);
        SnapshotStore store = new SnapshotStore(directory);
        Path snapshot = store.write(written, new SnapshotStore.Meta(1, 1, 100));
        Files.delete(snapshot.resolve("group-attempts.cm"));
        PackedCheckoutState loaded = PackedCheckoutState.of(CAPACITIES);

        store.loadLatest(loaded);

        assertThat(loaded.skuGroups().size()).isEqualTo(4);
        assertThat(loaded.skuGroups().perUserLimit(0)).isEqualTo(10);
        for (int number = 0; number < 4; number++) {
            assertThat(loaded.skuGroups().hasAttemptLimit(number)).isFalse();
            assertThat(loaded.skuGroups().countedCount(number)).isZero();
        }
        assertThat(loaded.skuGroups().attemptLimitsActive()).isFalse();
    }

    @Test
    void loadShouldRefuseMoreUsersCountedByGroupsThanTheAttemptCounterCapacity() {
        PackedCheckoutState written = PackedCheckoutState.of(CAPACITIES);
        GroupAttemptSamples.run(written);
        SnapshotStore store = new SnapshotStore(directory);
        store.write(written, new SnapshotStore.Meta(1, 1, 100));

        PackedCheckoutState fits = PackedCheckoutState.of(attemptCounters(GroupAttemptSamples.COUNTED_ROWS));
        store.loadLatest(fits);
        GroupAttemptSamples.assertSameGroupAttempts(written, fits);
        PackedCheckoutState small = PackedCheckoutState.of(attemptCounters(GroupAttemptSamples.COUNTED_ROWS - 1));
        assertThatThrownBy(() -> store.loadLatest(small))
                .hasMessageContaining(
                        "more users counted by SKU groups' attempt limits than the configured capacity of "
                                + (GroupAttemptSamples.COUNTED_ROWS - 1));
    }

    @Test
    void loaderShouldRefuseAnInvalidGroupAttemptLimitOrCountsItCannotHold() {
        SnapshotSink loader = SnapshotCodec.loaderInto(PackedCheckoutState.of(CAPACITIES));
        assertThatThrownBy(() -> loader.skuGroup(0, "g", 1, 2, 0)).hasMessageContaining("invalid attempt limit");
        assertThatThrownBy(() -> loader.skuGroup(0, "g", 1, 0, 5)).hasMessageContaining("invalid attempt limit");
        loader.skuGroup(0, "g", 1, 2, 1_000);
        loader.skuGroup(1, "none", 1, 0, 0);

        assertThatThrownBy(() -> loader.groupAttempts(2, 7, "alice", 1)).hasMessageContaining("SKU group 2 of 2");
        assertThatThrownBy(() -> loader.groupAttempts(1, 7, "alice", 1)).hasMessageContaining("no attempt limit");
        assertThatThrownBy(() -> loader.groupAttempts(0, Long.MIN_VALUE, "alice", 1))
                .hasMessageContaining("in no window");
        assertThatThrownBy(() -> loader.groupAttempts(0, 7, "bad user", 1)).hasMessageContaining("invalid user id");
        assertThatThrownBy(() -> loader.groupAttempts(0, 7, "alice", 3)).hasMessageContaining("3 attempts of alice");
        assertThatThrownBy(() -> loader.groupAttempts(0, 7, "alice", 0)).hasMessageContaining("0 attempts of alice");
        loader.groupAttempts(0, 7, "alice", 2);
        assertThatThrownBy(() -> loader.groupAttempts(0, 7, "alice", 1)).hasMessageContaining("twice");
        assertThatThrownBy(() -> loader.groupAttempts(0, 8, "bob", 1)).hasMessageContaining("in two windows");
    }

    @Test
    void loaderShouldRefuseACampaignNamingASkuOrAMerchantItDoesNotHold() {
        SnapshotSink loader = SnapshotCodec.loaderInto(PackedCheckoutState.of(CAPACITIES));
        loader.sku(sku(0, "SKU-A", 10));
        CampaignTerms listing = CampaignSamples.terms(new CampaignTerms(), "LIST", CampaignKind.AMOUNT_OFF);
        listing.amountOffMinor = 100;
        listing.skuIds.addAll(List.of("SKU-A", "SKU-X"));
        CampaignTerms merchants = CampaignSamples.terms(new CampaignTerms(), "MERCH", CampaignKind.AMOUNT_OFF);
        merchants.amountOffMinor = 100;
        merchants.merchantId = "nobody";

        assertThatThrownBy(() -> loader.campaign(0, listing))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("campaign LIST names SKU SKU-X, which it does not hold");
        assertThatThrownBy(() -> loader.campaign(0, merchants))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("campaign MERCH names merchant nobody, which it does not hold");
        listing.skuIds.remove("SKU-X");
        assertThatThrownBy(() -> loader.campaign(1, listing)).hasMessageContaining("campaign 1 follows campaign -1");
        listing.budget = 0;
        assertThatThrownBy(() -> loader.campaign(0, listing)).hasMessageContaining("is invalid (BUDGET_INVALID)");
    }

    @Test
    void loaderShouldRefuseAnOrderWhoseCampaignItDoesNotHoldOrWhoseDiscountDoesNotAddUp() {
        SnapshotSink loader = SnapshotCodec.loaderInto(PackedCheckoutState.of(CAPACITIES));
        loader.sku(sku(0, "SKU-A", 10));
        loader.sku(sku(1, "SKU-B", 10));
        OrderRecord order = order(1, "alice", OrderState.RESERVED, 1);
        order.campaignNumber = 0;
        order.discountMinor = 100;
        order.eligibleLines = 0b10;
        order.amountMinor -= 100;

        assertThatThrownBy(() -> loader.order(order)).hasMessageContaining("names campaign 0 of 0");
        CampaignTerms terms = CampaignSamples.terms(new CampaignTerms(), "C", CampaignKind.AMOUNT_OFF);
        terms.amountOffMinor = 100;
        loader.campaign(0, terms);
        order.eligibleLines = 0b100;
        assertThatThrownBy(() -> loader.order(order)).hasMessageContaining("does not add up");
        order.eligibleLines = 0b10;
        order.amountMinor += 1;
        assertThatThrownBy(() -> loader.order(order)).hasMessageContaining("does not add up");
        order.amountMinor -= 1;
        order.campaignNumber = -1;
        assertThatThrownBy(() -> loader.order(order)).hasMessageContaining("without a campaign");
        order.campaignNumber = 0;
        loader.order(order);
    }

    @Test
    void loadShouldRefuseMorePaymentsThanTheCapacityAndNameTheTable() {
        SnapshotStore store = new SnapshotStore(directory);
        store.write(sampleState(), new SnapshotStore.Meta(1, 1, 100));

        PackedCheckoutState small = PackedCheckoutState.of(new StateCapacities(10, 1_000, 1_000, 1_000, 1, false));

        assertThatThrownBy(() -> store.loadLatest(small)).hasMessageContaining("more payments than the configured");
    }

    @Test
    void loadShouldFindNothingInAnEmptyDirectory() {
        PackedCheckoutState state = PackedCheckoutState.of(CAPACITIES);

        assertThat(new SnapshotStore(directory).loadLatest(state)).isEqualTo(SnapshotStore.Meta.EMPTY);
        assertThat(state.orderCount()).isZero();
    }

    @Test
    void loadShouldTakeTheNewestCompleteSnapshotAndIgnoreAPartialOne() throws Exception {
        SnapshotStore store = new SnapshotStore(directory);
        store.write(PackedCheckoutState.of(CAPACITIES), new SnapshotStore.Meta(1, 1, 100));
        store.write(sampleState(), new SnapshotStore.Meta(2, 9, 200));
        Files.createDirectories(directory.resolve("00000000000000000003.tmp"));

        PackedCheckoutState loaded = PackedCheckoutState.of(CAPACITIES);

        assertThat(store.loadLatest(loaded).journalSequence()).isEqualTo(2);
        assertThat(loaded.orderCount()).isEqualTo(7);
    }

    @Test
    void loadShouldRefuseASnapshotLargerThanTheCapacitiesAndNameTheTable() {
        SnapshotStore store = new SnapshotStore(directory);
        store.write(sampleState(), new SnapshotStore.Meta(1, 1, 100));

        PackedCheckoutState small = PackedCheckoutState.of(new StateCapacities(10, 2, 1_000, 1_000));

        assertThatThrownBy(() -> store.loadLatest(small))
                .hasMessageContaining("more orders than the configured capacity of 2");
    }

    @Test
    void loadShouldRefuseASnapshotWithAMissingTable() throws Exception {
        SnapshotStore store = new SnapshotStore(directory);
        Path written = store.write(sampleState(), new SnapshotStore.Meta(1, 1, 100), SnapshotStore.NO_PAUSE, false);
        Files.delete(written.resolve("orders.chunks.cm"));

        assertThatThrownBy(() -> store.loadLatest(PackedCheckoutState.of(CAPACITIES)))
                .hasMessageContaining("has no orders.cm and no orders.chunks.cm");
    }

    @Test
    void aSnapshotFromBeforeChunksShouldLoadTheSameRecordsWithTheAnswersInTimeOrder() throws Exception {
        SnapshotStore store = new SnapshotStore(directory);
        PackedCheckoutState written = sampleState();
        Path snapshot = store.write(written, new SnapshotStore.Meta(3, 8, 300), SnapshotStore.NO_PAUSE, false);
        PerRecordTables.rewrite(snapshot, written);
        assertThat(snapshot.resolve("orders.chunks.cm")).doesNotExist();
        assertThat(snapshot.resolve("outcomes.cm")).exists();

        PackedCheckoutState loaded = PackedCheckoutState.of(CAPACITIES);
        assertThat(store.loadLatest(loaded)).isEqualTo(new SnapshotStore.Meta(3, 8, 300));

        assertThat(records(loaded)).isEqualTo(records(written));
        CampaignSamples.assertSameCampaigns(written, loaded);
    }

    /** 260,000 orders: 2.08M order words, past the columns' doubling chunks into full-size ones. */
    @Test
    void manyOrdersUsersAndAnswersShouldComeBackInOrderAcrossManyChunks() {
        StateCapacities capacities = new StateCapacities(10, 300_000, 300_000, 300_000);
        PackedCheckoutState written = PackedCheckoutState.of(capacities);
        written.writeSku(sku(0, "SKU-A", 1_000_000));
        written.writeSku(sku(1, "SKU-B", 1_000_000));
        Outcome answer = new Outcome();
        for (int id = 1; id <= 260_000; id++) {
            String user = "user-" + "u".repeat(id % 40) + id;
            written.writeOrder(order(id, user, id % 3 == 0 ? OrderState.PAID : OrderState.RESERVED, id % 2));
            written.writeUserUnits(IdBuffer.of(user), id % 2, 1 + id % 4);
            answer.set(CommandType.RESERVE, ResultCode.SUCCESS, id, OrderState.RESERVED, -1, 1_000L * id, 1_000L * id);
            written.writeOutcome(IdBuffer.of("request-" + id), answer);
        }
        SnapshotStore store = new SnapshotStore(directory);
        store.write(written, new SnapshotStore.Meta(260_000, 1, 1));

        PackedCheckoutState loaded = PackedCheckoutState.of(capacities);
        store.loadLatest(loaded);

        assertThat(loaded.orderCount()).isEqualTo(260_000);
        assertThat(records(loaded)).isEqualTo(records(written));
    }

    @Test
    void aPackedStateShouldBeWrittenAsAnImageOfItsLargeTablesBesideRecordsOfTheSmallOnes() {
        SnapshotStore store = new SnapshotStore(directory);
        Path snapshot = store.write(sampleState(), new SnapshotStore.Meta(1, 1, 100));

        assertThat(snapshot.resolve("state-image.bin")).isRegularFile();
        assertThat(snapshot.resolve("skus.cm")).isRegularFile();
        assertThat(snapshot.resolve("merchants.cm")).isRegularFile();
        assertThat(snapshot.resolve("orders.chunks.cm"))
                .as("no map of the large tables: a server from before images refuses the snapshot")
                .doesNotExist();
        assertThat(snapshot.resolve("outcomes.chunks.cm")).doesNotExist();
        assertThat(snapshot.resolve("user-units.chunks.cm")).doesNotExist();
    }

    @Test
    void aSnapshotOfRecordChunksFromBeforeImagesShouldLoadTheSameRecords() {
        SnapshotStore store = new SnapshotStore(directory);
        PackedCheckoutState written = sampleState();
        Path snapshot = store.write(written, new SnapshotStore.Meta(4, 9, 400), SnapshotStore.NO_PAUSE, false);
        assertThat(snapshot.resolve("state-image.bin")).doesNotExist();

        PackedCheckoutState loaded = PackedCheckoutState.of(CAPACITIES);
        assertThat(store.loadLatest(loaded)).isEqualTo(new SnapshotStore.Meta(4, 9, 400));

        assertThat(records(loaded)).isEqualTo(records(written));
    }

    @Test
    void loadShouldRefuseASnapshotWhoseImageIsMissing() throws Exception {
        SnapshotStore store = new SnapshotStore(directory);
        Path written = store.write(sampleState(), new SnapshotStore.Meta(1, 1, 100));
        Files.delete(written.resolve("state-image.bin"));

        assertThatThrownBy(() -> store.loadLatest(PackedCheckoutState.of(CAPACITIES)))
                .hasMessageContaining("has no orders.cm and no orders.chunks.cm");
    }

    @Test
    void anImageShouldLoadRecordByRecordIntoAStateWithAnotherAnswerCapacity() {
        SnapshotStore store = new SnapshotStore(directory);
        PackedCheckoutState written = sampleState();
        store.write(written, new SnapshotStore.Meta(1, 1, 100));

        PackedCheckoutState larger = PackedCheckoutState.of(new StateCapacities(10, 1_000, 1_000, 4_000));
        store.loadLatest(larger);

        assertThat(records(larger)).isEqualTo(records(written));
        assertThat(larger.paymentOrder(IdBuffer.of("adyen"), IdBuffer.of("psp-5")))
                .isEqualTo(5);
    }

    @Test
    void anImageShouldLoadIntoAPreallocatedStateAndFromOne() {
        StateCapacities preallocated = new StateCapacities(10, 1_000, 1_000, 1_000, true);
        SnapshotStore store = new SnapshotStore(directory);
        PackedCheckoutState written = sampleState();
        store.write(written, new SnapshotStore.Meta(1, 1, 100));

        PackedCheckoutState loaded = PackedCheckoutState.of(preallocated);
        store.loadLatest(loaded);
        assertThat(loaded.preallocated()).isTrue();
        assertThat(records(loaded)).isEqualTo(records(written));

        store.write(loaded, new SnapshotStore.Meta(2, 1, 100));
        PackedCheckoutState again = PackedCheckoutState.of(CAPACITIES);
        store.loadLatest(again);
        assertThat(records(again)).isEqualTo(records(written));
    }

    @Test
    void anImageShouldLoadRecordByRecordIntoAnotherKindOfState() {
        SnapshotStore store = new SnapshotStore(directory);
        PackedCheckoutState written = sampleState();
        store.write(written, new SnapshotStore.Meta(1, 1, 100));

        HeapCheckoutState heap = new HeapCheckoutState(10, 1_000, 1_000, 1_000);
        store.loadLatest(heap);

        assertThat(records(heap)).isEqualTo(records(written));
    }

    @Test
    void anImageShouldRefuseMoreThanTheCapacitiesAndNameTheTable() {
        SnapshotStore store = new SnapshotStore(directory);
        store.write(sampleState(), new SnapshotStore.Meta(1, 1, 100));

        assertThatThrownBy(() -> store.loadLatest(PackedCheckoutState.of(new StateCapacities(10, 2, 1_000, 1_000))))
                .hasMessageContaining("more orders than the configured capacity of 2 (7)");
        assertThatThrownBy(() -> store.loadLatest(PackedCheckoutState.of(new StateCapacities(10, 1_000, 2, 1_000))))
                .hasMessageContaining("more per-user counters than the configured capacity of 2 (3)");
    }

    @Test
    void aDamagedImageShouldStopTheLoadNamingThePiece() throws Exception {
        SnapshotStore store = new SnapshotStore(directory);
        Path snapshot = store.write(sampleState(), new SnapshotStore.Meta(1, 1, 100));
        Path image = snapshot.resolve("state-image.bin");
        byte[] bytes = Files.readAllBytes(image);
        int at = indexOf(bytes, "carol".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertThat(at).as("the user id in the image's bytes").isPositive();
        bytes[at] = 'k';
        Files.write(image, bytes);

        assertThatThrownBy(() -> store.loadLatest(PackedCheckoutState.of(CAPACITIES)))
                .hasMessageContaining("state-image.bin piece 0 does not match its checksum");
    }

    @Test
    void anImageOfAWrappedAnswerRingAndReleasedIdsShouldLoadAndGoOnAsTheStateItWasTakenFrom() {
        // Answers of the longest request ids through a ring of 20,000: the id bytes pass two 4 MB
        // chunks and release the oldest, the ring wraps, the index removes as it goes.
        StateCapacities capacities = new StateCapacities(10, 200_000, 200_000, 20_000);
        PackedCheckoutState written = PackedCheckoutState.of(capacities);
        written.writeSku(sku(0, "SKU-A", 1_000_000));
        Outcome answer = new Outcome();
        int id = 1;
        for (; id <= 130_000; id++) {
            remember(written, answer, id);
        }
        SnapshotStore store = new SnapshotStore(directory);
        store.write(written, new SnapshotStore.Meta(130_000, 1, 1));

        PackedCheckoutState loaded = PackedCheckoutState.of(capacities);
        store.loadLatest(loaded);

        assertThat(loaded.outcomeCount()).isEqualTo(written.outcomeCount());
        assertThat(records(loaded)).isEqualTo(records(written));
        for (; id <= 160_000; id++) {
            remember(written, answer, id);
            remember(loaded, answer, id);
        }
        assertThat(records(loaded)).isEqualTo(records(written));
        Outcome read = new Outcome();
        assertThat(written.readOutcome(IdBuffer.of(requestId(159_999)), read)).isTrue();
        assertThat(read.orderId).isEqualTo(159_999);
        assertThat(loaded.readOutcome(IdBuffer.of(requestId(159_999)), read)).isTrue();
        assertThat(read.orderId).isEqualTo(159_999);
        assertThat(loaded.readOutcome(IdBuffer.of(requestId(140_000)), read))
                .as("forgotten with the ring's oldest")
                .isFalse();
    }

    /** Answers request {@code id} (an order of its own) and forgets answers older than the last 15,000. */
    private static void remember(PackedCheckoutState state, Outcome answer, int id) {
        String user = "u" + id % 5_000;
        if (state.orderCount() < id) {
            state.writeOrder(order(id, user, OrderState.RESERVED, 0));
        }
        answer.set(CommandType.RESERVE, ResultCode.SUCCESS, id, OrderState.RESERVED, -1, 1_000L * id, 1_000L * id);
        state.writeOutcome(IdBuffer.of(requestId(id)), answer);
        state.forgetOutcomesBefore(1_000L * (id - 15_000), 1_000L * id);
    }

    private static String requestId(int id) {
        String number = Integer.toString(id);
        return "r".repeat(EngineLimits.ID_LENGTH_MAX - number.length()) + number;
    }

    private static int indexOf(byte[] bytes, byte[] wanted) {
        outer:
        for (int i = 0; i + wanted.length <= bytes.length; i++) {
            for (int k = 0; k < wanted.length; k++) {
                if (bytes[i + k] != wanted[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void loaderShouldRefuseAStateThatIsNotEmpty() {
        assertThatThrownBy(() -> SnapshotCodec.loaderInto(sampleState())).isInstanceOf(IllegalArgumentException.class);
    }

    /** {@link #CAPACITIES} with room for {@code counters} users counted by attempt limits. */
    private static StateCapacities attemptCounters(int counters) {
        return CAPACITIES.withAttemptCounterCapacity(counters);
    }

    private static OrderRecord paid(OrderRecord order, String provider, String paymentId) {
        order.setPayment(IdBuffer.of(provider), IdBuffer.of(paymentId), order.updatedAtEpochMillis - 1);
        return order;
    }

    /**
     * Two SKUs, four orders in four states (two paid with a payment, at the longest provider and
     * payment id), a user holding two SKUs, answers with and without an order.
     */
    private static PackedCheckoutState sampleState() {
        PackedCheckoutState state = PackedCheckoutState.of(CAPACITIES);
        state.merchants().append("acme", 1_000, 50);
        state.merchants().append("bolt", 0, 60);
        state.merchants().append("acme", 1_250, 70);
        state.writeSku(sku(0, "SKU-A", 10));
        SkuRecord withParties = sku(1, "SKU-B", 20);
        withParties.merchantId = "acme";
        withParties.merchantNumber = 0;
        withParties.storeId = "store:9";
        state.writeSku(withParties);
        state.writeOrder(order(1, "alice", OrderState.RESERVED, 0));
        state.writeOrder(paid(order(2, "bob", OrderState.PAID, 1), "stripe", "pi_" + "9".repeat(61)));
        state.writeOrder(order(3, "alice", OrderState.EXPIRED, 1));
        state.writeOrder(paid(order(4, "carol", OrderState.REFUNDED, 0), "P".repeat(32), "p"));
        OrderRecord inPart = paid(order(5, "dave", OrderState.PARTLY_REFUNDED, 1), "adyen", "psp-5");
        inPart.refundedQuantities[1] = 1;
        inPart.setMerchantRow(1, 3);
        state.writeOrder(inPart);
        OrderRecord inPartUnpaid = order(6, "erin", OrderState.PARTLY_REFUNDED, 1);
        inPartUnpaid.refundedQuantities[0] = 1;
        state.writeOrder(inPartUnpaid);
        OrderRecord sold = order(7, "fay", OrderState.PAID, 1);
        sold.setMerchantRow(0, 2);
        sold.setMerchantRow(1, 1);
        state.writeOrder(sold);
        state.writeUserUnits(IdBuffer.of("alice"), 0, 2);
        state.writeUserUnits(IdBuffer.of("alice"), 1, 1);
        state.writeUserUnits(IdBuffer.of("bob"), 1, 3);
        Outcome reserved = new Outcome();
        reserved.set(CommandType.RESERVE, ResultCode.SUCCESS, 1, OrderState.RESERVED, -1, 1_000, 1_000);
        state.writeOutcome(IdBuffer.of("req-1"), reserved);
        Outcome soldOut = new Outcome();
        soldOut.set(CommandType.RESERVE, ResultCode.SOLD_OUT, 0, null, 1, 1_500, 0);
        state.writeOutcome(IdBuffer.of("req-2"), soldOut);
        Outcome conflict = new Outcome();
        conflict.set(CommandType.CONFIRM, ResultCode.ORDER_STATE_CONFLICT, 3, OrderState.EXPIRED, -1, 2_000, 1_900);
        state.writeOutcome(IdBuffer.of("req-3"), conflict);
        return state;
    }

    private static SkuRecord sku(int index, String id, long stock) {
        SkuRecord sku = new SkuRecord();
        sku.index = index;
        sku.skuId = id;
        sku.priceMinor = 1_999 + index;
        sku.currency = CurrencyCode.pack("EUR");
        sku.totalStock = stock;
        sku.available = stock - 3;
        sku.reserved = 2;
        sku.sold = 1;
        sku.perUserLimit = 4;
        sku.saleStartEpochMillis = 100;
        sku.saleEndEpochMillis = 900_000;
        sku.reservationTtlMillis = 60_000;
        return sku;
    }

    private static OrderRecord order(long id, String user, OrderState state, int lines) {
        OrderRecord order = new OrderRecord();
        order.orderId = id;
        order.userId.set(user);
        order.state(state);
        order.currency = CurrencyCode.pack("EUR");
        order.lineCount = lines + 1;
        for (int i = 0; i <= lines; i++) {
            order.skuIndexes[i] = i;
            order.quantities[i] = i + 1;
            order.unitPricesMinor[i] = 1_999 + i;
            order.amountMinor += (long) (i + 1) * (1_999 + i);
        }
        order.createdAtEpochMillis = 1_000 * id;
        order.expiresAtEpochMillis = 1_000 * id + 60_000;
        order.updatedAtEpochMillis = 1_000 * id + 5;
        return order;
    }

    /**
     * Every record the codec streams out, as text, in stream order, except the per-user counters,
     * blocked users and attempt counts (the global limit's and the SKU groups'), which no table keeps
     * in an order: they come last, sorted.
     */
    static List<String> records(CheckoutState state) {
        List<String> records = new ArrayList<>();
        TreeSet<String> counters = new TreeSet<>();
        SnapshotCodec.write(state, new SnapshotSink() {
            @Override
            public void merchantRow(int row, String merchantId, int commissionBps, long sinceEpochMillis) {
                records.add("merchant row " + row + " " + merchantId + " " + commissionBps + " " + sinceEpochMillis);
            }

            @Override
            public void skuGroup(int number, String groupId, long perUserLimit, int maxAttempts, long windowMillis) {
                records.add("group " + number + " " + groupId + " " + perUserLimit + " attempts " + maxAttempts
                        + " per " + windowMillis);
            }

            @Override
            public void groupAttempts(int number, long countedWindow, String userId, int count) {
                counters.add("group attempts " + number + " window " + countedWindow + " " + userId + " " + count);
            }

            @Override
            public void sku(SkuRecord sku) {
                records.add("sku " + sku.index + " " + sku.skuId + " " + sku.priceMinor + " " + sku.currency + " "
                        + sku.totalStock + " " + sku.available + " " + sku.reserved + " " + sku.sold + " "
                        + sku.perUserLimit + " " + sku.saleStartEpochMillis + " " + sku.saleEndEpochMillis + " "
                        + sku.reservationTtlMillis + " " + sku.merchantId + " " + sku.merchantNumber + " "
                        + sku.storeId + " " + sku.groupId + " " + sku.groupNumber);
            }

            @Override
            public void campaign(int number, CampaignTerms terms) {
                records.add("campaign " + number + " " + terms);
            }

            @Override
            public void order(OrderRecord order) {
                records.add(order.toString());
            }

            @Override
            public void userUnits(IdBuffer userId, int skuIndex, long units) {
                counters.add("units " + userId + " " + skuIndex + " " + units);
            }

            @Override
            public void outcome(IdBuffer requestId, Outcome outcome) {
                records.add("outcome " + requestId + " " + outcome);
            }

            @Override
            public void riskRule(int maxAttempts, long windowMillis, long countedWindow) {
                records.add("risk rule " + maxAttempts + " per " + windowMillis + " window " + countedWindow);
            }

            @Override
            public void blockedUser(String userId) {
                counters.add("blocked " + userId);
            }

            @Override
            public void attempts(String userId, int count) {
                counters.add("attempts " + userId + " " + count);
            }
        });
        records.addAll(counters);
        return records;
    }
}
