package dev.chatrouter.core;

import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.config.BudgetConfig;
import dev.chatrouter.api.config.CacheConfig;
import dev.chatrouter.api.config.FallbackConfig;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.ResponseCacheConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.StickyPrefixConfig;
import dev.chatrouter.api.config.Window;
import dev.chatrouter.api.event.AttemptFinished;
import dev.chatrouter.api.event.AttemptStarted;
import dev.chatrouter.api.event.BudgetLimitCrossed;
import dev.chatrouter.api.event.CooldownClosed;
import dev.chatrouter.api.event.CooldownOpened;
import dev.chatrouter.api.event.RequestFinished;
import dev.chatrouter.api.event.RequestStarted;
import dev.chatrouter.api.event.RouterListener;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.core.route.Cooldowns;
import dev.chatrouter.core.testing.MutableClock;
import dev.chatrouter.core.testing.ScriptedProviderFactory;
import dev.chatrouter.core.testing.TestSubscriber;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.chatrouter.core.testing.ScriptedProviderFactory.fail;
import static dev.chatrouter.core.testing.ScriptedProviderFactory.reply;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a registered {@link RouterListener} is told: requests, attempts, cooldowns and budget limits, in order. */
class RouterListenerTest {

    private static final Price PRICE = Price.of(1.0, 2.0);
    private static final CacheConfig NO_STICKY =
            new CacheConfig(ResponseCacheConfig.DEFAULTS, new StickyPrefixConfig(false, Duration.ofMinutes(5), 1000));
    private static final FallbackConfig NO_RETRIES = new FallbackConfig(3, 0, FallbackConfig.DEFAULTS.on());
    /** 10 input tokens at $1/M and 5 output at $2/M: what a scripted answer costs. */
    private static final double ANSWER_USD = 20e-6;

    private final ScriptedProviderFactory scripted = new ScriptedProviderFactory();
    private final Recorder recorder = new Recorder();
    private ChatRouter router;

    @AfterEach
    void close() {
        if (router != null) {
            router.close();
        }
    }

    private ChatRouter.Builder builder() {
        ModelSpec model = new ModelSpec("m", null, PRICE, 100_000, 1_000, EnumSet.allOf(Capability.class));
        return ChatRouter.builder().providerFactory(scripted).cache(NO_STICKY)
                .provider(ProviderSpec.builder("a", "scripted").model(model).build())
                .provider(ProviderSpec.builder("b", "scripted").model(model).build())
                .route(RouteConfig.builder("di").pool("*", PoolConfig.of("priority", "a/m", "b/m"))
                        .fallback(NO_RETRIES).build());
    }

