package dev.chatrouter.core.budget;

import dev.chatrouter.api.BudgetStatus;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.Headroom;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.config.BudgetConfig;
import dev.chatrouter.api.event.BudgetLimitCrossed;
import dev.chatrouter.api.event.RouterListener;
import dev.chatrouter.api.spi.BudgetStore;
import dev.chatrouter.api.spi.BudgetStore.Counter;
import dev.chatrouter.api.spi.BudgetStore.Unit;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Budgets (docs/routing.md#budgets): before an attempt, the worst-case cost and tokens are reserved on every budget that
 * applies; after it, the reservation is settled to the actual usage, or released on failure. Each counter's
 * check-and-reserve is atomic in the {@link BudgetStore}, so concurrent requests can never spend past a hard
 * limit. Dollars are counted in pico-dollars (10^-12 USD), exact in integer arithmetic. The router's listener is told
 * when a budget first reaches its soft limit, and first refuses spend at its hard limit, in each window.
 */
public final class Budgets {

    /** Pico-dollars in a dollar. */
    public static final double PICOS = 1e12;

    private final List<BudgetConfig> budgets;
    private final List<BudgetConfig.Scope> scopes;
    private final BudgetStore store;
    private final Clock clock;
    private final RouterListener listener;
    /** The window start each limit was last told in, by limit, scope and window: each is told once a window. */
    private final Map<String, Instant> told = new ConcurrentHashMap<>();

    public Budgets(List<BudgetConfig> budgets, BudgetStore store, Clock clock) {
        this(budgets, store, clock, RouterListener.NONE);
    }

    public Budgets(List<BudgetConfig> budgets, BudgetStore store, Clock clock, RouterListener listener) {
        this.listener = listener;
        this.budgets = List.copyOf(budgets);
        this.scopes = this.budgets.stream().map(b -> BudgetConfig.Scope.parse(b.scope())).toList();
        this.store = store;
        this.clock = clock;
    }

    /** Where the counters live. */
    public BudgetStore store() {
        return store;
    }

    public boolean isEmpty() {
        return budgets.isEmpty();
    }

    /** One budget applied to one request: its concrete scope and the counters of the current window. */
    private record Applied(BudgetConfig config, String scope, Counter usd, Counter tokens, boolean refusesRequest) {
    }

    /**
     * A reservation for one attempt; {@link #refusal()} says which budget refused it, when one did.
     *
     * @param held    what is reserved, on which counters
     * @param refusal the budget that refused, or null when granted
     */
    public record Reservation(List<Held> held, Refusal refusal) {
        public boolean granted() {
            return refusal == null;
        }

        /** The concrete scope and window that refused (such as {@code key:team-a/day}), or null. */
        public String refusedBy() {
            return refusal == null ? null : refusal.scope() + "/" + refusal.window();
        }

        /** Whether the budget that refused refuses the request (key, user, tag, global) or only the target. */
        public boolean refusesRequest() {
            return refusal != null && refusal.refusesRequest();
        }
    }

    /**
     * Why a budget refused a reservation, in the budget's unit (pico-dollars or tokens).
     *
     * @param scope          the concrete scope, such as {@code key:alice}
     * @param window         the window's wire name
     * @param unit           what the figures count
     * @param limit          the budget's limit
     * @param asked          what the attempt asked to reserve
     * @param spent          settled spend in the window
     * @param inFlight       reserved by requests in flight
     * @param refusesRequest whether the budget refuses the request (key, user, tag, global) or only the target
     */
    public record Refusal(String scope, String window, Unit unit, long limit, long asked, long spent, long inFlight,
                          boolean refusesRequest) {
        /** What is left of the limit. */
        public long remaining() {
            return Math.max(0, limit - spent - inFlight);
        }
    }

    /**
     * An amount reserved on a counter.
     *
     * @param softLimit the counter's soft limit (pico-dollars), or -1 for none
     */
    public record Held(Counter counter, long amount, long softLimit) {
        public Held(Counter counter, long amount) {
            this(counter, amount, -1);
        }
    }

    private List<Applied> applicable(RequestContext context, String user, String provider, String target) {
        if (budgets.isEmpty()) {
            return List.of();
        }
        Instant now = clock.instant();
        List<Applied> applied = new ArrayList<>(budgets.size());
        for (int b = 0; b < budgets.size(); b++) {
            BudgetConfig budget = budgets.get(b);
            BudgetConfig.Scope scope = scopes.get(b);
            List<String> values = switch (scope.kind()) {
                case "global" -> List.of("global");
                case "key" -> context.key() == null ? List.of() : match(scope, context.key());
                case "user" -> user == null ? List.of() : match(scope, user);
                case "tag" -> context.tags().stream().flatMap(t -> match(scope, t).stream()).toList();
                case "provider" -> provider == null ? List.of() : match(scope, provider);
                case "model" -> target == null ? List.of() : match(scope, target);
                default -> List.of();
            };
            Instant start = budget.window().start(now);
            for (String value : values) {
                String concrete = value.equals("global") ? "global" : scope.kind() + ":" + value;
                String window = budget.window().wireName();
                // both units are counted whichever the budget limits, so spend queries report both
                applied.add(new Applied(budget, concrete, new Counter(concrete, window, start, Unit.PICO_USD),
                        new Counter(concrete, window, start, Unit.TOKENS), scope.refusesRequest()));
            }
        }
        return applied;
    }

    private static List<String> match(BudgetConfig.Scope scope, String value) {
        return scope.value().equals("*") || scope.value().equals(value) ? List.of(value) : List.of();
    }

    /**
     * Reserves an attempt's worst case on every budget that applies to the caller and the target. All or nothing:
     * when one budget refuses, what was reserved is given back.
     */
    public Reservation reserve(RequestContext context, String user, String provider, String target, long picos,
                               long tokens) {
        List<Applied> applied = applicable(context, user, provider, target);
        if (applied.isEmpty()) {
            return new Reservation(List.of(), null);
        }
        List<Held> held = new ArrayList<>(applied.size() * 2);
        for (Applied a : applied) {
            Double limitUsd = a.config().limitUsd();
            Refusal refusal = take(a, a.usd(), picos, limitUsd == null ? null : Math.round(limitUsd * PICOS), held);
            if (refusal == null) {
                refusal = take(a, a.tokens(), tokens, a.config().limitTokens(), held);
            }
            if (refusal != null) {
                release(held);
                return new Reservation(List.of(), refusal);
            }
        }
        return new Reservation(held, null);
    }

    /** Reserves on one counter (without a limit, only counts); the refusal when the limit would be exceeded. */
    private Refusal take(Applied a, Counter counter, long amount, Long limit, List<Held> held) {
        if (store.reserve(counter, amount, limit == null ? Long.MAX_VALUE : limit)) {
            held.add(new Held(counter, amount, counter.unit() == Unit.PICO_USD ? softPicos(a.config()) : -1));
            return null;
        }
        hardLimit(counter, limit);
        BudgetStore.State state = store.state(counter);
        return new Refusal(a.scope(), counter.window(), counter.unit(), limit, amount, state.spent(),
                state.reserved(), a.refusesRequest());
    }

    /** Turns a reservation into the actual spend. */
    public void settle(Reservation reservation, long picos, long tokens) {
        for (Held h : reservation.held()) {
            store.settle(h.counter(), h.amount(), h.counter().unit() == Unit.PICO_USD ? picos : tokens);
            if (h.softLimit() >= 0 && listener != RouterListener.NONE) {
                long spent = store.state(h.counter()).spent();
                if (spent >= h.softLimit()) {
                    tell(BudgetLimitCrossed.Limit.SOFT, h.counter(), spent / PICOS, h.softLimit() / PICOS);
                }
            }
        }
    }

    private static long softPicos(BudgetConfig budget) {
        return budget.softLimitUsd() == null ? -1 : Math.round(budget.softLimitUsd() * PICOS);
    }

    /** A hard limit refused a reservation on {@code counter}; {@code limit} in the counter's unit. */
    private void hardLimit(Counter counter, double limit) {
        if (listener != RouterListener.NONE) {
            double scale = counter.unit() == Unit.PICO_USD ? PICOS : 1;
            tell(BudgetLimitCrossed.Limit.HARD, counter, store.state(counter).spent() / scale, limit / scale);
        }
    }

    /** Tells the listener of a limit crossed, once per limit, scope and window. */
    private void tell(BudgetLimitCrossed.Limit limit, Counter counter, double spent, double limitValue) {
        String key = limit.wireName() + ':' + counter.unit() + ':' + counter.scope() + '/' + counter.window();
        if (counter.windowStart().equals(told.put(key, counter.windowStart()))) {
            return;
        }
        listener.onBudgetLimitCrossed(new BudgetLimitCrossed(clock.instant(), counter.scope(), counter.window(), limit,
                counter.unit() == Unit.PICO_USD ? BudgetLimitCrossed.Unit.USD : BudgetLimitCrossed.Unit.TOKENS,
                spent, limitValue));
    }

    /** Gives a reservation back (the attempt cost nothing). */
    public void release(Reservation reservation) {
        release(reservation.held());
    }

    private void release(List<Held> held) {
        for (Held h : held) {
            store.release(h.counter(), h.amount());
        }
    }

    /** True when a soft limit that applies to the caller is reached: the request should go the cheap way. */
    public boolean softLimited(RequestContext context, String user) {
        for (Applied a : applicable(context, user, null, null)) {
            Double soft = a.config().softLimitUsd();
            if (soft != null) {
                BudgetStore.State state = store.state(a.usd());
                if (state.spent() + state.reserved() >= Math.round(soft * PICOS)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * The caller's dollar budget (key, user, tag or global) with the least left in its current window, or
     * {@code null} when none applies.
     */
    public Headroom.Budget headroom(RequestContext context, String user) {
        Headroom.Budget tightest = null;
        for (Applied a : applicable(context, user, null, null)) {
            Double limit = a.config().limitUsd();
            if (limit == null || !a.refusesRequest()) {
                continue;
            }
            BudgetStore.State state = store.state(a.usd());
            double left = Math.max(0, Math.round(limit * PICOS) - state.spent() - state.reserved()) / PICOS;
            if (tightest == null || left < tightest.remainingUsd()) {
                tightest = new Headroom.Budget(a.scope(), a.usd().window(), left);
            }
        }
        return tightest;
    }

    /** Why a target's own budget (provider or model) cannot take a request now, or null when it can. */
    public String exhausted(RequestContext context, String provider, String target, long picos, long tokens) {
        for (Applied a : applicable(context, null, provider, target)) {
            if (a.refusesRequest()) {
                continue;
            }
            if (a.config().limitUsd() != null) {
                BudgetStore.State s = store.state(a.usd());
                if (s.spent() + s.reserved() + picos > Math.round(a.config().limitUsd() * PICOS)) {
                    return "budget_exhausted:" + a.scope() + "/" + a.usd().window();
                }
            }
            if (a.config().limitTokens() != null) {
                BudgetStore.State s = store.state(a.tokens());
                if (s.spent() + s.reserved() + tokens > a.config().limitTokens()) {
                    return "budget_exhausted:" + a.scope() + "/" + a.tokens().window();
                }
            }
        }
        return null;
    }

    /**
     * The error for a request a key, user, tag or global budget refuses: the budget, what the request reserves and
     * why, what is spent and what is left; the metadata carries {@code scope}, {@code window}, {@code unit}
     * ({@code usd} or {@code tokens}) and, in that unit, {@code limit}, {@code reserved} (by this request),
     * {@code spent} and {@code remaining}.
     *
     * @param why what the reservation is made of, for the message: {@code input ~6 tokens, ...}
     */
    public static ChatRouterException refused(Reservation reservation, String why) {
        Refusal r = reservation.refusal();
        String message = "budget " + r.scope() + " (" + r.window() + ", limit " + amount(r.unit(), r.limit())
                + ") would be exceeded: this request reserves up to " + amount(r.unit(), r.asked()) + " (" + why
                + "), " + amount(r.unit(), r.spent()) + " spent, "
                + (r.inFlight() > 0 ? amount(r.unit(), r.inFlight()) + " reserved by requests in flight, " : "")
                + amount(r.unit(), r.remaining()) + " left";
        return ChatRouterException.builder(ErrorCode.SPEND_LIMIT_EXCEEDED, message)
                .metadata("scope", r.scope()).metadata("window", r.window())
                .metadata("unit", r.unit() == Unit.PICO_USD ? "usd" : "tokens")
                .metadata("limit", figure(r.unit(), r.limit())).metadata("reserved", figure(r.unit(), r.asked()))
                .metadata("spent", figure(r.unit(), r.spent()))
                .metadata("remaining", figure(r.unit(), r.remaining())).build();
    }

    private static Object figure(Unit unit, long value) {
        return unit == Unit.PICO_USD ? (Object) usd(value) : (Object) value;
    }

    private static final BigDecimal CENT = new BigDecimal("0.01");

    /** An amount for a message: dollars to the cent, or to three significant digits below a cent; tokens grouped. */
    private static String amount(Unit unit, long value) {
        if (unit == Unit.TOKENS) {
            return String.format(Locale.ROOT, "%,d tokens", value);
        }
        BigDecimal dollars = BigDecimal.valueOf(value, 12);
        if (value == 0 || dollars.compareTo(CENT) >= 0) {
            dollars = dollars.setScale(2, RoundingMode.HALF_UP);
        } else {
            dollars = dollars.round(new MathContext(3, RoundingMode.HALF_UP)).stripTrailingZeros();
        }
        return "$" + dollars.toPlainString();
    }

    /**
     * Pico-dollars as dollars: the double nearest the exact decimal amount, so that 22,000,000 picos is
     * {@code 2.2E-5} and not a neighbour of it. Sums and differences are taken in picos, before converting.
     */
    public static double usd(long picos) {
        return BigDecimal.valueOf(picos, 12).doubleValue();
    }

    /** Spend against every budget in its current window. */
    public List<BudgetStatus> status() {
        Instant now = clock.instant();
        Map<String, BudgetStatus> out = new LinkedHashMap<>();
        for (BudgetConfig budget : budgets) {
            BudgetConfig.Scope scope = BudgetConfig.Scope.parse(budget.scope());
            Instant start = budget.window().start(now);
            List<String> scopes = new ArrayList<>();
            if (scope.value() == null) {
                scopes.add("global");
            } else if (!scope.value().equals("*")) {
                scopes.add(budget.scope());
            } else {
                String prefix = scope.kind() + ":";
                for (Counter c : store.counters()) {
                    if (c.scope().startsWith(prefix) && c.window().equals(budget.window().wireName())
                            && c.windowStart().equals(start) && !scopes.contains(c.scope())) {
                        scopes.add(c.scope());
                    }
                }
            }
            for (String concrete : scopes) {
                String window = budget.window().wireName();
                BudgetStore.State usd = store.state(new Counter(concrete, window, start, Unit.PICO_USD));
                BudgetStore.State tok = store.state(new Counter(concrete, window, start, Unit.TOKENS));
                Double limitUsd = budget.limitUsd();
                Long limitTokens = budget.limitTokens();
                out.put(concrete + "/" + window, new BudgetStatus(concrete, window, limitUsd, budget.softLimitUsd(),
                        usd(usd.spent()), usd(usd.reserved()), limitUsd == null ? null
                                : usd(Math.max(0, Math.round(limitUsd * PICOS) - usd.spent() - usd.reserved())),
                        limitTokens, tok.spent(), tok.reserved(),
                        limitTokens == null ? null : Math.max(0, limitTokens - tok.spent() - tok.reserved()),
                        budget.window().next(start)));
            }
        }
        return new ArrayList<>(out.values());
    }
}
