package dev.chatrouter.bench;

import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.RequestType;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.config.BudgetConfig;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.Window;
import dev.chatrouter.api.event.RouterListener;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.api.spi.RequestClassifier;
import dev.chatrouter.http.surface.AnthropicMessages;
import dev.chatrouter.kit.wire.WireCodec;
import dev.chatrouter.micrometer.RouterMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The whole in-process path of one chat request (docs/benchmarks.md#targets): resolve the route and effort, classify, plan, look up
 * and record the sticky prefix, dispatch to a provider that answers at once, price the usage and build the result
 * and its routing report. The router is built with the default settings (sticky prefixes on) and two budgets,
 * so every request also reserves its worst case and settles to its usage.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class DecisionPathBenchmark {

    private ChatRouter router;
    private ChatRouter fixedClassification;
    private ChatRouter listened;
    private ChatRouter metered;
    private ChatRequest typical;
    /** The typical request with as many system prompts, more than the router keeps readings of: taken in turn. */
    private ChatRequest[] newSystemPrompts;
    /** The typical request as the HTTP server receives it: its JSON body, parsed anew by every operation. */
    private byte[] typicalBody;
    private int nextSystemPrompt;
    /** A captured Claude Code turn, as the Messages surface reads it; and its JSON body. */
    private ChatRequest claudeCode;
    private byte[] claudeCodeBody;
    private ChatRequest tenMb;

    @Setup
    public void setUp() {
        router = router(ChatRouter.builder());
        // the same router with a classifier plugin that answers at once: the path without the text rules
        RequestClassifier.Classification base = new RequestClassifier.Classification(RequestType.PRO, "base");
        fixedClassification = router(ChatRouter.builder().classifier(builtIn -> (request, input) -> base));
        // a listener that does nothing: what building and telling the events costs (the HTTP server always listens)
        listened = router(ChatRouter.builder().listener(new RouterListener() { }));
        // the metrics listener the HTTP server registers, on the Prometheus registry it serves
        metered = router(ChatRouter.builder().listener(RouterMetrics.create(
                new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))));
        typical = Requests.typical2Kb();
        typicalBody = WireCodec.writeChatRequest(typical);
        // only the system prompt differs (the rest is the same objects): the texts a request reads stay in the CPU's
        // caches, as those of a request just parsed are
        newSystemPrompts = new ChatRequest[256];
        for (int i = 0; i < newSystemPrompts.length; i++) {
            List<Message> messages = new ArrayList<>(typical.messages());
            messages.set(0, Requests.typical2Kb("Desk " + i + ". ").messages().get(0));
            newSystemPrompts[i] = typical.toBuilder().messages(messages).build();
        }
        tenMb = Requests.prompt(10 * 1024 * 1024);
        claudeCodeBody = Requests.claudeCodeTurn();
        claudeCode = AnthropicMessages.readRequest(claudeCodeBody, false);
        if (!"base".equals(typical2Kb().report().rule())) {
            throw new IllegalStateException("the typical request should run every rule down to base");
        }
    }

    private static ChatRouter router(ChatRouter.Builder builder) {
        Set<Capability> all = EnumSet.allOf(Capability.class);
        return builder
                .providerFactory(new InstantProviderFactory())
                .provider(ProviderSpec.builder("openai", "instant")
                        .model(new ModelSpec("gpt-4o-mini", null, new Price(0.15, 0.60, 0.075, 0.15), 128_000,
                                16_384, all))
                        .model(new ModelSpec("gpt-4o", null, new Price(2.5, 10, 1.25, 2.5), 128_000, 16_384, all))
                        .build())
                .provider(ProviderSpec.builder("anthropic", "instant")
                        .model(new ModelSpec("claude-haiku-4-5", null, new Price(1.0, 5.0, 0.1, 1.25), 200_000,
                                64_000, all))
                        // a window of 0 is unknown: the only target that takes the 10 MB prompt
                        .model(new ModelSpec("claude-unbounded", null, new Price(3.0, 15.0, 0.3, 3.75), 0, 0, all))
                        .build())
                .route(RouteConfig.builder("di").match("gpt-*", "claude-*")
                        .pool("flash", PoolConfig.of("cost", "openai/gpt-4o-mini", "anthropic/claude-haiku-4-5"))
                        .pool("code", PoolConfig.of("priority", "anthropic/claude-haiku-4-5", "openai/gpt-4o"))
                        .pool("long", PoolConfig.of("priority", "anthropic/claude-unbounded"))
                        .pool("*", PoolConfig.of("cost", "openai/gpt-4o", "anthropic/claude-haiku-4-5",
                                "openai/gpt-4o-mini"))
                        .build())
                // budgets on the path, as docs/benchmarks.md#targets counts them: each request reserves and settles on both
                .budget(BudgetConfig.usd("global", Window.MONTH, 1e9))
                .budget(BudgetConfig.usd("provider:openai", Window.DAY, 1e9))
                .build();
    }

    @TearDown
    public void tearDown() {
        router.close();
        fixedClassification.close();
        listened.close();
        metered.close();
    }

    /** The figure of docs/benchmarks.md#targets: a typical 2 KB request. */
    @Benchmark
    public ChatResult typical2Kb() {
        return router.chat(typical).toCompletableFuture().join();
    }

    /**
     * The typical request with a system prompt the router has no reading of (one of {@code newSystemPrompts} in
     * turn, more than it keeps): the cost of the first request of an application, or of a prompt that changes with
     * every request.
     */
    @Benchmark
    public ChatResult typical2KbNewSystemPrompt() {
        return router.chat(newSystemPrompts[nextSystemPrompt++ & (newSystemPrompts.length - 1)])
                .toCompletableFuture().join();
    }

    /**
     * The typical request parsed from its JSON body, then routed: what the HTTP server does with it. Every text is a
     * new object, so their hashes are computed again and the system prompt's reading is found by comparing its
     * characters. Subtract {@code WireCodecBenchmark.readTypicalRequest} for the path alone.
     */
    @Benchmark
    public ChatResult typical2KbParsed() {
        return router.chat(WireCodec.readChatRequest(typicalBody)).toCompletableFuture().join();
    }

    /** The path of docs/benchmarks.md#targets for the same request with classification taken out (a plugin answers {@code base}). */
    /** A Claude Code turn (90 KB, twelve tools), the same objects every time, as {@link #typical2Kb()}. */
    @Benchmark
    public ChatResult claudeCodeTurn() {
        return router.chat(claudeCode).toCompletableFuture().join();
    }

    /**
     * The Claude Code turn read from its body by the Messages surface, then routed: what the HTTP server does with
     * it. Subtract {@code WireCodecBenchmark.readClaudeCodeTurn} for the path alone.
     */
    @Benchmark
    public ChatResult claudeCodeTurnParsed() {
        return router.chat(AnthropicMessages.readRequest(claudeCodeBody, false)).toCompletableFuture().join();
    }

    @Benchmark
    public ChatResult typical2KbWithoutTextRules() {
        return fixedClassification.chat(typical).toCompletableFuture().join();
    }

    /** The path of docs/benchmarks.md#targets with a listener that does nothing: the cost of the router's events. */
    @Benchmark
    public ChatResult typical2KbWithListener() {
        return listened.chat(typical).toCompletableFuture().join();
    }

    /** The path of docs/benchmarks.md#targets with the metrics listener on a Prometheus registry, as the server has it. */
    @Benchmark
    public ChatResult typical2KbWithMetrics() {
        return metered.chat(typical).toCompletableFuture().join();
    }

    /** Not a target of docs/benchmarks.md#targets: shows which parts of the path are not bounded by the windows classification reads. */
    @Benchmark
    public ChatResult prompt10Mb() {
        return router.chat(tenMb).toCompletableFuture().join();
    }
}
