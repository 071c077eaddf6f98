package io.checkout.state;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.hash.serialization.SizedReader;
import net.openhft.chronicle.hash.serialization.SizedWriter;
import net.openhft.chronicle.hash.serialization.impl.EnumMarshallable;

/**
 * A mutable long, used as a Chronicle Map key (order ids, SKU indexes) and value (per-user units)
 * so that lookups reuse one instance instead of boxing a {@code Long} per call.
 */
final class LongCell {
    long value;

    LongCell() {}

    LongCell(long value) {
        this.value = value;
    }

    LongCell set(long newValue) {
        value = newValue;
        return this;
    }

    /** Fixed 8-byte encoding. A singleton class, not an enum: Chronicle Map stores marshallers in its header and refuses enums. */
    static final class Marshaller
            implements SizedReader<LongCell>, SizedWriter<LongCell>, EnumMarshallable<Marshaller> {
        static final Marshaller INSTANCE = new Marshaller();

        private Marshaller() {}

        @Override
        public LongCell read(Bytes<?> in, long size, LongCell using) {
            LongCell cell = using == null ? new LongCell() : using;
            cell.value = in.readLong();
            return cell;
        }

        @Override
        public long size(LongCell toWrite) {
            return Long.BYTES;
        }

        @Override
        public void write(Bytes<?> out, long size, LongCell toWrite) {
            out.writeLong(toWrite.value);
        }

        @Override
        public Marshaller readResolve() {
            return INSTANCE;
        }
    }
}
