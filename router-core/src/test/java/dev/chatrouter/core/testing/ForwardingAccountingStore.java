package dev.chatrouter.core.testing;

import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.DocumentStore;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/** For tests: a store that hands every call to {@code inner}; a test overrides the calls it changes. */
public class ForwardingAccountingStore implements AccountingStore {

    protected final AccountingStore inner;

    public ForwardingAccountingStore(AccountingStore inner) {
        this.inner = inner;
    }

    @Override
    public CompletionStage<Reservation> reserve(List<Charge> charges, Duration lease) {
        return inner.reserve(charges, lease);
    }

    @Override
    public CompletionStage<Void> settle(String reservationId, List<Charge> actual) {
        return inner.settle(reservationId, actual);
    }

    @Override
    public CompletionStage<Void> release(String reservationId) {
        return inner.release(reservationId);
    }

    @Override
    public CompletionStage<Map<String, State>> states(Collection<String> keys) {
        return inner.states(keys);
    }

    @Override
    public CompletionStage<List<CounterState>> counters() {
        return inner.counters();
    }

    @Override
    public Optional<DocumentStore> documents() {
        return inner.documents();
    }

    @Override
    public void close() {
        inner.close();
    }
}
