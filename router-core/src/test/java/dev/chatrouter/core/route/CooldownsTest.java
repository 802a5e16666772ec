package dev.chatrouter.core.route;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.TargetHealth;
import dev.chatrouter.core.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The per-target cooldown state machine: healthy, cooling down, probing, with time from a test clock. */
class CooldownsTest {

    private static final String A = "a/m";
    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

    private final MutableClock clock = new MutableClock(T0);
    private final Cooldowns cooldowns = new Cooldowns(clock, List.of(A, "b/m"));

    private void fail(int times, FailureKind kind) {
        for (int i = 0; i < times; i++) {
            cooldowns.start(A).failed(kind);
        }
    }

    private TargetHealth health() {
        return cooldowns.health(A, Double.NaN, Double.NaN);
    }

    /** Opens and returns the time the cooldown ends. */
    private Instant open() {
        fail(Cooldowns.DEFAULT_FAILURES, FailureKind.SERVER);
        return health().coolingUntil();
    }

    @ParameterizedTest
    @EnumSource(value = FailureKind.class, names = {"RATE_LIMIT", "SERVER", "TIMEOUT", "CONNECTION"})
    void threeConsecutiveHealthFailuresOpenTheCooldownForThirtySeconds(FailureKind kind) {
        fail(2, kind);
        assertThat(cooldowns.eligible(A)).isTrue();
        assertThat(health().state()).isEqualTo(TargetHealth.State.HEALTHY);
        assertThat(health().consecutiveFailures()).isEqualTo(2);

        fail(1, kind);

        assertThat(cooldowns.eligible(A)).isFalse();
        assertThat(cooldowns.start(A)).isNull();
        assertThat(health()).isEqualTo(new TargetHealth(A, TargetHealth.State.COOLING_DOWN, 3,
                T0.plusSeconds(30), Double.NaN, Double.NaN));
        assertThat(cooldowns.eligible("b/m")).as("other targets are untouched").isTrue();
    }

    @Test
    void aSuccessInBetweenResetsTheCount() {
        fail(2, FailureKind.SERVER);
        cooldowns.start(A).succeeded();
        fail(2, FailureKind.SERVER);
        assertThat(cooldowns.eligible(A)).isTrue();
        assertThat(health().consecutiveFailures()).isEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(value = FailureKind.class, names = {"BAD_REQUEST", "AUTH", "CONTEXT_LENGTH", "CONTENT_FILTER"})
    void failuresAboutTheRequestNeitherCountNorReset(FailureKind kind) {
        fail(2, FailureKind.SERVER);
        fail(5, kind);
        cooldowns.start(A).released();
        assertThat(health().consecutiveFailures()).isEqualTo(2);
        assertThat(cooldowns.eligible(A)).isTrue();
    }

    @Test
    void whenTheCooldownEndsExactlyOneRequestProbesAndItsSuccessCloses() {
        Instant until = open();
        clock.advance(Duration.ofSeconds(29));
        assertThat(cooldowns.eligible(A)).isFalse();
        assertThat(cooldowns.start(A)).isNull();

        clock.advance(Duration.ofSeconds(1));
        assertThat(cooldowns.eligible(A)).as("cooldown over: eligible for a probe").isTrue();
        Cooldowns.Lease probe = cooldowns.start(A);
        assertThat(probe).isNotNull();
        assertThat(probe.probe()).isTrue();

        assertThat(cooldowns.start(A)).as("a concurrent request skips it").isNull();
        assertThat(cooldowns.eligible(A)).isFalse();
        assertThat(health().state()).isEqualTo(TargetHealth.State.PROBING);
        assertThat(health().coolingUntil()).isEqualTo(until);

        probe.succeeded();

        assertThat(health()).isEqualTo(new TargetHealth(A, TargetHealth.State.HEALTHY, 0, null, Double.NaN,
                Double.NaN));
        Cooldowns.Lease next = cooldowns.start(A);
        assertThat(next.probe()).isFalse();
    }

    @Test
    void eachFailedProbeDoublesTheCooldownUpToFiveMinutes() {
        open();
        List<Long> lengths = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Instant until = health().coolingUntil();
            clock.advance(Duration.between(clock.instant(), until));
            Cooldowns.Lease probe = cooldowns.start(A);
            assertThat(probe.probe()).isTrue();
            probe.failed(FailureKind.CONNECTION);
            lengths.add(Duration.between(clock.instant(), health().coolingUntil()).toSeconds());
            assertThat(health().state()).isEqualTo(TargetHealth.State.COOLING_DOWN);
        }
        assertThat(lengths).containsExactly(60L, 120L, 240L, 300L, 300L, 300L);

        clock.advance(Duration.ofMinutes(5));
        cooldowns.start(A).succeeded();
        assertThat(open()).as("after closing, the next cooldown is short again")
                .isEqualTo(clock.instant().plusSeconds(30));
    }

