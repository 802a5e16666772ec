package dev.chatrouter.http;

import dev.chatrouter.api.Attempt;
import dev.chatrouter.api.Effort;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.RequestType;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.core.testing.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The dashboard's per-second counters and its ring of routing decisions, on a clock the test moves. */
class ActivityTest {

    final MutableClock clock = new MutableClock(Instant.parse("2026-04-01T12:00:00Z"));
    final Activity activity = new Activity(clock);

    static RoutingReport report(String id, boolean lastFailed) {
        Attempt ok = new Attempt("p/m", null, 200, null, Duration.ZERO, null, Duration.ofMillis(5), false);
        Attempt failed = new Attempt("p/m", FailureKind.SERVER, 500, "boom", Duration.ZERO, null,
                Duration.ofMillis(5), false);
        return new RoutingReport(id, "di", "di", RequestType.PRO, "base", Effort.AUTO, "*", "priority",
                List.of("p/m"), List.of(), "p/m", List.of(lastFailed ? failed : ok), 0.001, false);
    }

    long[] series(String name) {
        return (long[]) activity.traffic().get(name);
    }

    @Test
    void countsRequestsAndErrorsPerSecondAndForgetsWhatIsOlderThanTenMinutes() {
        activity.finished("di", report("r1", false), null, 200);
        activity.finished("di", report("r2", true), null, 200);
        clock.advance(Duration.ofSeconds(1));
        activity.finished("di", report("r3", false), null, 429);

        assertThat(series("requests")[Activity.SECONDS - 1]).isEqualTo(1);
        assertThat(series("errors")[Activity.SECONDS - 1]).isEqualTo(1);
        assertThat(series("requests")[Activity.SECONDS - 2]).isEqualTo(2);
        assertThat(series("errors")[Activity.SECONDS - 2]).as("a stream whose last attempt failed").isEqualTo(1);

        clock.advance(Duration.ofSeconds(Activity.SECONDS - 1));
        assertThat(series("requests")[0]).isEqualTo(1);
        assertThat(series("requests")[Activity.SECONDS - 1]).as("the slot of 10 minutes ago is not reused yet")
                .isZero();
        activity.finished("di", report("r4", false), null, 200);
        assertThat(series("requests")[Activity.SECONDS - 1]).isEqualTo(1);
        clock.advance(Duration.ofSeconds(1));
        assertThat(series("requests")).as("everything before is out of the window").containsOnly(0, 1)
                .satisfies(a -> assertThat(java.util.Arrays.stream(a).sum()).isEqualTo(1));
    }

    @Test
    void keepsTheLastFiftyDecisionsNewestFirst() {
        for (int i = 0; i < Activity.DECISIONS + 7; i++) {
            activity.finished("di", report("r" + i, false), null, 200);
        }
        List<Map<String, Object>> decisions = activity.decisions();
        assertThat(decisions).hasSize(Activity.DECISIONS);
        assertThat(decisions.get(0).get("request_id")).isEqualTo("r" + (Activity.DECISIONS + 6));
        assertThat(decisions.get(Activity.DECISIONS - 1).get("request_id")).isEqualTo("r7");
        assertThat(decisions.get(0).toString()).as("no upstream message text").doesNotContain("boom");
    }
}
