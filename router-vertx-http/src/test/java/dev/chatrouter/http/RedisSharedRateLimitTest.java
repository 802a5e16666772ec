package dev.chatrouter.http;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ChatStream;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.config.AccountingConfig;
import dev.chatrouter.api.config.BudgetConfig;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.RateLimitConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.Window;
import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderLimits;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.core.testing.MutableClock;
import dev.chatrouter.core.testing.ScriptedProviderFactory;
import dev.chatrouter.core.testing.TestSubscriber;
import dev.chatrouter.store.redis.RedisAccountingStores;
import dev.chatrouter.store.redis.RedisServer;
import dev.chatrouter.store.redis.RedisStoreConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rate limits shared by several routers through one real {@code redis-server}: each router opens its own Redis
 * store on the same URL and key prefix, as separate instances do, and together they admit exactly the limit in each
 * minute; likewise three server processes over HTTP. A budgeted stream ends once Redis has its spend. Redis stopped: rate limits fail open and budgets closed; both recover by themselves once it is back. The
 * routers' clock is injected, near the wall clock's (counters expire by Redis' clock, an hour after their minute),
 * and moved to roll the window over without sleeping.
 */
class RedisSharedRateLimitTest {

    static final int ROUTERS = 3;
    static final int RPM = 25;

    static RedisServer redis;
    final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.MINUTES)
            .plus(Duration.ofSeconds(65)));
    final ScriptedProviderFactory scripted = new ScriptedProviderFactory();
    final String prefix = "rl" + System.nanoTime() + ":";
    final List<ChatRouter> routers = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        redis = RedisServer.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (redis != null) {
            redis.close();
        }
    }

    @AfterEach
    void close() {
        routers.forEach(ChatRouter::close);
    }

    private ChatRouter router(BudgetConfig budget) {
        ModelSpec model = new ModelSpec("m", null, Price.of(1.0, 2.0), 100_000, 1_000,
                EnumSet.allOf(Capability.class));
        ChatRouter.Builder builder = ChatRouter.builder().clock(clock).providerFactory(scripted)
                .provider(ProviderSpec.builder("a", "scripted").limits(new ProviderLimits(1_000, 0)).model(model)
                        .build())
                .route(RouteConfig.builder("di").pool("*", PoolConfig.of("priority", "a/m")).build())
                .rateLimit(new RateLimitConfig("global", RPM, 0))
                .accounting(new AccountingConfig("redis", null, AccountingConfig.DEFAULT_FLUSH_INTERVAL,
                        AccountingConfig.DEFAULT_LEASE, AccountingConfig.FailureMode.CLOSED,
                        AccountingConfig.FailureMode.OPEN,
                        new AccountingConfig.Redis(redis.url() + "/0", prefix, Duration.ofSeconds(1))));
        if (budget != null) {
            builder.budget(budget);
        }
        ChatRouter router = builder.build();
        routers.add(router);
        return router;
    }

    private static CompletableFuture<ChatResult> chat(ChatRouter router, String key) {
        return router.chat(ChatRequest.builder().model("di").addMessage(Message.user("Hello")).maxTokens(5).build(),
                RequestContext.empty().withKey(key)).toCompletableFuture();
    }

    private AccountingStore.State counter(String key) throws Exception {
        try (AccountingStore store = RedisAccountingStores.open(RedisStoreConfig.of(redis.url())
                .withKeyPrefix(prefix))) {
            return store.states(List.of(key)).toCompletableFuture().get(10, TimeUnit.SECONDS).get(key);
        }
    }

    private String minuteKey(String scope) {
        return scope + "|minute|" + clock.instant().truncatedTo(ChronoUnit.MINUTES) + "|rpm";
    }

    /**
     * Proves three routers sharing one Redis admit exactly the rpm together: 150 concurrent requests spread over
     * them in each of two minutes serve 25 and refuse the rest with 429, and the shared counter says 25.
     */
    @Test
    void threeRoutersTogetherAdmitExactlyTheLimitPerMinute() throws Exception {
        for (int i = 0; i < ROUTERS; i++) {
            router(null);
        }
        for (int minute = 0; minute < 2; minute++) {
            List<CompletableFuture<ChatResult>> answers = new ArrayList<>();
            for (int i = 0; i < 6 * RPM; i++) {
                answers.add(chat(routers.get(i % ROUTERS), "k"));
            }
            int served = 0;
            int refused = 0;
            int[] byRouter = new int[ROUTERS];
            for (int i = 0; i < answers.size(); i++) {
                try {
                    answers.get(i).get(20, TimeUnit.SECONDS);
                    served++;
                    byRouter[i % ROUTERS]++;
                } catch (ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(ChatRouterException.class);
                    assertThat(((ChatRouterException) e.getCause()).code()).isEqualTo(ErrorCode.RATE_LIMIT_EXCEEDED);
                    refused++;
                }
            }
            System.out.printf("redis shared rpm, minute %d: served %d (per router %d/%d/%d), refused %d%n", minute,
                    served, byRouter[0], byRouter[1], byRouter[2], refused);
            assertThat(served).as("served in minute " + minute).isEqualTo(RPM);
            assertThat(refused).isEqualTo(6 * RPM - RPM);
            assertThat(counter(minuteKey("global"))).isEqualTo(new AccountingStore.State(RPM, 0));
            assertThat(counter(minuteKey("provider:a"))).isEqualTo(new AccountingStore.State(RPM, 0));
            clock.advance(Duration.ofMinutes(1));
        }
    }

    /**
     * Proves a Redis outage fails budgets closed (503 accounting_unavailable naming the store) and rate limits open
     * (served, not counted), and that both count again by themselves once Redis is back on the same port.
     */
    @Test
    void redisAwayRateLimitsFailOpenBudgetsFailClosedAndBothRecover() throws Exception {
        ChatRouter router = router(BudgetConfig.usd("key:budgeted", Window.DAY, 10.0));
        chat(router, "budgeted").get(20, TimeUnit.SECONDS);
        chat(router, "free").get(20, TimeUnit.SECONDS);
        assertThat(counter(minuteKey("global"))).isEqualTo(new AccountingStore.State(2, 0));

        redis.stop();
        try {
            chat(router, "budgeted").get(20, TimeUnit.SECONDS);
            throw new AssertionError("a budgeted request was served while Redis was away");
        } catch (ExecutionException e) {
            ChatRouterException error = (ChatRouterException) e.getCause();
            assertThat(error.code()).isEqualTo(ErrorCode.ACCOUNTING_UNAVAILABLE);
            assertThat(error.getMessage()).startsWith("redis store at 127.0.0.1:" + redis.port() + " unavailable: ");
        }
        for (int i = 0; i < RPM + 5; i++) {
            assertThat(chat(router, "free").get(20, TimeUnit.SECONDS).report().target())
                    .as("only rate limits apply: served unaccounted, past the rpm").isEqualTo("a/m");
        }

        redis.startProcess();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        boolean back = false;
        while (!back && System.nanoTime() < until) {
            try {
                chat(router, "budgeted").get(20, TimeUnit.SECONDS);
                back = true;
            } catch (ExecutionException e) {
                assertThat(((ChatRouterException) e.getCause()).code()).isEqualTo(ErrorCode.ACCOUNTING_UNAVAILABLE);
                Thread.sleep(100);
            }
        }
        assertThat(back).as("a budgeted request is served within 30 s of Redis' return").isTrue();
        chat(router, "free").get(20, TimeUnit.SECONDS);
        // Redis restarted without persistence: the minute counts again from what it has seen since
        assertThat(counter(minuteKey("global"))).isEqualTo(new AccountingStore.State(2, 0));
    }

    /**
     * Proves three server processes on one Redis (their own clocks, the wall clock) share a global rpm over HTTP:
     * a burst of 150 requests spread over them serves at most the rpm in each minute it touched, at least the rpm
     * in all, and exactly the rpm when it stayed within one minute; every other answer is 429 rate_limit_exceeded
     * with a Retry-After within the minute.
     */
    @Test
    void threeServerProcessesShareOneRpm(@TempDir Path dir) throws Exception {
        WireMockServer upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1")
                .containerThreads(64));
        upstream.start();
        List<ServerProcess> servers = new ArrayList<>();
        try {
            upstream.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(200)
                    .withHeader("content-type", "application/json").withBody(DurableAccountingCrashTest.COMPLETION)));
            Path config = dir.resolve("rpm.yaml");
            Files.writeString(config, DurableAccountingCrashTest.config(upstream.port(), """
                    rate_limits:
                      - { scope: global, rpm: %d }
                    accounting:
                      store: redis
                      redis: { url: "%s/0", key_prefix: "%s", command_timeout: 3s }
                    """.formatted(RPM, redis.url(), prefix)));
            List<CompletableFuture<ServerProcess>> starting = new ArrayList<>();
            for (int i = 0; i < ROUTERS; i++) {
                int port = RedisServer.freePort();
                starting.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return new ServerProcess(config, dir, port).start();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            for (CompletableFuture<ServerProcess> s : starting) {
                servers.add(s.get(120, TimeUnit.SECONDS));
            }
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(2)).build();
            String body = "{\"model\":\"di\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":"
                    + "\"Hello\"}]}";

            Instant from = Instant.now().truncatedTo(ChronoUnit.MINUTES);
            List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 6 * RPM; i++) {
                answers.add(client.sendAsync(HttpRequest.newBuilder(URI.create(servers.get(i % ROUTERS)
                                .url("/v1/chat/completions"))).timeout(Duration.ofSeconds(30))
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
            }
            int served = 0;
            for (CompletableFuture<HttpResponse<String>> answer : answers) {
                HttpResponse<String> r = answer.get(60, TimeUnit.SECONDS);
                if (r.statusCode() == 200) {
                    served++;
                    continue;
                }
                assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
                assertThat(r.body()).contains("\"code\":\"rate_limit_exceeded\"");
                assertThat(Long.parseLong(r.headers().firstValue("retry-after").orElseThrow())).isBetween(1L, 60L);
            }
            Instant to = Instant.now().truncatedTo(ChronoUnit.MINUTES);

            long counted = 0;
            for (Instant minute = from; !minute.isAfter(to); minute = minute.plus(Duration.ofMinutes(1))) {
                AccountingStore.State state = counter("global|minute|" + minute + "|rpm");
                assertThat(state.spent()).as("minute " + minute).isLessThanOrEqualTo(RPM);
                assertThat(state.reserved()).isZero();
                counted += state.spent();
            }
            System.out.printf("redis shared rpm over HTTP, three processes: served %d of %d in %s to %s%n", served,
                    answers.size(), from, to);
            assertThat(counted).as("the counters hold every request served").isEqualTo(served);
            assertThat(served).isGreaterThanOrEqualTo(RPM);
            if (from.equals(to)) {
                assertThat(served).as("one minute: exactly the rpm").isEqualTo(RPM);
            }
        } finally {
            for (ServerProcess server : servers) {
                server.kill();
            }
            upstream.stop();
        }
    }

    /**
     * Proves a budgeted stream on Redis ends: Redis records its spend after the last chunk, and then the stream
     * completes, priced (it used to stop after its last chunk, without its end).
     */
    @Test
    void aBudgetedStreamOnRedisEnds() throws Exception {
        ChatRouter router = router(BudgetConfig.usd("global", Window.DAY, 10.0));
        ChatStream stream = router.stream(ChatRequest.builder().model("di").addMessage(Message.user("Hello"))
                .maxTokens(5).build(), RequestContext.empty().withKey("k"));
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        stream.subscribe(subscriber);
        subscriber.awaitDone(Duration.ofSeconds(10));
        assertThat(subscriber.completed()).isTrue();
        assertThat(subscriber.error()).isNull();
        assertThat(subscriber.items()).isNotEmpty();
        assertThat(stream.report().toCompletableFuture().get(10, TimeUnit.SECONDS).costUsd()).isPositive();
    }
}
