package dev.chatrouter.micrometer;

import dev.chatrouter.api.RequestType;
import dev.chatrouter.api.event.AttemptFinished;
import dev.chatrouter.api.event.AttemptStarted;
import dev.chatrouter.api.event.BudgetLimitCrossed;
import dev.chatrouter.api.event.CooldownClosed;
import dev.chatrouter.api.event.CooldownOpened;
import dev.chatrouter.api.event.RequestFinished;
import dev.chatrouter.api.event.RequestStarted;
import dev.chatrouter.api.event.RouterListener;
import dev.chatrouter.api.event.Unaccounted;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Records the router's events as Micrometer meters, named after the OpenTelemetry GenAI semantic conventions where
 * they have one, and {@code chatrouter.*} otherwise. Register it on the builder:
 *
 * <pre>{@code
 * ChatRouter router = ChatRouter.builder().configFile(path).listener(RouterMetrics.create(registry)).build();
 * }</pre>
 *
 * The meters (docs/operations.md lists them with their Prometheus names):
 * <ul>
 *   <li>{@value #TOKEN_USAGE}: distribution summary of the tokens each attempt was charged, by
 *       {@code gen_ai.token.type} ({@code input}, {@code output}), {@code gen_ai.operation.name},
 *       {@code gen_ai.provider.name}, {@code gen_ai.request.model} and {@code gen_ai.response.model} (the model id at
 *       the provider);</li>
 *   <li>{@value #REQUEST_DURATION}: timer of each request, arrival to end, by operation, {@code gen_ai.request.model}
 *       (the intent the client sent), {@code gen_ai.provider.name} and {@code gen_ai.response.model} (the target that
 *       served, or {@code none}) and {@code error.type} (the error code, or {@code none});</li>
 *   <li>{@value #TIME_TO_FIRST_TOKEN}: timer of each stream's time from arrival to its first content, same tags
 *       without {@code error.type};</li>
 *   <li>{@value #ATTEMPTS}: counter of attempts by {@code target}, {@code provider} and {@code outcome}
 *       ({@code success}, {@code cancelled}, or a failure kind such as {@code server});</li>
 *   <li>{@value #FALLBACKS}: counter of attempts that moved to another target after a failure (not hedges, not
 *       retries on the same target), by {@code route} and the {@code target} fallen back to;</li>
 *   <li>{@value #COOLDOWN_STATE}: gauge per {@code target}, 1 while it cools down, else 0;</li>
 *   <li>{@value #SPEND}: counter of US dollars spent, by {@code scope}: each attempt's cost is added to
 *       {@code global}, {@code key:NAME} (when the request has a key), {@code provider:ID} and
 *       {@code model:PROVIDER/MODEL}, so select one scope kind when summing;</li>
 *   <li>{@value #OVERHEAD}: timer of the router's own time in each request (total less upstream time), by
 *       {@code route};</li>
 *   <li>{@value #BUDGET_LIMITS}: counter of budget limits crossed, by {@code limit} ({@code soft}, {@code hard})
 *       and {@code window};</li>
 *   <li>{@value #UNACCOUNTED}: counter of attempts that went on without a reservation while the accounting store
 *       could not be reached (every limit that applied fails open), by {@code limits} ({@code rate_limits},
 *       {@code budgets}, or {@code budgets_and_rate_limits}).</li>
 * </ul>
 * Users and tags never become tags of a meter: their number is unbounded. Recording is lock-free and allocation-light;
 * it runs inline, as every listener does. Thread-safe.
 */
public final class RouterMetrics implements RouterListener {

    public static final String TOKEN_USAGE = "gen_ai.client.token.usage";
    public static final String REQUEST_DURATION = "gen_ai.server.request.duration";
    public static final String TIME_TO_FIRST_TOKEN = "gen_ai.server.time_to_first_token";
    public static final String ATTEMPTS = "chatrouter.attempts";
    public static final String FALLBACKS = "chatrouter.fallbacks";
    public static final String COOLDOWN_STATE = "chatrouter.cooldown.state";
    public static final String SPEND = "chatrouter.spend.usd";
    public static final String OVERHEAD = "chatrouter.overhead";
    public static final String BUDGET_LIMITS = "chatrouter.budget.limits";
    public static final String UNACCOUNTED = "chatrouter.accounting.unaccounted";

    /** Requests followed at once, at most: beyond it (only a bug would leave so many open) new ones are not. */
    static final int MAX_OPEN_REQUESTS = 100_000;
    private static final String NONE = "none";

    /** The OpenTelemetry GenAI conventions' bucket boundaries for token counts. */
    private static final double[] TOKEN_BUCKETS = {1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576,
            4194304, 16777216, 67108864};
    /** The OpenTelemetry GenAI conventions' bucket boundaries for durations, in seconds. */
    private static final double[] DURATION_BUCKETS = {0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12,
            10.24, 20.48, 40.96, 81.92};
    private static final double[] OVERHEAD_BUCKETS = {0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01,
            0.05, 0.1};

    private final MeterRegistry registry;
    private final MeterCache<DistributionSummary> tokens;
    private final MeterCache<Timer> requestDuration;
    private final MeterCache<Timer> firstToken;
    private final MeterCache<Counter> attempts;
    private final MeterCache<Counter> fallbacks;
    private final MeterCache<Counter> spend;
    private final MeterCache<Timer> overhead;
    private final MeterCache<Counter> budgetLimits;
    private final MeterCache<Counter> unaccounted;
    private final Map<String, AtomicInteger> cooling = new ConcurrentHashMap<>();
    private final Map<String, Counter> keySpend = new ConcurrentHashMap<>();
    private final Map<String, Counter> providerSpend = new ConcurrentHashMap<>();
    private final Map<String, Open> open = new ConcurrentHashMap<>();
    /** Each target's meters, found by the target's name alone: see {@link TargetMeters}. */
    private final Map<String, TargetMeters> targets = new ConcurrentHashMap<>();
    /** The spend counter of scope {@code global}, once an attempt cost something. */
    private volatile Counter globalSpend;

    /**
     * One target's provider and model, split once, and the meters its successful attempts record, made on first use
     * and kept: an attempt then costs one look-up by the target's name instead of a tag set built, hashed and
     * compared for each meter, and no split of the target into new strings.
     */
    private static final class TargetMeters {
        final String provider;
        final String model;
        volatile Counter succeeded;
        volatile DistributionSummary chatInput;
        volatile DistributionSummary chatOutput;
        volatile Counter spend;

        TargetMeters(String target) {
            int slash = target.indexOf('/');
            this.provider = slash < 0 ? target : target.substring(0, slash);
            this.model = slash < 0 ? target : target.substring(slash + 1);
        }
    }

    /** What a request's later events need from its earlier ones. */
    private static final class Open {
        final RequestStarted started;
        volatile String lastTarget;
        volatile Instant servingStart;
        volatile String servingTarget;

        Open(RequestStarted started) {
            this.started = started;
        }
    }

    private RouterMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.tokens = new MeterCache<>(DistributionSummary.builder(TOKEN_USAGE)
                .description("Tokens charged per upstream attempt, by input and output")
                .serviceLevelObjectives(TOKEN_BUCKETS).withRegistry(registry));
        this.requestDuration = new MeterCache<>(Timer.builder(REQUEST_DURATION)
                .description("Duration of each request the router served, from its arrival to its end")
                .serviceLevelObjectives(durations(DURATION_BUCKETS)).withRegistry(registry));
        this.firstToken = new MeterCache<>(Timer.builder(TIME_TO_FIRST_TOKEN)
                .description("Time from a streamed request's arrival to its first content")
                .serviceLevelObjectives(durations(DURATION_BUCKETS)).withRegistry(registry));
        this.attempts = new MeterCache<>(Counter.builder(ATTEMPTS)
                .description("Upstream attempts, by target and outcome").withRegistry(registry));
        this.fallbacks = new MeterCache<>(Counter.builder(FALLBACKS)
                .description("Attempts that fell back to another target after a failure").withRegistry(registry));
        this.spend = new MeterCache<>(Counter.builder(SPEND)
                .description("US dollars spent, by scope (global, key, provider, model)").withRegistry(registry));
        this.overhead = new MeterCache<>(Timer.builder(OVERHEAD)
                .description("The router's own time in each request: total less upstream time")
                .serviceLevelObjectives(durations(OVERHEAD_BUCKETS)).withRegistry(registry));
        this.unaccounted = new MeterCache<>(Counter.builder(UNACCOUNTED)
                .description("Attempts that went on unaccounted while the accounting store was unavailable")
                .withRegistry(registry));
        this.budgetLimits = new MeterCache<>(Counter.builder(BUDGET_LIMITS)
                .description("Budget limits crossed, by limit and window").withRegistry(registry));
    }

    /** A listener recording into {@code registry}. */
    public static RouterMetrics create(MeterRegistry registry) {
        return new RouterMetrics(Objects.requireNonNull(registry, "registry"));
    }

    private static Duration[] durations(double[] seconds) {
        Duration[] out = new Duration[seconds.length];
        for (int i = 0; i < seconds.length; i++) {
            out[i] = Duration.ofNanos(Math.round(seconds[i] * 1e9));
        }
        return out;
    }

    @Override
    public void onRequestStarted(RequestStarted event) {
        if (open.size() < MAX_OPEN_REQUESTS) {
            open.put(event.requestId(), new Open(event));
        }
    }

    @Override
    public void onAttemptStarted(AttemptStarted event) {
        cooldownGauge(event.target());
        Open request = open.get(event.requestId());
        if (request == null) {
            return;
        }
        String previous = request.lastTarget;
        if (previous != null && !event.hedged() && !previous.equals(event.target())) {
            fallbacks.withTags("route", orNone(request.started.route()), "target", event.target()).increment();
        }
        request.lastTarget = event.target();
    }

    @Override
    public void onAttemptFinished(AttemptFinished event) {
        TargetMeters target = targetMeters(event.target());
        if (event.succeeded()) {
            Counter counter = target.succeeded;
            if (counter == null) {
                target.succeeded = counter = attemptCounter(event.target(), target, "success");
            }
            counter.increment();
        } else {
            attemptCounter(event.target(), target, event.outcome()).increment();
        }
        Open request = open.get(event.requestId());
        String operation = request == null ? "chat" : operation(request.started.type());
        if (event.inputTokens() > 0 || event.outputTokens() > 0) {
            boolean chat = operation.equals("chat");
            DistributionSummary input = chat ? target.chatInput : null;
            DistributionSummary output = chat ? target.chatOutput : null;
            if (input == null) {
                input = tokenSummary(operation, target, "input");
                output = tokenSummary(operation, target, "output");
                if (chat) {
                    target.chatInput = input;
                    target.chatOutput = output;
                }
            }
            input.record(event.inputTokens());
            output.record(event.outputTokens());
        }
        if (event.costUsd() > 0) {
            Counter global = globalSpend;
            if (global == null) {
                globalSpend = global = spend.withTags("scope", "global");
            }
            global.increment(event.costUsd());
            if (request != null && request.started.key() != null) {
                spend(keySpend, "key:", request.started.key()).increment(event.costUsd());
            }
            spend(providerSpend, "provider:", target.provider).increment(event.costUsd());
            Counter model = target.spend;
            if (model == null) {
                target.spend = model = spend.withTags("scope", "model:" + event.target());
            }
            model.increment(event.costUsd());
        }
        if (request != null && event.firstToken() != null && request.servingTarget == null) {
            // the attempt that showed content first serves the stream
            request.servingTarget = event.target();
            request.servingStart = event.at().minus(event.latency()).plus(event.firstToken());
        }
    }

    @Override
    public void onRequestFinished(RequestFinished event) {
        Open request = open.remove(event.requestId());
        String operation = request == null ? "chat" : operation(request.started.type());
        String intent = event.report() != null ? event.report().intent()
                : request != null ? request.started.model() : NONE;
        String served = event.report() == null ? null : event.report().target();
        TargetMeters target = served == null ? null : targetMeters(served);
        String provider = target == null ? NONE : target.provider;
        String model = target == null ? NONE : target.model;
        requestDuration.withTags("gen_ai.operation.name", operation, "gen_ai.request.model", intent,
                        "gen_ai.provider.name", provider, "gen_ai.response.model", model,
                        "error.type", event.errorCode().map(c -> c.wireName()).orElse(event.cancelled() ? "cancelled"
                                : NONE))
                .record(event.total());
        overhead.withTags("route", event.report() != null ? event.report().route()
                : request != null ? orNone(request.started.route()) : NONE).record(event.overhead());
        if (request != null && request.started.stream() && request.servingStart != null) {
            Duration ttft = Duration.between(request.started.at(), request.servingStart);
            if (!ttft.isNegative()) {
                firstToken.withTags("gen_ai.operation.name", operation, "gen_ai.request.model", intent,
                        "gen_ai.provider.name", provider, "gen_ai.response.model", model).record(ttft);
            }
        }
    }

    @Override
    public void onCooldownOpened(CooldownOpened event) {
        cooldownGauge(event.target()).set(1);
    }

    @Override
    public void onCooldownClosed(CooldownClosed event) {
        cooldownGauge(event.target()).set(0);
    }

    @Override
    public void onBudgetLimitCrossed(BudgetLimitCrossed event) {
        budgetLimits.withTags("limit", event.limit().wireName(), "window", event.window()).increment();
    }

    @Override
    public void onUnaccounted(Unaccounted event) {
        String limits = event.budgets() && event.rateLimits() ? "budgets_and_rate_limits"
                : event.budgets() ? "budgets" : "rate_limits";
        unaccounted.withTags("limits", limits).increment();
    }

    private Counter attemptCounter(String target, TargetMeters meters, String outcome) {
        return attempts.withTags("target", target, "provider", meters.provider, "outcome", outcome);
    }

    private DistributionSummary tokenSummary(String operation, TargetMeters target, String type) {
        return tokens.withTags("gen_ai.operation.name", operation, "gen_ai.provider.name", target.provider,
                "gen_ai.request.model", target.model, "gen_ai.response.model", target.model, "gen_ai.token.type", type);
    }

    /** The meters kept for {@code target}; beyond {@link MeterCache#MAX_METERS} targets, a new holder each time. */
    private TargetMeters targetMeters(String target) {
        TargetMeters meters = targets.get(target);
        if (meters == null) {
            if (targets.size() >= MeterCache.MAX_METERS) {
                return new TargetMeters(target);
            }
            meters = targets.computeIfAbsent(target, TargetMeters::new);
        }
        return meters;
    }

    /**
     * The spend counter of scope {@code prefix + name}, found by {@code name} alone: the scope's text is built
     * only the first time, not on every attempt.
     */
    private Counter spend(Map<String, Counter> byName, String prefix, String name) {
        Counter counter = byName.get(name);
        if (counter == null) {
            counter = spend.withTags("scope", prefix + name);
            if (byName.size() < MeterCache.MAX_METERS) {
                byName.putIfAbsent(name, counter);
            }
        }
        return counter;
    }

    private AtomicInteger cooldownGauge(String target) {
        AtomicInteger state = cooling.get(target);
        if (state != null) {
            return state;
        }
        return cooling.computeIfAbsent(target, t -> {
            AtomicInteger value = new AtomicInteger();
            Gauge.builder(COOLDOWN_STATE, value, AtomicInteger::get)
                    .description("1 while the target cools down after repeated failures, else 0")
                    .tag("target", t).register(registry);
            return value;
        });
    }

    private static String operation(RequestType type) {
        return type == RequestType.EMBEDDING ? "embeddings" : "chat";
    }

    private static String orNone(String value) {
        return value == null ? NONE : value;
    }

    @Override
    public String toString() {
        return "RouterMetrics[" + registry.getClass().getSimpleName() + "]";
    }
}
