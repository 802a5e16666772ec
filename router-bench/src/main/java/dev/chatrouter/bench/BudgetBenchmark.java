package dev.chatrouter.bench;

import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.config.BudgetConfig;
import dev.chatrouter.api.config.Window;
import dev.chatrouter.core.budget.Budgets;
import dev.chatrouter.core.budget.RateLimits;
import dev.chatrouter.core.store.AccountingStores;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Budget reserve + settle under contention (issue "Budgets"): 16 threads reserving a worst case and settling to
 * the usage on the same budgets (a global one every request shares, and a per-key one over four keys), through
 * the in-memory accounting store (one reserve and one settle call for both budgets).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class BudgetBenchmark {

    private Budgets budgets;
    private final RequestContext[] callers = {
        RequestContext.empty().withKey("team-a"), RequestContext.empty().withKey("team-b"),
        RequestContext.empty().withKey("team-c"), RequestContext.empty().withKey("team-d")};

    @Setup
    public void setUp() {
        budgets = new Budgets(List.of(BudgetConfig.usd("global", Window.MONTH, 1e12),
                BudgetConfig.usd("key:*", Window.DAY, 1e12)), AccountingStores.inMemory(Clock.systemUTC()), Clock.systemUTC());
    }

    @State(Scope.Thread)
    public static class Caller {
        int next;
    }

    /** One request's reserve and settle on the budgets that apply to it. */
    @Benchmark
    @Threads(16)
    public Budgets.Reservation reserveAndSettle(Caller caller) {
        RequestContext context = callers[caller.next++ & 3];
        Budgets.Reservation r = budgets.reserve(context, null, "openai", "openai/gpt-4o-mini", 2_000_000_000L, 900,
                        RateLimits.Charges.NONE).toCompletableFuture().join();
        budgets.settle(r, 1_500_000_000L, 700, List.of());
        return r;
    }
}
