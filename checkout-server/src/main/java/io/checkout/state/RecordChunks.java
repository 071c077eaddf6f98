package io.checkout.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.file.Path;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.hash.serialization.SizedReader;
import net.openhft.chronicle.hash.serialization.SizedWriter;
import net.openhft.chronicle.hash.serialization.impl.EnumMarshallable;
import net.openhft.chronicle.map.ChronicleMap;

/**
 * A large table of a snapshot (orders, users' units, remembered answers) as a Chronicle Map of
 * chunks: key the chunk's number (0, 1, 2, ...), value a record count (int) and that many records
 * back to back, each laid out by its marshaller, about {@link #CHUNK_BYTES} a chunk. The records
 * keep the order they were written in (a remembered answer's age, an order's id), so a load reads
 * them in that order without sorting.
 *
 * <p>Why chunks: as one entry a record, a snapshot of 2M orders and 3M answers took 13.5 s to write
 * and 11.6 s to load on the 2-core VM (2026-12-04), four times the journal replay it saves; nearly
 * all of it was Chronicle Map's per-entry work (the hash probe, the entry's header, the copy into a
 * fresh mmapped page) and sorting the answers by time after reading them in the map's own order.
 * A chunk costs one entry for some 500 orders or 1,500 answers.
 */
final class RecordChunks {
    /** A chunk is written out once its records reach this many bytes (the last may be smaller). */
    static final int CHUNK_BYTES = 64 * 1024;

    /** The most a chunk map may grow past the chunks it was created for (Chronicle Map allows 1,000). */
    private static final double BLOAT_MAX = 1_000;

    /** The count at the head of every chunk. */
    private static final int COUNT_BYTES = Integer.BYTES;

    private RecordChunks() {}

    /**
     * The chunk map {@code file} in {@code directory}, created if absent (an existing file keeps its
     * own sizing) for {@code records} records of about {@code recordBytes} bytes each, and able to
     * grow (by Chronicle Map's extra tiers, allocated when needed) to hold them all at
     * {@code recordBytesMax}, so no mix of records outgrows it. Sized for the largest up front
     * instead, the maps of 2M orders and 3M answers took half a second more to create.
     */
    static ChronicleMap<LongCell, Chunk> open(
            Path directory, String file, String name, long records, int recordBytes, int recordBytesMax) {
        long chunks = chunksFor(records, recordBytes);
        double bloat = Math.min(BLOAT_MAX, Math.max(1.0, (double) chunksFor(records, recordBytesMax) / chunks));
        try {
            return ChronicleMap.of(LongCell.class, Chunk.class)
                    .name(name)
                    .entries(chunks)
                    .maxBloatFactor(bloat)
                    .keyMarshaller(LongCell.Marshaller.INSTANCE)
                    .constantKeySizeBySample(new LongCell(1))
                    .valueMarshaller(Chunk.Marshaller.INSTANCE)
                    .averageValueSize(CHUNK_BYTES + recordBytes + COUNT_BYTES)
                    // Allocated on disk up front (the size it was created for): writing into a
                    // sparse file's holes through the mapping cost a block allocation a page, and
                    // took the write of 2M orders and 3M answers from 3.2 s to 4.8 s (2026-12-04).
                    .sparseFile(false)
                    .skipCloseOnExitHook(true)
                    .createPersistedTo(directory.resolve(file).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + directory.resolve(file), e);
        }
    }

    /** The chunks {@code records} of {@code recordBytes} each fill: every chunk but the last holds at least {@link #CHUNK_BYTES}. */
    private static long chunksFor(long records, int recordBytes) {
        return Math.max(1, records) * (long) recordBytes / CHUNK_BYTES + 2;
    }

    /**
     * Reads a chunk's {@code records} records, as their marshaller laid them out, and hands them
     * on: all of them, in any grouping (a reader that decodes a few before handing any on can hint
     * what they will look up first).
     */
    @FunctionalInterface
    interface ChunkReader {
        void read(Bytes<?> in, int records);
    }

    /**
     * Hands every record of {@code chunks} to {@code reader}, chunk by chunk in number order, and
     * refuses a missing chunk, a chunk without records, and a chunk whose bytes do not end with
     * its last record: a damaged table stops the load instead of loading part of it.
     */
    static void readAll(ChronicleMap<LongCell, Chunk> chunks, String table, ChunkReader reader) {
        long count = chunks.longSize();
        LongCell key = new LongCell();
        Chunk chunk = new Chunk();
        for (long number = 0; number < count; number++) {
            if (chunks.getUsing(key.set(number), chunk) == null) {
                throw new IllegalStateException(table + " misses chunk " + number + " of " + count);
            }
            Bytes<?> in = chunk.bytes;
            try {
                int records = in.readInt();
                if (records < 1) {
                    throw new IllegalStateException(table + " chunk " + number + " counts " + records + " records");
                }
                reader.read(in, records);
            } catch (BufferUnderflowException e) {
                throw new IllegalStateException(table + " chunk " + number + " ends inside a record", e);
            }
            if (in.readRemaining() != 0) {
                throw new IllegalStateException(
                        table + " chunk " + number + " holds " + in.readRemaining() + " bytes after its last record");
            }
        }
    }

    /**
     * Gathers records into chunks and puts each full chunk into the map; {@link #finish} puts the
     * last one. Write a record into {@link #out}, then call {@link #recordWritten}.
     */
    static final class Writer {
        private final ChronicleMap<LongCell, Chunk> chunks;
        private final Chunk chunk = new Chunk();
        private final LongCell key = new LongCell();
        private int records;
        private long written;

        Writer(ChronicleMap<LongCell, Chunk> chunks) {
            this.chunks = chunks;
            chunk.bytes.writeInt(0);
        }

        /** Where the next record goes. */
        Bytes<?> out() {
            return chunk.bytes;
        }

        void recordWritten() {
            records++;
            if (chunk.bytes.writePosition() >= CHUNK_BYTES) {
                put();
            }
        }

        /** Puts the records gathered since the last full chunk, if any. */
        void finish() {
            if (records > 0) {
                put();
            }
        }

        private void put() {
            chunk.bytes.writeInt(0, records);
            chunks.put(key.set(written++), chunk);
            chunk.bytes.clear();
            chunk.bytes.writeInt(0);
            records = 0;
        }
    }

    /** A chunk's bytes, reused from chunk to chunk. */
    static final class Chunk {
        final Bytes<?> bytes = Bytes.allocateElasticOnHeap(CHUNK_BYTES + 4 * 1024);

        /** Copies the chunk's bytes in and out of the map. A singleton class: Chronicle Map refuses enums. */
        static final class Marshaller implements SizedReader<Chunk>, SizedWriter<Chunk>, EnumMarshallable<Marshaller> {
            static final Marshaller INSTANCE = new Marshaller();

            private Marshaller() {}

            @Override
            public Chunk read(Bytes<?> in, long size, Chunk using) {
                Chunk chunk = using == null ? new Chunk() : using;
                chunk.bytes.clear();
                chunk.bytes.write(in, in.readPosition(), size);
                in.readSkip(size);
                return chunk;
            }

            @Override
            public long size(Chunk toWrite) {
                return toWrite.bytes.readRemaining();
            }

            @Override
            public void write(Bytes<?> out, long size, Chunk toWrite) {
                out.write(toWrite.bytes, toWrite.bytes.readPosition(), size);
            }

            @Override
            public Marshaller readResolve() {
                return INSTANCE;
            }
        }
    }
}
