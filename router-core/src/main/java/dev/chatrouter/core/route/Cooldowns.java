package dev.chatrouter.core.route;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.TargetHealth;
import dev.chatrouter.api.event.CooldownClosed;
import dev.chatrouter.api.event.CooldownOpened;
import dev.chatrouter.api.event.RouterListener;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The cooldown of each target (docs/routing.md#fallback: "a target that fails repeatedly cools down, skipped for a while,
 * then probed with one request"), a circuit breaker per target:
 *
 * <ul>
 *   <li><b>healthy</b>: requests are sent. After {@code failures} consecutive failures of a health kind
 *       ({@code rate_limit}, {@code server}, {@code timeout}, {@code connection}; default
 *       {@value #DEFAULT_FAILURES}) it <b>cools down</b> for {@code cooldown} (default 30 s).</li>
 *   <li><b>cooling down</b>: the planner drops it with reason {@value #REASON}, and an attempt about to start on it
 *       (a retry after a backoff, say) is skipped.</li>
 *   <li>When the cooldown ends, the first attempt to start on it is the <b>probe</b>; while the probe runs every
 *       other request still skips it. A successful probe makes it healthy again; a probe failing with a health kind
 *       cools it down again for twice the previous cooldown, up to {@code maxCooldown} (default 5 min).</li>
 * </ul>
 *
 * Outcomes that say nothing about the target's health are neutral: {@code bad_request}, {@code auth},
 * {@code context_length} and {@code content_filter} answers, attempts cancelled by the caller or by a winning hedge,
 * and timeouts caused by the request's own deadline; a neutral probe frees the probe for the next request. Time is
 * read from the router's clock. Each opening and closing is told to the router's listener, outside the target's
 * lock. Thread-safe.
 */
public final class Cooldowns {

    /** The reason a cooling target is dropped with, in routing reports. */
    public static final String REASON = "cooling_down";
    /** Consecutive health failures that start a cooldown, by default. */
    public static final int DEFAULT_FAILURES = 3;
    /** The first cooldown, by default; each failed probe doubles it. */
    public static final Duration DEFAULT_COOLDOWN = Duration.ofSeconds(30);
    /** The longest cooldown, by default. */
    public static final Duration DEFAULT_MAX_COOLDOWN = Duration.ofMinutes(5);

    private final Clock clock;
    private final int failures;
    private final Duration cooldown;
    private final Duration maxCooldown;
    private final Map<String, State> states;
    private final RouterListener listener;

    /** Cooldowns with the defaults for the given targets; other target ids are always healthy. */
    public Cooldowns(Clock clock, Collection<String> targets) {
        this(clock, targets, DEFAULT_FAILURES, DEFAULT_COOLDOWN, DEFAULT_MAX_COOLDOWN, RouterListener.NONE);
    }

    /** Cooldowns with the defaults for the given targets, telling {@code listener} of each opening and closing. */
    public Cooldowns(Clock clock, Collection<String> targets, RouterListener listener) {
        this(clock, targets, DEFAULT_FAILURES, DEFAULT_COOLDOWN, DEFAULT_MAX_COOLDOWN, listener);
    }

    /**
     * @param failures    consecutive health failures that start a cooldown
     * @param cooldown    the first cooldown
     * @param maxCooldown the longest cooldown
     * @throws IllegalArgumentException if {@code failures} is below 1, or a duration is not positive, or
     *                                  {@code maxCooldown} is shorter than {@code cooldown}
     */
    public Cooldowns(Clock clock, Collection<String> targets, int failures, Duration cooldown, Duration maxCooldown) {
        this(clock, targets, failures, cooldown, maxCooldown, RouterListener.NONE);
    }

    /**
     * As {@link #Cooldowns(Clock, Collection, int, Duration, Duration)}, telling {@code listener} of each opening and
     * closing.
     */
    public Cooldowns(Clock clock, Collection<String> targets, int failures, Duration cooldown, Duration maxCooldown,
                     RouterListener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (failures < 1) {
            throw new IllegalArgumentException("failures must be at least 1 but was " + failures);
        }
        if (cooldown.isNegative() || cooldown.isZero()) {
            throw new IllegalArgumentException("cooldown must be positive but was " + cooldown);
        }
        if (maxCooldown.compareTo(cooldown) < 0) {
            throw new IllegalArgumentException("maxCooldown must be at least the cooldown (" + cooldown + ") but was "
                    + maxCooldown);
        }
        this.failures = failures;
        this.cooldown = cooldown;
        this.maxCooldown = maxCooldown;
        Map<String, State> map = new LinkedHashMap<>();
        for (String target : targets) {
            map.put(target, new State(target));
        }
        this.states = map;
    }

    /** True for the failure kinds that count towards a cooldown. */
    public static boolean countsAgainstHealth(FailureKind kind) {
        return kind == FailureKind.RATE_LIMIT || kind == FailureKind.SERVER || kind == FailureKind.TIMEOUT
                || kind == FailureKind.CONNECTION;
    }

    /**
     * For planning: whether requests may go to the target now, that is unless it is cooling down or being probed.
     * A target whose cooldown ended is eligible: the first request to {@linkplain #start start} on it probes it.
     */
    public boolean eligible(String target) {
        State state = states.get(target);
        return state == null || state.eligible();
    }

    /**
     * Claims the target for an attempt that is about to start.
     *
     * @return the lease to report the attempt's outcome to, or {@code null} when the attempt must be skipped: the
     *         target is cooling down, or another request is probing it
     */
    public Lease start(String target) {
        State state = states.get(target);
        return state == null ? Lease.NONE : state.start();
    }

    /** The target's health; {@code latencyMillis} and {@code firstTokenMillis} are passed through. */
    public TargetHealth health(String target, double latencyMillis, double firstTokenMillis) {
        State state = states.get(target);
        return state == null
                ? new TargetHealth(target, TargetHealth.State.HEALTHY, 0, null, latencyMillis, firstTokenMillis)
                : state.health(target, latencyMillis, firstTokenMillis);
    }

    /**
     * Takes over the state of every target both track from {@code previous} (a router being replaced by a
     * reload): the two then share it, so attempts still running on the previous router report into it too.
     * Call before the router that owns these cooldowns takes requests.
     */
    public void continueFrom(Cooldowns previous) {
        for (Map.Entry<String, State> entry : states.entrySet()) {
            State shared = previous.states.get(entry.getKey());
            if (shared != null) {
                entry.setValue(shared);
            }
        }
    }

    /** The targets these cooldowns track, in the order given. */
    public Collection<String> targets() {
        return states.keySet();
    }

    /**
     * One attempt's claim on a target. Report the outcome once; later reports are ignored.
     */
    public interface Lease {
        /** A lease on a target nobody tracks. */
        Lease NONE = new Lease() {
            @Override
            public void succeeded() {
            }

            @Override
            public void failed(FailureKind kind) {
            }

            @Override
            public void released() {
            }

            @Override
            public boolean probe() {
                return false;
            }
        };

        /** The attempt succeeded (for a stream: it produced content and ended, or the caller stopped reading). */
        void succeeded();

        /** The attempt failed; only the health kinds count, the others are neutral. */
        void failed(FailureKind kind);

        /** The attempt ended without saying anything about the target's health. */
        void released();

        /** True when this attempt is the target's probe. */
        boolean probe();
    }

    /** One target's state. Transitions hold the monitor; {@link #eligible} reads volatile fields only. */
    private final class State {
        private final String target;
        private volatile Instant coolingUntil;   // null: healthy
        private volatile boolean probing;
        private int consecutive;
        private int opens;                       // cooldowns since last healthy; sets the next cooldown's length
        private long generation;                 // changes on every open and close: stale leases are ignored

        State(String target) {
            this.target = target;
        }

        /** Reads the clock only when the target is cooling down: the healthy path stays allocation-free. */
        boolean eligible() {
            Instant until = coolingUntil;
            return until == null || (!probing && !clock.instant().isBefore(until));
        }

        /** Reads the clock only when the target is cooling down, like {@link #eligible}. */
        synchronized Lease start() {
            if (coolingUntil == null) {
                return new StateLease(this, generation, false);
            }
            if (probing || clock.instant().isBefore(coolingUntil)) {
                return null;
            }
            probing = true;
            return new StateLease(this, generation, true);
        }

        /**
         * Applies an attempt's outcome; returns the event to tell the listener once the lock is let go (an opening or
         * a closing), or {@code null}. Reads the clock only for an event: the healthy path reads none.
         */
        synchronized Object report(long leaseGeneration, boolean probe, Outcome outcome, FailureKind kind) {
            if (leaseGeneration != generation) {
                return null;
            }
            if (probe) {
                probing = false;
                switch (outcome) {
                    case SUCCESS -> {
                        close();
                        return new CooldownClosed(clock.instant(), target);
                    }
                    case HEALTH_FAILURE -> {
                        consecutive++;
                        return opened(kind);
                    }
                    case NEUTRAL -> {
                        return null; // the next request probes again
                    }
                    default -> throw new IllegalStateException("unknown outcome " + outcome);
                }
            }
            if (coolingUntil != null) {
                return null; // an attempt that started before the cooldown: only the probe decides now
            }
            if (outcome == Outcome.SUCCESS) {
                consecutive = 0;
            } else if (outcome == Outcome.HEALTH_FAILURE && ++consecutive >= failures) {
                return opened(kind);
            }
            return null;
        }

        private CooldownOpened opened(FailureKind kind) {
            Instant now = clock.instant();
            return new CooldownOpened(now, target, kind, open(now));
        }

        private Instant open(Instant now) {
            long factor = 1L << Math.min(opens, 20);
            Duration length = cooldown.multipliedBy(factor);
            if (length.compareTo(maxCooldown) > 0) {
                length = maxCooldown;
            }
            opens++;
            generation++;
            coolingUntil = now.plus(length);
            return coolingUntil;
        }

        private void close() {
            consecutive = 0;
            opens = 0;
            generation++;
            coolingUntil = null;
        }

        synchronized TargetHealth health(String target, double latencyMillis, double firstTokenMillis) {
            TargetHealth.State state = coolingUntil == null ? TargetHealth.State.HEALTHY
                    : probing ? TargetHealth.State.PROBING : TargetHealth.State.COOLING_DOWN;
            return new TargetHealth(target, state, consecutive, coolingUntil, latencyMillis, firstTokenMillis);
        }
    }

    private enum Outcome { SUCCESS, HEALTH_FAILURE, NEUTRAL }

    private final class StateLease implements Lease {
        private final State state;
        private final long generation;
        private final boolean probe;
        private boolean reported;

        StateLease(State state, long generation, boolean probe) {
            this.state = state;
            this.generation = generation;
            this.probe = probe;
        }

        @Override
        public void succeeded() {
            report(Outcome.SUCCESS, null);
        }

        @Override
        public void failed(FailureKind kind) {
            report(countsAgainstHealth(kind) ? Outcome.HEALTH_FAILURE : Outcome.NEUTRAL, kind);
        }

        @Override
        public void released() {
            report(Outcome.NEUTRAL, null);
        }

        @Override
        public boolean probe() {
            return probe;
        }

        private void report(Outcome outcome, FailureKind kind) {
            Object event;
            synchronized (state) {
                if (reported) {
                    return;
                }
                reported = true;
                event = state.report(generation, probe, outcome, kind);
            }
            if (event instanceof CooldownOpened opened) {
                listener.onCooldownOpened(opened);
            } else if (event instanceof CooldownClosed closed) {
                listener.onCooldownClosed(closed);
            }
        }
    }
}
