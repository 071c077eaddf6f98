package io.checkout.state;

import io.checkout.engine.IdIndex;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.hash.serialization.SizedReader;
import net.openhft.chronicle.hash.serialization.SizedWriter;
import net.openhft.chronicle.hash.serialization.impl.EnumMarshallable;
import net.openhft.chronicle.map.ChronicleMap;

/**
 * The large tables of a {@link PackedCheckoutState} at rest as they are in memory: a stream of
 * longs, ints and bytes (their columns, id bytes and index slot arrays, one after another, little
 * endian; {@link PackedCheckoutState#writeImage} says in what order), cut into pieces of at most
 * {@link #PIECE_BYTES}, each an entry of one Chronicle Map: key the piece's number (0, 1, 2, ...),
 * value the CRC32C of its bytes and the bytes.
 *
 * <p>Why: as records (one per order, user's units and remembered answer), loading a snapshot cost
 * as much as replaying the commands it stands for (2026-12-04: 4.3 s for 2.0M orders and 3.0M
 * answers against a replay of 3-5 s), most of it the id indexes' inserts, a cache miss each. As
 * an image, a load copies arrays in order and re-inserts nothing.
 *
 * <p>A value is never split across pieces: a piece ends early when the next long or int would not
 * fit, and the reader moves to the next piece only at a piece's end, so both sides agree on where
 * each value starts. A piece whose checksum does not match, a missing piece, a stream that ends
 * early or goes on after its last table stops the load: a damaged image never becomes the state.
 */
final class StateImageFile {
    /** The image's file in a snapshot directory. */
    static final String FILE = "state-image.cm";
    /** The most bytes of the stream a piece holds. */
    static final int PIECE_BYTES = 64 * 1024;

    /** The stream's first long: "CKIMAGE1" in ASCII. */
    private static final long MAGIC = 0x434B_494D_4147_4531L;
    /** The layout of the stream; a reader refuses another. */
    private static final int VERSION = 1;
    /** A piece's checksum, ahead of its bytes. */
    private static final int CRC_BYTES = Integer.BYTES;
    /** How far a map may grow past the pieces it was sized for (insurance: the size given is an upper bound). */
    private static final double BLOAT_MAX = 4;

    private StateImageFile() {}

    /** Whether {@code directory} holds an image. */
    static boolean present(Path directory) {
        return Files.isRegularFile(directory.resolve(FILE));
    }

    /**
     * A new image in {@code directory} for a stream of at most {@code bytesMax} bytes, its header
     * written; {@code pause} runs after every piece put (it may wait).
     */
    static Out create(Path directory, long bytesMax, Runnable pause) {
        ChronicleMap<LongCell, Piece> map = open(directory, bytesMax / PIECE_BYTES + 2);
        Out out = new Out(map, pause);
        out.putLong(MAGIC);
        out.putInt(VERSION);
        return out;
    }

    /** The image in {@code directory}, its header checked; {@code pause} runs after every piece read. */
    static In read(Path directory, Runnable pause) {
        if (!present(directory)) {
            throw new IllegalStateException("snapshot " + directory + " has no " + FILE);
        }
        In in = new In(open(directory, 2), directory, pause);
        try {
            long magic = in.getLong();
            int version = in.getInt();
            if (magic != MAGIC || version != VERSION) {
                throw new IllegalStateException(
                        "snapshot " + directory + " " + FILE + " is not a state image of version " + VERSION
                                + " (magic " + Long.toHexString(magic) + ", version " + version + ")");
            }
            return in;
        } catch (RuntimeException e) {
            in.close();
            throw e;
        }
    }

    private static ChronicleMap<LongCell, Piece> open(Path directory, long pieces) {
        try {
            return ChronicleMap.of(LongCell.class, Piece.class)
                    .name("state-image")
                    .entries(pieces)
                    .maxBloatFactor(BLOAT_MAX)
                    .keyMarshaller(LongCell.Marshaller.INSTANCE)
                    .constantKeySizeBySample(new LongCell(1))
                    .valueMarshaller(Piece.Marshaller.INSTANCE)
                    .averageValueSize(CRC_BYTES + PIECE_BYTES)
                    // Allocated on disk up front, as the record chunks are (RecordChunks.open).
                    .sparseFile(false)
                    .skipCloseOnExitHook(true)
                    .createPersistedTo(directory.resolve(FILE).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + directory.resolve(FILE), e);
        }
    }

