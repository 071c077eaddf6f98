package io.checkout.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.checkout.engine.CampaignKind;
import io.checkout.engine.CampaignTable;
import io.checkout.engine.CampaignTerms;
import io.checkout.engine.CheckoutBook;
import io.checkout.engine.CheckoutState;
import io.checkout.engine.Command;
import io.checkout.engine.CommandType;
import io.checkout.engine.CurrencyCode;
import io.checkout.engine.EngineLimits;
import io.checkout.engine.IdBuffer;
import io.checkout.engine.OrderRecord;
import io.checkout.engine.OrderState;
import io.checkout.engine.ResultCode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Campaigns as the engine makes them, for the tests of what keeps a state (snapshots, their codecs):
 * a state holding campaigns of every kind, one redefined after orders took it, and orders with a
 * campaign in every state that holds a redemption or gives it back; and the checks that a state
 * read back holds the same campaigns, orders and recounted redemptions.
 */
public final class CampaignSamples {
    public static final long NOW = 1_700_000_000_000L;
    /** Every user of {@link #commands}. */
    public static final List<String> USERS = List.of("alice", "bob", "carol", "dave", "erin", "fay");
    /** The request id of the command that redefines TEN-OFF, half way through {@link #commands}. */
    public static final String REDEFINED = "c-5";

    private CampaignSamples() {}

    /** An UPSERT_CAMPAIGN whose terms {@code fill} sets, on top of none. */
    public static Command upsertCampaign(long now, String requestId, Consumer<CampaignTerms> fill) {
        CampaignTerms terms = new CampaignTerms();
        fill.accept(terms);
        return Command.upsertCampaign(now, requestId, terms);
    }

    /** A GET_CAMPAIGN of {@code campaignId}. */
    public static Command getCampaign(String campaignId) {
        return Command.getCampaign(campaignId);
    }

    /** Terms of {@code kind} in EUR for every SKU, with a budget and a per-user limit of 10. */
    public static CampaignTerms terms(CampaignTerms into, String campaignId, CampaignKind kind) {
        into.campaignId = campaignId;
        into.kind = kind;
        into.currency = CurrencyCode.pack("EUR");
        into.budget = 10;
        into.perUserLimit = 10;
        return into;
    }

    /** A reserve of one line that names {@code campaignId}. */
    public static Command reserve(
            long now, String requestId, String userId, String campaignId, String skuId, int quantity) {
        Command command = Command.reserve(now, requestId, userId, skuId, quantity);
        command.campaignId.set(campaignId);
        return command;
    }

