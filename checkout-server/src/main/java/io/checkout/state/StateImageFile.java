package io.checkout.state;

import io.checkout.engine.FrozenArray;
import io.checkout.engine.IdIndex;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The large tables of a {@link PackedCheckoutState} at rest as they are in memory: a stream of
 * longs, ints and bytes (their columns, id bytes and index slot arrays, one after another, little
 * endian; {@link PackedCheckoutState#writeImage} says in what order) in two files, {@value #FILE}
 * (users, orders, payments) and {@value #ANSWERS_FILE} (remembered answers), which a restart reads
 * at once on two threads; each file:
 * <pre>
 *   header   "CKIMAGE1" (8 bytes), layout version (int)
 *   piece*   length (int, 1..{@value #PIECE_BYTES}), CRC32C of the bytes (int), the bytes
 *   end      0 (int), the number of pieces (long)
 * </pre>
 *
 * <p>Why an image: as records (one per order, user's units and remembered answer), loading a
 * snapshot cost as much as replaying the commands it stands for (2026-12-04: 4.3 s for 2.0M orders
 * and 3.0M answers against a replay of 3-5 s), most of it the id indexes' inserts, a cache miss
 * each. An image is copied into the arrays in order and re-inserts nothing.
 *
 * <p>Why a plain file and not a Chronicle Map (the small tables' store): a Chronicle Map's first use
 * in a process costs 1.7-2.5 s on the project's VM, most of it javac compiling a class Chronicle
 * generates; a restart that reads its image from a plain file does so while that runs on another
 * thread (see {@code Recovery}), and a file read through a channel takes no page fault per page of
 * the mapping. The format is a stream of checked pieces, as a replicated log's snapshot would be.
 *
 * <p>A value is never split across pieces: a piece ends early when the next long or int would not
 * fit, and the reader moves to the next piece only at a piece's end, so both sides agree on where
 * each value starts. A piece whose checksum does not match, a file cut short, a stream that ends
 * early or goes on after its last table stops the load: a damaged image never becomes the state.
 */
final class StateImageFile {
    /** The image's file in a snapshot directory: its shape and counts, users, orders and payments. */
    static final String FILE = "state-image.bin";
    /** The image's remembered answers. */
    static final String ANSWERS_FILE = "state-image-answers.bin";
    /** The most bytes of the stream a piece holds. */
    static final int PIECE_BYTES = 1 << 20;

    /** The file's first long: the ASCII of "CKIMAGE1", little endian. */
    private static final long MAGIC = 0x3145_4741_4D49_4B43L;
    /** The layout of the stream; a reader refuses another. */
    private static final int VERSION = 1;

    private static final int HEADER_BYTES = Long.BYTES + Integer.BYTES;
    /** A piece's length and checksum, ahead of its bytes. */
    private static final int PIECE_HEAD_BYTES = 2 * Integer.BYTES;

    private StateImageFile() {}

    /** Whether {@code directory} holds an image. */
    static boolean present(Path directory) {
        return Files.isRegularFile(directory.resolve(FILE));
    }

    /** A new image file {@code name} in {@code directory}; {@code pause} runs after every piece written (it may wait). */
    static Out create(Path directory, String name, Runnable pause) {
        return new Out(BlockFileOut.create(directory.resolve(name)), pause);
    }

    /** The image file {@code name} in {@code directory}, its header checked; {@code pause} runs after every piece read. */
    static In read(Path directory, String name, Runnable pause) {
        Path file = directory.resolve(name);
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("snapshot " + directory + " has no " + name);
        }
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + file, e);
        }
        In in = new In(channel, file, pause);
        try {
            in.readHeader();
            return in;
        } catch (RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /** Writes the stream, a piece at a time; {@link #close} writes the last piece and the end. One thread uses it. */
    static final class Out implements IdIndex.SlotsOut, AutoCloseable {
        /** Where the pieces go: straight to the device where the file system allows ({@link BlockFileOut}). */
        private final BlockFileOut out;

        private final Runnable pause;
        private final ByteBuffer buffer =
                ByteBuffer.allocateDirect(PIECE_HEAD_BYTES + PIECE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        private final CRC32C crc = new CRC32C();
        private int position = PIECE_HEAD_BYTES;
        private long pieces;
        private long bytes;
        private boolean closed;

        private Out(BlockFileOut out, Runnable pause) {
            this.out = out;
            this.pause = pause;
            ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            header.putLong(MAGIC).putInt(VERSION).flip();
            write(header);
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
                int count = Math.min(room(Long.BYTES) / Long.BYTES, length - done);
                buffer.position(position);
                buffer.asLongBuffer().put(array, offset + done, count);
                position += count * Long.BYTES;
                done += count;
            }
        }

        void ints(int[] array, int offset, int length) {
            int done = 0;
            while (done < length) {
                int count = Math.min(room(Integer.BYTES) / Integer.BYTES, length - done);
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
                buffer.put(position, array, offset + done, count);
                position += count;
                done += count;
            }
        }

        /**
         * Where a frozen array's units go ({@link FrozenArray#read}), written exactly as {@link
         * #longs}, {@link #ints} and {@link #bytes} would write them (the same bytes in the same
         * pieces), but never blocking while a unit is claimed: what fits in the current piece is
         * put at once, the rest kept aside, and the full piece written with the rest only after
         * the unit is released ({@link FrozenArray.UnitReader#afterUnit}).
         */
        FrozenArray.UnitReader frozenUnits() {
            return new FrozenArray.UnitReader() {
                private final long[] longsLeft = new long[FrozenArray.UNIT_BYTES / Long.BYTES];
                private final int[] intsLeft = new int[FrozenArray.UNIT_BYTES / Integer.BYTES];
                private final byte[] bytesLeft = new byte[FrozenArray.UNIT_BYTES];
                private Object left;
                private int leftCount;

                @Override
                public void unit(Object array, int offset, int length) {
                    int room = PIECE_HEAD_BYTES + PIECE_BYTES - position;
                    buffer.position(position);
                    int fits;
                    if (array instanceof long[] longs) {
                        fits = Math.min(length, room / Long.BYTES);
                        buffer.asLongBuffer().put(longs, offset, fits);
                        position += fits * Long.BYTES;
                        System.arraycopy(longs, offset + fits, longsLeft, 0, length - fits);
                        left = longsLeft;
                    } else if (array instanceof int[] ints) {
                        fits = Math.min(length, room / Integer.BYTES);
                        buffer.asIntBuffer().put(ints, offset, fits);
                        position += fits * Integer.BYTES;
                        System.arraycopy(ints, offset + fits, intsLeft, 0, length - fits);
                        left = intsLeft;
                    } else {
                        byte[] bytes = (byte[]) array;
                        fits = Math.min(length, room);
                        buffer.put(position, bytes, offset, fits);
                        position += fits;
                        System.arraycopy(bytes, offset + fits, bytesLeft, 0, length - fits);
                        left = bytesLeft;
                    }
                    leftCount = length - fits;
                }

                @Override
                public void afterUnit() {
                    if (leftCount == 0) {
                        return;
                    }
                    int count = leftCount;
                    leftCount = 0;
                    if (left instanceof long[] longs) {
                        longs(longs, 0, count);
                    } else if (left instanceof int[] ints) {
                        ints(ints, 0, count);
                    } else {
                        bytes((byte[]) left, 0, count);
                    }
                }
            };
        }

        /** Bytes left in this piece, at least {@code needed}: writes the piece first if fewer are. */
        private int room(int needed) {
            int left = PIECE_HEAD_BYTES + PIECE_BYTES - position;
            if (left < needed) {
                writePiece();
                left = PIECE_BYTES;
            }
            return left;
        }

        private void writePiece() {
            int length = position - PIECE_HEAD_BYTES;
            crc.reset();
            crc.update(buffer.limit(position).position(PIECE_HEAD_BYTES));
            buffer.putInt(0, length).putInt(Integer.BYTES, (int) crc.getValue());
            write(buffer.limit(position).position(0));
            buffer.clear();
            pieces++;
            bytes += length;
            position = PIECE_HEAD_BYTES;
            pause.run();
        }

        private void write(ByteBuffer from) {
            out.write(from);
        }

        /** The stream's bytes put so far (tests, logs). */
        long bytesWritten() {
            return bytes + position - PIECE_HEAD_BYTES;
        }

        /** Writes the last piece and the end, and closes the file (not synced: the snapshot syncs its files). */
        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (position > PIECE_HEAD_BYTES) {
                    writePiece();
                }
                ByteBuffer end = ByteBuffer.allocate(Integer.BYTES + Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                end.putInt(0).putLong(pieces).flip();
                write(end);
            } finally {
                out.close();
            }
        }
    }

    /** Reads the stream back in the order it was written. One thread uses it. */
    static final class In implements IdIndex.SlotsIn, AutoCloseable {
        private final FileChannel channel;
        private final Path file;
        private final Runnable pause;
        private final ByteBuffer buffer =
                ByteBuffer.allocateDirect(PIECE_HEAD_BYTES + PIECE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        private final CRC32C crc = new CRC32C();
        private long pieces;
        private int position;
        private int limit;

        private In(FileChannel channel, Path file, Runnable pause) {
            this.channel = channel;
            this.file = file;
            this.pause = pause;
        }

        private void readHeader() {
            ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            readFully(header, "its header");
            long magic = header.getLong(0);
            int version = header.getInt(Long.BYTES);
            if (magic != MAGIC || version != VERSION) {
                throw damaged("is not a state image of version " + VERSION + " (magic " + Long.toHexString(magic)
                        + ", version " + version + ")");
            }
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
                buffer.get(position, into, offset + done, count);
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
                throw damaged("piece " + (pieces - 1) + " ends inside a value");
            }
            return left;
        }

        private void readPiece() {
            buffer.clear().limit(PIECE_HEAD_BYTES);
            readFully(buffer, "piece " + pieces);
            int length = buffer.getInt(0);
            int checksum = buffer.getInt(Integer.BYTES);
            if (length == 0) {
                throw damaged("ends after " + pieces + " pieces, inside its tables");
            }
            if (length < 0 || length > PIECE_BYTES) {
                throw damaged("piece " + pieces + " says " + length + " bytes, not 1.." + PIECE_BYTES);
            }
            buffer.limit(PIECE_HEAD_BYTES + length);
            readFully(buffer, "piece " + pieces);
            crc.reset();
            crc.update(buffer.position(PIECE_HEAD_BYTES));
            if ((int) crc.getValue() != checksum) {
                throw damaged("piece " + pieces + " does not match its checksum");
            }
            pieces++;
            position = PIECE_HEAD_BYTES;
            limit = PIECE_HEAD_BYTES + length;
            pause.run();
        }

        private void readFully(ByteBuffer into, String what) {
            try {
                while (into.hasRemaining()) {
                    if (channel.read(into) < 0) {
                        throw damaged("is cut short in " + what);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        }

        /** Refuses a stream with anything after what was read, or without its end. */
        void requireEnd() {
            if (position != limit) {
                throw damaged("holds more than its tables in piece " + (pieces - 1));
            }
            ByteBuffer end = ByteBuffer.allocate(Integer.BYTES + Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            readFully(end, "its end");
            if (end.getInt(0) != 0) {
                throw damaged("holds more than its tables after piece " + (pieces - 1));
            }
            if (end.getLong(Integer.BYTES) != pieces) {
                throw damaged("ends after " + pieces + " pieces but says " + end.getLong(Integer.BYTES));
            }
            try {
                if (channel.position() != channel.size()) {
                    throw damaged("holds " + (channel.size() - channel.position()) + " bytes after its end");
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file, e);
            }
        }

        IllegalStateException damaged(String what) {
            return new IllegalStateException("snapshot image " + file + " " + what);
        }

        @Override
        public void close() {
            try {
                channel.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot close " + file, e);
            }
        }
    }
}
