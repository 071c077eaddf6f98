package io.checkout.engine;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A request, user or SKU id as bytes, with its hash computed once as it is written: the engine's
 * form of an id. Mutable and reused: every ring slot owns its buffers, so a command carries its ids
 * without a {@code String} per id and without a reference to a young object in an old slot.
 *
 * <p>An id the engine accepts is 1..{@link EngineLimits#ID_LENGTH_MAX} printable ASCII bytes, so
 * the buffer keeps {@link #CAPACITY} bytes (one more than that). What does not fit is cut and what
 * is not ASCII becomes {@link #NOT_ASCII}: either way an id that was invalid stays invalid for the
 * same reason, and the answer to it does not change (the journal relies on that). The hash is
 * {@code String.hashCode()} of the same text, so tables keyed by it match ids stored before.
 * Absent (no id at all) is distinct from empty. One thread writes a buffer at a time.
 */
public final class IdBuffer {
    /** Bytes kept: one more than the longest id accepted, so that a longer id is kept too long. */
    public static final int CAPACITY = EngineLimits.ID_LENGTH_MAX + 1;
    /** What a character outside ASCII becomes: DEL, which no id may contain. */
    public static final byte NOT_ASCII = 0x7F;

    private static final int ABSENT = -1;

    private final byte[] bytes = new byte[CAPACITY];
    private int length = ABSENT;
    private int hash;

    public IdBuffer() {}

    /**
     * Whether {@code id} fits a buffer unchanged (at most {@link #CAPACITY} characters, all ASCII),
     * so that the text read back from the buffer is {@code id} itself.
     */
    public static boolean holdsExactly(String id) {
        if (id.length() > CAPACITY) {
            return false;
        }
        for (int i = 0; i < id.length(); i++) {
            if (id.charAt(i) > 0x7F) {
                return false;
            }
        }
        return true;
    }

    /** A buffer holding {@code id} (null: absent); for tests and cold paths. */
    public static IdBuffer of(String id) {
        return new IdBuffer().set(id);
    }

    /** Makes the buffer absent. */
    public void clear() {
        length = ABSENT;
        hash = 0;
    }

    /** Holds {@code id}'s characters (null: absent); see the class comment for what does not fit. */
    public IdBuffer set(String id) {
        if (id == null) {
            clear();
            return this;
        }
        int count = Math.min(id.length(), CAPACITY);
        int h = 0;
        for (int i = 0; i < count; i++) {
            char ch = id.charAt(i);
            byte b = ch > 0x7F ? NOT_ASCII : (byte) ch;
            bytes[i] = b;
            h = 31 * h + b;
        }
        length = count;
        hash = h;
        return this;
    }

    /** Holds {@code count} bytes of {@code source} from {@code offset} (UTF-8 or ASCII text). */
    public IdBuffer set(byte[] source, int offset, int count) {
        int kept = Math.min(count, CAPACITY);
        int h = 0;
        for (int i = 0; i < kept; i++) {
            byte b = source[offset + i];
            b = b < 0 ? NOT_ASCII : b;
            bytes[i] = b;
            h = 31 * h + b;
        }
        length = kept;
        hash = h;
        return this;
    }

    /** Holds the next {@code count} bytes of {@code source}, which it reads past all of them. */
    public IdBuffer set(ByteBuffer source, int count) {
        if (count > source.remaining()) {
            throw new java.nio.BufferUnderflowException();
        }
        if (source.hasArray()) {
            int position = source.position();
            set(source.array(), source.arrayOffset() + position, count);
            source.position(position + count);
            return this;
        }
        int kept = Math.min(count, CAPACITY);
        int h = 0;
        for (int i = 0; i < kept; i++) {
            byte b = source.get();
            b = b < 0 ? NOT_ASCII : b;
            bytes[i] = b;
            h = 31 * h + b;
        }
        source.position(source.position() + count - kept);
        length = kept;
        hash = h;
        return this;
    }

    /** Holds what {@code other} holds. */
    public IdBuffer copyFrom(IdBuffer other) {
        if (other.length > 0) {
            System.arraycopy(other.bytes, 0, bytes, 0, other.length);
        }
        length = other.length;
        hash = other.hash;
        return this;
    }

    public boolean isAbsent() {
        return length == ABSENT;
    }

    /** The length in bytes; 0 when absent or empty. */
    public int length() {
        return Math.max(0, length);
    }

    public byte byteAt(int index) {
        if (index < 0 || index >= length) {
            throw new IndexOutOfBoundsException(index + " of " + length);
        }
        return bytes[index];
    }

    /** {@code String.hashCode()} of the id's text; 0 when absent. */
    public int hash() {
        return hash;
    }

    /** Whether both hold the same id (or both are absent). */
    public boolean contentEquals(IdBuffer other) {
        return length == other.length
                && hash == other.hash
                && (length <= 0 || Arrays.equals(bytes, 0, length, other.bytes, 0, length));
    }

    /** Whether this holds exactly {@code text} (false for absent unless {@code text} is null). */
    public boolean contentEquals(String text) {
        if (text == null || length == ABSENT) {
            return text == null && length == ABSENT;
        }
        if (text.length() != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (bytes[i] != text.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Whether this holds the {@code count} bytes of {@code array} from {@code offset}. */
    public boolean contentEquals(byte[] array, int offset, int count) {
        return length == count && Arrays.equals(bytes, 0, count, array, offset, offset + count);
    }

    /** Copies the id's bytes into {@code into} at {@code offset}; the caller has room for {@link #length()}. */
    public void copyTo(byte[] into, int offset) {
        System.arraycopy(bytes, 0, into, offset, length());
    }

    /** Writes the id's bytes into {@code into} from its position. */
    public void copyTo(ByteBuffer into) {
        into.put(bytes, 0, length());
    }

    /**
     * 1..{@code lengthMax} printable ASCII bytes, no spaces: what request and user ids must be.
     */
    public boolean isPrintable(int lengthMax) {
        if (length <= 0 || length > lengthMax) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            byte b = bytes[i];
            if (b < 0x21 || b > 0x7E) {
                return false;
            }
        }
        return true;
    }

    /** 1..{@code lengthMax} bytes from {@code [A-Za-z0-9._:-]}: what SKU ids must be. */
    public boolean isSkuId(int lengthMax) {
        if (length <= 0 || length > lengthMax) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            byte b = bytes[i];
            boolean allowed = (b >= 'a' && b <= 'z')
                    || (b >= 'A' && b <= 'Z')
                    || (b >= '0' && b <= '9')
                    || b == '.'
                    || b == '_'
                    || b == ':'
                    || b == '-';
            if (!allowed) {
                return false;
            }
        }
        return true;
    }

    /**
     * Reads the buffer and the first and last byte of its id: the cache lines a command's use of
     * it will read, for {@link Command#touchLines()}.
     */
    int touchLines() {
        return length ^ bytes[0] ^ bytes[Math.max(0, length - 1)];
    }

    /** The id as a new {@code String}, or null when absent: for replies and cold paths. */
    public String asString() {
        return length == ABSENT ? null : new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
    }

    /** The id's text, or {@code "<absent>"}. */
    @Override
    public String toString() {
        return length == ABSENT ? "<absent>" : asString();
    }
}
