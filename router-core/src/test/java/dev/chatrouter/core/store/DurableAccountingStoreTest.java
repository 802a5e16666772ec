package dev.chatrouter.core.store;

import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.AccountingStore.Charge;
import dev.chatrouter.api.spi.AccountingStore.Reservation;
import dev.chatrouter.api.spi.AccountingStore.State;
import dev.chatrouter.api.spi.AccountingStoreContract;
import dev.chatrouter.core.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The contract on the MVStore file, and what survives a close, a reopen and a killed process. */
class DurableAccountingStoreTest extends AccountingStoreContract {

    @TempDir
    Path dir;

    private MutableClock clock = MutableClock.atEpochOf2026();
    private int opened;

    @Override
    protected AccountingStore openStore() {
        return AccountingStores.durable(dir.resolve("store-" + opened++ + ".mv"), clock);
    }

    @Override
    protected Instant now() {
        return clock.instant();
    }

    private AccountingStore reopen(Clock at) {
        store.close();
        store = AccountingStores.durable(dir.resolve("store-" + (opened - 1) + ".mv"), at);
        return store;
    }

    /** Closing commits: the spend, the counters' expiries and the live reservations are all read back. */
    @Test
    void spendSurvivesCloseAndReopen() {
        String settled = granted(List.of(charge("a", 10, 100), charge("b", 3, 100))).id();
        join(store.settle(settled, List.of(spend("a", 7), spend("b", 2))));
        String live = granted(List.of(charge("a", 20, 100))).id();

        reopen(clock);

        assertThat(join(store.states(List.of("a", "b"))))
                .containsEntry("a", new State(7, 20))
                .containsEntry("b", new State(2, 0));
        assertThat(join(store.counters())).extracting(AccountingStore.CounterState::expiresAt)
                .allSatisfy(end -> assertThat(end).isAfterOrEqualTo(windowEnd()));
        join(store.settle(live, List.of(spend("a", 20))));
        assertThat(state("a")).isEqualTo(new State(27, 0));
    }

    /** A reservation left by a dead router is released when the store reopens after its lease ended. */
    @Test
    void reservationsWhoseLeasesEndedAreReleasedOnReopening() {
        join(store.reserve(List.of(charge("a", 90, 100)), Duration.ofSeconds(30)));
        String live = granted(List.of(charge("b", 5, 100))).id();

        clock.advance(Duration.ofSeconds(31));
        reopen(clock);

        assertThat(state("a")).as("the expired reservation pins nothing").isEqualTo(State.EMPTY);
        assertThat(join(store.reserve(List.of(charge("a", 100, 100)), LEASE)).granted()).isTrue();
        assertThat(state("b")).isEqualTo(new State(0, 5));
        join(store.release(live));
        assertThat(state("b")).isEqualTo(State.EMPTY);
    }

    /** Counters whose windows ended while the store was closed are gone when it reopens. */
    @Test
    void expiredCountersAreDroppedOnReopening() {
        Instant end = clock.instant().plus(Duration.ofMinutes(1));
        Reservation r = join(store.reserve(List.of(new Charge("rpm", 1, 60, end)), Duration.ofSeconds(5)));
        join(store.settle(((Reservation.Granted) r).id(), List.of(Charge.of("rpm", 1, end))));

        clock.advance(Duration.ofMinutes(1));
        reopen(clock);

        assertThat(join(store.counters())).isEmpty();
    }

    /** The commit thread commits by itself within the flush interval, without a close. */
    @Test
    void theCommitThreadCommitsWithinTheFlushInterval() throws Exception {
        DurableAccountingStore durable = (DurableAccountingStore) store;
        long before = durable.commits();
        join(store.settle("none", List.of(spend("a", 1))));

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (durable.commits() == before && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }

        assertThat(durable.commits()).as("commits within 5 s of a change").isGreaterThan(before);
        assertThat(durable.mvStore().hasUnsavedChanges()).isFalse();
    }

