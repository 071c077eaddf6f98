package io.checkout.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The seeded command stream of the checkout simulation. Mostly plausible traffic over a small set of
 * SKUs and users, so that sell-outs, limits, expiries and conflicts happen all the time, mixed with
 * replays of old request ids and with invalid values biased to the edges of each bound.
 *
 * <p>It looks at the reference model only to aim: which order ids exist, how much stock a SKU has
 * and how many units are held, so that edge values ("exactly what is available", "one more than
 * that") hit the boundary instead of landing anywhere.
 */
final class SimulationCommands {
    static final long START_CLOCK = 1_700_000_000_000L;

    private static final String LONGEST_SKU_ID = "Z:._-" + "9".repeat(EngineLimits.ID_LENGTH_MAX - 5);
    /** SKUs the stream may create; the last three are not created up front, so they start unknown. */
    private static final String[] CREATABLE_SKUS = {
        "sku-0",
        "sku-1",
        "sku-2",
        "sku-3",
        "sku-4",
        "sku-5",
        "sku-6",
        "sku-7",
        "sku-8",
        "sku-9",
        "sku-10",
        "sku-11",
        LONGEST_SKU_ID
    };
    /** Well-formed SKU ids that no command ever creates. */
    private static final String[] GHOST_SKUS = {"ghost:1", "Ghost_2.x"};

    private static final String[] BAD_IDS = {
        "",
        null,
        " ",
        "has space",
        "r".repeat(EngineLimits.ID_LENGTH_MAX + 1),
        "tab\tid",
        "caf\u00e9",
        "del\u007f",
        "new\nline",
        "\u0000"
    };
    private static final String[] BAD_SKU_IDS = {
        "", null, "sku 0", "sku/0", "a".repeat(EngineLimits.ID_LENGTH_MAX + 1), "sku-0\u00e9", "sku#1", "sku,1"
    };
    /** Merchants the stream defines (and one it never does), and stores; null: none. */
    private static final String[] MERCHANTS = {"acme", "acme", "bolt", "m.c:3", null, "nobody"};

    private static final String[] DEFINED_MERCHANTS = {"acme", "bolt", "m.c:3", "new-m"};
    private static final int[] COMMISSION_BPS = {0, 1, 250, 1_000, 1_000, 3_333, 9_999, 10_000};
    private static final int[] BAD_COMMISSION_BPS = {-1, 10_001, Integer.MIN_VALUE, Integer.MAX_VALUE};
    private static final String[] STORES = {null, null, "store-1", "store:2", "s".repeat(EngineLimits.ID_LENGTH_MAX)};
    /** SKU groups a SKU may join (one never defined; null: none), and the ids the stream defines. */
    private static final String[] GROUPS = {null, null, "g-flash", "g-flash", "g:usd", "g.new", "never-defined"};

    private static final String[] DEFINED_GROUPS = {"g-flash", "g:usd", "g.new", "g_4"};
    /** Campaigns a reserve may name (one never defined), and the ids the stream defines. */
    private static final String[] CAMPAIGNS = {
        "c-off", "c-off", "c-off", "c-once", "c-pct", "c-pct", "c-spend", "c:later", "c.new", "c-never"
    };
    /**
     * The campaigns the stream changes: "c-off" keeps its terms (all SKUs, no end), so discounts keep
     * coming, and "c-once" (one redemption a user) too, so users keep meeting their limit.
     */
    private static final String[] CHANGED_CAMPAIGNS = {"c-pct", "c-spend", "c:later", "c.new"};
    /** The users the stream blocks: a few, so that most reserves pass the blocklist. */
    private static final int RISKY_USERS = 5;

    private static final String[] BAD_CURRENCIES = {"eur", "EU", "EURO", "", null, "E1R", "\u20acUR", "E R"};
    private static final String[] CURRENCIES = {"EUR", "EUR", "EUR", "USD", "USD", "GBP"};
    private static final long[] LIMITS = {0, 0, 0, 1, 2, 5};
    /** Payment providers, with the longest name accepted and the lowest and highest printable characters. */
    private static final String[] PROVIDERS = {
        "stripe", "stripe", "adyen", "alipay", "P".repeat(EngineLimits.PAYMENT_PROVIDER_LENGTH_MAX), "!~"
    };

    private static final String[] BAD_PROVIDERS = {
        "", null, "has space", "p".repeat(EngineLimits.PAYMENT_PROVIDER_LENGTH_MAX + 1), "caf\u00e9", "tab\tp"
    };

    private final SplittableRandom random;
    private final ReferenceCheckout view;
    private final EngineLimits limits;
    private final String[] users;
    private final ArrayDeque<Command> setup = new ArrayDeque<>();
    /**
     * The stream hands out one Command, refilled for every step, as the pipeline reuses its ring slots;
     * a Command carries arrays sized for the largest order, and allocating one per step would make the
     * run mostly garbage collection.
     */
    private final Command reused = new Command();
    /** Idempotent commands already sent, for replays; once full, new ones replace random old ones. */
    private final Sent[] history = new Sent[4096];

    /** Payments sent with confirms, for callbacks delivered again; once full, new ones replace random old ones. */
    private final SentPayment[] payments = new SentPayment[512];

    private int paymentsSize;
    private long paymentSequence;
    private int historySize;
    private Sent previous;
    /** The publisher's clock; a late command may carry an older timestamp, but the clock never goes back. */
    private long clock = START_CLOCK;

    private long requestSequence;

    SimulationCommands(long seed, ReferenceCheckout view, EngineLimits limits) {
        this.random = new SplittableRandom(seed);
        this.view = view;
        this.limits = limits;
        users = new String[40];
        for (int i = 0; i < users.length - 1; i++) {
            users[i] = "user-" + i;
        }
        users[users.length - 1] = "!" + "~".repeat(EngineLimits.ID_LENGTH_MAX - 1);
        setup.add(Command.upsertMerchant(clock, freshRequestId(), "acme", 1_000));
        setup.add(Command.upsertMerchant(clock, freshRequestId(), "bolt", 3_333));
        setup.add(Command.upsertSkuGroup(clock, freshRequestId(), "g-flash", 3));
        Command usd = Command.upsertSkuGroup(clock, freshRequestId(), "g:usd", 4);
        // A sale's own attempt limit: 3 reserves touching the USD group per user and 1.5 s.
        usd.attemptLimit(3, 1_500);
        setup.add(usd);
        setupSku(0, "EUR", 20, 0, 0, 0, 3_000);
        setupSku(1, "EUR", 5, 1, 0, 0, 2_000);
        setupSku(2, "EUR", 10, 2, 0, 0, 5_000);
        setupSku(3, "USD", 8, 5, 0, 0, 1_000);
        setupSku(4, "USD", 15, 0, 0, 0, 4_000);
        setupSku(5, "EUR", 3, 0, clock + 60_000, 0, 2_500);
        setupSku(6, "EUR", 10, 0, 0, clock + 30_000, 1_500);
        setupSku(7, "GBP", 4, 1, 0, 0, 3_500);
        setupSku(8, "EUR", 50, 0, clock - 1, 0, 5_000);
        setupSku(9, "EUR", 0, 0, 0, 0, 1_000);
        // Small budgets and limits, so that they run out and come back as orders are cancelled and expire.
        setup.add(campaign(
                "c-off",
                CampaignKind.AMOUNT_OFF,
                "EUR",
                150,
                0,
                0,
                0,
                List.of(),
                "",
                0,
                0,
                CampaignTerms.BUDGET_MAX,
                CampaignTerms.PER_USER_LIMIT_MAX));
        setup.add(campaign(
                "c-once",
                CampaignKind.AMOUNT_OFF,
                "EUR",
                10,
                0,
                0,
                0,
                List.of(),
                "",
                0,
                0,
                CampaignTerms.BUDGET_MAX,
                1));
        setup.add(campaign(
                "c-pct",
                CampaignKind.PERCENT_OFF,
                "EUR",
                0,
                2_500,
                400,
                0,
                List.of("sku-0", "sku-2", "sku-8"),
                "",
                0,
                0,
                10,
                2));
        setup.add(
                campaign("c-spend", CampaignKind.SPEND_AND_SAVE, "USD", 120, 0, 0, 500, List.of(), "acme", 0, 0, 4, 1));
        setup.add(campaign(
                "c:later",
                CampaignKind.AMOUNT_OFF,
                "EUR",
                999_999,
                0,
                0,
                0,
                List.of(),
                "bolt",
                clock + 40_000,
                clock + 400_000,
                5,
                3));
    }

    private Command campaign(
            String id,
            CampaignKind kind,
            String currency,
            long amountOff,
            int bps,
            long cap,
            long minSpend,
            List<String> skus,
            String merchant,
            long startsAt,
            long endsAt,
            long budget,
            long perUser) {
        // Setup commands wait in a queue, so each is a Command of its own; generated ones reuse the slot.
        Command c = setup.isEmpty() ? newCommand(CommandType.UPSERT_CAMPAIGN, clock) : new Command();
        c.type(CommandType.UPSERT_CAMPAIGN);
        c.timestampMillis = clock;
        c.requestId.set(freshRequestId());
        CampaignTerms t = c.campaignTerms();
        t.campaignId = id;
        t.kind = kind;
        t.currency = CurrencyCode.pack(currency);
        t.amountOffMinor = amountOff;
        t.percentOffBps = bps;
        t.percentCapMinor = cap;
        t.minSpendMinor = minSpend;
        t.skuIds.addAll(skus);
        t.merchantId = merchant;
        t.startsAtEpochMillis = startsAt;
        t.endsAtEpochMillis = endsAt;
        t.budget = budget;
        t.perUserLimit = perUser;
        return c;
    }

    /** Defines a campaign or changes one: random valid terms, now and then a bad field or an unknown party. */
    private Command upsertCampaign(String requestId) {
        CampaignKind kind = pick(CampaignKind.values());
        boolean percent = kind == CampaignKind.PERCENT_OFF;
        List<String> skus = new ArrayList<>();
        String merchant = "";
        int scope = random.nextInt(3);
        if (scope == 0) {
            List<String> pool = shuffledSkuPool();
            skus.addAll(pool.subList(0, 1 + random.nextInt(3)));
        } else if (scope == 1) {
            merchant = pick(DEFINED_MERCHANTS);
        }
        long startsAt = random.nextInt(4) == 0 ? clock + random.nextInt(20_000) : 0;
        long endsAt = random.nextInt(4) == 0 ? Math.max(startsAt, clock) + 1 + random.nextInt(60_000) : 0;
        String id = pick(CHANGED_CAMPAIGNS);
        Command c = campaign(
                id,
                kind,
                pick(CURRENCIES),
                percent ? 0 : pick(new long[] {1, 50, 150, 700, CampaignTerms.DISCOUNT_MINOR_MAX}),
                percent ? pick(new int[] {1, 1_000, 3_333, 10_000}) : 0,
                percent ? pick(new long[] {0, 0, 90, CampaignTerms.DISCOUNT_MINOR_MAX}) : 0,
                kind == CampaignKind.SPEND_AND_SAVE
                        ? pick(new long[] {1, 300, 1_000})
                        : random.nextInt(3) == 0 ? 200 : 0,
                skus,
                merchant,
                startsAt,
                endsAt,
                pick(new long[] {1, 3, 8, CampaignTerms.BUDGET_MAX}),
                pick(new long[] {1, 1, 2, CampaignTerms.PER_USER_LIMIT_MAX}));
        c.requestId.set(requestId);
        CampaignTerms t = c.campaignTerms();
        if (random.nextInt(4) == 0) {
            switch (random.nextInt(17)) {
                case 0 -> c.requestId.set(pick(BAD_IDS));
                case 1 -> t.campaignId = pick(BAD_SKU_IDS);
                case 2 -> t.kind = null;
                case 3 -> t.currency = CurrencyCode.pack(pick(BAD_CURRENCIES));
                case 4 ->
                    t.amountOffMinor = percent ? 1 : pick(new long[] {0, -1, CampaignTerms.DISCOUNT_MINOR_MAX + 1});
                case 5 -> t.percentOffBps = percent ? pick(new int[] {0, -1, 10_001}) : 5;
                case 6 -> t.percentCapMinor = percent ? pick(new long[] {-1, CampaignTerms.DISCOUNT_MINOR_MAX + 1}) : 5;
                case 7 -> t.minSpendMinor = kind == CampaignKind.SPEND_AND_SAVE ? 0 : -1;
                case 8 -> {
                    t.skuIds.clear();
                    t.skuIds.add(pick(BAD_SKU_IDS));
                }
                case 9 -> {
                    t.skuIds.add("sku-0");
                    t.skuIds.add("sku-0");
                }
                case 10 -> {
                    t.skuIds.add("sku-1");
                    t.merchantId = "acme";
                }
                case 11 -> {
                    t.skuIds.clear();
                    t.merchantId = pick(new String[] {"has space", "m/1", "a".repeat(EngineLimits.ID_LENGTH_MAX + 1)});
                }
                case 12 -> t.endsAtEpochMillis = t.startsAtEpochMillis - random.nextInt(2);
                case 13 -> t.budget = pick(new long[] {0, -1, CampaignTerms.BUDGET_MAX + 1});
                case 14 -> t.perUserLimit = pick(new long[] {0, -1, CampaignTerms.PER_USER_LIMIT_MAX + 1});
                case 15 -> {
                    t.skuIds.clear();
                    t.merchantId = "";
                    t.skuIds.add(pick(GHOST_SKUS));
                }
                default -> {
                    t.skuIds.clear();
                    t.merchantId = "nobody";
                }
            }
        }
        return c;
    }

    private void setupSku(int sku, String currency, long stock, long limit, long saleStart, long saleEnd, long ttl) {
        Command upsert = Command.upsertSku(
                clock,
                freshRequestId(),
                CREATABLE_SKUS[sku],
                100L * (sku + 1),
                currency,
                stock,
                limit,
                saleStart,
                saleEnd,
                ttl,
                sku < 5 ? "acme" : sku < 8 ? "bolt" : null,
                sku % 3 == 0 ? "store-" + sku : null);
        // Three EUR SKUs share a limit of 3 units, two USD ones a limit of 4.
        if (sku == 0 || sku == 1 || sku == 2) {
            upsert.groupId().set("g-flash");
        } else if (sku == 3 || sku == 4) {
            upsert.groupId().set("g:usd");
        }
        setup.add(upsert);
    }

    /**
     * A tick just after the publisher's clock, which is never behind any timestamp sent so far: after a
     * restart, it brings engine time up to where the model's is.
     */
    Command tickNow() {
        clock++;
        return Command.tick(clock);
    }

    Command next() {
        Command command = setup.isEmpty() ? generate() : setup.poll();
        if (command.type().isMutating() && command.type() != CommandType.TICK) {
            Sent sent = Sent.of(command);
            history[historySize < history.length ? historySize++ : random.nextInt(history.length)] = sent;
            previous = sent;
        }
        return command;
    }

    private Command generate() {
        clock += random.nextInt(40);
        int roll = random.nextInt(1000);
        Command command;
        if (roll < 340) {
            command = reserve(freshRequestId());
        } else if (roll < 460) {
            command = confirm(freshRequestId());
        } else if (roll < 520) {
            command = orderCommand(CommandType.CANCEL, freshRequestId());
        } else if (roll < 560) {
            command = refund(freshRequestId());
        } else if (roll < 660) {
            clock += random.nextInt(4) == 0 ? random.nextInt(3_000) : random.nextInt(300);
            command = newTick(clock);
        } else if (roll < 680) {
            command = upsert(freshRequestId());
        } else if (roll < 690) {
            command = upsertMerchant(freshRequestId());
        } else if (roll < 700) {
            int kind = random.nextInt(10);
            command = kind < 3
                    ? setUserBlocked(freshRequestId())
                    : kind < 5
                            ? setRiskRules(freshRequestId())
                            : kind < 7 ? upsertSkuGroup(freshRequestId()) : upsertCampaign(freshRequestId());
        } else if (roll < 730) {
            command = adjust(freshRequestId());
        } else if (roll < 800) {
            command = replay();
        } else if (roll < 820) {
            command = reuseIdForAnotherType();
        } else if (roll < 900) {
            command = edgeCase();
        } else {
            command = query();
        }
        if (random.nextInt(100) < 5) {
            aimAtBoundary(command);
        }
        if (command.type() != CommandType.TICK && random.nextInt(100) < 3) {
            // A late publisher: engine time must not go back.
            command.timestampMillis = clock - random.nextInt(10_000);
        } else if (command.timestampMillis == 0 && command.type().isMutating()) {
            command.timestampMillis = clock;
        }
        return command;
    }

    /**
     * Moves the clock to exactly a boundary the command is judged against, or to one millisecond before
     * it: a sale window's start or (exclusive) end for a reserve, an order's expiry for a confirm,
     * cancel or refund. Random steps alone would land on such an instant only rarely.
     */
    private void aimAtBoundary(Command c) {
        long boundary = -1;
        if (c.type() == CommandType.RESERVE && c.lineCount > 0) {
            ReferenceCheckout.Sku sku =
                    view.sku(c.lineSkuId(random.nextInt(c.lineCount)).asString());
            if (sku != null) {
                boundary = random.nextBoolean() ? sku.saleStart() : sku.saleEnd();
            }
        } else if (c.type() == CommandType.CONFIRM
                || c.type() == CommandType.CANCEL
                || c.type() == CommandType.REFUND) {
            ReferenceCheckout.Order order = view.order(c.orderId);
            if (order != null && order.state() == OrderState.RESERVED) {
                boundary = order.expiresAt();
            }
        }
        if (boundary >= clock && boundary - clock <= 10_000) {
            clock = Math.max(clock, boundary - random.nextInt(2));
            c.timestampMillis = clock;
        }
    }

    // ---- plausible traffic ------------------------------------------------------------------

    private Command reserve(String requestId) {
        Command c = newCommand(CommandType.RESERVE, clock);
        c.requestId.set(requestId);
        c.userId.set(pick(users));
        int lines = random.nextInt(100) < 70 ? 1 : random.nextInt(100) < 67 ? 2 : 3;
        List<String> skus = shuffledSkuPool();
        for (int i = 0; i < lines; i++) {
            c.addLine(skus.get(i), quantityFor(c.userId.asString(), skus.get(i)));
        }
        if (random.nextInt(4) == 0) {
            c.campaignId.set(random.nextInt(40) == 0 ? pick(BAD_SKU_IDS) : pick(CAMPAIGNS));
        }
        return c;
    }

    private int quantityFor(String user, String skuId) {
        int roll = random.nextInt(100);
        if (roll < 70) {
            return 1;
        }
        if (roll < 85) {
            return 2;
        }
        if (roll < 95) {
            return 3;
        }
        ReferenceCheckout.Sku sku = view.sku(skuId);
        if (sku == null) {
            return 1;
        }
        long edge = switch (random.nextInt(4)) {
            case 0 -> sku.limit() - view.held(user, skuId);
            case 1 -> sku.limit() - view.held(user, skuId) + 1;
            case 2 -> sku.available();
            default -> sku.available() + 1;
        };
        return (int) Math.max(1, Math.min(edge, limits.quantityPerLineMax()));
    }

    private Command orderCommand(CommandType type, String requestId) {
        return newOrderCommand(type, clock, requestId, pickOrderId());
    }

    /** A confirm, most carrying a payment: mostly the order's figures, sometimes a callback delivered again. */
    private Command confirm(String requestId) {
        Command c = orderCommand(CommandType.CONFIRM, requestId);
        if (random.nextInt(100) >= 60) {
            return c;
        }
        int roll = random.nextInt(100);
        if (paymentsSize > 0 && roll < 15) {
            SentPayment old = payments[random.nextInt(paymentsSize)];
            if (roll < 10) {
                // The gateway's callback again, under a new request id.
                c.orderId = old.orderId();
            }
            setPayment(c, old.provider(), old.paymentId(), old.amountMinor(), old.currency());
            return c;
        }
        ReferenceCheckout.Order order = view.order(c.orderId);
        long amount = order == null ? 100L * (1 + random.nextInt(50)) : order.amount();
        int currency = CurrencyCode.pack(order == null ? pick(CURRENCIES) : order.currency());
        int skew = random.nextInt(100);
        if (skew < 4) {
            amount = amount > 0 && random.nextBoolean() ? amount - 1 : amount + 1;
        } else if (skew < 6) {
            amount = amount == 0 ? 1 : 0;
        } else if (skew < 9) {
            String other = pick(CURRENCIES);
            currency = CurrencyCode.pack(other) == currency ? CurrencyCode.pack("JPY") : CurrencyCode.pack(other);
        }
        String paymentId = "pay-" + paymentSequence++;
        if (random.nextInt(50) == 0) {
            paymentId = paymentId + "~".repeat(EngineLimits.ID_LENGTH_MAX - paymentId.length());
        }
        SentPayment sent = new SentPayment(pick(PROVIDERS), paymentId, c.orderId, amount, currency);
        payments[paymentsSize < payments.length ? paymentsSize++ : random.nextInt(payments.length)] = sent;
        setPayment(c, sent.provider(), sent.paymentId(), amount, currency);
        return c;
    }

    /**
     * A refund: half of them of everything left, the others of some lines, aimed at the edges
     * (exactly what is left, one more, a SKU the order does not have), with a reason now and then,
     * and now and then of units that cannot be sold again.
     */
    private Command refund(String requestId) {
        Command c = orderCommand(CommandType.REFUND, requestId);
        ReferenceCheckout.Order order = view.order(c.orderId);
        if (order != null && random.nextBoolean()) {
            List<ReferenceCheckout.Line> lines = new ArrayList<>(order.lines());
            Collections.shuffle(lines, new java.util.Random(random.nextLong()));
            int count = 1 + random.nextInt(lines.size());
            for (int i = 0; i < count; i++) {
                ReferenceCheckout.Line line = lines.get(i);
                int left = line.quantity() - line.refunded();
                int roll = random.nextInt(100);
                int units = roll < 60 ? 1 + random.nextInt(Math.max(1, left)) : roll < 85 ? left : left + 1;
                c.addLine(line.skuId(), Math.max(1, units));
            }
            if (random.nextInt(20) == 0) {
                String other = pick(random.nextBoolean() ? CREATABLE_SKUS : GHOST_SKUS);
                boolean inOrder = false;
                for (int i = 0; i < c.lineCount; i++) {
                    inOrder |= c.lineSkuId(i).contentEquals(other);
                }
                if (!inOrder) {
                    c.addLine(other, 1);
                }
            }
        }
        int reasonRoll = random.nextInt(100);
        if (reasonRoll < 20) {
            c.refundReason = pick(
                    new String[] {"damaged in transit", "", " ", "~".repeat(EngineLimits.REFUND_REASON_LENGTH_MAX)});
        } else if (reasonRoll < 22) {
            c.refundReason = pick(
                    new String[] {"r".repeat(EngineLimits.REFUND_REASON_LENGTH_MAX + 1), "new\nline", "caf\u00e9"});
        }
        c.notResellable = random.nextInt(5) == 0;
        return c;
    }

    private static void setPayment(Command c, String provider, String paymentId, long amountMinor, int currency) {
        c.hasPayment = true;
        c.paymentProvider.set(provider);
        c.paymentId.set(paymentId);
        c.paymentAmountMinor = amountMinor;
        c.paymentCurrency = currency;
    }

    private long pickOrderId() {
        long count = view.orderCount();
        int roll = random.nextInt(100);
        if (count == 0 || roll < 8) {
            return count + 1 + random.nextInt(3);
        }
        if (roll < 70) {
            return count - random.nextInt((int) Math.min(count, 60));
        }
        return 1 + random.nextLong(count);
    }

    private Command upsert(String requestId) {
        String skuId = pick(CREATABLE_SKUS);
        ReferenceCheckout.Sku existing = view.sku(skuId);
        long held = existing == null ? 0 : existing.held();
        int priceRoll = random.nextInt(100);
        long price = priceRoll < 90 ? 100 + random.nextInt(10_000) : priceRoll < 95 ? 0 : EngineLimits.PRICE_MINOR_MAX;
        String currency = existing != null && random.nextInt(100) < 85 ? existing.currency() : pick(CURRENCIES);
        int stockRoll = random.nextInt(100);
        long total = stockRoll < 85
                ? held + random.nextInt(31)
                : stockRoll < 95
                        ? Math.max(0, held - 1 - random.nextInt(2))
                        : stockRoll < 99 ? held : EngineLimits.TOTAL_STOCK_MAX;
        long start;
        long end;
        int windowRoll = random.nextInt(100);
        if (windowRoll < 70) {
            start = random.nextBoolean() ? 0 : clock - random.nextInt(100_000);
            end = 0;
        } else if (windowRoll < 80) {
            start = clock + 500 + random.nextInt(20_000);
            end = 0;
        } else if (windowRoll < 90) {
            start = clock - random.nextInt(1_000);
            end = clock + 1 + random.nextInt(30_000);
        } else if (windowRoll < 95) {
            start = clock - 20_000;
            end = random.nextBoolean() ? clock : clock - 1 - random.nextInt(10_000);
        } else if (windowRoll < 99) {
            start = clock;
            end = clock + 1;
        } else {
            start = EngineLimits.EPOCH_MILLIS_MAX;
            end = 0;
        }
        int ttlRoll = random.nextInt(1000);
        long ttl = ttlRoll < 900
                ? 1_000 + random.nextInt(4_001)
                : ttlRoll < 950
                        ? EngineLimits.RESERVATION_TTL_MILLIS_MIN
                        : ttlRoll < 995 ? 5_000 : EngineLimits.RESERVATION_TTL_MILLIS_MAX;
        boolean keepParties = existing != null && random.nextInt(100) < 70;
        Command c = newUpsert(
                clock,
                requestId,
                skuId,
                price,
                currency,
                total,
                LIMITS[random.nextInt(LIMITS.length)],
                start,
                end,
                ttl);
        c.merchantId().set(keepParties ? existing.merchant() : pick(MERCHANTS));
        c.storeId().set(keepParties ? existing.store() : pick(STORES));
        c.groupId().set(keepParties ? view.groupOf(skuId) : pick(GROUPS));
        return c;
    }

    /** Defines a merchant or changes its rate (sometimes to the rate it has), now and then with a bad field. */
    private Command upsertMerchant(String requestId) {
        Command c = newCommand(CommandType.UPSERT_MERCHANT, clock);
        c.requestId.set(requestId);
        c.merchantId().set(pick(DEFINED_MERCHANTS));
        c.commissionBps(COMMISSION_BPS[random.nextInt(COMMISSION_BPS.length)]);
        switch (random.nextInt(12)) {
            case 0 -> c.merchantId().set(pick(BAD_SKU_IDS));
            case 1 -> c.commissionBps(BAD_COMMISSION_BPS[random.nextInt(BAD_COMMISSION_BPS.length)]);
            case 2 -> c.requestId.set(pick(BAD_IDS));
            default -> {}
        }
        return c;
    }

    /** Blocks one of the first few users or lifts a block, now and then with a bad field. */
    private Command setUserBlocked(String requestId) {
        Command c = newCommand(CommandType.SET_USER_BLOCKED, clock);
        c.requestId.set(requestId);
        c.userId.set(users[random.nextInt(RISKY_USERS)]);
        c.blocked(random.nextInt(10) < 5);
        switch (random.nextInt(12)) {
            case 0 -> c.userId.set(pick(BAD_IDS));
            case 1 -> c.requestId.set(pick(BAD_IDS));
            case 2 -> c.userId.set(users[users.length - 1]);
            default -> {}
        }
        return c;
    }

    /** Defines a SKU group or changes its limit, now and then with a bad field. */
    private Command upsertSkuGroup(String requestId) {
        Command c = newCommand(CommandType.UPSERT_SKU_GROUP, clock);
        c.requestId.set(requestId);
        c.groupId().set(pick(DEFINED_GROUPS));
        c.perUserLimit = 1 + random.nextInt(6);
        // Half the time an attempt limit of the group's own (the same one as before now and then, which
        // keeps the counts), else none.
        int limitRoll = random.nextInt(6);
        if (limitRoll < 3) {
            c.attemptLimit(
                    limitRoll == 0 ? 3 : 1 + random.nextInt(4), limitRoll == 0 ? 1_500 : 500 + random.nextInt(3_000));
        } else {
            c.attemptLimit(0, 0);
        }
        switch (random.nextInt(14)) {
            case 0 -> c.groupId().set(pick(BAD_SKU_IDS));
            case 1 -> c.perUserLimit = pick(new long[] {0, -1, EngineLimits.TOTAL_STOCK_MAX + 1, Long.MIN_VALUE});
            case 2 -> c.perUserLimit = EngineLimits.TOTAL_STOCK_MAX;
            case 3 -> c.requestId.set(pick(BAD_IDS));
            case 4 -> c.attemptLimit(pick(new int[] {-1, 1_000_001}), 1_000);
            case 5 -> c.attemptLimit(2, pick(new long[] {0, -5, 86_400_001L}));
            default -> {}
        }
        return c;
    }

    /** Sets an attempt limit (a third of the time none), now and then a bad one. */
    private Command setRiskRules(String requestId) {
        Command c = newCommand(CommandType.SET_RISK_RULES, clock);
        c.requestId.set(requestId);
        int roll = random.nextInt(12);
        if (roll < 4) {
            c.attemptLimit(0, 0);
        } else if (roll < 10) {
            c.attemptLimit(1 + random.nextInt(3), pick(new long[] {1, 500, 2_000, 10_000, 86_400_000L}));
        } else {
            c.attemptLimit(
                    pick(new int[] {-1, 1_000_001, Integer.MIN_VALUE, 2, 0, 1_000_000}),
                    pick(new long[] {0, -1, 86_400_001L, Long.MAX_VALUE, 5}));
        }
        if (random.nextInt(15) == 0) {
            c.requestId.set(pick(BAD_IDS));
        }
        return c;
    }

    private Command adjust(String requestId) {
        String skuId = random.nextInt(20) == 0 ? pick(GHOST_SKUS) : pick(CREATABLE_SKUS);
        ReferenceCheckout.Sku sku = view.sku(skuId);
        long available = sku == null ? 0 : sku.available();
        int roll = random.nextInt(100);
        long delta = roll < 50
                ? 1 + random.nextInt(5)
                : roll < 80 ? -1 - random.nextInt(3) : roll < 90 ? -available : -available - 1;
        if (delta == 0) {
            delta = 1;
        }
        return newAdjust(clock, requestId, skuId, delta);
    }

    private Command query() {
        int roll = random.nextInt(10);
        if (roll < 4) {
            Command c = newGetOrder(pickOrderId());
            c.timestampMillis = random.nextBoolean() ? 0 : clock;
            return c;
        }
        if (roll < 8) {
            return newGetSku(random.nextInt(10) == 0 ? pick(GHOST_SKUS) : pick(CREATABLE_SKUS));
        }
        if (random.nextInt(3) == 0) {
            return listUserOrders();
        }
        if (random.nextInt(4) == 0) {
            Command c = newCommand(CommandType.GET_USER_RISK, clock);
            c.userId.set(random.nextInt(10) == 0 ? pick(BAD_IDS) : users[random.nextInt(users.length)]);
            return c;
        }
        if (random.nextInt(4) == 0) {
            return newCommand(CommandType.GET_RISK_RULES, clock);
        }
        if (random.nextInt(3) == 0) {
            Command c = newCommand(CommandType.GET_CAMPAIGN, clock);
            c.campaignId.set(random.nextInt(8) == 0 ? pick(BAD_SKU_IDS) : pick(CAMPAIGNS));
            return c;
        }
        if (random.nextInt(4) == 0) {
            Command c = newCommand(CommandType.GET_SKU_GROUP, clock);
            c.groupId().set(random.nextInt(8) == 0 ? pick(BAD_SKU_IDS) : pick(GROUPS));
            return c;
        }
        if (random.nextInt(3) == 0) {
            Command c = newCommand(CommandType.GET_MERCHANT, clock);
            c.merchantId().set(random.nextInt(8) == 0 ? pick(BAD_SKU_IDS) : pick(MERCHANTS));
            return c;
        }
        String token = switch (random.nextInt(4)) {
            case 0 -> null;
            case 1 -> "";
            case 2 -> pick(CREATABLE_SKUS);
            default -> pick(GHOST_SKUS);
        };
        return newListSkus(random.nextInt(6), token);
    }

    /** A page of a user's orders: from the newest, after one of theirs, after another's, or bad fields. */
    private Command listUserOrders() {
        Command c = newCommand(CommandType.LIST_USER_ORDERS, clock);
        String user = users[random.nextInt(users.length)];
        c.userId.set(user);
        int sizeRoll = random.nextInt(10);
        c.pageSize = sizeRoll < 6 ? 1 + random.nextInt(4) : sizeRoll < 8 ? 0 : pick(new int[] {-1, 101, 100});
        int tokenRoll = random.nextInt(10);
        if (tokenRoll < 4) {
            c.orderId = 0;
        } else if (tokenRoll < 8) {
            long newest = 0;
            for (long id = view.orderCount(); id >= 1 && newest == 0 && id > view.orderCount() - 400; id--) {
                if (view.order(id).user().equals(user)) {
                    newest = id;
                }
            }
            c.orderId = newest;
        } else {
            c.orderId = tokenRoll == 8 ? pickOrderId() : -1;
        }
        if (random.nextInt(20) == 0) {
            c.userId.set(pick(BAD_IDS));
        }
        return c;
    }

    // ---- repeats --------------------------------------------------------------------------

    private Command replay() {
        Sent old = historySize == 0 ? null : random.nextInt(5) == 0 ? previous : history[random.nextInt(historySize)];
        if (old == null) {
            return newTick(clock);
        }
        Command again = old.fill(newCommand(old.type(), old.timestampMillis()));
        if (random.nextInt(10) < 7) {
            again.timestampMillis = clock;
        }
        return again;
    }

    private Command reuseIdForAnotherType() {
        if (historySize == 0) {
            return newTick(clock);
        }
        Sent old = history[random.nextInt(historySize)];
        CommandType type;
        do {
            type = pick(new CommandType[] {
                CommandType.RESERVE,
                CommandType.CONFIRM,
                CommandType.CANCEL,
                CommandType.REFUND,
                CommandType.UPSERT_SKU,
                CommandType.ADJUST_STOCK,
                CommandType.UPSERT_MERCHANT,
                CommandType.SET_USER_BLOCKED,
                CommandType.SET_RISK_RULES,
                CommandType.UPSERT_SKU_GROUP,
                CommandType.UPSERT_CAMPAIGN
            });
        } while (type == old.type());
        return switch (type) {
            case RESERVE -> reserve(old.requestId());
            case UPSERT_SKU -> upsert(old.requestId());
            case ADJUST_STOCK -> adjust(old.requestId());
            case REFUND -> refund(old.requestId());
            case UPSERT_MERCHANT -> upsertMerchant(old.requestId());
            case SET_USER_BLOCKED -> setUserBlocked(old.requestId());
            case SET_RISK_RULES -> setRiskRules(old.requestId());
            case UPSERT_SKU_GROUP -> upsertSkuGroup(old.requestId());
            case UPSERT_CAMPAIGN -> upsertCampaign(old.requestId());
            default -> orderCommand(type, old.requestId());
        };
    }

    // ---- invalid values and edges ---------------------------------------------------------

    private Command edgeCase() {
        return switch (random.nextInt(12)) {
            case 0 -> {
                Command c = reserve(pick(BAD_IDS));
                if (random.nextBoolean()) {
                    c.userId.set(pick(BAD_IDS));
                }
                yield c;
            }
            case 1 -> {
                Command c = reserve(freshRequestId());
                c.userId.set(pick(BAD_IDS));
                yield c;
            }
            case 2 -> {
                Command c = reserve(freshRequestId());
                c.lineCount = 0;
                yield c;
            }
            case 3 -> manyLines(limits.linesPerOrderMax() + random.nextInt(2));
            case 4 -> manyLines(limits.linesPerOrderMax() - random.nextInt(2));
            case 5 -> reserveWithBadLine();
            case 6 -> {
                Command c = reserve(freshRequestId());
                c.lineQuantities[random.nextInt(c.lineCount)] =
                        random.nextBoolean() ? limits.quantityPerLineMax() : limits.quantityPerLineMax() - 1;
                yield c;
            }
            case 7 -> badOrderCommand();
            case 8 -> badUpsert();
            case 9 -> badAdjust();
            case 10 -> badQuery();
            default -> newTick(clock - random.nextInt(50_000));
        };
    }

    private Command manyLines(int lines) {
        Command c = reserve(freshRequestId());
        c.lineCount = 0;
        List<String> skus = shuffledSkuPool();
        for (int i = 0; i < lines; i++) {
            c.addLine(i < skus.size() ? skus.get(i) : "extra-" + i, 1);
        }
        return c;
    }

    private Command reserveWithBadLine() {
        Command c = reserve(freshRequestId());
        int line = random.nextInt(c.lineCount);
        switch (random.nextInt(8)) {
            case 0 -> c.lineSkuId(line).set(pick(BAD_SKU_IDS));
            case 1 -> c.lineQuantities[line] = 0;
            case 2 -> c.lineQuantities[line] = -1;
            case 3 -> c.lineQuantities[line] = Integer.MIN_VALUE;
            case 4 -> c.lineQuantities[line] = limits.quantityPerLineMax() + 1;
            case 5 -> c.lineQuantities[line] = Integer.MAX_VALUE;
            default -> {
                if (c.lineCount == limits.linesPerOrderMax()) {
                    c.lineSkuId(line).copyFrom(c.lineSkuId(0));
                } else {
                    c.addLine(c.lineSkuId(line).asString(), 1);
                }
            }
        }
        return c;
    }

    private Command badOrderCommand() {
        CommandType type = pick(new CommandType[] {CommandType.CONFIRM, CommandType.CANCEL, CommandType.REFUND});
        long[] badOrderIds = {0, -1, Long.MIN_VALUE};
        if (random.nextInt(4) == 0) {
            return badPayment();
        }
        return switch (random.nextInt(3)) {
            case 0 -> newOrderCommand(type, clock, freshRequestId(), badOrderIds[random.nextInt(badOrderIds.length)]);
            case 1 -> newOrderCommand(type, clock, pick(BAD_IDS), pickOrderId());
            default -> newOrderCommand(type, clock, freshRequestId(), Long.MAX_VALUE);
        };
    }

    private Command badPayment() {
        Command c = orderCommand(CommandType.CONFIRM, freshRequestId());
        setPayment(c, pick(PROVIDERS), "pay-bad-" + paymentSequence++, 100, CurrencyCode.pack("EUR"));
        switch (random.nextInt(6)) {
            case 0 -> c.paymentProvider.set(pick(BAD_PROVIDERS));
            case 1 -> c.paymentId.set(pick(BAD_IDS));
            case 2 ->
                c.paymentAmountMinor = pick(
                        new long[] {-1, Long.MIN_VALUE, EngineLimits.PAYMENT_AMOUNT_MINOR_MAX + 1, Long.MAX_VALUE});
            case 3 -> c.paymentCurrency = CurrencyCode.pack(pick(BAD_CURRENCIES));
            case 4 -> {
                // Several fields wrong at once: the first in the documented order must be named.
                c.paymentId.set(pick(BAD_IDS));
                c.paymentAmountMinor = -1;
                c.paymentCurrency = CurrencyCode.NONE;
            }
            default -> {
                // Valid edges: the largest amount accepted (a mismatch, since no order comes near it).
                c.paymentAmountMinor = EngineLimits.PAYMENT_AMOUNT_MINOR_MAX;
            }
        }
        return c;
    }

    private Command badUpsert() {
        Command c = upsert(freshRequestId());
        switch (random.nextInt(13)) {
            case 0 -> c.requestId.set(pick(BAD_IDS));
            case 1 -> c.skuId.set(pick(BAD_SKU_IDS));
            case 2 ->
                c.priceMinor = pick(new long[] {-1, EngineLimits.PRICE_MINOR_MAX + 1, Long.MIN_VALUE, Long.MAX_VALUE});
            case 3 -> c.currency = pick(BAD_CURRENCIES);
            case 4 -> c.totalStock = pick(new long[] {-1, EngineLimits.TOTAL_STOCK_MAX + 1, Long.MIN_VALUE});
            case 5 -> c.perUserLimit = pick(new long[] {-1, EngineLimits.TOTAL_STOCK_MAX + 1, Long.MIN_VALUE});
            case 6 -> c.saleStartEpochMillis = pick(new long[] {-1, EngineLimits.EPOCH_MILLIS_MAX + 1, Long.MIN_VALUE});
            case 7 -> {
                c.saleStartEpochMillis = clock;
                c.saleEndEpochMillis = pick(new long[] {clock, clock - 1, EngineLimits.EPOCH_MILLIS_MAX + 1, -1});
            }
            case 8 ->
                c.reservationTtlMillis = pick(new long[] {
                    EngineLimits.RESERVATION_TTL_MILLIS_MIN - 1,
                    EngineLimits.RESERVATION_TTL_MILLIS_MAX + 1,
                    0,
                    -1,
                    Long.MIN_VALUE
                });
            case 11 -> c.merchantId().set(pick(BAD_SKU_IDS));
            case 12 -> c.storeId().set(random.nextBoolean() ? pick(BAD_SKU_IDS) : null);
            case 9 -> {
                // Several fields wrong at once: the first in the documented order must be named.
                c.priceMinor = -1;
                c.currency = "x";
                c.totalStock = -1;
                c.reservationTtlMillis = 0;
            }
            default -> {
                c.saleStartEpochMillis = EngineLimits.EPOCH_MILLIS_MAX;
                c.saleEndEpochMillis = random.nextBoolean() ? 0 : EngineLimits.EPOCH_MILLIS_MAX;
            }
        }
        return c;
    }

    private Command badAdjust() {
        Command c = adjust(freshRequestId());
        switch (random.nextInt(5)) {
            case 0 -> c.requestId.set(pick(BAD_IDS));
            case 1 -> c.skuId.set(pick(BAD_SKU_IDS));
            case 2 ->
                c.delta = pick(new long[] {
                    0,
                    EngineLimits.TOTAL_STOCK_MAX + 1,
                    -EngineLimits.TOTAL_STOCK_MAX - 1,
                    Long.MIN_VALUE,
                    Long.MAX_VALUE
                });
            case 3 -> c.delta = EngineLimits.TOTAL_STOCK_MAX;
            default -> c.delta = -EngineLimits.TOTAL_STOCK_MAX;
        }
        return c;
    }

    private Command badQuery() {
        return switch (random.nextInt(5)) {
            case 0 -> newGetOrder(pick(new long[] {0, -1, Long.MIN_VALUE, Long.MAX_VALUE}));
            case 1 -> newGetSku(pick(BAD_SKU_IDS));
            case 2 -> newListSkus(pick(new int[] {-1, EngineLimits.LIST_PAGE_SIZE_MAX + 1, Integer.MIN_VALUE}), null);
            case 3 -> newListSkus(pick(new int[] {1, EngineLimits.LIST_PAGE_SIZE_MAX}), pick(BAD_SKU_IDS));
            default -> newListSkus(0, LONGEST_SKU_ID);
        };
    }

    // ---- helpers ---------------------------------------------------------------------------

    private String freshRequestId() {
        long n = requestSequence++;
        if (random.nextInt(50) == 0) {
            // Valid edges: the longest id, made of the lowest and highest printable characters.
            String core = "!" + n;
            return core + "~".repeat(EngineLimits.ID_LENGTH_MAX - core.length());
        }
        return "r" + n;
    }

    private List<String> shuffledSkuPool() {
        List<String> pool = new ArrayList<>(CREATABLE_SKUS.length + GHOST_SKUS.length);
        Collections.addAll(pool, CREATABLE_SKUS);
        if (random.nextInt(10) == 0) {
            Collections.addAll(pool, GHOST_SKUS);
        }
        for (int i = pool.size() - 1; i > 0; i--) {
            Collections.swap(pool, i, random.nextInt(i + 1));
        }
        return pool;
    }

    private Command newCommand(CommandType type, long timestampMillis) {
        reused.clear();
        reused.type(type);
        reused.timestampMillis = timestampMillis;
        return reused;
    }

    private Command newTick(long timestampMillis) {
        return newCommand(CommandType.TICK, timestampMillis);
    }

    private Command newOrderCommand(CommandType type, long timestampMillis, String requestId, long orderId) {
        Command c = newCommand(type, timestampMillis);
        c.requestId.set(requestId);
        c.orderId = orderId;
        return c;
    }

    private Command newUpsert(
            long timestampMillis,
            String requestId,
            String skuId,
            long priceMinor,
            String currency,
            long totalStock,
            long perUserLimit,
            long saleStartEpochMillis,
            long saleEndEpochMillis,
            long reservationTtlMillis) {
        Command c = newCommand(CommandType.UPSERT_SKU, timestampMillis);
        c.requestId.set(requestId);
        c.skuId.set(skuId);
        c.priceMinor = priceMinor;
        c.currency = currency;
        c.totalStock = totalStock;
        c.perUserLimit = perUserLimit;
        c.saleStartEpochMillis = saleStartEpochMillis;
        c.saleEndEpochMillis = saleEndEpochMillis;
        c.reservationTtlMillis = reservationTtlMillis;
        return c;
    }

    private Command newAdjust(long timestampMillis, String requestId, String skuId, long delta) {
        Command c = newCommand(CommandType.ADJUST_STOCK, timestampMillis);
        c.requestId.set(requestId);
        c.skuId.set(skuId);
        c.delta = delta;
        return c;
    }

    private Command newGetOrder(long orderId) {
        Command c = newCommand(CommandType.GET_ORDER, 0);
        c.orderId = orderId;
        return c;
    }

    private Command newGetSku(String skuId) {
        Command c = newCommand(CommandType.GET_SKU, 0);
        c.skuId.set(skuId);
        return c;
    }

    private Command newListSkus(int pageSize, String pageToken) {
        Command c = newCommand(CommandType.LIST_SKUS, 0);
        c.pageSize = pageSize;
        c.pageToken = pageToken;
        return c;
    }

    private <T> T pick(T[] values) {
        return values[random.nextInt(values.length)];
    }

    private long pick(long[] values) {
        return values[random.nextInt(values.length)];
    }

    private int pick(int[] values) {
        return values[random.nextInt(values.length)];
    }

    /** The input of a command, kept compactly: a Command carries output arrays sized for the largest order. */
    private record Sent(
            CommandType type,
            long timestampMillis,
            String requestId,
            String userId,
            String[] lineSkuIds,
            int[] lineQuantities,
            long orderId,
            String skuId,
            long priceMinor,
            String currency,
            long totalStock,
            long perUserLimit,
            long saleStartEpochMillis,
            long saleEndEpochMillis,
            long reservationTtlMillis,
            long delta,
            String refundReason,
            boolean notResellable,
            boolean hasPayment,
            String paymentProvider,
            String paymentId,
            long paymentAmountMinor,
            int paymentCurrency,
            String merchantId,
            String storeId,
            String groupId,
            int commissionBps,
            boolean blocked,
            int maxAttempts,
            long windowMillis,
            String campaignId,
            CampaignTerms campaignTerms) {

        private static String[] lineSkuIds(Command c) {
            String[] ids = new String[c.lineCount];
            for (int i = 0; i < c.lineCount; i++) {
                ids[i] = c.lineSkuId(i).asString();
            }
            return ids;
        }

        static Sent of(Command c) {
            return new Sent(
                    c.type(),
                    c.timestampMillis,
                    c.requestId.asString(),
                    c.userId.asString(),
                    lineSkuIds(c),
                    Arrays.copyOf(c.lineQuantities, c.lineCount),
                    c.orderId,
                    c.skuId.asString(),
                    c.priceMinor,
                    c.currency,
                    c.totalStock,
                    c.perUserLimit,
                    c.saleStartEpochMillis,
                    c.saleEndEpochMillis,
                    c.reservationTtlMillis,
                    c.delta,
                    c.refundReason,
                    c.notResellable,
                    c.hasPayment,
                    c.paymentProvider.asString(),
                    c.paymentId.asString(),
                    c.paymentAmountMinor,
                    c.paymentCurrency,
                    c.merchantId().asString(),
                    c.storeId().asString(),
                    c.groupId().asString(),
                    c.commissionBps(),
                    c.blocked(),
                    c.maxAttempts(),
                    c.windowMillis(),
                    c.campaignId.asString(),
                    c.type() == CommandType.UPSERT_CAMPAIGN ? copyOf(c.campaignTerms()) : null);
        }

        private static CampaignTerms copyOf(CampaignTerms terms) {
            CampaignTerms copy = new CampaignTerms();
            copy.copyFrom(terms);
            return copy;
        }

        Command fill(Command c) {
            c.requestId.set(requestId);
            c.userId.set(userId);
            for (int i = 0; i < lineSkuIds.length; i++) {
                c.addLine(lineSkuIds[i], lineQuantities[i]);
            }
            c.orderId = orderId;
            c.skuId.set(skuId);
            c.priceMinor = priceMinor;
            c.currency = currency;
            c.totalStock = totalStock;
            c.perUserLimit = perUserLimit;
            c.saleStartEpochMillis = saleStartEpochMillis;
            c.saleEndEpochMillis = saleEndEpochMillis;
            c.reservationTtlMillis = reservationTtlMillis;
            c.delta = delta;
            c.refundReason = refundReason;
            c.notResellable = notResellable;
            if (hasPayment) {
                setPayment(c, paymentProvider, paymentId, paymentAmountMinor, paymentCurrency);
            }
            c.merchantId().set(merchantId);
            c.storeId().set(storeId);
            c.groupId().set(groupId);
            c.commissionBps(commissionBps);
            if (type == CommandType.SET_USER_BLOCKED
                    || type == CommandType.SET_RISK_RULES
                    || type == CommandType.UPSERT_SKU_GROUP) {
                c.blocked(blocked);
                c.attemptLimit(maxAttempts, windowMillis);
            }
            c.campaignId.set(campaignId);
            if (campaignTerms != null) {
                c.campaignTerms().copyFrom(campaignTerms);
            }
            return c;
        }
    }

    /** A payment a confirm carried, for the callback delivered again. */
    private record SentPayment(String provider, String paymentId, long orderId, long amountMinor, int currency) {}

    static String describe(Command c) {
        StringBuilder text = new StringBuilder().append(c.type()).append(" ts=").append(c.timestampMillis);
        switch (c.type()) {
            case RESERVE -> {
                text.append(" request=")
                        .append(quoted(c.requestId.asString()))
                        .append(" user=")
                        .append(quoted(c.userId.asString()))
                        .append(" lines=[");
                for (int i = 0; i < c.lineCount; i++) {
                    text.append(i == 0 ? "" : ", ")
                            .append(quoted(c.lineSkuId(i).asString()))
                            .append('x')
                            .append(c.lineQuantities[i]);
                }
                text.append(']');
                if (c.campaignId.length() > 0) {
                    text.append(" campaign=").append(quoted(c.campaignId.asString()));
                }
            }
            case UPSERT_CAMPAIGN ->
                text.append(" request=")
                        .append(quoted(c.requestId.asString()))
                        .append(' ')
                        .append(c.campaignTerms());
            case GET_CAMPAIGN -> text.append(" campaign=").append(quoted(c.campaignId.asString()));
            case CONFIRM, CANCEL, REFUND -> {
                text.append(" request=")
                        .append(quoted(c.requestId.asString()))
                        .append(" order=")
                        .append(c.orderId);
                for (int i = 0; i < c.lineCount; i++) {
                    text.append(i == 0 ? " lines=[" : ", ")
                            .append(quoted(c.lineSkuId(i).asString()))
                            .append('x')
                            .append(c.lineQuantities[i])
                            .append(i == c.lineCount - 1 ? "]" : "");
                }
                if (c.refundReason != null || c.notResellable) {
                    text.append(" reason=")
                            .append(quoted(c.refundReason))
                            .append(c.notResellable ? " not-resellable" : "");
                }
                if (c.hasPayment) {
                    text.append(" payment=")
                            .append(quoted(c.paymentProvider.asString()))
                            .append('/')
                            .append(quoted(c.paymentId.asString()))
                            .append(' ')
                            .append(c.paymentAmountMinor)
                            .append(' ')
                            .append(
                                    c.paymentCurrency == CurrencyCode.NONE
                                            ? "<none>"
                                            : CurrencyCode.unpack(c.paymentCurrency));
                }
            }
            case UPSERT_SKU ->
                text.append(" request=")
                        .append(quoted(c.requestId.asString()))
                        .append(" sku=")
                        .append(quoted(c.skuId.asString()))
                        .append(" price=")
                        .append(c.priceMinor)
                        .append(" currency=")
                        .append(quoted(c.currency))
                        .append(" total=")
                        .append(c.totalStock)
                        .append(" limit=")
                        .append(c.perUserLimit)
                        .append(" sale=[")
                        .append(c.saleStartEpochMillis)
                        .append(',')
                        .append(c.saleEndEpochMillis)
                        .append(") ttl=")
                        .append(c.reservationTtlMillis)
                        .append(" merchant=")
                        .append(quoted(c.merchantId().asString()))
                        .append(" store=")
                        .append(quoted(c.storeId().asString()))
                        .append(" group=")
                        .append(quoted(c.groupId().asString()));
            case UPSERT_MERCHANT ->
                text.append(" request=")
                        .append(quoted(c.requestId.asString()))
                        .append(" merchant=")
                        .append(quoted(c.merchantId().asString()))
                        .append(" bps=")
                        .append(c.commissionBps());
            case GET_MERCHANT ->
                text.append(" merchant=").append(quoted(c.merchantId().asString()));
            case SET_USER_BLOCKED ->
                text.append(" request=")
                        .append(quoted(c.requestId.asString()))
                        .append(" user=")
                        .append(quoted(c.userId.asString()))
                        .append(" blocked=")
                        .append(c.blocked());
            case GET_USER_RISK -> text.append(" user=").append(quoted(c.userId.asString()));
            case UPSERT_SKU_GROUP ->
                text.append(" request=")
                        .append(quoted(c.requestId.asString()))
                        .append(" group=")
                        .append(quoted(c.groupId().asString()))
                        .append(" limit=")
                        .append(c.perUserLimit)
                        .append(" attempts=")
                        .append(c.maxAttempts())
                        .append(" per ")
                        .append(c.windowMillis());
            case GET_SKU_GROUP ->
                text.append(" group=").append(quoted(c.groupId().asString()));
            case SET_RISK_RULES ->
                text.append(" request=")
                        .append(quoted(c.requestId.asString()))
                        .append(" max=")
                        .append(c.maxAttempts())
                        .append(" per ")
                        .append(c.windowMillis())
                        .append(" ms");
            case ADJUST_STOCK ->
                text.append(" request=")
                        .append(quoted(c.requestId.asString()))
                        .append(" sku=")
                        .append(quoted(c.skuId.asString()))
                        .append(" delta=")
                        .append(c.delta);
            case GET_ORDER -> text.append(" order=").append(c.orderId);
            case GET_SKU -> text.append(" sku=").append(quoted(c.skuId.asString()));
            case LIST_SKUS ->
                text.append(" pageSize=").append(c.pageSize).append(" token=").append(quoted(c.pageToken));
            case TICK -> {}
        }
        return text.toString();
    }

    private static String quoted(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("\"");
        for (char ch : text.toCharArray()) {
            out.append(ch >= 0x20 && ch < 0x7F ? String.valueOf(ch) : String.format("\\u%04x", (int) ch));
        }
        return out.append('"').toString();
    }
}