    /** Writes the stream, a piece at a time; {@link #close} puts the last piece. One thread uses it. */
    static final class Out implements IdIndex.SlotsOut, AutoCloseable {
        private final ChronicleMap<LongCell, Piece> map;
        private final Runnable pause;
        private final Piece piece = new Piece();
        private final ByteBuffer buffer = ByteBuffer.wrap(piece.bytes).order(ByteOrder.LITTLE_ENDIAN);
        private final LongCell key = new LongCell();
        private final CRC32C crc = new CRC32C();
        private int position = CRC_BYTES;
        private long pieces;
        private long bytes;

        private Out(ChronicleMap<LongCell, Piece> map, Runnable pause) {
            this.map = map;
            this.pause = pause;
        }

        void putLong(long value) {
            room(Long.BYTES);
            buffer.putLong(position, value);
            position += Long.BYTES;
        }

        void putInt(int value) {
            room(Integer.BYTES);
            buffer.putInt(position, value);
            position += Integer.BYTES;
        }

        @Override
        public void longs(long[] array, int offset, int length) {
            int done = 0;
            while (done < length) {
                int fit = room(Long.BYTES) / Long.BYTES;
                int count = Math.min(fit, length - done);
                buffer.position(position);
                buffer.asLongBuffer().put(array, offset + done, count);
                position += count * Long.BYTES;
                done += count;
            }
        }

        void ints(int[] array, int offset, int length) {
            int done = 0;
            while (done < length) {
                int fit = room(Integer.BYTES) / Integer.BYTES;
                int count = Math.min(fit, length - done);
                buffer.position(position);
                buffer.asIntBuffer().put(array, offset + done, count);
                position += count * Integer.BYTES;
                done += count;
            }
        }

        void bytes(byte[] array, int offset, int length) {
            int done = 0;
            while (done < length) {
                int count = Math.min(room(1), length - done);
                System.arraycopy(array, offset + done, piece.bytes, position, count);
                position += count;
                done += count;
            }
        }

        /** Bytes left in this piece, at least {@code needed}: puts the piece first if fewer are. */
        private int room(int needed) {
            int left = CRC_BYTES + PIECE_BYTES - position;
            if (left < needed) {
                put();
                left = PIECE_BYTES;
            }
            return left;
        }

        private void put() {
            crc.reset();
            crc.update(piece.bytes, CRC_BYTES, position - CRC_BYTES);
            buffer.putInt(0, (int) crc.getValue());
            piece.length = position;
            map.put(key.set(pieces++), piece);
            bytes += position - CRC_BYTES;
            position = CRC_BYTES;
            pause.run();
        }

        /** The stream's bytes put so far (tests, logs). */
        long bytesWritten() {
            return bytes + position - CRC_BYTES;
        }

        /** Puts the last piece and closes the map. */
        @Override
        public void close() {
            try {
                if (position > CRC_BYTES) {
                    put();
                }
            } finally {
                map.close();
            }
        }
    }

    /** Reads the stream back in the order it was written. One thread uses it. */
    static final class In implements IdIndex.SlotsIn, AutoCloseable {
        private final ChronicleMap<LongCell, Piece> map;
        private final Path directory;
        private final Runnable pause;
        private final long pieces;
        private final Piece piece = new Piece();
        private final ByteBuffer buffer = ByteBuffer.wrap(piece.bytes).order(ByteOrder.LITTLE_ENDIAN);
        private final LongCell key = new LongCell();
        private final CRC32C crc = new CRC32C();
        private long next;
        private int position;
        private int limit;

        private In(ChronicleMap<LongCell, Piece> map, Path directory, Runnable pause) {
            this.map = map;
            this.directory = directory;
            this.pause = pause;
            this.pieces = map.longSize();
        }

