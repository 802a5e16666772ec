package dev.chatrouter.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.store.redis.RedisAccountingStores;
import dev.chatrouter.store.redis.RedisServer;
import dev.chatrouter.store.redis.RedisStoreConfig;
import org.junit.jupiter.api.AfterAll;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static dev.chatrouter.http.DurableAccountingCrashTest.COMPLETION;
import static dev.chatrouter.http.DurableAccountingCrashTest.JSON;
import static dev.chatrouter.http.DurableAccountingCrashTest.PICOS_PER_REQUEST;
import static dev.chatrouter.http.DurableAccountingCrashTest.PROMPT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Budgets shared by several routers through one real {@code redis-server}: three server processes, no load balancer,
 * a hard global limit; a router killed mid-load; Redis stopped and started again. And the round trips: one
 * EVALSHA to reserve and one to settle per request.
 */
class RedisSharedBudgetTest {

    /** A hard limit for about half of the 3,000 requests. */
    static final long LIMIT_PICOS = 1_500 * PICOS_PER_REQUEST;
    static final int REQUESTS = 3_000;
    static final int CONCURRENCY = 96;
    /**
     * The provider's total timeout: a reservation holds at least that long and 10 s more, whatever the configured
     * lease, so that a hold never expires under an attempt still running; the upstream answers at once.
     */
    static final int ATTEMPT_MILLIS = 5_000;

