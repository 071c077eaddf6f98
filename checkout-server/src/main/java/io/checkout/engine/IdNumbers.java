package io.checkout.engine;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Ids numbered densely in the order they are first added, never removed, found by an
 * {@link IdIndex} that compares a wanted id with each id kept as bytes: how the merchant and SKU
 * group tables name their rows. Ids are checked by the caller. One thread uses a table.
 */
final class IdNumbers {
    private static final int INITIAL = 16;

    private final List<String> ids = new ArrayList<>();
    /** Each id as ASCII bytes, by number: what the index compares a wanted id with. */
    private byte[][] idBytes = new byte[INITIAL][];

    private final IdIndex index =
            new IdIndex(INITIAL, (number, id) -> id.contentEquals(idBytes[number], 0, idBytes[number].length));

    int size() {
        return ids.size();
    }

    /** The id's number, or -1 if it was never added. */
    int numberOf(IdBuffer id) {
        int number = index.get(id);
        return number == IdIndex.NONE ? -1 : number;
    }

    String id(int number) {
        return ids.get(number);
    }

    /**
     * Numbers {@code id}, which the caller knows is absent and valid; {@code buffer} holds the same
     * id, for the index.
     *
     * @return its number, {@code size()} before the call
     */
    int add(String id, IdBuffer buffer) {
        int number = ids.size();
        if (number == idBytes.length) {
            idBytes = Arrays.copyOf(idBytes, number * 2);
        }
        idBytes[number] = id.getBytes(StandardCharsets.US_ASCII);
        ids.add(id);
        index.add(buffer, number);
        return number;
    }
}
