package dev.chatrouter.bench;

import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.config.AccountingConfig;
import dev.chatrouter.api.config.BudgetConfig;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.RateLimitConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.Window;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderLimits;
import dev.chatrouter.api.spi.ProviderSpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.io.File;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;

/**
 * The decision path of {@link DecisionPathBenchmark#typical2Kb()} with budgets (a global and a per-key one, dollars
 * and tokens) counted in each accounting store: {@code memory}, {@code durable} (an H2 MVStore file in a temporary
 * directory) and {@code redis} (a {@code redis-server} the benchmark starts on a free loopback port; it must be on
 * the PATH). With {@code limits = budgets+rate_limits}, the router's rpm and tpm per key and globally and the
 * provider's own caps are counted too, in the same reservation and settlement. Each request awaits its one
 * reservation (one EVALSHA on Redis) and fires its one settlement.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class AccountingStoreBenchmark {

    @Param({"memory", "durable", "redis"})
    public String store;

    @Param({"budgets", "budgets+rate_limits"})
    public String limits;

    private ChatRouter router;
    private ChatRequest typical;
    private final RequestContext[] callers = {
        RequestContext.empty().withKey("team-a"), RequestContext.empty().withKey("team-b"),
        RequestContext.empty().withKey("team-c"), RequestContext.empty().withKey("team-d")};
    private int next;
    private Path dir;
    private Process redis;

    @Setup
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("chatrouter-bench");
        AccountingConfig accounting = switch (store) {
            case "memory" -> AccountingConfig.memory();
            case "durable" -> AccountingConfig.durable(dir.resolve("accounting.db"));
            case "redis" -> AccountingConfig.redis("redis://127.0.0.1:" + startRedis());
            default -> throw new IllegalArgumentException(store);
        };
        EnumSet<Capability> all = EnumSet.allOf(Capability.class);
        boolean rates = switch (limits) {
            case "budgets" -> false;
            case "budgets+rate_limits" -> true;
            default -> throw new IllegalArgumentException(limits);
        };
        ChatRouter.Builder builder = ChatRouter.builder()
                .providerFactory(new InstantProviderFactory())
                .provider(ProviderSpec.builder("openai", "instant")
                        .limits(rates ? new ProviderLimits(1L << 40, 1L << 50) : ProviderLimits.NONE)
                        .model(new ModelSpec("gpt-4o-mini", null, new Price(0.15, 0.60, 0.075, 0.15), 128_000,
                                16_384, all)).build())
                .route(RouteConfig.builder("di").match("gpt-*")
                        .pool("*", PoolConfig.of("priority", "openai/gpt-4o-mini")).build())
                .budget(BudgetConfig.usd("global", Window.MONTH, 1e9))
                .budget(new BudgetConfig("key:*", Window.DAY, 1e9, Long.MAX_VALUE / 4, null))
                .accounting(accounting);
        if (rates) {
            builder.rateLimit(new RateLimitConfig("global", 1L << 40, 1L << 50))
                    .rateLimit(new RateLimitConfig("key:*", 1L << 40, 1L << 50));
        }
        router = builder.build();
        typical = Requests.typical2Kb();
        typical2Kb();
    }

    private int startRedis() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        redis = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return port;
            } catch (java.io.IOException notYet) {
                Thread.sleep(20);
            }
        }
        throw new IllegalStateException("redis-server did not listen on " + port + " within 10 s");
    }

    @TearDown
    public void tearDown() throws Exception {
        router.close();
        if (redis != null) {
            redis.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        }
    }

    /** One typical 2 KB request through the whole path, its budgets in the store. */
    @Benchmark
    public ChatResult typical2Kb() {
        return router.chat(typical, callers[next++ & 3]).toCompletableFuture().join();
    }
}
