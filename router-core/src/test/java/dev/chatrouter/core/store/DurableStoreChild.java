package dev.chatrouter.core.store;

import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.AccountingStore.Charge;
import dev.chatrouter.api.spi.AccountingStore.Reservation;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A router that dies: run in a child JVM by {@link DurableAccountingStoreTest}. It reserves and settles one unit
 * at a time on counter {@code spend}, waits for the store's own commit thread to commit, prints
 * {@code committed N} (N = the spend settled before that commit), and keeps reserving and settling until killed,
 * leaving a reservation live at every moment. Arguments: the file, the window's end (an instant).
 */
public final class DurableStoreChild {

    private DurableStoreChild() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        Instant windowEnd = Instant.parse(args[1]);
        DurableAccountingStore store = (DurableAccountingStore) AccountingStores.durable(file, Clock.systemUTC());
        long settled = 0;
        for (int i = 0; i < 500; i++) {
            settled += pair(store, windowEnd);
        }
        long before = store.commits();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (store.commits() == before) {
            if (System.nanoTime() > deadline) {
                System.out.println("no commit within 10 s");
                System.exit(2);
            }
            Thread.sleep(5);
        }
        System.out.println("committed " + settled);
        System.out.flush();
        while (true) {
            pair(store, windowEnd);
            join(store.reserve(List.of(new Charge("held", 1, AccountingStore.NO_LIMIT, windowEnd)),
                    Duration.ofMinutes(10)));
        }
    }

    private static long pair(AccountingStore store, Instant windowEnd) {
        Reservation r = join(store.reserve(List.of(new Charge("spend", 1, AccountingStore.NO_LIMIT, windowEnd)),
                Duration.ofMinutes(10)));
        join(store.settle(((Reservation.Granted) r).id(), List.of(Charge.of("spend", 1, windowEnd))));
        return 1;
    }

    private static <T> T join(java.util.concurrent.CompletionStage<T> stage) {
        return stage.toCompletableFuture().join();
    }
}
