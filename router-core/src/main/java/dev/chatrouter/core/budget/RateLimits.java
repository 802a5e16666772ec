package dev.chatrouter.core.budget;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.Headroom;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.config.BudgetConfig;
import dev.chatrouter.api.config.RateLimitConfig;
import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.AccountingStore.Charge;
import dev.chatrouter.api.spi.AccountingStore.State;
import dev.chatrouter.api.spi.ProviderLimits;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The router's rate limits (requests and tokens per minute per scope, docs/routing.md#rate-limits) and the
 * providers' own caps, as fixed one-minute windows counted on the {@link AccountingStore}: the charges they add to
 * an attempt's reservation, what a refusal by one of them means, and what a reservation's counter states say is
 * left. Nothing is counted here: every figure is the store's, so routers sharing a store share their rates.
 *
 * <p>A counter is one concrete scope in one UTC minute in one unit, keyed like the budgets' counters,
 * {@code scope|minute|windowStart|unit} with the unit {@code rpm} (requests) or {@code tpm} (tokens), such as
 * {@code key:team-a|minute|2026-01-01T00:00:00Z|rpm}; a provider's caps use the scope {@code provider:ID}. A
 * counter expires at its minute's end plus the budgets' slack, so a late settlement still lands on it.
 *
 * <p>A request is charged one request and its token estimate; the estimate is settled to the tokens used. An
 * estimate above a {@code tpm} limit is charged as the whole limit: such a request needs a minute to itself.
 */
public final class RateLimits {

    /** The unit of requests-per-minute counters' keys. */
    static final String RPM = "rpm";
    /** The unit of tokens-per-minute counters' keys. */
    static final String TPM = "tpm";
    private static final String MINUTE = "minute";

    private final List<RateLimitConfig> limits;
    private final List<BudgetConfig.Scope> scopes;
    private final Map<String, ProviderLimits> providerLimits;
    private final Clock clock;
    private final Duration slack;

    /**
     * @param limits         the router's rate limits
     * @param providerLimits each provider's own caps, by provider id
     * @param lease          the reservations' lease, which the counters' slack outlives
     */
    public RateLimits(List<RateLimitConfig> limits, Map<String, ProviderLimits> providerLimits, Clock clock,
                      Duration lease) {
        this.limits = List.copyOf(limits);
        this.scopes = this.limits.stream().map(l -> BudgetConfig.Scope.parse(l.scope())).toList();
        this.providerLimits = Map.copyOf(providerLimits);
        this.clock = clock;
        this.slack = Budgets.slack(lease);
    }

    /** What a counter counts. */
    public enum Kind {
        REQUESTS, TOKENS
    }

    /**
     * One limit on one counter.
     *
     * @param key       the counter's key
     * @param scope     the concrete scope, such as {@code key:team-a} or {@code provider:openai}
     * @param kind      requests or tokens
     * @param limit     per minute
     * @param windowEnd when the counter's minute ends
     * @param provider  whether it is a provider's own cap (which skips the target) rather than a router limit (which
     *                  refuses the request)
     */
    public record Limit(String key, String scope, Kind kind, long limit, Instant windowEnd, boolean provider) {
    }

    /**
     * The charges of some limits, one per counter, and the limit each stands for (the same order).
     */
    public record Charges(List<Charge> charges, List<Limit> limits) {
        public static final Charges NONE = new Charges(List.of(), List.of());

        public boolean isEmpty() {
            return charges.isEmpty();
        }

        /** These charges followed by {@code more}'s. */
        public Charges plus(Charges more) {
            if (more.isEmpty()) {
                return this;
            }
            if (isEmpty()) {
                return more;
            }
            List<Charge> c = new ArrayList<>(charges);
            c.addAll(more.charges);
            List<Limit> l = new ArrayList<>(limits);
            l.addAll(more.limits);
            return new Charges(List.copyOf(c), List.copyOf(l));
        }

