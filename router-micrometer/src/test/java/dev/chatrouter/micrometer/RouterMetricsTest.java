package dev.chatrouter.micrometer;

import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.Effort;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.RequestType;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.config.CacheConfig;
import dev.chatrouter.api.config.FallbackConfig;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.RateLimitConfig;
import dev.chatrouter.api.config.ResponseCacheConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.StickyPrefixConfig;
import dev.chatrouter.api.event.AttemptFinished;
import dev.chatrouter.api.event.AttemptStarted;
import dev.chatrouter.api.event.RequestFinished;
import dev.chatrouter.api.event.RequestStarted;
import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.core.testing.ScriptedProviderFactory;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.chatrouter.core.testing.ScriptedProviderFactory.fail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/** The meters {@link RouterMetrics} keeps, as a real router's requests move them. */
class RouterMetricsTest {

    private static final CacheConfig NO_STICKY =
            new CacheConfig(ResponseCacheConfig.DEFAULTS, new StickyPrefixConfig(false, Duration.ofMinutes(5), 1000));

    private final ScriptedProviderFactory scripted = new ScriptedProviderFactory();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private ChatRouter router;

    @AfterEach
    void close() {
        if (router != null) {
            router.close();
        }
    }

    /** Proves a fallback moves the attempts, fallback, token, spend, duration and overhead meters. */
    @Test
    void aFallbackMovesTheMeters() throws Exception {
        // given a router whose first target fails with a server error, with the metrics listener
        ModelSpec model = new ModelSpec("m", null, Price.of(1.0, 2.0), 100_000, 1_000,
                EnumSet.allOf(Capability.class));
        router = ChatRouter.builder().providerFactory(scripted).cache(NO_STICKY)
                .provider(ProviderSpec.builder("a", "scripted").model(model).build())
                .provider(ProviderSpec.builder("b", "scripted").model(model).build())
                .route(RouteConfig.builder("di").pool("*", PoolConfig.of("priority", "a/m", "b/m"))
                        .fallback(new FallbackConfig(3, 0, FallbackConfig.DEFAULTS.on())).build())
                .listener(RouterMetrics.create(registry)).build();
        scripted.script("a", fail(FailureKind.SERVER));
        // when one request is made for key team-a
        router.chat(ChatRequest.builder().model("di").addMessage(Message.user("Hello")).maxTokens(5).build(),
                RequestContext.empty().withKey("team-a")).toCompletableFuture().get(5, TimeUnit.SECONDS);
        // then each meter counts it
        assertThat(registry.get(RouterMetrics.ATTEMPTS).tags("target", "a/m", "outcome", "server").counter().count())
                .isEqualTo(1);
        assertThat(registry.get(RouterMetrics.ATTEMPTS).tags("target", "b/m", "outcome", "success").counter().count())
                .isEqualTo(1);
        assertThat(registry.get(RouterMetrics.FALLBACKS).tags("route", "di", "target", "b/m").counter().count())
                .isEqualTo(1);
        assertThat(registry.get(RouterMetrics.TOKEN_USAGE).tags("gen_ai.token.type", "input",
                "gen_ai.provider.name", "b", "gen_ai.request.model", "m").summary().totalAmount()).isEqualTo(10);
        assertThat(registry.get(RouterMetrics.TOKEN_USAGE).tags("gen_ai.token.type", "output")
                .summary().totalAmount()).isEqualTo(5);
        assertThat(registry.get(RouterMetrics.SPEND).tags("scope", "global").counter().count())
                .isCloseTo(20e-6, offset(1e-12));
        assertThat(registry.get(RouterMetrics.SPEND).tags("scope", "key:team-a").counter().count())
                .isCloseTo(20e-6, offset(1e-12));
        assertThat(registry.get(RouterMetrics.SPEND).tags("scope", "provider:b").counter().count())
                .isCloseTo(20e-6, offset(1e-12));
        assertThat(registry.get(RouterMetrics.REQUEST_DURATION).tags("gen_ai.request.model", "di",
                "gen_ai.provider.name", "b", "gen_ai.response.model", "m", "error.type", "none").timer().count())
                .isEqualTo(1);
        assertThat(registry.get(RouterMetrics.OVERHEAD).tags("route", "di").timer().count()).isEqualTo(1);
        assertThat(registry.get(RouterMetrics.COOLDOWN_STATE).tags("target", "a/m").gauge().value()).isZero();
    }

    /** Proves an attempt served unaccounted while the store is away (rate limits fail open) is counted. */
    @Test
    void anUnaccountedAttemptIsCounted() throws Exception {
        ModelSpec model = new ModelSpec("m", null, Price.of(1.0, 2.0), 100_000, 1_000,
                EnumSet.allOf(Capability.class));
        AccountingStore down = (AccountingStore) Proxy.newProxyInstance(AccountingStore.class.getClassLoader(),
                new Class<?>[]{AccountingStore.class}, (proxy, method, args) -> method.getName().equals("close")
                        ? null : CompletableFuture.failedFuture(new AccountingStore.Unavailable("test store",
                        "connection refused", null)));
        router = ChatRouter.builder().providerFactory(scripted).cache(NO_STICKY).accountingStore(down)
                .provider(ProviderSpec.builder("a", "scripted").model(model).build())
                .route(RouteConfig.builder("di").pool("*", PoolConfig.of("priority", "a/m")).build())
                .rateLimit(new RateLimitConfig("global", 10, 0))
                .listener(RouterMetrics.create(registry)).build();

        router.chat(ChatRequest.builder().model("di").addMessage(Message.user("Hello")).build())
                .toCompletableFuture().get(10, TimeUnit.SECONDS);

        assertThat(registry.get(RouterMetrics.UNACCOUNTED).tag("limits", "rate_limits").counter().count())
                .isEqualTo(1.0);
    }

