package dev.chatrouter.core.budget;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.chatrouter.api.BudgetStatus;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.Headroom;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.config.AccountingConfig;
import dev.chatrouter.api.config.BudgetConfig;
import dev.chatrouter.api.event.BudgetLimitCrossed;
import dev.chatrouter.api.event.RouterListener;
import dev.chatrouter.api.event.Unaccounted;
import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.AccountingStore.Charge;
import dev.chatrouter.api.spi.AccountingStore.CounterState;
import dev.chatrouter.api.spi.AccountingStore.State;
import dev.chatrouter.core.dispatch.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Budgets (docs/routing.md#budgets) on an {@link AccountingStore}: before an attempt, the worst-case cost and tokens
 * are reserved on every budget that applies in <em>one</em> all-or-nothing {@link AccountingStore#reserve} call, so
 * concurrent requests (of this router, or of every router sharing the store) can never spend past a hard limit;
 * after it, the reservation is settled to the actual usage with one {@link AccountingStore#settle}, or released with
 * one {@link AccountingStore#release}. The attempt's rate-limit charges ({@link RateLimits}) ride on the same calls:
 * one reserve and one settle per attempt, whatever applies. Dollars are counted in pico-dollars (10^-12 USD), exact
 * in integer arithmetic. Every budget counts both units, dollars and tokens, whichever it limits, so spend queries
 * report both.
 *
 * <p>A counter is one concrete scope in one window in one unit, keyed
 * {@code scope|window|windowStart|unit} (such as {@code key:team-a|day|2026-01-01T00:00:00Z|pico_usd}); it
 * expires at its window's end plus {@link #slack(Duration)}.
 *
 * <p>When the store is unavailable, each charge's failure mode decides ({@code on_store_failure} for budgets,
 * {@code rate_limits_on_store_failure} for rate limits): when any charge of the attempt fails closed, the attempt
 * fails with {@code accounting_unavailable}; when every one fails open, it goes on without a reservation (a warning
 * once per outage, and {@link RouterListener#onUnaccounted}) and still settles its budgets' spend; the rate limits'
 * counts of an outage are not kept. A settlement the store could not take is kept and retried (see
 * {@link Settlements}) so that spend is never lost while the process lives.
 *
 * <p>The router's listener is told when a budget first reaches its soft limit, and first refuses spend at its hard
 * limit, in each window.
 */
public final class Budgets implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger("chatrouter");

    /** The largest magnitude up to which every long is an exact double: 2^53. */
    private static final long EXACT = 1L << 53;
    /** Pico-dollars in a dollar. */
    public static final double PICOS = 1e12;
    /** The unit of dollar counters' keys. */
    static final String PICO_USD = "pico_usd";
    /** The unit of token counters' keys. */
    static final String TOKENS = "tokens";
    /** The settlement id of a request that went on unaccounted: the store knows no such reservation. */
    static final String UNACCOUNTED = "unaccounted";
    /** How long {@link #status()} waits for the store. */
    static final Duration STATUS_WAIT = Duration.ofSeconds(5);
    /** How long closing waits for the settlements still pending. */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    private static final CompletableFuture<Reservation> NOTHING = CompletableFuture.completedFuture(
            new Reservation(null, List.of(), List.of(), null, List.of(), null, false, List.of(),
                    List.of()));

    /** What a counter counts. */
    public enum Unit {
        /** Pico-dollars (10^-12 USD). */
        PICO_USD,
        /** Tokens, input and output. */
        TOKENS;

        String keyName() {
            return this == PICO_USD ? Budgets.PICO_USD : Budgets.TOKENS;
        }
    }

    private final List<BudgetConfig> budgets;
    /** Per budget, what it last applied as ({@link #applied}): most requests need the same again. */
    private final AtomicReferenceArray<Applied> lastApplied;
    private final List<BudgetConfig.Scope> scopes;
    /** Per budget, its scope's kind ({@link #GLOBAL} ... {@link #MODEL}), and its value ({@code *} for any). */
    private final int[] kinds;
    private final String[] values;
    /** Whether a key, user, tag or global budget has a soft limit ({@link #softLimited}). */
    private final boolean anySoft;
    /** Whether a key, user, tag or global budget has a dollar limit ({@link #headroom(RequestContext, String)}). */
    private final boolean anyDollars;
    /** Whether a provider or model budget has a limit ({@link #exhausted}). */
    private final boolean anyOwn;
    private final AccountingStore store;
    /** Whether {@link #close()} closes the store. */
    private final AtomicBoolean ownsStore;
    private final Clock clock;
    private final Duration lease;
    private final Duration slack;
    private final boolean failOpen;
    private final boolean ratesFailOpen;
    private final Settlements settlements;
    private final RouterListener listener;
    private final AtomicBoolean outage = new AtomicBoolean();
    /** The last states read of counters that soft limits, headroom and target budgets peek at. */
    private final Cache<String, State> lastSeen = Caffeine.newBuilder().maximumSize(10_000)
            .expireAfterWrite(Duration.ofMinutes(1)).build();
    /** The window start each limit was last told in, by limit, scope and window: each is told once a window. */
    private final Map<String, Instant> told = new ConcurrentHashMap<>();

    /**
     * @param store     where the counters live
     * @param ownsStore whether {@link #close()} closes the store
     * @param lease     how long a reservation holds unless settled or released
     * @param failOpen      whether a request with budgets goes on unaccounted when the store is unavailable
     * @param ratesFailOpen whether a request with rate limits goes on unaccounted when the store is unavailable
     * @param scheduler     runs the settlement retries
     * @param listener      told when a limit is crossed, and of requests that went on unaccounted
     */
    public Budgets(List<BudgetConfig> budgets, AccountingStore store, boolean ownsStore, Clock clock, Duration lease,
                   boolean failOpen, boolean ratesFailOpen, Scheduler scheduler, RouterListener listener) {
        this.budgets = List.copyOf(budgets);
        this.scopes = this.budgets.stream().map(b -> BudgetConfig.Scope.parse(b.scope())).toList();
        this.store = store;
        this.ownsStore = new AtomicBoolean(ownsStore);
        this.clock = clock;
        this.lease = lease;
        this.slack = slack(lease);
        this.failOpen = failOpen;
        this.ratesFailOpen = ratesFailOpen;
        this.settlements = new Settlements(store, scheduler);
        this.listener = listener == null ? RouterListener.NONE : listener;
        this.lastApplied = new AtomicReferenceArray<>(this.budgets.size());
        this.kinds = new int[this.budgets.size()];
        this.values = new String[this.budgets.size()];
        boolean soft = false;
        boolean dollars = false;
        boolean own = false;
        for (int b = 0; b < kinds.length; b++) {
            BudgetConfig.Scope scope = scopes.get(b);
            BudgetConfig budget = this.budgets.get(b);
            kinds[b] = kind(scope.kind());
            values[b] = scope.value();
            if (scope.refusesRequest()) {
                soft |= budget.softLimitUsd() != null;
                dollars |= budget.limitUsd() != null;
            } else {
                own |= budget.limitUsd() != null || budget.limitTokens() != null;
            }
        }
        this.anySoft = soft;
        this.anyDollars = dollars;
        this.anyOwn = own;
    }

    private static final int GLOBAL = 0;
    private static final int KEY = 1;
    private static final int USER = 2;
    private static final int TAG = 3;
    private static final int PROVIDER = 4;
    private static final int MODEL = 5;
    private static final int NONE = 6;

    private static int kind(String kind) {
        return switch (kind) {
            case "global" -> GLOBAL;
            case "key" -> KEY;
            case "user" -> USER;
            case "tag" -> TAG;
            case "provider" -> PROVIDER;
            case "model" -> MODEL;
            default -> NONE;
        };
    }

    /** Budgets on a store they do not close, closed on failure, with the default lease: for tests and benchmarks. */
    public Budgets(List<BudgetConfig> budgets, AccountingStore store, Clock clock) {
        this(budgets, store, clock, RouterListener.NONE);
    }

    /** As {@link #Budgets(List, AccountingStore, Clock)}, telling {@code listener} of limits crossed. */
    public Budgets(List<BudgetConfig> budgets, AccountingStore store, Clock clock, RouterListener listener) {
        this(budgets, store, false, clock, AccountingConfig.DEFAULT_LEASE, false, true, (delay, task) -> {
            CompletableFuture.delayedExecutor(delay.toMillis(), TimeUnit.MILLISECONDS).execute(task);
            return Scheduler.Timer.NONE;
        }, listener);
    }

    /** How long a counter outlives its window: an hour, or the lease when that is longer, so late settlements land. */
    static Duration slack(Duration lease) {
        Duration hour = Duration.ofHours(1);
        return lease.compareTo(hour) > 0 ? lease.plus(hour) : hour;
    }

    /** Where the counters live. */
    public AccountingStore store() {
        return store;
    }

    public boolean isEmpty() {
        return budgets.isEmpty();
    }

    /**
     * Makes {@code next} (the budgets of the router that replaces this one's) take over the settlements this one
     * still waits to record when it closes, so that a reload loses none.
     */
    public void handOverSettlementsTo(Budgets next) {
        settlements.handOverTo(next.settlements);
    }

    /** The settlements waiting for the store to come back. */
    public int pendingSettlements() {
        return settlements.pending();
    }

    /** A counter's key: {@code scope|window|windowStart|unit}. */
    static String key(String scope, String window, Instant windowStart, String unit) {
        return scope + "|" + window + "|" + windowStart + "|" + unit;
    }

    /**
     * One budget applied to one request: its concrete scope and the counters (both units) of the current window,
     * with what a reservation takes from it, made once per budget, value and window ({@link #applied}).
     *
     * @param value       the value the scope matched ({@code global} for the global scope)
     * @param startMillis the window's start, in epoch millis
     * @param endMillis   the next window's start, in epoch millis
     * @param usdLimit    the dollar limit in pico-dollars, {@link AccountingStore#NO_LIMIT} without one
     * @param tokenLimit  the token limit, {@link AccountingStore#NO_LIMIT} without one
     * @param dollars     the headroom's dollar limit, for a key, user, tag or global budget with one; else null
     * @param soft        the soft limit, for a budget with one; else null
     */
    private record Applied(BudgetConfig config, String value, String scope, String window, Instant start,
                           long startMillis, long endMillis, String usd, String tokens, Instant expiresAt,
                           boolean refusesRequest, long usdLimit, long tokenLimit, Dollars dollars, Soft soft) {
    }

    private static final Applied[] NO_APPLIED = new Applied[0];

    /** The dollar limit of a key, user, tag or global budget on a counter a reservation holds, for the headroom. */
    public record Dollars(String key, String scope, String window, long limit) {
    }

    /** A limit on one counter of a reservation: what a refusal by that counter is told as. */
    private record Limited(Applied applied, Unit unit, long limit) {
    }

    /**
     * A soft limit on a counter a reservation holds: checked once its settlement lands.
     *
     * @param softLimit in pico-dollars
     */
    public record Soft(String key, String scope, String window, Instant start, long softLimit) {
    }

    /**
     * A reservation for one attempt; {@link #refusal()} says which budget refused it, {@link #rateRefusal()} which
     * rate limit, when one did.
     *
     * @param id          the store's reservation id; {@code null} when nothing was reserved (nothing applies,
     *                    refused, or unaccounted because the store was unavailable and failing open)
     * @param held        the budget charges reserved (or, unaccounted, that would have been): what settles
     * @param soft        the soft limits on the dollar counters held
     * @param refusal     the budget that refused, or null
     * @param rateStates  the counters of the rate-limit charges as the reservation left them, in their order (empty
     *                    unless granted by the store)
     * @param rateRefusal the rate limit that refused, or null
     * @param unaccounted whether the store was unavailable and the attempt goes on without a reservation
     * @param states      the counters of {@code held} as the reservation left them, in their order (empty unless
     *                    granted by the store)
     * @param dollars     the dollar limits of the key, user, tag and global budgets held, for the headroom
     */
    public record Reservation(String id, List<Charge> held, List<Soft> soft, Refusal refusal,
                              List<State> rateStates, RateLimits.Refusal rateRefusal,
                              boolean unaccounted, List<State> states, List<Dollars> dollars) {
        public boolean granted() {
            return refusal == null && rateRefusal == null;
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

    /** {@link #applicable}'s time before it needs one. */
    private static final long UNREAD = Long.MIN_VALUE;

    /**
     * The budgets that apply, in the budgets' order (a tag budget once per matching tag, in the tags' order).
     *
     * @param own only the provider and model budgets with a limit: what {@link #exhausted} checks
     */
    private Applied[] applicable(RequestContext context, String user, String provider, String target, boolean own) {
        if (budgets.isEmpty()) {
            return NO_APPLIED;
        }
        long now = UNREAD; // read once a budget applies: a target's own budgets often do not
        Applied[] applied = null;
        int n = 0;
        for (int b = 0; b < kinds.length; b++) {
            int kind = kinds[b];
            if (own && (kind < PROVIDER || !limits(budgets.get(b)))) {
                continue;
            }
            String value = switch (kind) {
                case GLOBAL -> "global";
                case KEY -> context.key();
                case USER -> user;
                case PROVIDER -> provider;
                case MODEL -> target;
                default -> null;
            };
            if (kind == TAG) {
                for (String tag : context.tags()) {
                    if (matches(b, tag)) {
                        now = now == UNREAD ? clock.millis() : now;
                        applied = add(applied, n++, applied(b, tag, now));
                    }
                }
            } else if (value != null && (kind == GLOBAL || matches(b, value))) {
                now = now == UNREAD ? clock.millis() : now;
                applied = add(applied, n++, applied(b, value, now));
            }
        }
        if (applied == null) {
            return NO_APPLIED;
        }
        return n == applied.length ? applied : Arrays.copyOf(applied, n);
    }

    private static boolean limits(BudgetConfig budget) {
        return budget.limitUsd() != null || budget.limitTokens() != null;
    }

    private boolean matches(int b, String value) {
        return values[b].equals("*") || values[b].equals(value);
    }

    private Applied[] add(Applied[] applied, int at, Applied a) {
        Applied[] to = applied == null ? new Applied[kinds.length]
                : at == applied.length ? Arrays.copyOf(applied, at * 2) : applied;
        to[at] = a;
        return to;
    }

    /**
     * Budget {@code b} applied for {@code value} at {@code nowMillis}: the one last made for that budget when it is
     * for the same value and window (most requests need the same one again), else a new one. Making one formats
     * the window's start, which costs more than the rest of the look-up.
     */
    private Applied applied(int b, String value, long nowMillis) {
        Applied last = lastApplied.get(b);
        if (last != null && nowMillis >= last.startMillis() && nowMillis < last.endMillis()
                && last.value().equals(value)) {
            return last;
        }
        BudgetConfig budget = budgets.get(b);
        // by kind, not by value: a user, key or tag named "global" is not the router-wide scope
        String scope = kinds[b] == GLOBAL ? "global" : scopes.get(b).kind() + ":" + value;
        String window = budget.window().wireName();
        Instant start = budget.window().start(Instant.ofEpochMilli(nowMillis));
        Instant next = budget.window().next(start);
        // both units are counted whichever the budget limits, so spend queries report both
        String usd = key(scope, window, start, PICO_USD);
        Double limitUsd = budget.limitUsd();
        long usdLimit = limitUsd != null ? Math.round(limitUsd * PICOS) : AccountingStore.NO_LIMIT;
        boolean refuses = scopes.get(b).refusesRequest();
        Applied a = new Applied(budget, value, scope, window, start, start.toEpochMilli(), next.toEpochMilli(), usd,
                key(scope, window, start, TOKENS), next.plus(slack), refuses, usdLimit,
                budget.limitTokens() != null ? budget.limitTokens() : AccountingStore.NO_LIMIT,
                limitUsd != null && refuses ? new Dollars(usd, scope, window, usdLimit) : null,
                budget.softLimitUsd() != null ? new Soft(usd, scope, window, start,
                        Math.round(budget.softLimitUsd() * PICOS)) : null);
        lastApplied.set(b, a);
        return a;
    }

    /**
     * Adds a charge at {@code charges[n]}, or tightens the limit of one already on the same counter (two budgets on
     * one counter); returns the new count.
     */
    private static int charge(Charge[] charges, int n, String key, long amount, long limit, Instant expiresAt) {
        for (int i = 0; i < n; i++) {
            Charge c = charges[i];
            if (c.key().equals(key)) {
                charges[i] = new Charge(key, amount, Math.min(c.limit(), limit),
                        c.expiresAt().isAfter(expiresAt) ? c.expiresAt() : expiresAt);
                return n;
            }
        }
        charges[n] = new Charge(key, amount, limit, expiresAt);
        return n + 1;
    }

    /**
     * The budget a refused counter's limit comes from, and its unit: the tightest when several budgets share the
     * counter (the first of them on a tie); null when none of {@code applied} limits it.
     */
    private static Limited limited(Applied[] applied, String key) {
        Limited by = null;
        for (Applied a : applied) {
            if (a.config().limitUsd() != null && a.usd().equals(key) && (by == null || a.usdLimit() < by.limit())) {
                by = new Limited(a, Unit.PICO_USD, a.usdLimit());
            }
            if (a.config().limitTokens() != null && a.tokens().equals(key)
                    && (by == null || a.tokenLimit() < by.limit())) {
                by = new Limited(a, Unit.TOKENS, a.tokenLimit());
            }
        }
        return by;
    }

    /** The first {@code n} elements of {@code items}, unmodifiable. */
    static <E> List<E> listOf(E[] items, int n) {
        return switch (n) {
            case 0 -> List.of();
            case 1 -> List.of(items[0]);
            case 2 -> List.of(items[0], items[1]);
            default -> List.of(n == items.length ? items : Arrays.copyOf(items, n));
        };
    }

    /**
     * Reserves an attempt's worst case on every budget that applies to the caller and the target, with its
     * rate-limit charges before them, in one all-or-nothing store call. The stage completes inline when the store's
     * does (the in-memory and durable stores), and fails with a {@link ChatRouterException}
     * {@code accounting_unavailable} when the store is unavailable and a charge of the attempt fails closed.
     *
     * @param rates the rate-limit charges of the attempt: first in the reservation, so that a rate limit refuses
     *              before a budget does
     */
    public CompletionStage<Reservation> reserve(RequestContext context, String user, String provider, String target,
                                                long picos, long tokens, RateLimits.Charges rates) {
        Applied[] applied = applicable(context, user, provider, target, false);
        if (applied.length == 0 && rates.isEmpty()) {
            return NOTHING;
        }
        Charge[] charges = new Charge[2 * applied.length];
        int n = 0;
        Soft[] soft = null;
        int nSoft = 0;
        Dollars[] dollars = null;
        int nDollars = 0;
        for (Applied a : applied) {
            if (a.dollars() != null) {
                if (dollars == null) {
                    dollars = new Dollars[applied.length];
                }
                dollars[nDollars++] = a.dollars();
            }
            // without a limit, the spend is only counted, never refused
            n = charge(charges, n, a.usd(), picos, a.usdLimit(), a.expiresAt());
            if (a.soft() != null) {
                if (soft == null) {
                    soft = new Soft[applied.length];
                }
                soft[nSoft++] = a.soft();
            }
            n = charge(charges, n, a.tokens(), tokens, a.tokenLimit(), a.expiresAt());
        }
        List<Charge> held = listOf(charges, n);
        List<Soft> softHeld = listOf(soft, nSoft);
        List<Dollars> dollarsHeld = listOf(dollars, nDollars);
        List<Charge> all;
        if (rates.isEmpty()) {
            all = held;
        } else {
            all = new ArrayList<>(rates.charges().size() + held.size());
            all.addAll(rates.charges());
            all.addAll(held);
        }
        CompletionStage<AccountingStore.Reservation> asked;
        try {
            asked = store.reserve(all, lease);
        } catch (RuntimeException e) {
            asked = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<AccountingStore.Reservation> now = asked instanceof CompletableFuture<AccountingStore.Reservation> f
                && f.isDone() && !f.isCompletedExceptionally() ? f : null;
        if (now != null) {
            // the store answered at once (in memory, durable): no stage to chain
            return CompletableFuture.completedFuture(answered(now.join(), null, applied, held, softHeld,
                    dollarsHeld, rates));
        }
        return asked.handle((r, error) -> answered(r, error, applied, held, softHeld, dollarsHeld, rates));
    }

    /** The reservation the store's answer to {@link #reserve} makes. */
    private Reservation answered(AccountingStore.Reservation r, Throwable error, Applied[] applied, List<Charge> held,
                                 List<Soft> softHeld, List<Dollars> dollarsHeld, RateLimits.Charges rates) {
        if (error == null) {
            storeAnswered();
            if (r instanceof AccountingStore.Reservation.Granted g) {
                List<State> states = g.states();
                int n = Math.min(states.size(), rates.charges().size());
                return new Reservation(g.id(), held, softHeld, null, n == 0 ? List.of() : states.subList(0, n),
                        null, false, n == 0 ? states : states.subList(n, states.size()), dollarsHeld);
            }
            AccountingStore.Reservation.Refused refused = (AccountingStore.Reservation.Refused) r;
            RateLimits.Refusal byRate = rateRefusal(refused, rates);
            return new Reservation(null, List.of(), List.of(), byRate != null ? null : refusal(refused, applied),
                    List.of(), byRate, false, List.of(), List.of());
        }
        AccountingStore.Unavailable unavailable = unavailable(error);
        if (unavailable == null) {
            throw error instanceof CompletionException c ? c : new CompletionException(error);
        }
        boolean budgetsClosed = !held.isEmpty() && !failOpen;
        boolean ratesClosed = !rates.isEmpty() && !ratesFailOpen;
        storeFailed(unavailable);
        if (budgetsClosed || ratesClosed) {
            throw unavailableError(unavailable);
        }
        listener.onUnaccounted(new Unaccounted(clock.instant(), unavailable.store(), !held.isEmpty(),
                !rates.isEmpty()));
        return new Reservation(null, held, softHeld, null, List.of(), null, true, List.of(), List.of());
    }

    /** The rate limit that refused, when the counter that refused is one of {@code rates}'. */
    private static RateLimits.Refusal rateRefusal(AccountingStore.Reservation.Refused refused,
                                                  RateLimits.Charges rates) {
        for (RateLimits.Limit l : rates.limits()) {
            if (l.key().equals(refused.key())) {
                return new RateLimits.Refusal(l, refused.amount(), refused.spent(), refused.reserved());
            }
        }
        return null;
    }

    /** The refusal a store's answer makes, told to the listener as a hard limit crossed. */
    private Refusal refusal(AccountingStore.Reservation.Refused refused, Applied[] applied) {
        Limited by = limited(applied, refused.key());
        Refusal refusal;
        if (by == null) {
            // not a counter of ours: name what the store said
            Unit unit = refused.key().endsWith("|" + PICO_USD) ? Unit.PICO_USD : Unit.TOKENS;
            refusal = new Refusal(refused.key(), "", unit, refused.limit(), refused.amount(), refused.spent(),
                    refused.reserved(), true);
        } else {
            Applied a = by.applied();
            refusal = new Refusal(a.scope(), a.window(), by.unit(), refused.limit(), refused.amount(),
                    refused.spent(), refused.reserved(), a.refusesRequest());
            if (listener != RouterListener.NONE) {
                double scale = by.unit() == Unit.PICO_USD ? PICOS : 1;
                tell(BudgetLimitCrossed.Limit.HARD, by.unit(), a.scope(), a.window(), a.start(),
                        refused.spent() / scale, refused.limit() / scale);
            }
        }
        return refusal;
    }

    /** Tells the listener of a limit crossed, once per limit, unit, scope and window. */
    private void tell(BudgetLimitCrossed.Limit limit, Unit unit, String scope, String window, Instant windowStart,
                      double spent, double limitValue) {
        String key = limit.wireName() + ':' + unit + ':' + scope + '/' + window;
        if (windowStart.equals(told.put(key, windowStart))) {
            return;
        }
        listener.onBudgetLimitCrossed(new BudgetLimitCrossed(clock.instant(), scope, window, limit,
                unit == Unit.PICO_USD ? BudgetLimitCrossed.Unit.USD : BudgetLimitCrossed.Unit.TOKENS,
                spent, limitValue));
    }

    /** The error of a request the store could not account for (failing closed): names the store, no stack trace. */
    public static ChatRouterException unavailableError(AccountingStore.Unavailable unavailable) {
        return ChatRouterException.builder(ErrorCode.ACCOUNTING_UNAVAILABLE, unavailable.getMessage())
                .metadata("store", unavailable.store()).build();
    }

    private static AccountingStore.Unavailable unavailable(Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        return e instanceof AccountingStore.Unavailable u ? u : null;
    }

    private void storeFailed(AccountingStore.Unavailable e) {
        if (outage.compareAndSet(false, true)) {
            LOG.warn("accounting: {}; until it is back, requests with budgets {} (on_store_failure: {}), requests"
                            + " with rate limits {} (rate_limits_on_store_failure: {})", e.getMessage(),
                    failOpen ? "go on unaccounted" : "fail with accounting_unavailable", failOpen ? "open" : "closed",
                    ratesFailOpen ? "go on unaccounted" : "fail with accounting_unavailable",
                    ratesFailOpen ? "open" : "closed");
        }
    }

    private void storeAnswered() {
        if (outage.get() && outage.compareAndSet(true, false)) {
            LOG.info("accounting: the store answers again");
        }
    }

    /**
     * Turns a reservation into the actual spend, in one store call. A settlement the store cannot take now is
     * retried until it can. Once it is recorded, a soft limit it reached is told.
     *
     * @return completes (never exceptionally) once the store took the spend, or once it failed to and the spend was
     *         queued for retries: the router answers its caller only then, so that a router killed right after
     *         answering has recorded what it told
     */
    public CompletionStage<Void> settle(Reservation reservation, long picos, long tokens, List<Charge> rates) {
        boolean ratesCount = !reservation.unaccounted() && !rates.isEmpty();
        if (reservation.held().isEmpty() && !ratesCount) {
            if (reservation.id() != null) {
                release(reservation, List.of());
            }
            return RECORDED;
        }
        List<Charge> held = reservation.held();
        int r = ratesCount ? rates.size() : 0;
        Charge[] charges = new Charge[r + held.size()];
        for (int i = 0; i < r; i++) {
            charges[i] = rates.get(i);
        }
        for (int i = 0; i < held.size(); i++) {
            Charge c = held.get(i);
            charges[r + i] = Charge.of(c.key(), c.key().endsWith("|" + PICO_USD) ? picos : tokens, c.expiresAt());
        }
        List<Charge> actual = listOf(charges, charges.length);
        CompletionStage<Void> recorded = settlements.settle(reservation.id() == null ? UNACCOUNTED : reservation.id(),
                actual);
        if (!reservation.soft().isEmpty() && listener != RouterListener.NONE) {
            recorded.thenRun(() -> softLimits(reservation.soft()));
        }
        if (recorded instanceof CompletableFuture<Void> f && f.isDone()) {
            // recorded or queued already: the same answer without another stage
            return RECORDED;
        }
        return recorded.handle((v, e) -> null);
    }

    /** A settlement with nothing to record. */
    private static final CompletionStage<Void> RECORDED = CompletableFuture.completedFuture(null);

    /** Tells the soft limits that settled spend has reached. */
    private void softLimits(List<Soft> held) {
        List<String> keys = held.stream().map(Soft::key).distinct().toList();
        CompletionStage<Map<String, State>> read;
        try {
            read = store.states(keys);
        } catch (RuntimeException e) {
            return;
        }
        read.thenAccept(states -> {
            for (Soft s : held) {
                long spent = states.getOrDefault(s.key(), State.EMPTY).spent();
                if (spent >= s.softLimit()) {
                    tell(BudgetLimitCrossed.Limit.SOFT, Unit.PICO_USD, s.scope(), s.window(), s.start(),
                            spent / PICOS, s.softLimit() / PICOS);
                }
            }
        });
    }

    /**
     * Gives a reservation back (the attempt cost nothing on the budgets), in one store call: a release, or, when
     * {@code rates} counts something still (the requests of an attempt that failed), a settlement of those alone.
     * When the store cannot take a release, the reservation's lease ends it.
     */
    public void release(Reservation reservation, List<Charge> rates) {
        if (!rates.isEmpty() && !reservation.unaccounted()) {
            settlements.settle(reservation.id() == null ? UNACCOUNTED : reservation.id(), rates);
            return;
        }
        if (reservation.id() == null) {
            return;
        }
        try {
            store.release(reservation.id()).whenComplete((v, e) -> {
                if (e != null) {
                    LOG.debug("accounting: a release failed, its lease will end it: {}", e.toString());
                }
            });
        } catch (RuntimeException e) {
            LOG.debug("accounting: a release failed, its lease will end it: {}", e.toString());
        }
    }

    /**
     * The states of counters for advisory checks (soft limits, headroom, planning), without waiting: what the store
     * says now when it answers at once (the in-memory and durable stores), else what it said last (a remote store;
     * the answer updates the view for the next request). Reservations stay exact: they are the store's decision.
     */
    private Map<String, State> peek(List<String> keys) {
        CompletableFuture<Map<String, State>> read;
        try {
            read = store.states(keys).toCompletableFuture();
        } catch (RuntimeException e) {
            read = CompletableFuture.failedFuture(e);
        }
        if (read.isDone() && !read.isCompletedExceptionally()) {
            return read.join();
        }
        read.thenAccept(lastSeen::putAll);
        Map<String, State> seen = new HashMap<>();
        for (String key : keys) {
            State s = lastSeen.getIfPresent(key);
            seen.put(key, s == null ? State.EMPTY : s);
        }
        return seen;
    }

    /** True when a soft limit that applies to the caller is reached: the request should go the cheap way. */
    public boolean softLimited(RequestContext context, String user) {
        if (!anySoft) {
            return false;
        }
        List<Applied> soft = new ArrayList<>();
        for (Applied a : applicable(context, user, null, null, false)) {
            if (a.config().softLimitUsd() != null) {
                soft.add(a);
            }
        }
        if (soft.isEmpty()) {
            return false;
        }
        Map<String, State> states = peek(soft.stream().map(Applied::usd).distinct().toList());
        for (Applied a : soft) {
            State state = states.get(a.usd());
            if (state.spent() + state.reserved() >= Math.round(a.config().softLimitUsd() * PICOS)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The caller's dollar budget (key, user, tag or global) with the least left in its current window, or
     * {@code null} when none applies.
     */
    public Headroom.Budget headroom(RequestContext context, String user) {
        if (!anyDollars) {
            return null;
        }
        List<Applied> limited = new ArrayList<>();
        for (Applied a : applicable(context, user, null, null, false)) {
            if (a.config().limitUsd() != null && a.refusesRequest()) {
                limited.add(a);
            }
        }
        if (limited.isEmpty()) {
            return null;
        }
        Map<String, State> states = peek(limited.stream().map(Applied::usd).distinct().toList());
        Headroom.Budget tightest = null;
        for (Applied a : limited) {
            State state = states.get(a.usd());
            double left = usd(Math.max(0, Math.round(a.config().limitUsd() * PICOS) - state.spent()
                    - state.reserved()));
            if (tightest == null || left < tightest.remainingUsd()) {
                tightest = new Headroom.Budget(a.scope(), a.window(), left);
            }
        }
        return tightest;
    }

    /**
     * The dollar budget (key, user, tag or global) with the least left, from the counter states a reservation
     * reported, its worst case replaced by what it spent; {@code null} when the reservation holds none (then ask
     * {@link #headroom(RequestContext, String)}).
     *
     * @param picos what the attempt spent, or its worst case while it runs
     */
    public static Headroom.Budget headroom(Reservation reservation, long picos) {
        if (reservation.dollars().isEmpty() || reservation.states().size() != reservation.held().size()) {
            return null;
        }
        Headroom.Budget tightest = null;
        for (Dollars d : reservation.dollars()) {
            for (int i = 0; i < reservation.held().size(); i++) {
                Charge c = reservation.held().get(i);
                if (c.key().equals(d.key())) {
                    State s = reservation.states().get(i);
                    double left = usd(Math.max(0, d.limit() - (s.spent() + s.reserved() - c.amount() + picos)));
                    if (tightest == null || left < tightest.remainingUsd()) {
                        tightest = new Headroom.Budget(d.scope(), d.window(), left);
                    }
                    break;
                }
            }
        }
        return tightest;
    }

    /** Whether a provider or model budget has a limit: else {@link #exhausted} is always null. */
    public boolean limitsTargets() {
        return anyOwn;
    }

    /** Why a target's own budget (provider or model) cannot take a request now, or null when it can. */
    public String exhausted(RequestContext context, String provider, String target, long picos, long tokens) {
        if (!anyOwn) {
            return null;
        }
        Applied[] own = applicable(context, null, provider, target, true);
        if (own.length == 0) {
            return null;
        }
        String[] keys = new String[2 * own.length];
        int n = 0;
        for (Applied a : own) {
            if (a.config().limitUsd() != null) {
                n = distinct(keys, n, a.usd());
            }
            if (a.config().limitTokens() != null) {
                n = distinct(keys, n, a.tokens());
            }
        }
        Map<String, State> states = peek(listOf(keys, n));
        for (Applied a : own) {
            if (a.config().limitUsd() != null) {
                State s = states.get(a.usd());
                if (s.spent() + s.reserved() + picos > a.usdLimit()) {
                    return "budget_exhausted:" + a.scope() + "/" + a.window();
                }
            }
            if (a.config().limitTokens() != null) {
                State s = states.get(a.tokens());
                if (s.spent() + s.reserved() + tokens > a.config().limitTokens()) {
                    return "budget_exhausted:" + a.scope() + "/" + a.window();
                }
            }
        }
        return null;
    }

    /** Adds {@code key} at {@code keys[n]} unless it is there already; returns the new count. */
    private static int distinct(String[] keys, int n, String key) {
        for (int i = 0; i < n; i++) {
            if (keys[i].equals(key)) {
                return n;
            }
        }
        keys[n] = key;
        return n + 1;
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
        if (picos >= -EXACT && picos <= EXACT) {
            // both operands are exact doubles and IEEE division rounds correctly: the nearest double already
            return picos / PICOS;
        }
        if (picos == Long.MIN_VALUE) {
            return BigDecimal.valueOf(picos, 12).doubleValue();
        }
        return picos < 0 ? -large(-picos) : large(picos);
    }

    /** 5^12: 10^12 is 2^12 times this. */
    private static final long FIVES = 244_140_625L;

    /**
     * The double nearest {@code picos / 10^12} for {@code picos > 2^53}, exactly, in integer arithmetic: the
     * quotient by 5^12 to 62 bits, a last bit set when a remainder is left (so that rounding to 53 bits sees it),
     * converted (correctly rounded) and scaled by a power of two (exact).
     */
    private static double large(long picos) {
        long q = picos / FIVES;
        long r = picos % FIVES;
        int shift = Math.min(35, 62 - (64 - Long.numberOfLeadingZeros(q)));
        long scaled = r << shift;
        long m = (q << shift) | (scaled / FIVES);
        m = (m << 1) | (scaled % FIVES != 0 ? 1 : 0);
        return Math.scalb((double) m, -(shift + 1) - 12);
    }

    /**
     * Spend against every budget in its current window, waiting at most {@link #STATUS_WAIT} for the store.
     *
     * @throws ChatRouterException {@code accounting_unavailable} when the store does not answer in time
     */
    public List<BudgetStatus> status() {
        try {
            return statusAsync().toCompletableFuture().get(STATUS_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ChatRouterException.builder(ErrorCode.ACCOUNTING_UNAVAILABLE, "interrupted reading the spend")
                    .build();
        } catch (TimeoutException e) {
            throw ChatRouterException.builder(ErrorCode.ACCOUNTING_UNAVAILABLE, "the accounting store did not answer"
                    + " the spend query within " + STATUS_WAIT.toSeconds() + " s").build();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof ChatRouterException c ? c : ChatRouterException.internal(e.getCause());
        }
    }

    /** Spend against every budget in its current window: one {@link AccountingStore#counters()} call. */
    public CompletionStage<List<BudgetStatus>> statusAsync() {
        if (budgets.isEmpty()) {
            return CompletableFuture.completedFuture(List.of());
        }
        CompletionStage<List<CounterState>> read;
        try {
            read = store.counters();
        } catch (RuntimeException e) {
            read = CompletableFuture.failedFuture(e);
        }
        return read.handle((counters, error) -> {
            if (error != null) {
                AccountingStore.Unavailable u = unavailable(error);
                if (u != null) {
                    throw unavailableError(u);
                }
                throw error instanceof CompletionException c ? c : new CompletionException(error);
            }
            return status(counters);
        });
    }

    private List<BudgetStatus> status(List<CounterState> counters) {
        Map<String, CounterState> byKey = new HashMap<>();
        for (CounterState c : counters) {
            byKey.put(c.key(), c);
        }
        Instant now = clock.instant();
        Map<String, BudgetStatus> out = new LinkedHashMap<>();
        for (BudgetConfig budget : budgets) {
            BudgetConfig.Scope scope = BudgetConfig.Scope.parse(budget.scope());
            Instant start = budget.window().start(now);
            String window = budget.window().wireName();
            List<String> scopes = new ArrayList<>();
            if (scope.value() == null) {
                scopes.add("global");
            } else if (!scope.value().equals("*")) {
                scopes.add(budget.scope());
            } else {
                String prefix = scope.kind() + ":";
                String suffix = "|" + window + "|" + start + "|";
                for (CounterState c : counters) {
                    int at = c.key().lastIndexOf(suffix);
                    // the scope is what comes before the last window|start|unit: a tag may hold '|'; a counter of
                    // another unit (a rate limit's, in a minute window) is not a budget's
                    String unit = at > 0 ? c.key().substring(at + suffix.length()) : "";
                    if (at > 0 && c.key().startsWith(prefix) && (unit.equals(PICO_USD) || unit.equals(TOKENS))) {
                        String concrete = c.key().substring(0, at);
                        if (!scopes.contains(concrete)) {
                            scopes.add(concrete);
                        }
                    }
                }
            }
            for (String concrete : scopes) {
                State usd = state(byKey, key(concrete, window, start, PICO_USD));
                State tok = state(byKey, key(concrete, window, start, TOKENS));
                // two budgets on one scope and window share its counters, under the tighter of their limits
                BudgetStatus other = out.get(concrete + "/" + window);
                Double limitUsd = tighter(budget.limitUsd(), other == null ? null : other.limitUsd());
                Double softLimitUsd = tighter(budget.softLimitUsd(), other == null ? null : other.softLimitUsd());
                Long limitTokens = tighter(budget.limitTokens(), other == null ? null : other.limitTokens());
                out.put(concrete + "/" + window, new BudgetStatus(concrete, window, limitUsd, softLimitUsd,
                        usd(usd.spent()), usd(usd.reserved()), limitUsd == null ? null
                                : usd(Math.max(0, Math.round(limitUsd * PICOS) - usd.spent() - usd.reserved())),
                        limitTokens, tok.spent(), tok.reserved(),
                        limitTokens == null ? null : Math.max(0, limitTokens - tok.spent() - tok.reserved()),
                        budget.window().next(start)));
            }
        }
        return new ArrayList<>(out.values());
    }

    /** The smaller of two limits, either of which may be absent. */
    private static <T extends Comparable<T>> T tighter(T a, T b) {
        return a == null ? b : b == null || a.compareTo(b) <= 0 ? a : b;
    }

    private static State state(Map<String, CounterState> byKey, String key) {
        CounterState c = byKey.get(key);
        return c == null ? State.EMPTY : new State(c.spent(), c.reserved());
    }

    /**
     * Hands the store the settlements still pending (waiting at most {@link #CLOSE_WAIT}; what it still cannot
     * take is logged), then closes the store when these budgets own it.
     */
    @Override
    public void close() {
        settlements.close(CLOSE_WAIT);
        if (ownsStore.getAndSet(false)) {
            try {
                store.close();
            } catch (RuntimeException e) {
                LOG.warn("accounting: closing the store failed: {}", e.getMessage());
            }
        }
    }
}