        /**
         * What these counters spent: one request on each requests counter (when {@code countRequest}), and
         * {@code tokens} on each tokens counter (when not zero).
         */
        public List<Charge> used(boolean countRequest, long tokens) {
            List<Charge> used = new ArrayList<>(charges.size());
            for (int i = 0; i < charges.size(); i++) {
                Charge c = charges.get(i);
                long amount = limits.get(i).kind() == Kind.REQUESTS ? (countRequest ? 1 : 0) : tokens;
                if (amount > 0) {
                    used.add(Charge.of(c.key(), amount, c.expiresAt()));
                }
            }
            return used;
        }

        /** Whether one of these counters counts requests. */
        public boolean countsRequests() {
            for (Limit l : limits) {
                if (l.kind() == Kind.REQUESTS) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * A limit that refused a reservation, with the store's figures at the time.
     *
     * @param asked    what the reservation asked of it
     * @param spent    settled in its minute
     * @param reserved held by requests in flight
     */
    public record Refusal(Limit limit, long asked, long spent, long reserved) {
        /** What is left of the limit. */
        public long remaining() {
            return Math.max(0, limit.limit() - spent - reserved);
        }
    }

    public boolean isEmpty() {
        return limits.isEmpty() && providerLimits.values().stream().allMatch(p -> p.rpm() == 0 && p.tpm() == 0);
    }

    /** The charges of the router's limits that apply to a request of {@code tokens} (its estimate). */
    public Charges request(RequestContext context, String user, long tokens) {
        if (limits.isEmpty()) {
            return Charges.NONE;
        }
        Window window = window();
        List<Charge> charges = new ArrayList<>(2 * limits.size());
        List<Limit> byKey = new ArrayList<>(2 * limits.size());
        for (int i = 0; i < limits.size(); i++) {
            RateLimitConfig limit = limits.get(i);
            for (String scope : scopes(scopes.get(i), context, user)) {
                if (limit.rpm() > 0) {
                    add(charges, byKey, window, scope, Kind.REQUESTS, limit.rpm(), 1, false);
                }
                if (limit.tpm() > 0) {
                    add(charges, byKey, window, scope, Kind.TOKENS, limit.tpm(), tokens, false);
                }
            }
        }
        return charges.isEmpty() ? Charges.NONE : new Charges(charges, byKey);
    }

    /** The charges of a provider's own caps for an attempt of {@code tokens} (its estimate). */
    public Charges provider(String provider, long tokens) {
        ProviderLimits caps = providerLimits.get(provider);
        if (caps == null || (caps.rpm() == 0 && caps.tpm() == 0)) {
            return Charges.NONE;
        }
        Window window = window();
        List<Charge> charges = new ArrayList<>(2);
        List<Limit> byKey = new ArrayList<>(2);
        String scope = "provider:" + provider;
        if (caps.rpm() > 0) {
            add(charges, byKey, window, scope, Kind.REQUESTS, caps.rpm(), 1, true);
        }
        if (caps.tpm() > 0) {
            add(charges, byKey, window, scope, Kind.TOKENS, caps.tpm(), tokens, true);
        }
        return new Charges(charges, byKey);
    }

    /**
     * A minute: its start and end, when its counters expire, and the part of their keys after the scope up to the
     * unit ({@code |minute|2026-01-01T00:00:00Z|}), made once a minute rather than for every key.
     */
    private record Window(long startMillis, long endMillis, Instant end, Instant expiresAt, String infix) {
    }

    /** The current minute, by the router's clock. */
    private volatile Window current;

    private Window window() {
        long now = clock.millis();
        Window w = current;
        if (w != null && now >= w.startMillis() && now < w.endMillis()) {
            return w;
        }
        Instant start = Instant.ofEpochMilli(now).truncatedTo(ChronoUnit.MINUTES);
        Instant end = start.plus(Duration.ofMinutes(1));
        w = new Window(start.toEpochMilli(), end.toEpochMilli(), end, end.plus(slack),
                Budgets.key("", MINUTE, start, ""));
        current = w;
        return w;
    }

    /**
     * Adds a charge, or tightens the limit of one already on the same counter (two limits on one scope). An amount
     * above the limit is charged as the limit: it fits an empty window, and only that.
     */
    private static void add(List<Charge> charges, List<Limit> limits, Window window, String scope, Kind kind,
                            long limit, long amount, boolean provider) {
        String key = scope + window.infix() + (kind == Kind.REQUESTS ? RPM : TPM);
        for (int i = 0; i < limits.size(); i++) {
            Limit old = limits.get(i);
            if (old.key().equals(key)) {
                long tightest = Math.min(old.limit(), limit);
                limits.set(i, new Limit(key, scope, kind, tightest, window.end(), provider));
                charges.set(i, new Charge(key, Math.min(amount, tightest), tightest, window.expiresAt()));
                return;
            }
        }
        limits.add(new Limit(key, scope, kind, limit, window.end(), provider));
        charges.add(new Charge(key, Math.min(amount, limit), limit, window.expiresAt()));
    }

    private static List<String> scopes(BudgetConfig.Scope scope, RequestContext context, String user) {
        List<String> values = switch (scope.kind()) {
            case "global" -> List.of("global");
            case "key" -> context.key() == null ? List.of() : List.of(context.key());
            case "user" -> user == null ? List.of() : List.of(user);
            case "tag" -> context.tags();
            default -> List.of();
        };
        List<String> out = new ArrayList<>(values.size());
        for (String v : values) {
            if (scope.kind().equals("global")) {
                out.add("global");
            } else if (scope.value().equals("*") || scope.value().equals(v)) {
                out.add(scope.kind() + ":" + v);
            }
        }
        return out;
    }

    /**
     * The error of a request a router limit refuses: 429 {@code rate_limit_exceeded} naming the scope in its
     * message and {@code metadata.scope}, with the time until the limit's minute ends as {@code Retry-After}.
     */
    public ChatRouterException refused(Refusal refusal) {
        Limit l = refusal.limit();
        Duration wait = Duration.between(clock.instant(), l.windowEnd());
        String what = l.kind() == Kind.REQUESTS ? "requests" : "tokens";
        String message = String.format(Locale.ROOT, "rate limit of %s exceeded: %,d %s per minute, %,d used and "
                        + "%,d held by requests in flight in this minute; this request needs %,d", l.scope(), l.limit(),
                what, refusal.spent(), refusal.reserved(), refusal.asked());
        return ChatRouterException.builder(ErrorCode.RATE_LIMIT_EXCEEDED, message)
                .retryAfter(wait.isNegative() ? Duration.ZERO : wait).metadata("scope", l.scope())
                .metadata("unit", what).metadata("limit", l.limit()).build();
    }

    /**
     * The router limits with the fewest requests and tokens left, after a request's settlement, from the counter
     * states its reservation reported: {@code [0]} requests, {@code [1]} tokens, each {@code null} when none applied.
     *
     * @param held   the request's router-limit charges
     * @param states their counters as the reservation left them
     * @param used   the tokens the request's attempts used, which replace its estimate
     */
    public Headroom.Limit[] headroom(Charges held, List<State> states, long used) {
        Headroom.Limit[] tightest = new Headroom.Limit[2];
        Instant now = clock.instant();
        for (int i = 0; i < held.charges().size() && i < states.size(); i++) {
            Limit l = held.limits().get(i);
            State s = states.get(i);
            long taken = s.spent() + s.reserved();
            if (l.kind() == Kind.TOKENS) {
                taken = taken - held.charges().get(i).amount() + used;
            }
            int slot = l.kind() == Kind.REQUESTS ? 0 : 1;
            tightest[slot] = tighter(tightest[slot], limit(l, l.limit() - taken, now));
        }
        return tightest;
    }

    /** The limit that refused a request, as headroom: {@code [0]} requests, {@code [1]} tokens. */
    public Headroom.Limit[] headroom(Refusal refusal) {
        Headroom.Limit[] h = new Headroom.Limit[2];
        Limit l = refusal.limit();
        h[l.kind() == Kind.REQUESTS ? 0 : 1] = limit(l, refusal.remaining(), clock.instant());
        return h;
    }

    private static Headroom.Limit limit(Limit l, long remaining, Instant now) {
        Duration reset = Duration.between(now, l.windowEnd());
        return new Headroom.Limit(l.scope(), l.limit(), Math.max(0, remaining),
                reset.isNegative() ? Duration.ZERO : reset);
    }

    private static Headroom.Limit tighter(Headroom.Limit a, Headroom.Limit b) {
        return a == null || b.remaining() < a.remaining() ? b : a;
    }
}
