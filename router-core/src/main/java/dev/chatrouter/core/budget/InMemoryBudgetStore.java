package dev.chatrouter.core.budget;

import dev.chatrouter.api.spi.BudgetStore;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The default {@link BudgetStore}: counters in memory, each guarded by its own lock, so requests on different
 * scopes never contend and a check-and-reserve on one counter is atomic. Counters of windows that ended more than
 * a day ago, with nothing reserved, are dropped as new counters appear.
 */
public final class InMemoryBudgetStore implements BudgetStore {

    private static final long PURGE_EVERY = 1024;

    private final ConcurrentHashMap<Counter, long[]> counters = new ConcurrentHashMap<>();
    private long created;

    private long[] cell(Counter counter) {
        long[] cell = counters.get(counter);
        if (cell != null) {
            return cell;
        }
        return counters.computeIfAbsent(counter, k -> {
            if (++created % PURGE_EVERY == 0) {
                purgeBefore(k.windowStart().minusSeconds(86_400));
            }
            return new long[2];
        });
    }

    private void purgeBefore(Instant cutoff) {
        counters.entrySet().removeIf(e -> e.getKey().windowStart().isBefore(cutoff) && e.getValue()[1] == 0);
    }

    @Override
    public boolean reserve(Counter counter, long amount, long limit) {
        long[] cell = cell(counter);
        synchronized (cell) {
            if (cell[0] + cell[1] + amount > limit) {
                return false;
            }
            cell[1] += amount;
            return true;
        }
    }

    @Override
    public void settle(Counter counter, long reserved, long actual) {
        long[] cell = cell(counter);
        synchronized (cell) {
            cell[1] -= reserved;
            cell[0] += actual;
        }
    }

    @Override
    public void release(Counter counter, long reserved) {
        long[] cell = cell(counter);
        synchronized (cell) {
            cell[1] -= reserved;
        }
    }

    @Override
    public State state(Counter counter) {
        long[] cell = counters.get(counter);
        if (cell == null) {
            return new State(0, 0);
        }
        synchronized (cell) {
            return new State(cell[0], cell[1]);
        }
    }

    @Override
    public List<Counter> counters() {
        return new ArrayList<>(counters.keySet());
    }
}