    @TempDir
    static Path dir;
    static RedisServer redis;
    static WireMockServer upstream;
    static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
            .version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        redis = RedisServer.start();
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").containerThreads(120));
        upstream.start();
        upstream.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "application/json").withBody(COMPLETION)));
    }

    @AfterAll
    static void stop() throws Exception {
        if (upstream != null) {
            upstream.stop();
        }
        if (redis != null) {
            redis.close();
        }
    }

    static Path config(String prefix, String lease) throws Exception {
        Path file = dir.resolve(prefix.replace(":", "") + ".yaml");
        Files.writeString(file, DurableAccountingCrashTest.config(upstream.port(), """
                budgets:
                  - { scope: global, window: day, limit_usd: %s }
                accounting:
                  store: redis
                  lease: %s
                  redis: { url: "%s/0", key_prefix: "%s", command_timeout: 3s }
                """.formatted(LIMIT_PICOS / 1e12, lease, redis.url(), prefix), ATTEMPT_MILLIS));
        return file;
    }

    static CompletableFuture<HttpResponse<String>> chat(ServerProcess server) {
        String body = "{\"model\":\"di\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPT
                + "\"}]}";
        return CLIENT.sendAsync(HttpRequest.newBuilder(URI.create(server.url("/v1/chat/completions")))
                        .timeout(Duration.ofSeconds(30)).header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static AccountingStore.CounterState globalDollars(String prefix) throws Exception {
        try (AccountingStore store = RedisAccountingStores.open(RedisStoreConfig.of(redis.url())
                .withKeyPrefix(prefix))) {
            return store.counters().toCompletableFuture().get(10, TimeUnit.SECONDS).stream()
                    .filter(c -> c.key().startsWith("global|day|") && c.key().endsWith("|pico_usd"))
                    .findFirst().orElse(new AccountingStore.CounterState("none", 0, 0, null));
        }
    }

    /**
     * Proves three routers on one Redis never spend past a hard global limit together, record exactly what their
     * clients were told (up to the requests in flight at a router killed with kill -9), keep serving after that
     * kill (its reservations end with their lease: 15 s, the provider's total timeout and 10 s), fail closed with a 503 naming the store while Redis is
     * down, and serve again by themselves once it is back.
     */
    @Test
    void threeRoutersShareOneHardLimitThroughAKillAndAnOutage() throws Exception {
        String prefix = "t" + System.nanoTime() + ":";
        Path config = config(prefix, "2s");
        List<CompletableFuture<ServerProcess>> starting = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int port = RedisServer.freePort();
            starting.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return new ServerProcess(config, dir, port).start();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        List<ServerProcess> routers = new ArrayList<>();
        try {
            for (CompletableFuture<ServerProcess> s : starting) {
                routers.add(s.get(120, TimeUnit.SECONDS));
            }
            ServerProcess victim = routers.get(2);

            Semaphore window = new Semaphore(CONCURRENCY);
            AtomicLong toldPicos = new AtomicLong();
            AtomicInteger served = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            AtomicInteger servedAfterKill = new AtomicInteger();
            AtomicInteger lostAtVictim = new AtomicInteger();
            ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();
            List<CompletableFuture<?>> all = new ArrayList<>();
            boolean killed = false;
            for (int i = 0; i < REQUESTS; i++) {
                if (i == REQUESTS / 3) {
                    victim.kill(); // kill -9 with about 96 requests in flight, a third of them at the victim
                    killed = true;
                }
                boolean afterKill = killed;
                ServerProcess target = killed ? routers.get(i % 2) : routers.get(i % 3);
                if (!window.tryAcquire(60, TimeUnit.SECONDS)) {
                    throw new AssertionError("no request finished within 60 s");
                }
                all.add(chat(target).handle((r, e) -> {
                    window.release();
                    if (e != null) {
                        if (target == victim) {
                            lostAtVictim.incrementAndGet();
                        } else {
                            unexpected.add(target.port() + ": " + e);
                        }
                        return null;
                    }
                    try {
                        if (r.statusCode() == 200) {
                            toldPicos.addAndGet(Math.round(JSON.readTree(r.body()).path("usage").path("cost")
                                    .asDouble() * 1e12));
                            served.incrementAndGet();
                            if (afterKill) {
                                servedAfterKill.incrementAndGet();
                            }
                        } else if (r.statusCode() == 402) {
                            refused.incrementAndGet();
                        } else {
                            unexpected.add(r.statusCode() + " " + r.body());
                        }
                    } catch (Exception parse) {
                        unexpected.add(parse.toString());
                    }
                    return null;
                }));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(90, TimeUnit.SECONDS);

            assertThat(unexpected).as("failures other than the killed router's and 402").isEmpty();
            assertThat(served.get() + refused.get() + lostAtVictim.get()).isEqualTo(REQUESTS);
            assertThat(servedAfterKill.get()).as("served by the survivors after the kill").isPositive();
            assertThat(refused.get()).as("refused by the hard limit").isPositive();
            System.out.printf("redis shared budget: served %d, refused %d, lost at the killed router %d%n",
                    served.get(), refused.get(), lostAtVictim.get());

            // the dead router's reservations end with their lease: nothing stays reserved
            AccountingStore.CounterState counter = globalDollars(prefix);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (counter.reserved() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(100);
                counter = globalDollars(prefix);
            }
            System.out.printf("redis shared budget: recorded %d pico-USD, told %d, limit %d%n", counter.spent(),
                    toldPicos.get(), LIMIT_PICOS);
            assertThat(counter.reserved()).isZero();
            assertThat(counter.spent()).isLessThanOrEqualTo(LIMIT_PICOS);
            // recorded = told, but for requests the killed router settled without its client hearing the answer
            assertThat(counter.spent()).isGreaterThanOrEqualTo(toldPicos.get());
            assertThat(counter.spent() - toldPicos.get())
                    .isLessThanOrEqualTo(lostAtVictim.get() * PICOS_PER_REQUEST)
                    .isEqualTo((counter.spent() - toldPicos.get()) / PICOS_PER_REQUEST * PICOS_PER_REQUEST);
            assertThat(toldPicos.get()).isEqualTo(served.get() * PICOS_PER_REQUEST);

            // Redis goes away: budgeted requests fail closed, naming the store, never a stack trace
            redis.stop();
            for (ServerProcess router : routers.subList(0, 2)) {
                HttpResponse<String> r = chat(router).get(30, TimeUnit.SECONDS);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
                JsonNode error = JSON.readTree(r.body()).path("error");
                assertThat(error.path("code").asText()).isEqualTo("accounting_unavailable");
                assertThat(error.path("type").asText()).isEqualTo("api_error");
                assertThat(error.path("message").asText())
                        .startsWith("redis store at 127.0.0.1:" + redis.port() + " unavailable: ")
                        .doesNotContain("\tat ");
            }

            // Redis is back on the same port: both routers serve again by themselves
            redis.startProcess();
            for (ServerProcess router : routers.subList(0, 2)) {
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                int status = 0;
                while (System.nanoTime() < until) {
                    status = chat(router).get(30, TimeUnit.SECONDS).statusCode();
                    if (status == 200) {
                        break;
                    }
                    Thread.sleep(200);
                }
                assertThat(status).as("router on " + router.port() + " after Redis came back").isEqualTo(200);
            }
        } finally {
            for (ServerProcess r : routers) {
                r.kill();
            }
            for (CompletableFuture<ServerProcess> s : starting) {
                s.thenAccept(p -> {
                    try {
                        p.kill();
                    } catch (InterruptedException ignored) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
        }
    }

    /**
     * Proves a request costs one EVALSHA to reserve and one to settle, whatever the budgets and rate limits: the
     * rate limits' counters are in the same reservation, and the headroom comes from its answer.
     */
    @Test
    void oneRoundTripToReserveAndOneToSettlePerRequest() throws Exception {
        String prefix = "rt" + System.nanoTime() + ":";
        Path config = dir.resolve("round-trips.yaml");
        Files.writeString(config, DurableAccountingCrashTest.config(upstream.port(), """
                budgets:
                  - { scope: global, window: day, limit_usd: 10 }
                  - { scope: global, window: month, limit_usd: 100, limit_tokens: 100000000 }
                  - { scope: "key:*", window: day, limit_usd: 1 }
                rate_limits:
                  - { scope: global, rpm: 100000, tpm: 100000000 }
                  - { scope: "key:*", rpm: 1000, tpm: 10000000 }
                accounting:
                  store: redis
                  redis: { url: "%s", key_prefix: "%s" }
                """.formatted(redis.url(), prefix)));
        try (ChatRouter router = ChatRouter.builder().configFile(config).build()) {
            ChatRequest request = ChatRequest.builder().model("di").addMessage(Message.user(PROMPT)).maxTokens(5)
                    .build();
            router.chat(request).toCompletableFuture().get(10, TimeUnit.SECONDS); // warm: scripts loaded
            // its settlement is fired, not awaited: let it land before counting
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (router.spend().stream().noneMatch(b -> b.spentUsd() > 0 && b.reservedUsd() == 0)
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            List<String> commands = redis.clientCommands(() -> {
                for (int i = 0; i < 10; i++) {
                    router.chat(request, dev.chatrouter.api.RequestContext.empty().withKey("team-" + (i % 3)))
                            .toCompletableFuture().get(10, TimeUnit.SECONDS);
                }
                // the settlements are fired, not awaited: wait until the last one landed
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (router.spend().stream().anyMatch(b -> b.reservedUsd() > 0) && System.nanoTime() < until) {
                    Thread.sleep(20);
                }
            });
            // the requests' own commands name their reservation (prefix r:id); the spend queries above are a SCAN
            // and an EVALSHA of the read script, which names none
            java.util.regex.Pattern reservation = java.util.regex.Pattern.compile("\"" + prefix + "r:([^\"]+)\"");
            java.util.Map<String, List<String>> byReservation = new java.util.TreeMap<>();
            for (String c : commands) {
                java.util.regex.Matcher m = reservation.matcher(c);
                if (m.find()) {
                    assertThat(c).contains("\"EVALSHA\"");
                    byReservation.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(c.split("\"")[3]);
                } else {
                    assertThat(c).containsAnyOf("\"SCAN\"", "\"EVALSHA\"");
                }
            }
            assertThat(byReservation).hasSize(10);
            // each: one EVALSHA of the reserve script, then one of the settle script
            assertThat(byReservation.values()).allSatisfy(shas -> assertThat(shas).hasSize(2).doesNotHaveDuplicates());
            assertThat(byReservation.values().stream().map(shas -> shas.get(0)).distinct()).hasSize(1);
        }
    }
}