    /**
     * The sample, in order: two merchants, five SKUs (one in USD, one with a TTL of a second), four
     * campaigns (one of each kind in EUR, one in USD), seven orders, and a TICK that expires one.
     *
     * <ul>
     *   <li>{@code TEN-OFF} (number 0): 300 off SKU-B and SKU-A, budget 5, 2 a user; redefined after
     *       the fourth order (request id {@value #REDEFINED}) as 350 off with a budget of 6.
     *   <li>{@code ACME-15} (1): 15% off acme's SKUs, at most 20.00, in a window, 1 a user.
     *   <li>{@code SPEND-50} (2): 7.50 off a spend of 50.00 on any SKU, the largest budget and limit.
     *   <li>{@code USD-5} (3): 5.00 off in USD, never redeemed.
     * </ul>
     *
     * Orders: 1 alice TEN-OFF on one of two lines (reserved), 2 bob TEN-OFF on both lines (paid,
     * then one line refunded), 3 carol ACME-15 (cancelled: given back), 4 dave SPEND-50 (paid and
     * refunded: kept), 5 alice TEN-OFF at its new terms (reserved), 6 erin no campaign (reserved),
     * 7 fay SPEND-50 (expired: given back).
     */
    public static List<Command> commands() {
        List<Command> commands = new ArrayList<>();
        commands.add(Command.upsertMerchant(NOW, "m-1", "acme", 1_000));
        commands.add(Command.upsertMerchant(NOW, "m-2", "bolt", 500));
        commands.add(Command.upsertSku(NOW, "s-1", "SKU-A", 1_000, "EUR", 100, 0, 0, 0, 60_000, "acme", "store-1"));
        commands.add(Command.upsertSku(NOW, "s-2", "SKU-B", 2_500, "EUR", 100, 0, 0, 0, 60_000, "bolt", null));
        commands.add(Command.upsertSku(NOW, "s-3", "SKU-C", 400, "EUR", 100, 0, 0, 0, 60_000));
        commands.add(Command.upsertSku(NOW, "s-4", "SKU-D", 100, "EUR", 100, 0, 0, 0, 1_000));
        commands.add(Command.upsertSku(NOW, "s-5", "SKU-U", 700, "USD", 100, 0, 0, 0, 60_000));
        commands.add(upsertCampaign(NOW, "c-1", t -> {
            terms(t, "TEN-OFF", CampaignKind.AMOUNT_OFF).amountOffMinor = 300;
            t.skuIds.addAll(List.of("SKU-B", "SKU-A"));
            t.budget = 5;
            t.perUserLimit = 2;
        }));
        commands.add(upsertCampaign(NOW, "c-2", t -> {
            terms(t, "ACME-15", CampaignKind.PERCENT_OFF).percentOffBps = 1_500;
            t.percentCapMinor = 2_000;
            t.merchantId = "acme";
            t.startsAtEpochMillis = NOW - 1_000;
            t.endsAtEpochMillis = NOW + 864_000_000L;
            t.budget = 100;
            t.perUserLimit = 1;
        }));
        commands.add(upsertCampaign(NOW, "c-3", t -> {
            terms(t, "SPEND-50", CampaignKind.SPEND_AND_SAVE).amountOffMinor = 750;
            t.minSpendMinor = 5_000;
            t.budget = CampaignTerms.BUDGET_MAX;
            t.perUserLimit = CampaignTerms.PER_USER_LIMIT_MAX;
        }));
        commands.add(upsertCampaign(NOW, "c-4", t -> {
            terms(t, "USD-5", CampaignKind.AMOUNT_OFF).amountOffMinor = 500;
            t.currency = CurrencyCode.pack("USD");
        }));

        Command first = reserve(NOW, "r-1", "alice", "TEN-OFF", "SKU-A", 2);
        first.addLine("SKU-C", 1);
        commands.add(first);
        Command second = reserve(NOW, "r-2", "bob", "TEN-OFF", "SKU-A", 1);
        second.addLine("SKU-B", 1);
        commands.add(second);
        commands.add(Command.orderCommand(CommandType.CONFIRM, NOW, "p-2", 2));
        Command partRefund = Command.orderCommand(CommandType.REFUND, NOW, "f-2", 2);
        partRefund.addLine("SKU-A", 1);
        commands.add(partRefund);
        commands.add(reserve(NOW, "r-3", "carol", "ACME-15", "SKU-A", 3));
        commands.add(Command.orderCommand(CommandType.CANCEL, NOW, "x-3", 3));
        Command fourth = reserve(NOW, "r-4", "dave", "SPEND-50", "SKU-B", 2);
        fourth.addLine("SKU-C", 10);
        commands.add(fourth);
        commands.add(Command.orderCommand(CommandType.CONFIRM, NOW, "p-4", 4));
        commands.add(Command.orderCommand(CommandType.REFUND, NOW, "f-4", 4));
        commands.add(upsertCampaign(NOW, REDEFINED, t -> {
            terms(t, "TEN-OFF", CampaignKind.AMOUNT_OFF).amountOffMinor = 350;
            t.skuIds.addAll(List.of("SKU-B", "SKU-A"));
            t.budget = 6;
            t.perUserLimit = 2;
        }));
        commands.add(reserve(NOW, "r-5", "alice", "TEN-OFF", "SKU-B", 1));
        commands.add(Command.reserve(NOW, "r-6", "erin", "SKU-C", 1));
        commands.add(reserve(NOW, "r-7", "fay", "SPEND-50", "SKU-D", 60));
        commands.add(Command.tick(NOW + 5_000));
        return commands;
    }

