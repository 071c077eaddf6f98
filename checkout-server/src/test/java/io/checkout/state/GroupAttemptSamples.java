package io.checkout.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.engine.CheckoutBook;
import io.checkout.engine.CheckoutState;
import io.checkout.engine.Command;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.ResultCode;
import io.checkout.engine.SkuGroupTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * SKU groups with attempt limits as the engine makes them, for the tests of what keeps a state
 * (snapshots, their codecs): limited groups counting users mid-window, a group without a limit, one
 * whose limit was taken off after it counted; and the checks that a state read back holds the same
 * limits and counts, and answers the next reserves as the state it was read from.
 */
public final class GroupAttemptSamples {
    public static final long NOW = 1_700_000_000_000L;
    /** The users the limited groups count after {@link #run}, all groups together. */
    public static final int COUNTED_ROWS = 4;

    private GroupAttemptSamples() {}

    /**
     * The sample, in order: four groups and five SKUs, then reserves that the limits count.
     *
     * <ul>
     *   <li>{@code drop-1} (number 0): SKU-A and SKU-B, 2 attempts a minute. Alice reserves SKU-A,
     *       then SKU-A and SKU-B at once (one attempt), then SKU-B and is refused RATE_LIMITED (not
     *       counted); bob once with SKU-C; carol once, past the group's 10 units (an answer of its own: counted).
     *   <li>{@code drop-2} (1): SKU-C, 3 attempts a second: bob twice.
     *   <li>{@code plain} (2): SKU-D, no attempt limit.
     *   <li>{@code was-limited} (3): SKU-F, a limit taken off after it counted alice.
     * </ul>
     *
     * SKU-E is in no group: erin's reserve of it is counted by none.
     */
    public static List<Command> commands() {
        List<Command> commands = new ArrayList<>();
        commands.add(limited(Command.upsertSkuGroup(NOW, "g-1", "drop-1", 10), 2, 60_000));
        commands.add(limited(Command.upsertSkuGroup(NOW, "g-2", "drop-2", 10), 3, 1_000));
        commands.add(Command.upsertSkuGroup(NOW, "g-3", "plain", 10));
        commands.add(limited(Command.upsertSkuGroup(NOW, "g-4", "was-limited", 10), 1, 60_000));
        commands.add(inGroup(Command.upsertSku(NOW, "s-1", "SKU-A", 1_000, "EUR", 100, 0, 0, 0, 60_000), "drop-1"));
        commands.add(inGroup(Command.upsertSku(NOW, "s-2", "SKU-B", 1_000, "EUR", 100, 0, 0, 0, 60_000), "drop-1"));
        commands.add(inGroup(Command.upsertSku(NOW, "s-3", "SKU-C", 1_000, "EUR", 100, 0, 0, 0, 60_000), "drop-2"));
        commands.add(inGroup(Command.upsertSku(NOW, "s-4", "SKU-D", 1_000, "EUR", 100, 0, 0, 0, 60_000), "plain"));
        commands.add(Command.upsertSku(NOW, "s-5", "SKU-E", 1_000, "EUR", 100, 0, 0, 0, 60_000));
        commands.add(
                inGroup(Command.upsertSku(NOW, "s-6", "SKU-F", 1_000, "EUR", 100, 0, 0, 0, 60_000), "was-limited"));
        commands.add(Command.reserve(NOW, "r-0", "alice", "SKU-F", 1));
        commands.add(Command.reserve(NOW, "r-1", "alice", "SKU-A", 1));
        Command both = Command.reserve(NOW, "r-2", "alice", "SKU-A", 1);
        both.addLine("SKU-B", 1);
        commands.add(both);
        commands.add(Command.reserve(NOW, "r-3", "alice", "SKU-B", 1));
        commands.add(Command.reserve(NOW, "r-4", "bob", "SKU-C", 1));
        Command two = Command.reserve(NOW, "r-5", "bob", "SKU-A", 1);
        two.addLine("SKU-C", 1);
        commands.add(two);
        commands.add(Command.reserve(NOW, "r-6", "carol", "SKU-A", 11));
        commands.add(Command.reserve(NOW, "r-7", "dave", "SKU-D", 1));
        commands.add(Command.reserve(NOW, "r-8", "erin", "SKU-E", 1));
        commands.add(Command.upsertSkuGroup(NOW, "g-5", "was-limited", 10));
        return commands;
    }

