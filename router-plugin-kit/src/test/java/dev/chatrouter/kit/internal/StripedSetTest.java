package dev.chatrouter.kit.internal;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class StripedSetTest {

    @Test
    void itemsAddedOnTwoThreadsLeaveFromAnyThreadOnce() throws Exception {
        StripedSet<String> set = new StripedSet<>(4);
        ExecutorService first = Executors.newSingleThreadExecutor();
        ExecutorService second = Executors.newSingleThreadExecutor();
        try {
            var a = CompletableFuture.supplyAsync(() -> set.add("a"), first).get(5, TimeUnit.SECONDS);
            var a2 = CompletableFuture.supplyAsync(() -> set.add("a2"), first).get(5, TimeUnit.SECONDS);
            var b = CompletableFuture.supplyAsync(() -> set.add("b"), second).get(5, TimeUnit.SECONDS);
            assertThat(set.size()).isEqualTo(3);
            assertThat(set.snapshot()).containsExactlyInAnyOrder("a", "a2", "b");

            set.remove(a); // from this thread, neither of the two that added
            set.remove(a); // again: nothing more
            set.remove(null);
            assertThat(set.snapshot()).containsExactlyInAnyOrder("a2", "b");
            assertThat(set.size()).isEqualTo(2);
            assertThat(set.isEmpty()).isFalse();

            set.remove(b);
            set.remove(a2);
            assertThat(set.isEmpty()).isTrue();
            assertThat(set.snapshot()).isEmpty();
        } finally {
            first.shutdownNow();
            second.shutdownNow();
        }
    }

    @Test
    void anEntryLeavesFromTheHeadTheMiddleOrTheTailOfItsStripe() {
        StripedSet<Integer> set = new StripedSet<>(1);
        List<StripedSet.Entry<Integer>> entries = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            entries.add(set.add(i)); // one thread: one stripe, the last added at its head
        }
        set.remove(entries.get(4)); // the head
        set.remove(entries.get(2)); // the middle
        set.remove(entries.get(0)); // the tail
        assertThat(set.snapshot()).containsExactlyInAnyOrder(1, 3);
        set.add(5);
        assertThat(set.snapshot()).containsExactlyInAnyOrder(1, 3, 5);
        assertThat(set.size()).isEqualTo(3);
    }

    @Test
    void theSnapshotIsACopy() {
        StripedSet<Integer> set = new StripedSet<>();
        var one = set.add(1);
        var snapshot = set.snapshot();
        set.remove(one);
        set.add(2);
        assertThat(snapshot).containsExactly(1);
        assertThat(set.snapshot()).containsExactly(2);
    }

    @Test
    void theStripesArePowersOfTwo() {
        assertThat(new StripedSet<>(1).toString()).endsWith("in 2 stripes]");
        assertThat(new StripedSet<>(4).toString()).endsWith("in 4 stripes]");
        assertThat(new StripedSet<>(5).toString()).endsWith("in 8 stripes]");
    }
}
