package io.checkout.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.checkout.engine.CampaignKind;
import io.checkout.engine.CampaignTerms;
import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.engine.CurrencyCode;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.ResultCode;
import io.checkout.state.CampaignSamples;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordLogTest {
    private static final long SEGMENT_BYTES = 4L << 20;
    private static final int BATCH_BYTES = 2 << 20;

    @TempDir
    Path dir;

    @Test
    void recordsShouldReadBackInOrderAcrossSegments() {
        int count = 60_000;
        writeRecords(1, count, 100);
        assertThat(RecordLog.segments(dir)).hasSizeGreaterThan(1);

        List<Long> sequences = new ArrayList<>();
        RecordLogReader.ScanResult scan = RecordLogReader.scan(dir, 1, (sequence, payload) -> {
            assertThat(text(payload)).startsWith("record " + sequence + " ");
            sequences.add(sequence);
        });
        assertThat(scan.lastSequence()).isEqualTo(count);
        assertThat(scan.discardedBytes()).isZero();
        assertThat(sequences).hasSize(count).startsWith(1L, 2L).endsWith((long) count);
    }

    @Test
    void tailingReaderShouldStopAtTheGivenSequenceAndResumeFromTheMiddle() {
        writeRecords(1, 1_000, 20);
        try (RecordLogReader reader = RecordLogReader.openAt(dir, 500)) {
            List<Long> seen = new ArrayList<>();
            int read = reader.read(700, 1_000, (sequence, payload) -> seen.add(sequence));
            assertThat(read).isEqualTo(201);
            assertThat(seen.get(0)).isEqualTo(500);
            assertThat(seen.get(seen.size() - 1)).isEqualTo(700);
            assertThat(reader.read(700, 1_000, (sequence, payload) -> seen.add(sequence)))
                    .isZero();
            assertThat(reader.read(1_000, 10, (sequence, payload) -> seen.add(sequence)))
                    .isEqualTo(10);
            assertThat(reader.nextSequence()).isEqualTo(711);
        }
    }

    @Test
    void recordCutShortAtTheEndShouldBeReportedAndCutOffAndTheWriterShouldContinueAfterTheLastGoodOne()
            throws IOException {
        writeRecords(1, 100, 50);
        Path segment = RecordLog.segments(dir).get(0).path();
        long size = Files.size(segment);
        try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw")) {
            file.setLength(size - 7); // the process died while writing the last record
        }

        RecordLogReader.ScanResult scan = RecordLogReader.scan(dir, 1, (sequence, payload) -> {});
        assertThat(scan.lastSequence()).isEqualTo(99);
        assertThat(scan.discardedBytes()).isPositive();
        assertThat(scan.discardReason()).contains("cut short");

        try (RecordLogWriter writer = RecordLogWriter.open(dir, scan, 1, SEGMENT_BYTES, false, BATCH_BYTES)) {
            assertThat(writer.nextSequence()).isEqualTo(100);
            writer.append(payload("record 100 again"));
            writer.commit();
        }
        List<String> texts = new ArrayList<>();
        RecordLogReader.ScanResult after =
                RecordLogReader.scan(dir, 99, (sequence, payload) -> texts.add(text(payload)));
        assertThat(after.discardedBytes()).isZero();
        assertThat(texts).hasSize(2).last().isEqualTo("record 100 again");
    }

    @Test
    void garbageAfterTheLastRecordShouldBeCutOffAsATornTail() throws IOException {
        writeRecords(1, 10, 30);
        Path segment = RecordLog.segments(dir).get(0).path();
        Files.write(
                segment,
                new byte[] {0, 0, 0, 40, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 11, 'x', 'y'},
                java.nio.file.StandardOpenOption.APPEND);

        RecordLogReader.ScanResult scan = RecordLogReader.scan(dir, 1, (sequence, payload) -> {});
        assertThat(scan.lastSequence()).isEqualTo(10);
        assertThat(scan.discardedBytes()).isEqualTo(18);
    }

    @Test
    void flippedByteInsideTheLastRecordShouldFailItsChecksum() throws IOException {
        writeRecords(1, 10, 30);
        Path segment = RecordLog.segments(dir).get(0).path();
        flipByte(segment, Files.size(segment) - 3);

        RecordLogReader.ScanResult scan = RecordLogReader.scan(dir, 1, (sequence, payload) -> {});
        assertThat(scan.lastSequence()).isEqualTo(9);
        assertThat(scan.discardReason()).contains("checksum");
    }

    @Test
    void damageInASegmentThatIsNotTheLastShouldStopTheScan() throws IOException {
        writeRecords(1, 60_000, 100);
        List<RecordLog.Segment> segments = RecordLog.segments(dir);
        assertThat(segments).hasSizeGreaterThan(1);
        flipByte(segments.get(0).path(), 5_000);

        assertThatThrownBy(() -> RecordLogReader.scan(dir, 1, (sequence, payload) -> {}))
                .isInstanceOf(JournalCorruptException.class);
    }

    @Test
    void scanFromTailShouldCutATailThatSpansSeveralSegmentsAndDeleteTheSegmentsAfterIt() {
        writeRecords(1, 200_000, 100);
        List<RecordLog.Segment> before = RecordLog.segments(dir);
        assertThat(before).hasSizeGreaterThan(3);
        // Cut inside the second segment: two or more whole segments lie beyond the cut.
        long cutAt = before.get(1).firstSequence() + 10;

        RecordLogReader.ScanResult scan =
                RecordLogReader.scanUntilFromTail(dir, payload -> sequenceOf(payload) >= cutAt);

        assertThat(scan.lastSequence()).isEqualTo(cutAt - 1);
        assertThat(scan.firstSequence()).isEqualTo(1);
        assertThat(scan.lastSegment()).isEqualTo(before.get(1).path());
        assertThat(scan.discardedBytes()).isPositive();
        assertThat(RecordLog.segments(dir)).hasSize(2);
        // A writer opened on the result continues right before the cut, and the log reads back whole.
        try (RecordLogWriter writer = RecordLogWriter.open(dir, scan, 1, SEGMENT_BYTES, false, BATCH_BYTES)) {
            assertThat(writer.nextSequence()).isEqualTo(cutAt);
            writer.append(payload("record " + cutAt + " after the cut"));
            writer.commit();
        }
        List<Long> sequences = new ArrayList<>();
        RecordLogReader.scan(dir, 1, (sequence, payload) -> sequences.add(sequence));
        assertThat(sequences).hasSize((int) cutAt).endsWith(cutAt);
    }

    @Test
    void scanFromTailWithNothingToCutShouldReadOnlyTheLastSegmentAndFindTheEnd() throws IOException {
        writeRecords(1, 200_000, 100);
        List<RecordLog.Segment> segments = RecordLog.segments(dir);
        assertThat(segments).hasSizeGreaterThan(2);
        // Damage in an early segment is not read here: that segment's readers find it.
        flipByte(segments.get(0).path(), 5_000);

        RecordLogReader.ScanResult scan = RecordLogReader.scanUntilFromTail(dir, payload -> false);

        assertThat(scan.lastSequence()).isEqualTo(200_000);
        assertThat(scan.discardedBytes()).isZero();
        assertThat(RecordLog.segments(dir)).hasSameSizeAs(segments);
        assertThatThrownBy(() -> RecordLogReader.scan(dir, 1, (sequence, payload) -> {}))
                .isInstanceOf(JournalCorruptException.class);
    }

    @Test
    void scanFromTailShouldLookBehindAnEmptyLastSegment() throws IOException {
        writeRecords(1, 200_000, 100);
        List<RecordLog.Segment> segments = RecordLog.segments(dir);
        assertThat(segments).hasSizeGreaterThan(2);
        // The process died right after starting a new segment: a header and no record.
        ByteBuffer header = ByteBuffer.allocate(RecordLog.SEGMENT_HEADER_BYTES);
        header.putInt(RecordLog.MAGIC)
                .putInt(RecordLog.FORMAT_VERSION)
                .putLong(200_001)
                .flip();
        Files.write(RecordLog.segmentPath(dir, 200_001), header.array());
        // The records to cut are in the segment before the empty one.
        long cutAt = 199_990;

        RecordLogReader.ScanResult scan =
                RecordLogReader.scanUntilFromTail(dir, payload -> sequenceOf(payload) >= cutAt);

        assertThat(scan.lastSequence()).isEqualTo(cutAt - 1);
        assertThat(scan.lastSegment())
                .isEqualTo(segments.get(segments.size() - 1).path());
        assertThat(RecordLog.segments(dir)).hasSameSizeAs(segments);
    }

    @Test
    void scanFromTailShouldStillCutATornLastRecord() throws IOException {
        writeRecords(1, 200_000, 100);
        List<RecordLog.Segment> segments = RecordLog.segments(dir);
        Path last = segments.get(segments.size() - 1).path();
        long size = Files.size(last);
        try (RandomAccessFile raf = new RandomAccessFile(last.toFile(), "rw")) {
            raf.setLength(size - 7);
        }

        RecordLogReader.ScanResult scan =
                RecordLogReader.scanUntilFromTail(dir, payload -> sequenceOf(payload) > 999_999);

        assertThat(scan.lastSequence()).isEqualTo(199_999);
        assertThat(scan.discardReason()).contains("cut short");
    }

    @Test
    void retiringShouldDeleteOnlySegmentsWhollyBeforeTheSequenceAndKeepTheRequestedSpare() {
        writeRecords(1, 200_000, 100);
        List<RecordLog.Segment> before = RecordLog.segments(dir);
        assertThat(before).hasSizeGreaterThan(3);
        long cover = before.get(3).firstSequence();

        int deleted = RecordLogWriter.retireBefore(dir, cover, 1);

        assertThat(deleted).isEqualTo(2);
        assertThat(RecordLog.segments(dir).get(0).firstSequence())
                .isEqualTo(before.get(2).firstSequence());
        assertThatThrownBy(() -> RecordLogReader.openAt(dir, 1)).isInstanceOf(SequenceNotRetainedException.class);
    }

    @Test
    void commandCodecShouldRoundTripEveryJournalledTypeIncludingOddText() {
        Command reserve = Command.reserve(1_700_000_000_123L, "req-1", "caf\u00e9-user", "SKU-1", 3);
        reserve.addLine("x".repeat(200), -5);
        Command decoded = roundTrip(reserve);
        assertThat(decoded.type()).isEqualTo(CommandType.RESERVE);
        // Ids are ASCII bytes: what is not becomes DEL (still invalid), what is too long is cut (still too long).
        assertThat(decoded.userId.asString()).isEqualTo("caf\u007f-user");
        assertThat(decoded.lineCount).isEqualTo(2);
        assertThat(decoded.lineSkuId(1).length()).isEqualTo(CommandCodec.TEXT_CHARS_MAX);
        assertThat(decoded.lineQuantities[1]).isEqualTo(-5);

        Command upsert = Command.upsertSku(5, "req-2", "SKU-9", 1999, "EUR", 100, 2, 10, 0, 60_000);
        Command upserted = roundTrip(upsert);
        assertThat(upserted.currency).isEqualTo("EUR");
        assertThat(upserted.reservationTtlMillis).isEqualTo(60_000);
        assertThat(roundTrip(Command.adjustStock(6, null, "SKU-9", -4))
                        .requestId
                        .isAbsent())
                .isTrue();
        assertThat(roundTrip(Command.orderCommand(CommandType.REFUND, 7, "req-3", 42)).orderId)
                .isEqualTo(42);
        assertThat(roundTrip(Command.tick(8)).timestampMillis).isEqualTo(8);

        Command plainConfirm = roundTrip(Command.orderCommand(CommandType.CONFIRM, 9, "req-4", 43));
        assertThat(plainConfirm.hasPayment).isFalse();
        Command paid =
                roundTrip(Command.confirmWithPayment(10, "req-5", 44, "stripe", "pi_" + "7".repeat(61), 0, "JPY"));
        assertThat(paid.hasPayment).isTrue();
        assertThat(paid.paymentProvider.asString()).isEqualTo("stripe");
        assertThat(paid.paymentId.asString()).isEqualTo("pi_" + "7".repeat(61));
        assertThat(paid.paymentAmountMinor).isZero();
        assertThat(paid.paymentCurrency).isEqualTo(CurrencyCode.pack("JPY"));
        Command badCurrency = roundTrip(Command.confirmWithPayment(11, "req-6", 45, "x", "y", -3, "yen"));
        assertThat(badCurrency.paymentCurrency).as("invalid then, invalid now").isEqualTo(CurrencyCode.NONE);
        assertThat(badCurrency.paymentAmountMinor).isEqualTo(-3);
    }

    @Test
    void commandCodecShouldCarryARefundsLinesReasonAndResellability() {
        Command refund = Command.orderCommand(CommandType.REFUND, 12, "req-8", 46);
        refund.addLine("SKU-1", 2);
        refund.addLine("SKU-2", 1);
        refund.refundReason = "damaged in transit";
        refund.notResellable = true;

        Command decoded = roundTrip(refund);

        assertThat(decoded.lineCount).isEqualTo(2);
        assertThat(decoded.lineSkuId(1).asString()).isEqualTo("SKU-2");
        assertThat(decoded.lineQuantities[0]).isEqualTo(2);
        assertThat(decoded.refundReason).isEqualTo("damaged in transit");
        assertThat(decoded.notResellable).isTrue();
        ByteBuffer plain = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX);
        CommandCodec.encode(Command.orderCommand(CommandType.REFUND, 9, "req-7", 43), plain);
        assertThat(plain.get(0)).as("a whole refund keeps format 1").isEqualTo((byte) 1);
        Command wide = Command.orderCommand(CommandType.REFUND, 12, "req-9", 46);
        wide.refundReason = "caf\u00e9";
        assertThat(roundTrip(wide).refundReason).as("invalid then, invalid now").isEqualTo("caf\u00e9");
    }

    @Test
    void commandCodecShouldCarryMerchantsAndASkusMerchantAndStore() {
        Command merchant = roundTrip(Command.upsertMerchant(13, "req-10", "acme", 1_250));
        assertThat(merchant.type()).isEqualTo(CommandType.UPSERT_MERCHANT);
        assertThat(merchant.merchantId().asString()).isEqualTo("acme");
        assertThat(merchant.commissionBps()).isEqualTo(1_250);

        Command upsert =
                roundTrip(Command.upsertSku(14, "req-11", "SKU-3", 500, "EUR", 10, 0, 0, 0, 60_000, "acme", "store:7"));
        assertThat(upsert.merchantId().asString()).isEqualTo("acme");
        assertThat(upsert.storeId().asString()).isEqualTo("store:7");
        Command storeOnly =
                roundTrip(Command.upsertSku(15, "req-12", "SKU-3", 500, "EUR", 10, 0, 0, 0, 60_000, null, "s1"));
        assertThat(storeOnly.merchantId().isAbsent()).isTrue();
        assertThat(storeOnly.storeId().asString()).isEqualTo("s1");

        ByteBuffer plain = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX);
        CommandCodec.encode(Command.upsertSku(5, "req-2", "SKU-9", 1999, "EUR", 100, 2, 10, 0, 60_000), plain);
        assertThat(plain.get(0))
                .as("a SKU without merchant or store keeps format 1")
                .isEqualTo((byte) 1);
        ByteBuffer withMerchant = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX);
        CommandCodec.encode(
                Command.upsertSku(5, "req-2", "SKU-9", 1999, "EUR", 100, 2, 10, 0, 60_000, "acme", null), withMerchant);
        assertThat(withMerchant.get(0)).isEqualTo((byte) 4);
        ByteBuffer confirm = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX);
        CommandCodec.encode(Command.orderCommand(CommandType.CONFIRM, 9, "req-4", 43), confirm);
        confirm.flip().put(0, (byte) 4);
        assertThatThrownBy(() -> CommandCodec.decode(confirm, new Command()))
                .isInstanceOf(JournalCorruptException.class)
                .hasMessageContaining("holds only SKU upserts");
    }

    @Test
    void commandCodecShouldKeepTheOldFormatForEveryRecordButAPaidConfirm() {
        ByteBuffer plain = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX);
        CommandCodec.encode(Command.orderCommand(CommandType.CONFIRM, 9, "req-4", 43), plain);
        ByteBuffer paid = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX);
        CommandCodec.encode(Command.confirmWithPayment(10, "req-5", 44, "stripe", "pi_1", 100, "EUR"), paid);

        assertThat(plain.get(0)).as("a journal an older build can still read").isEqualTo((byte) 1);
        assertThat(paid.get(0)).isEqualTo((byte) 2);
        ByteBuffer refund = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX);
        CommandCodec.encode(Command.orderCommand(CommandType.REFUND, 9, "req-7", 43), refund);
        refund.flip().put(0, (byte) 2);
        assertThatThrownBy(() -> CommandCodec.decode(refund, new Command()))
                .isInstanceOf(JournalCorruptException.class)
                .hasMessageContaining("holds only confirms");
    }

    @Test
    void commandCodecShouldReadWideTextThatJournalsWroteBeforeIdsWereBytes() {
        // A reserve as the codec wrote it while ids were strings: a non-ASCII id went out as chars.
        ByteBuffer legacy = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX);
        legacy.put((byte) 1).put((byte) CommandType.RESERVE.code()).putLong(5);
        CommandCodec.putText(legacy, "req-1");
        CommandCodec.putText(legacy, "caf\u00e9");
        legacy.put((byte) 1);
        CommandCodec.putText(legacy, "SKU-\u00e9");
        legacy.putInt(2);
        Command decoded = new Command();
        CommandCodec.decode(legacy.flip(), decoded);

        assertThat(decoded.requestId.asString()).isEqualTo("req-1");
        assertThat(decoded.userId.asString()).isEqualTo("caf\u007f");
        assertThat(decoded.userId.isPrintable(64))
                .as("invalid then, invalid now")
                .isFalse();
        assertThat(decoded.lineSkuId(0).isSkuId(64)).isFalse();
        assertThat(decoded.lineQuantities[0]).isEqualTo(2);
    }

    @Test
    void commandCodecShouldCarryAReservesCampaignAndKeepAReserveWithoutOneAsItWas() {
        Command withCampaign = Command.reserve(20, "req-20", "alice", "SKU-1", 2);
        withCampaign.addLine("SKU-2", 1);
        withCampaign.campaignId.set("SPRING-10");

        assertThat(encoded(withCampaign)[0]).isEqualTo((byte) 6);
        Command decoded = roundTrip(withCampaign);
        assertThat(decoded.campaignId.asString()).isEqualTo("SPRING-10");
        assertThat(decoded.userId.asString()).isEqualTo("alice");
        assertThat(decoded.lineCount).isEqualTo(2);
        assertThat(decoded.lineSkuId(1).asString()).isEqualTo("SKU-2");
        assertThat(decoded.lineQuantities[0]).isEqualTo(2);

        // Without a campaign (absent or empty): format 1, byte for byte as before campaigns.
        ByteBuffer before = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX);
        before.put((byte) 1).put((byte) CommandType.RESERVE.code()).putLong(20);
        CommandCodec.putText(before, "req-20");
        CommandCodec.putText(before, "alice");
        before.put((byte) 1);
        CommandCodec.putText(before, "SKU-1");
        before.putInt(2);
        byte[] format1 = Arrays.copyOf(before.array(), before.position());
        Command plain = Command.reserve(20, "req-20", "alice", "SKU-1", 2);
        assertThat(encoded(plain)).isEqualTo(format1);
        plain.campaignId.set("");
        assertThat(encoded(plain)).isEqualTo(format1);
        assertThat(roundTrip(plain).campaignId.length()).isZero();

        ByteBuffer confirm = ByteBuffer.wrap(encoded(Command.orderCommand(CommandType.CONFIRM, 9, "req-4", 43)));
        confirm.put(0, (byte) 6);
        assertThatThrownBy(() -> CommandCodec.decode(confirm, new Command()))
                .isInstanceOf(JournalCorruptException.class)
                .hasMessageContaining("holds only reserves");
    }

    @Test
    void commandCodecShouldCarryASkuGroupsAttemptLimitAndKeepAGroupWithoutOneAsItWas() {
        Command limited = Command.upsertSkuGroup(30, "req-30", "drop-1", 3);
        limited.attemptLimit(2, 60_000);

        assertThat(encoded(limited)[0]).isEqualTo((byte) 7);
        Command decoded = roundTrip(limited);
        assertThat(decoded.type()).isEqualTo(CommandType.UPSERT_SKU_GROUP);
        assertThat(decoded.timestampMillis).isEqualTo(30);
        assertThat(decoded.requestId.asString()).isEqualTo("req-30");
        assertThat(decoded.groupId().asString()).isEqualTo("drop-1");
        assertThat(decoded.perUserLimit).isEqualTo(3);
        assertThat(decoded.maxAttempts()).isEqualTo(2);
        assertThat(decoded.windowMillis()).isEqualTo(60_000);

        // An invalid pair is carried as it came: replay refuses it as the engine did.
        for (long[] invalid : new long[][] {{0, 5}, {-1, 1_000}, {1_000_001, 1_000}, {2, 0}, {2, 86_400_001L}}) {
            Command bad = Command.upsertSkuGroup(31, "req-31", "drop-1", 3);
            bad.attemptLimit((int) invalid[0], invalid[1]);
            assertThat(encoded(bad)[0]).isEqualTo((byte) 7);
            Command back = roundTrip(bad);
            assertThat(back.maxAttempts()).isEqualTo((int) invalid[0]);
            assertThat(back.windowMillis()).isEqualTo(invalid[1]);
        }

        // Without a limit (none given, or 0/0): format 1, byte for byte as before group limits.
        ByteBuffer before = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX);
        before.put((byte) 1).put((byte) CommandType.UPSERT_SKU_GROUP.code()).putLong(30);
        CommandCodec.putText(before, "req-30");
        CommandCodec.putText(before, "drop-1");
        before.putLong(3);
        byte[] format1 = Arrays.copyOf(before.array(), before.position());
        Command plain = Command.upsertSkuGroup(30, "req-30", "drop-1", 3);
        assertThat(encoded(plain)).isEqualTo(format1);
        plain.attemptLimit(0, 0);
        assertThat(encoded(plain)).isEqualTo(format1);
        Command old = new Command();
        CommandCodec.decode(ByteBuffer.wrap(format1), old);
        assertThat(old.groupId().asString()).isEqualTo("drop-1");
        assertThat(old.perUserLimit).isEqualTo(3);
        assertThat(old.maxAttempts()).isZero();
        assertThat(old.windowMillis()).isZero();

        ByteBuffer reserve = ByteBuffer.wrap(encoded(Command.reserve(20, "req-20", "alice", "SKU-1", 2)));
        reserve.put(0, (byte) 7);
        assertThatThrownBy(() -> CommandCodec.decode(reserve, new Command()))
                .isInstanceOf(JournalCorruptException.class)
                .hasMessageContaining("holds only SKU group upserts");
        ByteBuffer format1WithALimit = ByteBuffer.wrap(encoded(limited));
        format1WithALimit.put(0, (byte) 1);
        assertThatThrownBy(() -> CommandCodec.decode(format1WithALimit, new Command()))
                .as("format 1 carries no limit")
                .isInstanceOf(JournalCorruptException.class)
                .hasMessageContaining("12 unexpected bytes");
    }

    @Test
    void commandCodecShouldCarryEveryTermOfACampaignUpsertAndAskForACampaign() {
        Command upsert = CampaignSamples.upsertCampaign(21, "req-21", t -> {
            t.campaignId = "SPRING";
            t.kind = CampaignKind.PERCENT_OFF;
            t.currency = CurrencyCode.pack("USD");
            t.amountOffMinor = 111;
            t.percentOffBps = 2_222;
            t.percentCapMinor = 3_333;
            t.minSpendMinor = 4_444;
            t.skuIds.addAll(List.of("SKU-2", "SKU-1"));
            t.merchantId = "acme";
            t.startsAtEpochMillis = 5_555;
            t.endsAtEpochMillis = 6_666;
            t.budget = 7_777;
            t.perUserLimit = 8_888;
        });

        assertThat(encoded(upsert)[0]).isEqualTo((byte) 1);
        Command decoded = roundTrip(upsert);
        assertThat(decoded.type()).isEqualTo(CommandType.UPSERT_CAMPAIGN);
        assertThat(decoded.timestampMillis).isEqualTo(21);
        assertThat(decoded.requestId.asString()).isEqualTo("req-21");
        CampaignTerms terms = decoded.campaignTerms();
        assertThat(terms.sameTerms(upsert.campaignTerms())).as("%s", terms).isTrue();
        assertThat(terms.toString()).isEqualTo(upsert.campaignTerms().toString());
        assertThat(terms.skuIds).containsExactly("SKU-2", "SKU-1");

        // Terms given as nothing come back as nothing: replay refuses them as the engine did.
        CampaignTerms blank =
                roundTrip(CampaignSamples.upsertCampaign(22, "req-22", t -> {})).campaignTerms();
        assertThat(blank.campaignId).isNull();
        assertThat(blank.kind).isNull();
        assertThat(blank.currency).isEqualTo(CurrencyCode.NONE);
        assertThat(blank.merchantId).isEmpty();
        assertThat(blank.skuIds).isEmpty();

        Command get = new Command();
        get.type(CommandType.GET_CAMPAIGN);
        get.campaignId.set("SPRING");
        assertThat(encoded(get)[0]).isEqualTo((byte) 1);
        assertThat(roundTrip(get).campaignId.asString()).isEqualTo("SPRING");
    }

    @Test
    void commandCodecShouldFitTheLargestCampaignAndCutATooLongSkuListSoThatItStaysInvalid() {
        Command longest = CampaignSamples.upsertCampaign(23, "r".repeat(64), t -> {
            CampaignSamples.terms(t, "C".repeat(64), CampaignKind.AMOUNT_OFF).amountOffMinor = 1;
            for (int i = 0; i < CampaignTerms.SKUS_MAX; i++) {
                t.skuIds.add(String.format("%064d", i));
            }
        });
        assertThat(longest.campaignTerms().invalid(EngineLimits.ID_LENGTH_MAX)).isNull();
        assertThat(roundTrip(longest).campaignTerms().sameTerms(longest.campaignTerms()))
                .isTrue();

        // Past every bound: more SKUs than a campaign lists, at more than the longest id, in wide chars.
        Command tooLong = CampaignSamples.upsertCampaign(24, "req-24", t -> {
            CampaignSamples.terms(t, "\u00e9".repeat(100), CampaignKind.AMOUNT_OFF).amountOffMinor = 1;
            t.merchantId = "\u00e9".repeat(100);
            for (int i = 0; i < 200; i++) {
                t.skuIds.add(i + "\u00e9".repeat(100));
            }
        });
        byte[] bytes = encoded(tooLong);
        assertThat(bytes.length).isLessThanOrEqualTo(CommandCodec.PAYLOAD_BYTES_MAX);
        CampaignTerms cut = roundTrip(tooLong).campaignTerms();
        assertThat(cut.skuIds).hasSize(CampaignTerms.SKUS_MAX + 1);
        assertThat(cut.invalid(EngineLimits.ID_LENGTH_MAX))
                .isEqualTo(tooLong.campaignTerms().invalid(EngineLimits.ID_LENGTH_MAX))
                .isEqualTo(ResultCode.CAMPAIGN_SKUS_INVALID);
    }

    @Test
    void commandCodecShouldRefuseACampaignOfAnUnknownKindOrTooManySkus() {
        Command upsert = CampaignSamples.upsertCampaign(25, "req", t -> {
            CampaignSamples.terms(t, "C", CampaignKind.AMOUNT_OFF).amountOffMinor = 1;
            t.skuIds.add("SKU-1");
        });
        // Version, type, time, the request id and the campaign id, each text after its length.
        int kind = 1 + 1 + 8 + (2 + 3) + (2 + 1);
        int skuCount = kind + 1 + 4 + 8 + 4 + 8 + 8;
        assertThat(encoded(upsert)[kind]).isEqualTo((byte) CampaignKind.AMOUNT_OFF.code());
        assertThat(encoded(upsert)[skuCount]).isEqualTo((byte) 1);

        for (int[] damage : new int[][] {{kind, 9}, {skuCount, CampaignTerms.SKUS_MAX + 2}, {skuCount, 0xFF}}) {
            ByteBuffer damaged = ByteBuffer.wrap(encoded(upsert));
            damaged.put(damage[0], (byte) damage[1]);
            assertThatThrownBy(() -> CommandCodec.decode(damaged, new Command()))
                    .as("byte %d set to %d", damage[0], damage[1])
                    .isInstanceOf(JournalCorruptException.class)
                    .hasMessageContaining(damage[0] == kind ? "unknown campaign kind" : "campaign SKU count");
        }
    }

    private static byte[] encoded(Command command) {
        ByteBuffer buffer = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX);
        CommandCodec.encode(command, buffer);
        return Arrays.copyOf(buffer.array(), buffer.position());
    }

    private static Command roundTrip(Command command) {
        ByteBuffer buffer = ByteBuffer.allocate(CommandCodec.PAYLOAD_BYTES_MAX);
        CommandCodec.encode(command, buffer);
        Command decoded = new Command();
        CommandCodec.decode(buffer.flip(), decoded);
        return decoded;
    }

    private void writeRecords(long first, int count, int padding) {
        RecordLogReader.ScanResult scan = RecordLogReader.scan(dir, 1, (sequence, payload) -> {});
        try (RecordLogWriter writer = RecordLogWriter.open(dir, scan, first, SEGMENT_BYTES, false, BATCH_BYTES)) {
            for (long sequence = first; sequence < first + count; sequence++) {
                writer.append(payload("record " + sequence + " " + "p".repeat(padding)));
                if (sequence % 100 == 0) {
                    writer.commit();
                }
            }
        }
    }

    private static ByteBuffer payload(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The sequence written into a record's text by {@link #writeRecords}. */
    private static long sequenceOf(ByteBuffer payload) {
        String text = text(payload.duplicate());
        return Long.parseLong(text.substring("record ".length(), text.indexOf(' ', "record ".length())));
    }

    private static String text(ByteBuffer payload) {
        byte[] bytes = new byte[payload.remaining()];
        payload.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static void flipByte(Path file, long position) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(position);
            int value = raf.read();
            raf.seek(position);
            raf.write(value ^ 0xFF);
        }
    }
}
