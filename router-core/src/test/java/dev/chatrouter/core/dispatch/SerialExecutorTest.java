package dev.chatrouter.core.dispatch;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The trampoline a request's events run on. */
class SerialExecutorTest {

    /** Proves a task submitted from a task runs after it, in order, never nested inside it. */
    @Test
    void tasksSubmittedFromTasksRunAfterThemInOrder() {
        List<String> log = new ArrayList<>();
        SerialExecutor serial = new SerialExecutor(t -> log.add("error " + t.getMessage()));
        serial.execute(() -> {
            log.add("first begins");
            serial.execute(() -> log.add("second"));
            serial.execute(() -> log.add("third"));
            log.add("first ends");
        });
        assertThat(log).containsExactly("first begins", "first ends", "second", "third");
    }

    /** Proves a task's after-hook runs right after it, and not when it threw; the following tasks still run. */
    @Test
    void theAfterHookRunsOnlyAfterATaskThatReturned() {
        List<String> log = new ArrayList<>();
        SerialExecutor serial = new SerialExecutor(t -> log.add("error " + t.getMessage()));
        Runnable after = () -> log.add("after");
        serial.execute(() -> {
            serial.execute(() -> log.add("a"), after);
            serial.execute(() -> {
                throw new IllegalStateException("b");
            }, after);
            serial.execute(() -> log.add("c"));
            serial.execute(() -> log.add("d"), after);
        });
        assertThat(log).containsExactly("a", "after", "error b", "c", "d", "after");
    }

    /** Proves a task submitted while nothing runs runs at once, on the submitting thread, and a throw is reported. */
    @Test
    void aTaskSubmittedWhileNothingRunsRunsAtOnceOnTheCaller() {
        List<String> log = new ArrayList<>();
        SerialExecutor serial = new SerialExecutor(t -> log.add("error " + t.getMessage()));
        Thread caller = Thread.currentThread();

        serial.execute(() -> log.add(Thread.currentThread() == caller ? "on the caller" : "elsewhere"),
                () -> log.add("after"));
        log.add("returned");
        serial.execute(() -> {
            throw new IllegalStateException("boom");
        }, () -> log.add("not after a throw"));
        serial.execute(() -> log.add("still runs"));

        assertThat(log).containsExactly("on the caller", "after", "returned", "error boom", "still runs");
    }

    /** Proves tasks submitted from several threads at once all run, one at a time. */
    @Test
    void concurrentSubmittersRunEveryTaskOneAtATime() throws InterruptedException {
        SerialExecutor serial = new SerialExecutor(t -> { });
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        int[] ran = new int[1]; // touched by the running task only
        int threads = 4;
        int each = 20_000;
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            new Thread(() -> {
                for (int i = 0; i < each; i++) {
                    serial.execute(() -> {
                        if (inside.getAndIncrement() != 0) {
                            overlaps.incrementAndGet();
                        }
                        ran[0]++;
                        inside.decrementAndGet();
                    });
                }
                done.countDown();
            }).start();
        }
        assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        // the last submitter to finish may still be draining: a final task runs after everything before it
        CountDownLatch last = new CountDownLatch(1);
        serial.execute(last::countDown);
        assertThat(last.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(overlaps.get()).isZero();
        assertThat(ran[0]).isEqualTo(threads * each);
    }
}
