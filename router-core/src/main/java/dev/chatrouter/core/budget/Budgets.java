package dev.chatrouter.core.budget;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.chatrouter.api.BudgetStatus;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.config.AccountingConfig;
import dev.chatrouter.api.config.BudgetConfig;
import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.AccountingStore.Charge;
import dev.chatrouter.api.spi.AccountingStore.CounterState;
import dev.chatrouter.api.spi.AccountingStore.State;
import dev.chatrouter.core.dispatch.Scheduler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * Budgets (docs/routing.md#budgets) on an {@link AccountingStore}: before an attempt, the worst-case cost and tokens
 * are reserved on every budget that applies in <em>one</em> all-or-nothing {@link AccountingStore#reserve} call, so
 * concurrent requests (of this router, or of every router sharing the store) can never spend past a hard limit;
 * after it, the reservation is settled to the actual usage with one {@link AccountingStore#settle}, or released with
 * one {@link AccountingStore#release}. Dollars are counted in pico-dollars (10^-12 USD), exact in integer
 * arithmetic.
 *
 * <p>A counter is one concrete scope in one window in one unit, keyed
 * {@code scope|window|windowStart|unit} (such as {@code key:team-a|day|2026-01-01T00:00:00Z|pico_usd}); it
 * expires at its window's end plus {@link #slack(Duration)}.
 *
 * <p>When the store is unavailable, {@code on_store_failure} decides: {@code closed} fails the attempt with
 * {@code accounting_unavailable}; {@code open} lets it go on without a reservation (a warning once per outage)
 * and still settles its spend. A settlement the store could not take is kept and retried (see
 * {@link Settlements}) so that spend is never lost while the process lives.
 */
public final class Budgets implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger("chatrouter");

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
            new Reservation(null, List.of(), null, false));

    private final List<BudgetConfig> budgets;
    private final List<BudgetConfig.Scope> scopes;
    private final AccountingStore store;
    private final boolean ownsStore;
    private final Clock clock;
    private final Duration lease;
    private final Duration slack;
    private final boolean failOpen;
    private final Settlements settlements;
    private final AtomicBoolean outage = new AtomicBoolean();
    /** The last states read of counters that soft limits and target budgets peek at. */
    private final Cache<String, State> lastSeen = Caffeine.newBuilder().maximumSize(10_000)
            .expireAfterWrite(Duration.ofMinutes(1)).build();

    /**
     * @param store     where the counters live
     * @param ownsStore whether {@link #close()} closes the store
     * @param lease     how long a reservation holds unless settled or released
     * @param failOpen  whether a request goes on unaccounted when the store is unavailable
     * @param scheduler runs the settlement retries
     */
    public Budgets(List<BudgetConfig> budgets, AccountingStore store, boolean ownsStore, Clock clock, Duration lease,
                   boolean failOpen, Scheduler scheduler) {
        this.budgets = List.copyOf(budgets);
        this.scopes = this.budgets.stream().map(b -> BudgetConfig.Scope.parse(b.scope())).toList();
        this.store = store;
        this.ownsStore = ownsStore;
        this.clock = clock;
        this.lease = lease;
        this.slack = slack(lease);
        this.failOpen = failOpen;
        this.settlements = new Settlements(store, scheduler);
    }

    /** Budgets in memory, closed on failure, with the default lease: for tests and benchmarks. */
    public Budgets(List<BudgetConfig> budgets, AccountingStore store, Clock clock) {
        this(budgets, store, false, clock, AccountingConfig.DEFAULT_LEASE, false, (delay, task) -> {
            CompletableFuture.delayedExecutor(delay.toMillis(), TimeUnit.MILLISECONDS).execute(task);
            return Scheduler.Timer.NONE;
        });
    }

    /** How long a counter outlives its window: an hour, or the lease when that is longer, so late settlements land. */
    static Duration slack(Duration lease) {
        Duration hour = Duration.ofHours(1);
        return lease.compareTo(hour) > 0 ? lease.plus(hour) : hour;
    }

    public boolean isEmpty() {
        return budgets.isEmpty();
    }

    /** The settlements waiting for the store to come back. */
    public int pendingSettlements() {
        return settlements.pending();
    }

    /** A counter's key: {@code scope|window|windowStart|unit}. */
    static String key(String scope, String window, Instant windowStart, String unit) {
        return scope + "|" + window + "|" + windowStart + "|" + unit;
    }

    /** One budget applied to one request: its concrete scope and the counters of the current window. */
    private record Applied(BudgetConfig config, String scope, String window, String usd, String tokens,
                           Instant expiresAt, boolean refusesRequest) {
    }

    /**
     * A reservation for one attempt; {@link #refusedBy()} says which budget refused it, when one did.
     *
     * @param id             the store's reservation id; {@code null} when nothing was reserved (no budget applies,
     *                       refused, or unaccounted because the store was unavailable and failing open)
     * @param held           the charges reserved (or, unaccounted, that would have been): what settles
     * @param refusedBy      the concrete scope and window that refused (such as {@code key:team-a/day}), or null
     * @param refusesRequest whether that budget refuses the request (key, user, tag, global) or only the target
     */
    public record Reservation(String id, List<Charge> held, String refusedBy, boolean refusesRequest) {
        public boolean granted() {
            return refusedBy == null;
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
            Instant expiresAt = budget.window().next(start).plus(slack);
            for (String value : values) {
                String concrete = value.equals("global") ? "global" : scope.kind() + ":" + value;
                String window = budget.window().wireName();
                applied.add(new Applied(budget, concrete, window,
                        budget.limitUsd() != null || budget.softLimitUsd() != null
                                ? key(concrete, window, start, PICO_USD) : null,
                        budget.limitTokens() != null ? key(concrete, window, start, TOKENS) : null,
                        expiresAt, scope.refusesRequest()));
            }
        }
        return applied;
    }

    private static List<String> match(BudgetConfig.Scope scope, String value) {
        return scope.value().equals("*") || scope.value().equals(value) ? List.of(value) : List.of();
    }

    /** Adds a charge, or tightens the limit of one already on the same counter (two budgets on one counter). */
    private static void charge(Map<String, Charge> charges, String key, long amount, long limit, Instant expiresAt) {
        charges.merge(key, new Charge(key, amount, limit, expiresAt), (a, b) -> new Charge(key, amount,
                Math.min(a.limit(), b.limit()), a.expiresAt().isAfter(b.expiresAt()) ? a.expiresAt() : b.expiresAt()));
    }

    /**
     * Reserves an attempt's worst case on every budget that applies to the caller and the target, in one
     * all-or-nothing store call. The stage completes inline when the store's does (the in-memory and durable
     * stores), and fails with a {@link ChatRouterException} {@code accounting_unavailable} when the store is
     * unavailable and failing closed.
     */
    public CompletionStage<Reservation> reserve(RequestContext context, String user, String provider, String target,
                                                long picos, long tokens) {
        List<Applied> applied = applicable(context, user, provider, target);
        if (applied.isEmpty()) {
            return NOTHING;
        }
        Map<String, Charge> charges = new LinkedHashMap<>();
        Map<String, Applied> byKey = new HashMap<>();
        for (Applied a : applied) {
            if (a.usd() != null) {
                Double limitUsd = a.config().limitUsd();
                // a soft limit only: count the spend, never refuse
                charge(charges, a.usd(), picos, limitUsd != null ? Math.round(limitUsd * PICOS)
                        : AccountingStore.NO_LIMIT, a.expiresAt());
                if (limitUsd != null) {
                    byKey.putIfAbsent(a.usd(), a);
                }
            }
            if (a.tokens() != null) {
                charge(charges, a.tokens(), tokens, a.config().limitTokens(), a.expiresAt());
                byKey.putIfAbsent(a.tokens(), a);
            }
        }
        List<Charge> held = List.copyOf(charges.values());
        CompletionStage<AccountingStore.Reservation> asked;
        try {
            asked = store.reserve(held, lease);
        } catch (RuntimeException e) {
            asked = CompletableFuture.failedFuture(e);
        }
        return asked.handle((r, error) -> {
            if (error == null) {
                storeAnswered();
                if (r instanceof AccountingStore.Reservation.Granted g) {
                    return new Reservation(g.id(), held, null, false);
                }
                AccountingStore.Reservation.Refused refused = (AccountingStore.Reservation.Refused) r;
                Applied by = byKey.get(refused.key());
                return by == null ? new Reservation(null, List.of(), refused.key(), true)
                        : new Reservation(null, List.of(), by.scope() + "/" + by.window(), by.refusesRequest());
            }
            AccountingStore.Unavailable unavailable = unavailable(error);
            if (unavailable == null) {
                throw error instanceof CompletionException c ? c : new CompletionException(error);
            }
            storeFailed(unavailable);
            if (failOpen) {
                return new Reservation(null, held, null, false);
            }
            throw unavailableError(unavailable);
        });
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
            LOG.warning("accounting: " + e.getMessage() + (failOpen
                    ? "; requests go on unaccounted (on_store_failure: open) until it is back"
                    : "; requests with budgets fail with accounting_unavailable (on_store_failure: closed)"
                    + " until it is back"));
        }
    }

    private void storeAnswered() {
        if (outage.get() && outage.compareAndSet(true, false)) {
            LOG.info("accounting: the store answers again");
        }
    }

    /**
     * Turns a reservation into the actual spend, in one store call; fired, not awaited. A settlement the store
     * cannot take now is retried until it can.
     */
    public void settle(Reservation reservation, long picos, long tokens) {
        if (reservation.held().isEmpty()) {
            return;
        }
        List<Charge> actual = new ArrayList<>(reservation.held().size());
        for (Charge c : reservation.held()) {
            actual.add(Charge.of(c.key(), c.key().endsWith("|" + PICO_USD) ? picos : tokens, c.expiresAt()));
        }
        settlements.settle(reservation.id() == null ? UNACCOUNTED : reservation.id(), actual);
    }

    /**
     * Gives a reservation back (the attempt cost nothing), in one store call. When the store cannot take it, the
     * reservation's lease ends it.
     */
    public void release(Reservation reservation) {
        if (reservation.id() == null) {
            return;
        }
        try {
            store.release(reservation.id()).whenComplete((v, e) -> {
                if (e != null) {
                    LOG.fine("accounting: a release failed, its lease will end it: " + e);
                }
            });
        } catch (RuntimeException e) {
            LOG.fine("accounting: a release failed, its lease will end it: " + e);
        }
    }

    /**
     * The states of counters for advisory checks (soft limits, planning), without waiting: what the store says now
     * when it answers at once (the in-memory and durable stores), else what it said last (a remote store; the
     * answer updates the view for the next request). Reservations stay exact: they are the store's decision.
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
        List<Applied> soft = new ArrayList<>();
        for (Applied a : applicable(context, user, null, null)) {
            if (a.config().softLimitUsd() != null && a.usd() != null) {
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

    /** Why a target's own budget (provider or model) cannot take a request now, or null when it can. */
    public String exhausted(RequestContext context, String provider, String target, long picos, long tokens) {
        List<Applied> own = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (Applied a : applicable(context, null, provider, target)) {
            if (a.refusesRequest()) {
                continue;
            }
            own.add(a);
            if (a.config().limitUsd() != null) {
                keys.add(a.usd());
            }
            if (a.tokens() != null) {
                keys.add(a.tokens());
            }
        }
        if (keys.isEmpty()) {
            return null;
        }
        Map<String, State> states = peek(keys.stream().distinct().toList());
        for (Applied a : own) {
            if (a.config().limitUsd() != null) {
                State s = states.get(a.usd());
                if (s.spent() + s.reserved() + picos > Math.round(a.config().limitUsd() * PICOS)) {
                    return "budget_exhausted:" + a.scope() + "/" + a.window();
                }
            }
            if (a.tokens() != null) {
                State s = states.get(a.tokens());
                if (s.spent() + s.reserved() + tokens > a.config().limitTokens()) {
                    return "budget_exhausted:" + a.scope() + "/" + a.window();
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
                    // the scope is what comes before the last window|start|unit: a tag may hold '|'
                    if (at > 0 && c.key().startsWith(prefix) && c.key().indexOf('|', at + suffix.length()) < 0) {
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

    private static State state(Map<String, CounterState> byKey, String key) {
        CounterState c = byKey.get(key);
        return c == null ? State.EMPTY : new State(c.spent(), c.reserved());
    }

    /**
     * Hands the store the settlements still pending (waiting at most {@link #CLOSE_WAIT}; what it still cannot
     * take is logged), then closes the store when the router opened it.
     */
    @Override
    public void close() {
        settlements.close(CLOSE_WAIT);
        if (ownsStore) {
            try {
                store.close();
            } catch (RuntimeException e) {
                LOG.warning("accounting: closing the store failed: " + e.getMessage());
            }
        }
    }
}