    private ChatResult chat(RequestContext context) throws Exception {
        return router.chat(ChatRequest.builder().model("di").addMessage(Message.user("Hello")).maxTokens(5).build(),
                context).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    /** Proves a fallback (the first target answers 500, the second succeeds) is told in order, with its fields. */
    @Test
    void aFallbackIsToldInOrderWithTheFieldsOfEachStep() throws Exception {
        // given a router whose first target fails with a server error
        router = builder().listener(recorder).build();
        scripted.script("a", fail(FailureKind.SERVER));
        // when a request is made for a key, a user and a tag
        ChatResult result = chat(RequestContext.empty().withKey("team-a").withUser("u-1").withTags(List.of("batch")));
        // then the listener heard: request started, a started, a failed, b started, b succeeded, request finished
        assertThat(recorder.events).extracting(e -> e.getClass().getSimpleName()).containsExactly(
                "RequestStarted", "AttemptStarted", "AttemptFinished", "AttemptStarted", "AttemptFinished",
                "RequestFinished");
        String id = result.report().requestId();
        RequestStarted started = (RequestStarted) recorder.events.get(0);
        assertThat(started.requestId()).isEqualTo(id);
        assertThat(started.model()).isEqualTo("di");
        assertThat(started.route()).isEqualTo("di");
        assertThat(started.type()).isEqualTo(result.report().type());
        assertThat(started.effort()).isEqualTo(result.report().effort());
        assertThat(started.stream()).isFalse();
        assertThat(started.key()).isEqualTo("team-a");
        assertThat(started.user()).isEqualTo("u-1");
        assertThat(started.tags()).containsExactly("batch");

        AttemptStarted first = (AttemptStarted) recorder.events.get(1);
        assertThat(first.requestId()).isEqualTo(id);
        assertThat(first.target()).isEqualTo("a/m");
        assertThat(first.provider()).isEqualTo("a");
        assertThat(first.attempt()).isZero();
        assertThat(first.hedged()).isFalse();
        AttemptFinished failed = (AttemptFinished) recorder.events.get(2);
        assertThat(failed.target()).isEqualTo("a/m");
        assertThat(failed.attempt()).isZero();
        assertThat(failed.failure()).isEqualTo(FailureKind.SERVER);
        assertThat(failed.outcome()).isEqualTo("server");
        assertThat(failed.status()).isEqualTo(500);
        assertThat(failed.costUsd()).isZero();
        assertThat(failed.inputTokens()).isZero();
        assertThat(failed.firstToken()).as("not a stream").isNull();

        AttemptStarted second = (AttemptStarted) recorder.events.get(3);
        assertThat(second.target()).isEqualTo("b/m");
        assertThat(second.attempt()).isEqualTo(1);
        AttemptFinished succeeded = (AttemptFinished) recorder.events.get(4);
        assertThat(succeeded.target()).isEqualTo("b/m");
        assertThat(succeeded.attempt()).isEqualTo(1);
        assertThat(succeeded.succeeded()).isTrue();
        assertThat(succeeded.outcome()).isEqualTo("success");
        assertThat(succeeded.status()).isEqualTo(200);
        assertThat(succeeded.inputTokens()).isEqualTo(10);
        assertThat(succeeded.outputTokens()).isEqualTo(5);
        assertThat(succeeded.costUsd()).isCloseTo(ANSWER_USD, org.assertj.core.data.Offset.offset(1e-12));

        RequestFinished finished = (RequestFinished) recorder.events.get(5);
        assertThat(finished.requestId()).isEqualTo(id);
        assertThat(finished.key()).isEqualTo("team-a");
        assertThat(finished.succeeded()).isTrue();
        assertThat(finished.errorCode()).isEmpty();
        assertThat(finished.report()).isEqualTo(result.report());
        assertThat(finished.report().target()).isEqualTo("b/m");
        assertThat(finished.inputTokens()).isEqualTo(10);
        assertThat(finished.outputTokens()).isEqualTo(5);
        assertThat(finished.total()).isGreaterThanOrEqualTo(finished.overhead());
        assertThat(finished.overhead().isNegative()).isFalse();
        assertThat(finished.at()).isAfterOrEqualTo(started.at());
    }

    /** Proves a listener that throws on every event neither fails the request nor keeps the next listener deaf. */
    @Test
    void aListenerThatThrowsDoesNotBreakTheRequest() throws Exception {
        // given a listener that throws on every event, registered before one that records
        RouterListener throwing = new RouterListener() {
            @Override
            public void onRequestStarted(RequestStarted event) {
                throw new IllegalStateException("boom");
            }

            @Override
            public void onAttemptStarted(AttemptStarted event) {
                throw new IllegalStateException("boom");
            }

            @Override
            public void onAttemptFinished(AttemptFinished event) {
                throw new IllegalStateException("boom");
            }

            @Override
            public void onRequestFinished(RequestFinished event) {
                throw new IllegalStateException("boom");
            }
        };
        router = builder().listener(throwing).listener(recorder).build();
        scripted.script("a", fail(FailureKind.SERVER));
        // when a request falls back
        ChatResult result = chat(RequestContext.empty());
        // then it is answered, and the recording listener heard all six events
        assertThat(result.report().target()).isEqualTo("b/m");
        assertThat(result.response().text()).isEqualTo("ok from b");
        assertThat(recorder.events).hasSize(6);
    }

    /** Proves a stream is told as a stream, its serving attempt with its time to first token. */
    @Test
    void aStreamIsToldWithItsTimeToFirstToken() {
        router = builder().listener(recorder).build();
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        router.stream(ChatRequest.builder().model("di").addMessage(Message.user("Hello")).build())
                .subscribe(subscriber);
        subscriber.awaitDone(Duration.ofSeconds(5));
        assertThat(subscriber.completed()).isTrue();
        assertThat(recorder.of(RequestStarted.class)).singleElement()
                .satisfies(started -> assertThat(started.stream()).isTrue());
        assertThat(recorder.of(AttemptFinished.class)).singleElement().satisfies(attempt -> {
            assertThat(attempt.succeeded()).isTrue();
            assertThat(attempt.firstToken()).isNotNull();
            assertThat(attempt.firstToken()).isLessThanOrEqualTo(attempt.latency());
        });
        assertThat(recorder.of(RequestFinished.class)).singleElement()
                .satisfies(finished -> assertThat(finished.report().target()).isEqualTo("a/m"));
    }

    /** Proves a subscriber that throws when told its stream ended does not make the request finish twice. */
    @Test
    void aSubscriberThatThrowsAtTheEndDoesNotFinishTheRequestTwice() throws Exception {
        router = builder().listener(recorder).build();
        CompletableFuture<Void> told = new CompletableFuture<>();
        router.stream(ChatRequest.builder().model("di").addMessage(Message.user("Hello")).build())
                .subscribe(TestSubscriber.<ChatChunk>unbounded().atComplete(() -> {
                    told.complete(null);
                    throw new IllegalStateException("a subscriber's bug");
                }));
        told.get(5, TimeUnit.SECONDS);
        router.close(); // waits for nothing, but lets the run's last task end before the events are read
        assertThat(recorder.of(RequestFinished.class)).singleElement()
                .satisfies(finished -> assertThat(finished.error()).isNull());
    }

    /** Proves a request that fails before routing is told too: started with what was known, then finished failing. */
    @Test
    void aRequestThatFailsBeforeRoutingIsToldStartedAndFinished() {
        router = builder().listener(recorder).build();
        assertThatThrownBy(() -> router.chat(ChatRequest.builder().model("nope").addMessage(Message.user("Hi"))
                .build()).toCompletableFuture().get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(ChatRouterException.class);
        assertThat(recorder.events).extracting(e -> e.getClass().getSimpleName())
                .containsExactly("RequestStarted", "RequestFinished");
        RequestFinished finished = (RequestFinished) recorder.events.get(1);
        assertThat(finished.errorCode()).contains(ErrorCode.MODEL_NOT_FOUND);
        assertThat(finished.report()).isNull();
        assertThat(((RequestStarted) recorder.events.get(0)).model()).isEqualTo("nope");
    }

    /** Proves a cooldown's opening (with its cause and end) and its closing after a good probe are told. */
    @Test
    void aCooldownIsToldWhenItOpensAndWhenItCloses() throws Exception {
        // given a clock that moves only when told, and a first target failing three times in a row
        MutableClock clock = MutableClock.atEpochOf2026();
        router = builder().clock(clock).listener(recorder).build();
        scripted.script("a", fail(FailureKind.SERVER), fail(FailureKind.SERVER), fail(FailureKind.SERVER));
        for (int i = 0; i < Cooldowns.DEFAULT_FAILURES; i++) {
            chat(RequestContext.empty());
        }
        // then the third failure opened its cooldown, until 30 s later
        List<CooldownOpened> opened = recorder.of(CooldownOpened.class);
        assertThat(opened).hasSize(1);
        assertThat(opened.get(0).target()).isEqualTo("a/m");
        assertThat(opened.get(0).cause()).isEqualTo(FailureKind.SERVER);
        assertThat(opened.get(0).until()).isEqualTo(clock.instant().plus(Cooldowns.DEFAULT_COOLDOWN));
        assertThat(recorder.of(CooldownClosed.class)).isEmpty();
        // when the cooldown has passed and the next request probes it successfully
        clock.advance(Cooldowns.DEFAULT_COOLDOWN);
        ChatResult probed = chat(RequestContext.empty());
        // then its closing is told
        assertThat(probed.report().target()).isEqualTo("a/m");
        assertThat(recorder.of(CooldownClosed.class)).singleElement()
                .satisfies(c -> assertThat(c.target()).isEqualTo("a/m"));
    }

    /** Proves a soft limit is told once when settled spend reaches it, and a hard limit once when it first refuses. */
    @Test
    void budgetLimitsAreToldOnceEachWhenCrossed() throws Exception {
        // given a global soft limit below one answer's cost, and a key's hard limit of two answers' worth of tokens
        router = builder().listener(recorder)
                .budget(new BudgetConfig("global", Window.DAY, null, null, ANSWER_USD / 2))
                .budget(BudgetConfig.tokens("key:team-a", Window.DAY, 1_000))
                .build();
        RequestContext teamA = RequestContext.empty().withKey("team-a");
        // when requests are made until the key's budget refuses
        chat(teamA);
        chat(teamA);
        ExecutionException refused = null;
        for (int i = 0; i < 200 && refused == null; i++) {
            try {
                chat(teamA);
            } catch (ExecutionException e) {
                refused = e;
            }
        }
        assertThat(refused).isNotNull();
        try {
            chat(teamA);
        } catch (ExecutionException again) {
            // refused again: not told again
        }
        // then the soft limit was told once, as soon as the first answer was settled, and the hard limit once
        List<BudgetLimitCrossed> crossed = recorder.of(BudgetLimitCrossed.class);
        assertThat(crossed).extracting(BudgetLimitCrossed::limit)
                .containsExactly(BudgetLimitCrossed.Limit.SOFT, BudgetLimitCrossed.Limit.HARD);
        BudgetLimitCrossed soft = crossed.get(0);
        assertThat(soft.scope()).isEqualTo("global");
        assertThat(soft.window()).isEqualTo("day");
        assertThat(soft.unit()).isEqualTo(BudgetLimitCrossed.Unit.USD);
        assertThat(soft.spent()).isCloseTo(ANSWER_USD, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(soft.limitValue()).isCloseTo(ANSWER_USD / 2, org.assertj.core.data.Offset.offset(1e-12));
        BudgetLimitCrossed hard = crossed.get(1);
        assertThat(hard.scope()).isEqualTo("key:team-a");
        assertThat(hard.unit()).isEqualTo(BudgetLimitCrossed.Unit.TOKENS);
        assertThat(hard.limitValue()).isEqualTo(1_000);
        assertThat(hard.spent()).isPositive().isLessThanOrEqualTo(1_000);
    }

    /** Records every event in arrival order. */
    static final class Recorder implements RouterListener {
        final List<Object> events = new CopyOnWriteArrayList<>();

        <T> List<T> of(Class<T> type) {
            return events.stream().filter(type::isInstance).map(type::cast).toList();
        }

        @Override
        public void onRequestStarted(RequestStarted event) {
            events.add(event);
        }

        @Override
        public void onAttemptStarted(AttemptStarted event) {
            events.add(event);
        }

        @Override
        public void onAttemptFinished(AttemptFinished event) {
            events.add(event);
        }

        @Override
        public void onRequestFinished(RequestFinished event) {
            events.add(event);
        }

        @Override
        public void onCooldownOpened(CooldownOpened event) {
            events.add(event);
        }

        @Override
        public void onCooldownClosed(CooldownClosed event) {
            events.add(event);
        }

        @Override
        public void onBudgetLimitCrossed(BudgetLimitCrossed event) {
            events.add(event);
        }
    }
}