    /**
     * Proves a target's meters, kept after its first attempt, go on counting each later one under the same tags,
     * and that an embedding request's tokens are counted apart from the chat requests' at the same target.
     */
    @Test
    void aTargetsKeptMetersCountEveryAttemptAndEmbeddingsApart() {
        RouterMetrics metrics = RouterMetrics.create(registry);
        String target = "openai/gpt-4o-mini";
        for (int i = 1; i <= 3; i++) {
            RequestType type = i == 3 ? RequestType.EMBEDDING : RequestType.FLASH;
            requestAt(metrics, "req_" + i, type, target, 10 * i, i, 0.001 * i, null);
        }
        requestAt(metrics, "req_4", RequestType.FLASH, target, 0, 0, 0, FailureKind.RATE_LIMIT);

        assertThat(registry.get(RouterMetrics.ATTEMPTS).tags("target", target, "provider", "openai",
                "outcome", "success").counter().count()).isEqualTo(3);
        assertThat(registry.get(RouterMetrics.ATTEMPTS).tags("target", target, "outcome", "rate_limit")
                .counter().count()).isEqualTo(1);
        assertThat(registry.get(RouterMetrics.TOKEN_USAGE).tags("gen_ai.operation.name", "chat",
                "gen_ai.provider.name", "openai", "gen_ai.response.model", "gpt-4o-mini",
                "gen_ai.token.type", "input").summary().totalAmount()).isEqualTo(30);
        assertThat(registry.get(RouterMetrics.TOKEN_USAGE).tags("gen_ai.operation.name", "chat",
                "gen_ai.token.type", "output").summary().count()).isEqualTo(2);
        assertThat(registry.get(RouterMetrics.TOKEN_USAGE).tags("gen_ai.operation.name", "embeddings",
                "gen_ai.token.type", "input").summary().totalAmount()).isEqualTo(30);
        assertThat(registry.get(RouterMetrics.SPEND).tags("scope", "model:" + target).counter().count())
                .isCloseTo(0.006, offset(1e-12));
        assertThat(registry.get(RouterMetrics.SPEND).tags("scope", "provider:openai").counter().count())
                .isCloseTo(0.006, offset(1e-12));
        assertThat(registry.get(RouterMetrics.SPEND).tags("scope", "global").counter().count())
                .isCloseTo(0.006, offset(1e-12));
        assertThat(registry.get(RouterMetrics.REQUEST_DURATION).tags("gen_ai.operation.name", "chat",
                "gen_ai.provider.name", "openai", "gen_ai.response.model", "gpt-4o-mini", "error.type", "none")
                .timer().count()).isEqualTo(2);
        assertThat(registry.get(RouterMetrics.REQUEST_DURATION).tags("gen_ai.operation.name", "embeddings",
                "gen_ai.provider.name", "openai").timer().count()).isEqualTo(1);
    }

    /** One request's events, as the router tells them: started, one attempt at {@code target}, finished. */
    private static void requestAt(RouterMetrics metrics, String id, RequestType type, String target, long input,
                                  long output, double cost, FailureKind failure) {
        Instant at = Instant.parse("2026-12-07T10:00:00Z");
        metrics.onRequestStarted(new RequestStarted(at, id, "fast", "fast", type, Effort.AUTO, false, null, null,
                List.of()));
        metrics.onAttemptStarted(new AttemptStarted(at, id, target, 1, false));
        metrics.onAttemptFinished(new AttemptFinished(at, id, target, 1, false, failure, false,
                failure == null ? 200 : 429, Duration.ofMillis(5), null, input, output, 0, cost));
        RoutingReport report = failure != null ? null : new RoutingReport(id, "fast", "fast", type, "default",
                Effort.AUTO, "*", "priority", List.of(target), List.of(), target, List.of(), cost, false);
        metrics.onRequestFinished(new RequestFinished(at, id, null, report, null, false, input, output,
                Duration.ofMillis(6), Duration.ofMillis(1)));
    }

    @Test
    void theCooldownGaugeRisesWhenATargetCoolsDown() throws Exception {
        ModelSpec model = new ModelSpec("m", null, Price.of(1.0, 2.0), 100_000, 1_000,
                EnumSet.allOf(Capability.class));
        router = ChatRouter.builder().providerFactory(scripted).cache(NO_STICKY)
                .provider(ProviderSpec.builder("a", "scripted").model(model).build())
                .provider(ProviderSpec.builder("b", "scripted").model(model).build())
                .route(RouteConfig.builder("di").pool("*", PoolConfig.of("priority", "a/m", "b/m"))
                        .fallback(new FallbackConfig(3, 0, FallbackConfig.DEFAULTS.on())).build())
                .listener(RouterMetrics.create(registry)).build();
        scripted.script("a", fail(FailureKind.SERVER), fail(FailureKind.SERVER), fail(FailureKind.SERVER));
        for (int i = 0; i < 3; i++) {
            router.chat(ChatRequest.builder().model("di").addMessage(Message.user("Hello")).build())
                    .toCompletableFuture().get(5, TimeUnit.SECONDS);
        }
        assertThat(registry.get(RouterMetrics.COOLDOWN_STATE).tags("target", "a/m").gauge().value()).isEqualTo(1);
        assertThat(registry.get(RouterMetrics.COOLDOWN_STATE).tags("target", "b/m").gauge().value()).isZero();
    }
}