    @Test
    void aProbeThatSaysNothingAboutHealthFreesTheProbeForTheNextRequest() {
        Instant until = open();
        clock.advance(Duration.ofSeconds(30));
        cooldowns.start(A).failed(FailureKind.BAD_REQUEST);
        assertThat(health().state()).isEqualTo(TargetHealth.State.COOLING_DOWN);
        assertThat(health().coolingUntil()).isEqualTo(until);

        Cooldowns.Lease again = cooldowns.start(A);
        assertThat(again.probe()).isTrue();
        again.released();
        assertThat(cooldowns.start(A).probe()).isTrue();
    }

    @Test
    void attemptsStartedBeforeTheCooldownDoNotDecideIt() {
        Cooldowns.Lease straggler = cooldowns.start(A);
        Cooldowns.Lease lateFailure = cooldowns.start(A);
        open();

        straggler.succeeded();
        lateFailure.failed(FailureKind.SERVER);

        assertThat(health().state()).isEqualTo(TargetHealth.State.COOLING_DOWN);
        assertThat(health().coolingUntil()).isEqualTo(T0.plusSeconds(30));
    }

    @Test
    void aLeaseReportsOnce() {
        fail(2, FailureKind.SERVER);
        Cooldowns.Lease lease = cooldowns.start(A);
        lease.failed(FailureKind.SERVER);
        lease.failed(FailureKind.SERVER);
        assertThat(health().consecutiveFailures()).isEqualTo(3);
        clock.advance(Duration.ofSeconds(30));
        Cooldowns.Lease probe = cooldowns.start(A);
        probe.released();
        probe.failed(FailureKind.SERVER);
        assertThat(health().coolingUntil()).as("the second report was ignored").isEqualTo(T0.plusSeconds(30));
    }

    @Test
    void untrackedTargetsAreAlwaysHealthy() {
        assertThat(cooldowns.eligible("x/y")).isTrue();
        for (int i = 0; i < 5; i++) {
            cooldowns.start("x/y").failed(FailureKind.SERVER);
        }
        assertThat(cooldowns.eligible("x/y")).isTrue();
        assertThat(cooldowns.health("x/y", 12.0, 3.0).state()).isEqualTo(TargetHealth.State.HEALTHY);
    }

    @Test
    void settingsAreValidated() {
        assertThatThrownBy(() -> new Cooldowns(clock, List.of(), 0, Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .hasMessage("failures must be at least 1 but was 0");
        assertThatThrownBy(() -> new Cooldowns(clock, List.of(), 1, Duration.ZERO, Duration.ofSeconds(1)))
                .hasMessage("cooldown must be positive but was PT0S");
        assertThatThrownBy(() -> new Cooldowns(clock, List.of(), 1, Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .hasMessage("maxCooldown must be at least the cooldown (PT2S) but was PT1S");
    }

    @Test
    void customSettingsApply() {
        Cooldowns quick = new Cooldowns(clock, List.of(A), 1, Duration.ofSeconds(5), Duration.ofSeconds(8));
        quick.start(A).failed(FailureKind.TIMEOUT);
        assertThat(quick.health(A, 1.0, 1.0).coolingUntil()).isEqualTo(T0.plusSeconds(5));
        clock.advance(Duration.ofSeconds(5));
        quick.start(A).failed(FailureKind.TIMEOUT);
        assertThat(quick.health(A, 1.0, 1.0).coolingUntil()).isEqualTo(T0.plusSeconds(5 + 8));
    }
}