    /**
     * Applies {@link #commands} to an empty {@code state}, each of which must succeed, and checks
     * the outcome ({@link #checkOutcome}).
     *
     * @return the book that applied them
     */
    public static CheckoutBook run(CheckoutState state) {
        CheckoutBook book = new CheckoutBook(state, EngineLimits.defaults());
        for (Command command : commands()) {
            apply(book, command);
        }
        checkOutcome(state);
        return book;
    }

    /** Checks what {@link #commands} leave in {@code state}: the orders' states and the redemptions. */
    public static void checkOutcome(CheckoutState state) {
        OrderRecord order = new OrderRecord();
        state.readOrder(2, order);
        assertThat(order.state()).isEqualTo(OrderState.PARTLY_REFUNDED);
        assertThat(order.eligibleLines).isEqualTo(0b11);
        state.readOrder(7, order);
        assertThat(order.state()).isEqualTo(OrderState.EXPIRED);
        CampaignTable campaigns = state.campaigns();
        assertThat(new long[] {
                    campaigns.redeemed(0), campaigns.redeemed(1), campaigns.redeemed(2), campaigns.redeemed(3)
                })
                .as("alice's two and bob's; carol's given back; dave's kept, fay's given back; none")
                .containsExactly(3, 0, 1, 0);
        assertThat(campaigns.redemptionsOf(0, IdBuffer.of("alice"))).isEqualTo(2);
    }

    /** Applies {@code command}, which must succeed (a TICK: expire one order). */
    public static void apply(CheckoutBook book, Command command) {
        book.execute(command);
        if (command.type() == CommandType.TICK) {
            assertThat(command.expiredCount).as("fay's order expires").isEqualTo(1);
            return;
        }
        assertThat(command.result())
                .as("%s %s", command.type(), command.requestId)
                .isEqualTo(ResultCode.SUCCESS);
    }

    /**
     * Checks that {@code actual} (a state read back, with a book started on it) holds {@code
     * expected}'s campaigns under the same numbers with every term, resolved to the same SKUs and
     * merchant, every order with its campaign, discount and eligible lines, and that the
     * redemptions {@code actual}'s book counted from the orders are those {@code expected} held.
     */
    public static void assertSameCampaigns(CheckoutState expected, CheckoutState actual) {
        CampaignTable want = expected.campaigns();
        CampaignTable got = actual.campaigns();
        assertThat(got.size()).isEqualTo(want.size());
        for (int number = 0; number < want.size(); number++) {
            CampaignTerms wanted = want.terms(number);
            CampaignTerms kept = got.terms(number);
            assertThat(got.numberOf(wanted.campaignId)).isEqualTo(number);
            assertThat(kept.sameTerms(wanted))
                    .as("campaign %d: %s, was %s", number, kept, wanted)
                    .isTrue();
            for (int sku = 0; sku < expected.skuCount(); sku++) {
                for (int merchant = -1; merchant < expected.merchants().merchantCount(); merchant++) {
                    assertThat(got.appliesTo(number, sku, merchant))
                            .as("campaign %s on SKU %d of merchant %d", wanted.campaignId, sku, merchant)
                            .isEqualTo(want.appliesTo(number, sku, merchant));
                }
            }
            assertThat(got.redeemed(number))
                    .as("campaign %s redeemed", wanted.campaignId)
                    .isEqualTo(want.redeemed(number));
            assertThat(got.redeemingUsers(number)).isEqualTo(want.redeemingUsers(number));
            for (String user : USERS) {
                assertThat(got.redemptionsOf(number, IdBuffer.of(user)))
                        .as("campaign %s redeemed by %s", wanted.campaignId, user)
                        .isEqualTo(want.redemptionsOf(number, IdBuffer.of(user)));
            }
        }
        assertThat(orders(actual)).isEqualTo(orders(expected));
    }

    /** Every order as text, campaign fields included. */
    public static List<String> orders(CheckoutState state) {
        List<String> orders = new ArrayList<>();
        OrderRecord order = new OrderRecord();
        for (long orderId = 1; orderId <= state.orderCount(); orderId++) {
            assertThat(state.readOrder(orderId, order)).isTrue();
            orders.add(order.toString());
        }
        return orders;
    }
}