    /**
     * A child JVM writes to the store, reports the spend settled before one of its store's own commits, and is
     * killed (SIGKILL) while it keeps writing. Reopened, the file holds at least that spend, and none of the
     * child's reservations pins anything once their leases ended.
     */
    @Test
    void spendSurvivesKillNineOfTheProcessThatWroteIt() throws Exception {
        store.close();
        Path file = dir.resolve("child.mv");
        Instant windowEnd = Instant.now().plus(Duration.ofDays(1));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Process child = new ProcessBuilder(java, "-cp", classpath, DurableStoreChild.class.getName(),
                file.toString(), windowEnd.toString())
                .redirectErrorStream(true)
                .start();
        long committed;
        List<String> output = new ArrayList<>();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line = CompletableFuture.supplyAsync(() -> {
                try {
                    String l;
                    while ((l = out.readLine()) != null) {
                        output.add(l);
                        if (l.startsWith("committed ")) {
                            return l;
                        }
                    }
                    return null;
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).get(60, TimeUnit.SECONDS);
            assertThat(line).as("the child's output: %s", output).isNotNull();
            committed = Long.parseLong(line.substring("committed ".length()));
            Thread.sleep(300); // the child keeps writing: some of it committed, the rest in flight when killed
        } finally {
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("the child is gone").isTrue();
        }
        assertThat(child.exitValue()).as("killed, not exited").isEqualTo(137);

        store = AccountingStores.durable(file, new MutableClock(Instant.now().plus(Duration.ofMinutes(11))));
        State spend = state("spend");
        assertThat(committed).isEqualTo(500);
        assertThat(spend.spent()).as("spend up to the last commit").isGreaterThanOrEqualTo(committed);
        assertThat(spend.reserved()).isZero();
        assertThat(state("held")).as("reservations of the dead child, leases ended").isEqualTo(State.EMPTY);
    }

    /** Two processes (or two stores) cannot share a file: the second is refused with a message naming it. */
    @Test
    void aFileInUseIsRefused() {
        Path file = dir.resolve("store-" + (opened - 1) + ".mv");

        assertThatThrownBy(() -> AccountingStores.durable(file, clock))
                .isInstanceOf(AccountingStore.Unavailable.class)
                .hasMessageStartingWith("durable store at " + file + " unavailable: cannot open the file");
    }

    /** Once the engine underneath fails, every operation completes with Unavailable instead of losing records. */
    @Test
    void aBrokenFileMakesOperationsUnavailable() {
        granted(List.of(charge("a", 1, 10)));
        ((DurableAccountingStore) store).mvStore().closeImmediately();

        assertThatThrownBy(() -> join(store.reserve(List.of(charge("a", 1, 10)), LEASE)))
                .isInstanceOf(AccountingStore.Unavailable.class)
                .hasMessageContaining("durable store at ");
        assertThatThrownBy(() -> join(store.states(List.of("a"))))
                .isInstanceOf(AccountingStore.Unavailable.class)
                .hasMessageContaining("an earlier write failed");
    }

    /** Many commits of changing counters keep the file small: the engine reuses and compacts its space. */
    @Test
    void theFileStaysSmallOverManyCommits() throws Exception {
        DurableAccountingStore durable = (DurableAccountingStore) store;
        for (int round = 0; round < 300; round++) {
            for (int i = 0; i < 50; i++) {
                String key = "k" + (round * 50 + i) % 500;
                String id = granted(List.of(charge(key, 10, 1_000_000))).id();
                join(store.settle(id, List.of(spend(key, 3))));
            }
            durable.commitNow();
        }
        long size = Files.size(dir.resolve("store-" + (opened - 1) + ".mv"));
        System.out.printf("durable store: 15000 reserve/settle pairs on 500 counters in 300 commits: file %d KiB%n",
                size / 1024);

        assertThat(size).isLessThan(16L << 20);
        assertThat(join(store.counters())).hasSize(500);
    }
}
