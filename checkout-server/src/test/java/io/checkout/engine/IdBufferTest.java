package io.checkout.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class IdBufferTest {
    @Test
    void shouldKeepAnAsciiIdWithTheHashOfItsString() {
        IdBuffer id = IdBuffer.of("order-42:A_b.c~!");
        assertThat(id.asString()).isEqualTo("order-42:A_b.c~!");
        assertThat(id.length()).isEqualTo(16);
        assertThat(id.hash()).isEqualTo("order-42:A_b.c~!".hashCode());
        assertThat(id.isPrintable(64)).isTrue();
        assertThat(id.isSkuId(64)).isFalse();
        assertThat(IdBuffer.of("SKU-1:a.b_c").isSkuId(64)).isTrue();
    }

    @Test
    void absentShouldDifferFromEmptyAndBothShouldBeInvalid() {
        IdBuffer absent = new IdBuffer();
        IdBuffer empty = IdBuffer.of("");
        assertThat(absent.isAbsent()).isTrue();
        assertThat(absent.asString()).isNull();
        assertThat(empty.isAbsent()).isFalse();
        assertThat(empty.asString()).isEmpty();
        assertThat(absent.contentEquals(empty)).isFalse();
        assertThat(absent.contentEquals((String) null)).isTrue();
        assertThat(empty.contentEquals("")).isTrue();
        for (IdBuffer id : new IdBuffer[] {absent, empty}) {
            assertThat(id.isPrintable(64)).isFalse();
            assertThat(id.isSkuId(64)).isFalse();
        }
        assertThat(IdBuffer.of(null).isAbsent()).isTrue();
    }

    @Test
    void anIdThatWasInvalidShouldStayInvalidForTheSameReason() {
        IdBuffer overlong = IdBuffer.of("x".repeat(500));
        assertThat(overlong.length()).isEqualTo(IdBuffer.CAPACITY);
        assertThat(overlong.isPrintable(EngineLimits.ID_LENGTH_MAX)).isFalse();
        assertThat(overlong.isSkuId(EngineLimits.ID_LENGTH_MAX)).isFalse();
        assertThat(IdBuffer.of("x".repeat(EngineLimits.ID_LENGTH_MAX)).isPrintable(EngineLimits.ID_LENGTH_MAX))
                .isTrue();

        IdBuffer accented = IdBuffer.of("caf\u00e9");
        assertThat(accented.byteAt(3)).isEqualTo(IdBuffer.NOT_ASCII);
        assertThat(accented.isPrintable(64)).isFalse();
        assertThat(accented.isSkuId(64)).isFalse();

        byte[] utf8 = "caf\u00e9".getBytes(StandardCharsets.UTF_8);
        IdBuffer fromUtf8 = new IdBuffer().set(utf8, 0, utf8.length);
        assertThat(fromUtf8.asString()).isEqualTo("caf\u007f\u007f");
        assertThat(fromUtf8.isPrintable(64)).isFalse();

        assertThat(IdBuffer.of("has space").isPrintable(64)).isFalse();
        assertThat(IdBuffer.of("sku#1").isSkuId(64)).isFalse();
    }

    @Test
    void holdsExactlyShouldTellWhetherTheTextReadsBackUnchanged() {
        for (String id : new String[] {"", "r-1", "~".repeat(IdBuffer.CAPACITY), "has space", "\u007f"}) {
            assertThat(IdBuffer.holdsExactly(id)).as(id).isTrue();
            assertThat(IdBuffer.of(id).asString()).isEqualTo(id);
        }
        for (String id : new String[] {"~".repeat(IdBuffer.CAPACITY + 1), "caf\u00e9", "\u0100"}) {
            assertThat(IdBuffer.holdsExactly(id)).as(id).isFalse();
            assertThat(IdBuffer.of(id).asString()).isNotEqualTo(id);
        }
    }

    @Test
    void readingFromABufferShouldConsumeEveryByteEvenWhenItKeepsFewer() {
        for (ByteBuffer source : new ByteBuffer[] {ByteBuffer.allocate(200), ByteBuffer.allocateDirect(200)}) {
            source.put("y".repeat(100).getBytes(StandardCharsets.US_ASCII))
                    .put((byte) 'z')
                    .flip();
            IdBuffer id = new IdBuffer().set(source, 100);
            assertThat(id.length()).as(source.toString()).isEqualTo(IdBuffer.CAPACITY);
            assertThat(id.contentEquals("y".repeat(IdBuffer.CAPACITY))).isTrue();
            assertThat(source.get()).isEqualTo((byte) 'z');
        }
    }

    @Test
    void readingFromABufferShouldGiveTheSameIdFromHeapDirectAndSlicedBuffers() {
        byte[] text = "--req-\u00e9-42".getBytes(StandardCharsets.UTF_8);
        ByteBuffer heap = ByteBuffer.wrap(text);
        ByteBuffer direct = ByteBuffer.allocateDirect(text.length).put(text).flip();
        ByteBuffer sliced = ByteBuffer.wrap(text).position(2).slice();
        IdBuffer fromHeap = new IdBuffer().set(heap.position(2), text.length - 2);
        IdBuffer fromDirect = new IdBuffer().set(direct.position(2), text.length - 2);
        IdBuffer fromSlice = new IdBuffer().set(sliced, text.length - 2);
        IdBuffer fromArray = new IdBuffer().set(text, 2, text.length - 2);
        for (IdBuffer id : new IdBuffer[] {fromHeap, fromDirect, fromSlice}) {
            assertThat(id.contentEquals(fromArray)).isTrue();
            assertThat(id.hash()).isEqualTo(fromArray.hash());
        }
        assertThat(heap.remaining()).isZero();
        assertThat(direct.remaining()).isZero();
        assertThat(sliced.remaining()).isZero();
    }

    @Test
    void readingMoreThanABufferHoldsShouldFailAndConsumeNothing() {
        for (ByteBuffer source : new ByteBuffer[] {ByteBuffer.allocate(4), ByteBuffer.allocateDirect(4)}) {
            IdBuffer id = IdBuffer.of("kept");
            assertThatThrownBy(() -> id.set(source, 5)).isInstanceOf(java.nio.BufferUnderflowException.class);
            assertThat(source.position()).isZero();
            assertThat(id.contentEquals("kept")).isTrue();
        }
    }

    @Test
    void copiesAndComparisonsShouldFollowTheContent() {
        IdBuffer a = IdBuffer.of("user-1");
        IdBuffer b = new IdBuffer().copyFrom(a);
        assertThat(b.contentEquals(a)).isTrue();
        assertThat(b.hash()).isEqualTo(a.hash());
        b.set("user-2");
        assertThat(b.contentEquals(a)).isFalse();
        assertThat(a.contentEquals("user-1")).isTrue();
        assertThat(a.contentEquals("user-10")).isFalse();

        byte[] stored = new byte[10];
        a.copyTo(stored, 2);
        assertThat(a.contentEquals(stored, 2, 6)).isTrue();
        assertThat(a.contentEquals(stored, 2, 5)).isFalse();
        b.clear();
        assertThat(b.isAbsent()).isTrue();
        assertThat(b.hash()).isZero();
    }

    @Test
    void aCommandShouldHoldEveryLineAndForgetThemWhenCleared() {
        Command command = new Command();
        for (int round = 0; round < 3; round++) {
            command.clear();
            for (int i = 0; i < EngineLimits.LINES_PER_ORDER_MAX; i++) {
                IdBuffer line = command.addLine(i + 1);
                assertThat(line.isAbsent()).as("a reused line starts absent").isTrue();
                line.set("SKU-" + round + "-" + i);
            }
            for (int i = 0; i < EngineLimits.LINES_PER_ORDER_MAX; i++) {
                assertThat(command.lineSkuId(i).asString()).isEqualTo("SKU-" + round + "-" + i);
                assertThat(command.lineQuantities[i]).isEqualTo(i + 1);
            }
        }
        command.clear();
        assertThat(command.lineCount).isZero();
        command.addLine("A", 1);
        assertThat(command.lineSkuId(0).asString()).isEqualTo("A");
    }
}