    /** Applies {@link #commands} to an empty {@code state} and checks every answer and the counts. */
    public static CheckoutBook run(CheckoutState state) {
        CheckoutBook book = new CheckoutBook(state, EngineLimits.defaults());
        for (Command command : commands()) {
            book.execute(command);
            ResultCode expected = switch (command.requestId.asString()) {
                case "r-3" -> ResultCode.RATE_LIMITED;
                case "r-6" -> ResultCode.GROUP_LIMIT_EXCEEDED;
                default -> ResultCode.SUCCESS;
            };
            assertThat(command.result())
                    .as("%s %s", command.type(), command.requestId)
                    .isEqualTo(expected);
        }
        SkuGroupTable groups = state.skuGroups();
        assertThat(counts(groups, 0))
                .containsExactly(Map.entry("alice", 2), Map.entry("bob", 1), Map.entry("carol", 1));
        assertThat(counts(groups, 1)).containsExactly(Map.entry("bob", 2));
        assertThat(groups.attemptRows()).isEqualTo(COUNTED_ROWS);
        return book;
    }

    /**
     * Checks that {@code actual} (a state read back) holds {@code expected}'s groups with the same
     * attempt limits, windows and counts.
     */
    public static void assertSameGroupAttempts(CheckoutState expected, CheckoutState actual) {
        SkuGroupTable want = expected.skuGroups();
        SkuGroupTable got = actual.skuGroups();
        assertThat(got.size()).isEqualTo(want.size());
        for (int number = 0; number < want.size(); number++) {
            String group = want.groupId(number);
            assertThat(got.groupId(number)).isEqualTo(group);
            assertThat(got.maxAttempts(number)).as("%s max attempts", group).isEqualTo(want.maxAttempts(number));
            assertThat(got.attemptWindowMillis(number))
                    .as("%s window", group)
                    .isEqualTo(want.attemptWindowMillis(number));
            assertThat(got.countedCount(number)).as("%s users counted", group).isEqualTo(want.countedCount(number));
            if (want.countedCount(number) > 0) {
                assertThat(got.countedWindow(number))
                        .as("%s counted window", group)
                        .isEqualTo(want.countedWindow(number));
            }
            assertThat(counts(got, number)).as("%s counts", group).isEqualTo(counts(want, number));
        }
        assertThat(got.attemptRows()).isEqualTo(want.attemptRows());
    }

    /**
     * Sends the same reserves, a little later in the same windows, to both books and checks they
     * answer alike and as the counts say: alice is past drop-1's limit, bob has one attempt left
     * there, bob's third attempt in drop-2 is his last this second, and the next second counts afresh.
     */
    public static void assertSameAnswersNext(CheckoutBook expected, CheckoutBook actual) {
        List<ResultCode> wanted = new ArrayList<>();
        List<ResultCode> got = new ArrayList<>();
        for (CheckoutBook book : List.of(expected, actual)) {
            List<ResultCode> answers = book == expected ? wanted : got;
            for (Command command : next()) {
                book.execute(command);
                answers.add(command.result());
            }
        }
        assertThat(got).isEqualTo(wanted);
        assertThat(wanted)
                .containsExactly(
                        ResultCode.RATE_LIMITED,
                        ResultCode.SUCCESS,
                        ResultCode.RATE_LIMITED,
                        ResultCode.SUCCESS,
                        ResultCode.SUCCESS,
                        ResultCode.RATE_LIMITED,
                        ResultCode.SUCCESS);
    }

    private static List<Command> next() {
        long later = NOW + 500;
        List<Command> next = new ArrayList<>();
        next.add(Command.reserve(later, "n-1", "alice", "SKU-B", 1));
        next.add(Command.reserve(later, "n-2", "bob", "SKU-B", 1));
        next.add(Command.reserve(later, "n-3", "bob", "SKU-A", 1));
        next.add(Command.reserve(later, "n-4", "carol", "SKU-B", 1));
        // drop-2: bob's third of three, a fourth refused, then in the next second his first.
        next.add(Command.reserve(later, "n-5", "bob", "SKU-C", 1));
        next.add(Command.reserve(later, "n-6", "bob", "SKU-C", 1));
        next.add(Command.reserve(NOW + 1_000, "n-7", "bob", "SKU-C", 1));
        return next;
    }

    /** Group {@code number}'s counts, by user. */
    public static TreeMap<String, Integer> counts(SkuGroupTable groups, int number) {
        TreeMap<String, Integer> counts = new TreeMap<>();
        for (int row = 0; row < groups.countedCount(number); row++) {
            counts.put(groups.countedUser(number, row), groups.countedAttempts(number, row));
        }
        return counts;
    }

    private static Command limited(Command upsert, int maxAttempts, long windowMillis) {
        upsert.attemptLimit(maxAttempts, windowMillis);
        return upsert;
    }

    private static Command inGroup(Command upsertSku, String groupId) {
        upsertSku.groupId().set(groupId);
        return upsertSku;
    }
}
