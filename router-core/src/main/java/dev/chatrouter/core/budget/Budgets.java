package dev.chatrouter.core.budget;

import dev.chatrouter.api.BudgetStatus;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.config.BudgetConfig;
import dev.chatrouter.api.spi.BudgetStore;
import dev.chatrouter.api.spi.BudgetStore.Counter;
import dev.chatrouter.api.spi.BudgetStore.Unit;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Budgets (SPEC section 8): before an attempt, the worst-case cost and tokens are reserved on every budget that
 * applies; after it, the reservation is settled to the actual usage, or released on failure. Each counter's
 * check-and-reserve is atomic in the {@link BudgetStore}, so concurrent requests can never spend past a hard
 * limit. Dollars are counted in pico-dollars (10^-12 USD), exact in integer arithmetic.
 */
public final class Budgets {

    /** Pico-dollars in a dollar. */
    public static final double PICOS = 1e12;

    private final List<BudgetConfig> budgets;
    private final List<BudgetConfig.Scope> scopes;
    private final BudgetStore store;
    private final Clock clock;

    public Budgets(List<BudgetConfig> budgets, BudgetStore store, Clock clock) {
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
     * A reservation for one attempt; {@link #refusedBy()} says which budget refused it, when one did.
     *
     * @param refusedBy the concrete scope and window that refused (such as {@code key:team-a/day}), or null
     * @param refusesRequest whether that budget refuses the request (key, user, tag, global) or only the target
     */
    public record Reservation(List<Held> held, String refusedBy, boolean refusesRequest) {
        public boolean granted() {
            return refusedBy == null;
        }
    }

    /** An amount reserved on a counter. */
    public record Held(Counter counter, long amount) {
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
                applied.add(new Applied(budget, concrete,
                        budget.limitUsd() != null || budget.softLimitUsd() != null
                                ? new Counter(concrete, window, start, Unit.PICO_USD) : null,
                        budget.limitTokens() != null ? new Counter(concrete, window, start, Unit.TOKENS) : null,
                        scope.refusesRequest()));
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
            return new Reservation(List.of(), null, false);
        }
        List<Held> held = new ArrayList<>(applied.size() * 2);
        for (Applied a : applied) {
            Double limitUsd = a.config().limitUsd();
            if (limitUsd != null) {
                if (!store.reserve(a.usd(), picos, Math.round(limitUsd * PICOS))) {
                    release(held);
                    return new Reservation(List.of(), a.scope() + "/" + a.usd().window(), a.refusesRequest());
                }
                held.add(new Held(a.usd(), picos));
            } else if (a.usd() != null) {
                // a soft limit only: count the spend, never refuse
                store.reserve(a.usd(), picos, Long.MAX_VALUE);
                held.add(new Held(a.usd(), picos));
            }
            if (a.tokens() != null) {
                if (!store.reserve(a.tokens(), tokens, a.config().limitTokens())) {
                    release(held);
                    return new Reservation(List.of(), a.scope() + "/" + a.tokens().window(), a.refusesRequest());
                }
                held.add(new Held(a.tokens(), tokens));
            }
        }
        return new Reservation(held, null, false);
    }

    /** Turns a reservation into the actual spend. */
    public void settle(Reservation reservation, long picos, long tokens) {
        for (Held h : reservation.held()) {
            store.settle(h.counter(), h.amount(), h.counter().unit() == Unit.PICO_USD ? picos : tokens);
        }
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
            if (soft != null && a.usd() != null) {
                BudgetStore.State state = store.state(a.usd());
                if (state.spent() + state.reserved() >= Math.round(soft * PICOS)) {
                    return true;
                }
            }
        }
        return false;
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
            if (a.tokens() != null) {
                BudgetStore.State s = store.state(a.tokens());
                if (s.spent() + s.reserved() + tokens > a.config().limitTokens()) {
                    return "budget_exhausted:" + a.scope() + "/" + a.tokens().window();
                }
            }
        }
        return null;
    }

    /** The error for a request a key, user, tag or global budget refuses. */
    public static ChatRouterException refused(Reservation reservation) {
        String[] parts = reservation.refusedBy().split("/");
        String window = parts[parts.length - 1];
        String scope = reservation.refusedBy().substring(0, reservation.refusedBy().length() - window.length() - 1);
        return ChatRouterException.builder(ErrorCode.SPEND_LIMIT_EXCEEDED, "budget " + scope + " for this " + window
                        + " would be exceeded by this request")
                .metadata("scope", scope).metadata("window", window).build();
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
                        usd.spent() / PICOS, usd.reserved() / PICOS,
                        limitUsd == null ? null : Math.max(0, limitUsd - (usd.spent() + usd.reserved()) / PICOS),
                        limitTokens, tok.spent(), tok.reserved(),
                        limitTokens == null ? null : Math.max(0, limitTokens - tok.spent() - tok.reserved()),
                        budget.window().next(start)));
            }
        }
        return new ArrayList<>(out.values());
    }
}