        long getLong() {
            available(Long.BYTES);
            long value = buffer.getLong(position);
            position += Long.BYTES;
            return value;
        }

        int getInt() {
            available(Integer.BYTES);
            int value = buffer.getInt(position);
            position += Integer.BYTES;
            return value;
        }

        @Override
        public void longs(long[] into, int offset, int length) {
            int done = 0;
            while (done < length) {
                int count = Math.min(available(Long.BYTES) / Long.BYTES, length - done);
                buffer.position(position);
                buffer.asLongBuffer().get(into, offset + done, count);
                position += count * Long.BYTES;
                done += count;
            }
        }

        void ints(int[] into, int offset, int length) {
            int done = 0;
            while (done < length) {
                int count = Math.min(available(Integer.BYTES) / Integer.BYTES, length - done);
                buffer.position(position);
                buffer.asIntBuffer().get(into, offset + done, count);
                position += count * Integer.BYTES;
                done += count;
            }
        }

        void bytes(byte[] into, int offset, int length) {
            int done = 0;
            while (done < length) {
                int count = Math.min(available(1), length - done);
                System.arraycopy(piece.bytes, position, into, offset + done, count);
                position += count;
                done += count;
            }
        }

        /**
         * Bytes left in this piece, at least {@code needed}: reads the next piece first at this
         * one's end. A value the writer put whole never straddles pieces, so fewer left is damage.
         */
        private int available(int needed) {
            int left = limit - position;
            if (left == 0) {
                readPiece();
                left = limit - position;
            }
            if (left < needed) {
                throw damaged("piece " + (next - 1) + " ends inside a value");
            }
            return left;
        }

        private void readPiece() {
            if (next >= pieces) {
                throw damaged("ends after " + pieces + " pieces, inside its tables");
            }
            if (map.getUsing(key.set(next), piece) == null) {
                throw damaged("misses piece " + next + " of " + pieces);
            }
            if (piece.length <= CRC_BYTES) {
                throw damaged("piece " + next + " is empty");
            }
            crc.reset();
            crc.update(piece.bytes, CRC_BYTES, piece.length - CRC_BYTES);
            if ((int) crc.getValue() != buffer.getInt(0)) {
                throw damaged("piece " + next + " does not match its checksum");
            }
            next++;
            position = CRC_BYTES;
            limit = piece.length;
            pause.run();
        }

        /** Refuses a stream with anything after what was read. */
        void requireEnd() {
            if (position != limit || next != pieces) {
                throw damaged("holds more than its tables (piece " + next + " of " + pieces + ")");
            }
        }

        IllegalStateException damaged(String what) {
            return new IllegalStateException("snapshot " + directory + " " + FILE + " " + what);
        }

        @Override
        public void close() {
            map.close();
        }
    }

    /** A piece's checksum and bytes, reused from piece to piece. */
    static final class Piece {
        final byte[] bytes = new byte[CRC_BYTES + PIECE_BYTES];
        int length;

        /** Copies a piece in and out of the map. A singleton class: Chronicle Map refuses enums. */
        static final class Marshaller implements SizedReader<Piece>, SizedWriter<Piece>, EnumMarshallable<Marshaller> {
            static final Marshaller INSTANCE = new Marshaller();

            private Marshaller() {}

            @Override
            public Piece read(Bytes<?> in, long size, Piece using) {
                Piece piece = using == null ? new Piece() : using;
                if (size > piece.bytes.length) {
                    throw new IllegalStateException("a state image piece of " + size + " bytes, above the "
                            + piece.bytes.length + " a piece may hold");
                }
                int read = in.read(piece.bytes, 0, (int) size);
                if (read != size) {
                    throw new IllegalStateException("a state image piece of " + size + " bytes read " + read);
                }
                piece.length = (int) size;
                return piece;
            }

            @Override
            public long size(Piece toWrite) {
                return toWrite.length;
            }

            @Override
            public void write(Bytes<?> out, long size, Piece toWrite) {
                out.write(toWrite.bytes, 0, toWrite.length);
            }

            @Override
            public Marshaller readResolve() {
                return INSTANCE;
            }
        }
    }
}
