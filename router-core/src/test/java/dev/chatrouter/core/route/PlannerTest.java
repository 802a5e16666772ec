package dev.chatrouter.core.route;

import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.DroppedTarget;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.RequestType;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.chat.CacheControl;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.Choice;
import dev.chatrouter.api.chat.Content;
import dev.chatrouter.api.chat.ContentPart;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.ResponseFormat;
import dev.chatrouter.api.chat.Role;
import dev.chatrouter.api.chat.Tool;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.config.CacheConfig;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.PoolTarget;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.StickyPrefixConfig;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderCall;
import dev.chatrouter.api.spi.ProviderContext;
import dev.chatrouter.api.spi.ProviderFactory;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.core.testing.ListPublisher;
import dev.chatrouter.core.testing.MutableClock;
import dev.chatrouter.core.testing.ScriptedProviderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The routing policies of docs/routing.md#routing: priority, cost (with prompt-cache pricing), latency learnt from observed
 * timings, weighted draws, and the eligibility rules that drop targets before any policy orders them.
 */
class PlannerTest {

    private static final Set<Capability> ALL = EnumSet.allOf(Capability.class);

    // ---- helpers ------------------------------------------------------------------------------------------------------

    private static Target target(String id, Price price, int contextWindow, Set<Capability> capabilities) {
        int slash = id.indexOf('/');
        return new Target(id, id.substring(0, slash), null,
                new ModelSpec(id.substring(slash + 1), null, price, contextWindow, 0, capabilities));
    }

    private static Target target(String id, Price price) {
        return target(id, price, 0, ALL);
    }

    private static Planner planner(Target... targets) {
        return planner(new LatencyTracker(), () -> 0.5, targets);
    }

    private static Planner planner(LatencyTracker latency, java.util.function.DoubleSupplier random,
                                   Target... targets) {
        Map<String, Target> byId = new LinkedHashMap<>();
        for (Target t : targets) {
            byId.put(t.id(), t);
        }
        return new Planner(byId, latency, random);
    }

    private static RouteConfig route(PoolConfig pool) {
        return RouteConfig.builder("di").pool("*", pool).build();
    }

    private static List<String> ids(Plan plan) {
        return plan.candidates().stream().map(Target::id).toList();
    }

    private static ChatRequest ask(String text) {
        return ChatRequest.builder().model("di").addMessage(Message.user(text)).build();
    }

    // ---- priority -------------------------------------------------------------------------------------------------------

    @Test
    void priorityKeepsTheListedOrderWhateverTheCost() {
        Planner planner = planner(target("dear/m", Price.of(15, 60)), target("cheap/m", Price.of(0.1, 0.4)),
                target("mid/m", Price.of(1, 4)));

        Plan plan = planner.plan(route(PoolConfig.of("priority", "dear/m", "cheap/m", "mid/m")), "*",
                RequestShape.of(ask("Hello")));

        assertThat(plan.policy()).isEqualTo("priority");
        assertThat(ids(plan)).containsExactly("dear/m", "cheap/m", "mid/m");
        assertThat(plan.dropped()).isEmpty();
    }

    // ---- cost -----------------------------------------------------------------------------------------------------------

    @Test
    void costPutsTheCheapestEstimateFirst() {
        Planner planner = planner(target("dear/m", Price.of(15, 60)), target("cheap/m", Price.of(0.1, 0.4)),
                target("mid/m", Price.of(1, 4)));

        Plan plan = planner.plan(route(PoolConfig.of("cost", "dear/m", "mid/m", "cheap/m")), "*",
                RequestShape.of(ask("Hello")));

        assertThat(ids(plan)).containsExactly("cheap/m", "mid/m", "dear/m");
    }

    @Test
    void costWeighsTheRequestedOutputAgainstTheInput() {
        // cheap input, dear output / the reverse; 1,000 tokens of input
        Planner planner = planner(target("reader/m", Price.of(0.1, 10)), target("writer/m", Price.of(1, 1)));
        RouteConfig route = route(PoolConfig.of("cost", "writer/m", "reader/m"));
        ChatRequest prompt = ask("x".repeat(4_000));

        // 10 output tokens: reader 1,000 x 0.1 + 10 x 10 = 200 < writer 1,000 + 10 = 1,010
        assertThat(ids(planner.plan(route, "*", RequestShape.of(prompt.toBuilder().maxTokens(10).build()))))
                .containsExactly("reader/m", "writer/m");
        // 1,000 output tokens: reader 100 + 10,000 > writer 1,000 + 1,000
        assertThat(ids(planner.plan(route, "*", RequestShape.of(prompt.toBuilder().maxTokens(1_000).build()))))
                .containsExactly("writer/m", "reader/m");
        // no limit: the expected output is assumed, 256 tokens: reader 100 + 2,560 > writer 1,000 + 256
        assertThat(Planner.EXPECTED_OUTPUT_TOKENS).isEqualTo(256);
        assertThat(ids(planner.plan(route, "*", RequestShape.of(prompt))))
                .containsExactly("writer/m", "reader/m");
    }

    /** A system prompt of about 10,000 tokens behind a cache_control breakpoint, then a short question. */
    private static ChatRequest cachedSystemPrompt(boolean breakpoint) {
        ContentPart.Text system = new ContentPart.Text("Policy manual. " + "x".repeat(40_000),
                breakpoint ? CacheControl.ephemeral() : null, Map.of());
        return ChatRequest.builder().model("di")
                .addMessage(new Message(Role.SYSTEM,
                        Content.of(List.<ContentPart>of(system)), null, null, null, null,
                        Map.of()))
                .addMessage(Message.user("May I expense a taxi?"))
                .maxTokens(100).build();
    }

    @Test
    void aPromptCacheTargetWinsWhenItsPrefixIsPricedAtItsCachedInputPrice() {
        // cached: list price 3x the plain target's, but the cached prefix at a tenth of it
        Target cached = target("cached/m", new Price(3.0, 4.0, 0.3, 3.75), 0, ALL);
        Target plain = target("plain/m", Price.of(1.0, 4.0));
        Set<Capability> noCache = EnumSet.complementOf(EnumSet.of(Capability.PROMPT_CACHE));
        Target sameButNoCache = target("nocache/m", new Price(3.0, 4.0, 0.3, 3.75), 0, noCache);
        Planner planner = planner(cached, plain, sameButNoCache);
        RouteConfig route = route(PoolConfig.of("cost", "nocache/m", "plain/m", "cached/m"));

        RequestShape withBreakpoint = RequestShape.of(cachedSystemPrompt(true));
        RequestShape withoutBreakpoint = RequestShape.of(cachedSystemPrompt(false));

        // the prefix up to and including the breakpoint part: the system message, sized as it would be alone
        ChatRequest prefixAlone = ChatRequest.builder().model("di")
                .addMessage(cachedSystemPrompt(true).messages().get(0)).build();
        assertThat(withBreakpoint.cacheableInputTokens())
                .isEqualTo(RequestShape.of(prefixAlone).estimatedInputTokens())
                .isLessThan(withBreakpoint.estimatedInputTokens());
        assertThat(withoutBreakpoint.cacheableInputTokens()).isZero();

        // with the breakpoint: cached ~ 10k x 0.3 + 100 x 4 beats plain ~ 10k x 1.0 + 100 x 4
        assertThat(ids(planner.plan(route, "*", withBreakpoint)))
                .containsExactly("cached/m", "plain/m", "nocache/m");
        // without it, or without the capability, the list price is paid
        assertThat(ids(planner.plan(route, "*", withoutBreakpoint)))
                .containsExactly("plain/m", "nocache/m", "cached/m");
        assertThat(Planner.estimatedCost(sameButNoCache.model(), withBreakpoint))
                .isEqualTo(Planner.estimatedCost(cached.model(), withoutBreakpoint));
    }

    @Test
    void theCacheablePrefixEndsAtTheLastBreakpointAndIncludesItsPart() {
        Message system = new Message(Role.SYSTEM, Content.of(
                List.<ContentPart>of(new ContentPart.Text("s".repeat(4_000), CacheControl.ephemeral(), Map.of()))),
                null, null, null, null, Map.of());
        ContentPart documentBlock = new ContentPart.Other("document", CacheControl.ephemeral(), Map.of("source",
                Map.of("type", "base64", "media_type", "application/pdf", "data", "JVBERi0xLjQK")));
        Message document = Message.user(List.of(documentBlock, ContentPart.text("Who signed it?")));
        ChatRequest request = ChatRequest.builder().model("di").addMessage(system).addMessage(document)
                .addMessage(Message.assistant("Ann and Bob.")).addMessage(Message.user("When?")).build();

        // up to and including the document block: the system message and a user message holding only the block
        ChatRequest prefixAlone = ChatRequest.builder().model("di").addMessage(system)
                .addMessage(Message.user(List.of(documentBlock))).build();
        assertThat(RequestShape.of(request).cacheableInputTokens())
                .isEqualTo(RequestShape.of(prefixAlone).estimatedInputTokens());
    }

    // ---- latency ----------------------------------------------------------------------------------------------------------

    @Test
    void latencyTrackerKeepsADecayingAverage() {
        LatencyTracker tracker = new LatencyTracker();
        assertThat(tracker.averageMillis("a/m", false)).isNaN();

        tracker.observe("a/m", false, 100);
        assertThat(tracker.averageMillis("a/m", false)).isEqualTo(100);
        tracker.observe("a/m", false, 200);
        assertThat(tracker.averageMillis("a/m", false)).isEqualTo(120, within(1e-9));
        for (int i = 0; i < 50; i++) {
            tracker.observe("a/m", false, 200);
        }
        assertThat(tracker.averageMillis("a/m", false)).isEqualTo(200, within(0.01));
        assertThat(tracker.averageMillis("b/m", false)).isNaN();
    }

    @Test
    void latencyTrackerKeepsTimeToFirstTokenApartFromWholeAnswers() {
        LatencyTracker tracker = new LatencyTracker();
        tracker.observe("a/m", true, 40);
        assertThat(tracker.averageMillis("a/m", true)).isEqualTo(40);
        assertThat(tracker.averageMillis("a/m", false)).isNaN();

        tracker.observe("a/m", false, 3_000);
        assertThat(tracker.averageMillis("a/m", true)).isEqualTo(40);
        assertThat(tracker.averageMillis("a/m", false)).isEqualTo(3_000);
    }

    @Test
    void latencyPolicyOrdersStreamsByTimeToFirstTokenAndWholeAnswersByTotalTime() {
        // a starts streaming at once but writes long answers; b takes longer to start and answers briefly
        LatencyTracker tracker = new LatencyTracker();
        tracker.observe("a/m", true, 50);
        tracker.observe("a/m", false, 2_000);
        tracker.observe("b/m", true, 300);
        tracker.observe("b/m", false, 500);
        Planner planner = planner(tracker, () -> 0.5, target("a/m", Price.FREE), target("b/m", Price.FREE));
        RouteConfig route = route(PoolConfig.of("latency", "a/m", "b/m"));

        ChatRequest stream = ChatRequest.builder().model("di").addMessage(Message.user("Hello")).stream(true).build();
        assertThat(ids(planner.plan(route, "*", RequestShape.of(stream)))).containsExactly("a/m", "b/m");
        assertThat(ids(planner.plan(route, "*", RequestShape.of(ask("Hello"))))).containsExactly("b/m", "a/m");
    }

    @Test
    void latencyPolicyTriesUnmeasuredTargetsFirstThenPrefersTheFastestAndFollowsAChange() throws Exception {
        MutableClock clock = MutableClock.atEpochOf2026();
        TimedProviderFactory timed = new TimedProviderFactory(clock);
        timed.latency("a", 300).latency("b", 100).latency("c", 200);
        try (ChatRouter router = ChatRouter.builder().clock(clock).providerFactory(timed)
                .provider(ProviderSpec.builder("a", "timed").model(ModelSpec.of("m")).build())
                .provider(ProviderSpec.builder("b", "timed").model(ModelSpec.of("m")).build())
                .provider(ProviderSpec.builder("c", "timed").model(ModelSpec.of("m")).build())
                .route(route(PoolConfig.of("latency", "a/m", "b/m", "c/m")))
                // the same prompt every time: sticky prefixes would pin it to the first target that served it
                .cache(new CacheConfig(dev.chatrouter.api.config.ResponseCacheConfig.DEFAULTS, new StickyPrefixConfig(false, Duration.ofMinutes(5), 1_000)))
                .build()) {
            // nothing measured: listed order; then each unmeasured target comes before the measured ones
            assertThat(chat(router).candidates()).containsExactly("a/m", "b/m", "c/m");
            assertThat(chat(router).candidates()).containsExactly("b/m", "c/m", "a/m");
            assertThat(chat(router).candidates()).containsExactly("c/m", "b/m", "a/m");
            // all measured (a 300, b 100, c 200): fastest first
            RoutingReport report = chat(router);
            assertThat(report.candidates()).containsExactly("b/m", "c/m", "a/m");
            assertThat(report.target()).isEqualTo("b/m");

            // b slows to 400 ms: one slow answer moves its average to 160, still the fastest...
            timed.latency("b", 400);
            assertThat(chat(router).target()).isEqualTo("b/m");
            // ...a second moves it to 208, past c's 200: c now goes first
            assertThat(chat(router).target()).isEqualTo("b/m");
            report = chat(router);
            assertThat(report.candidates()).containsExactly("c/m", "b/m", "a/m");
            assertThat(report.target()).isEqualTo("c/m");
            assertThat(timed.calls).containsEntry("a", 1).containsEntry("b", 4).containsEntry("c", 2);
        }
    }

    private static RoutingReport chat(ChatRouter router) throws Exception {
        ChatResult result = router.chat(ask("Hello")).toCompletableFuture().get(5, TimeUnit.SECONDS);
        return result.report();
    }

    /**
     * A plugin of type {@code timed} whose providers answer at once but move the test clock forward by their
     * configured latency first, so the router observes that latency without anyone sleeping.
     */
    static final class TimedProviderFactory implements ProviderFactory {
        private final MutableClock clock;
        private final Map<String, Integer> latencyMillis = new ConcurrentHashMap<>();
        final Map<String, Integer> calls = new ConcurrentHashMap<>();

        TimedProviderFactory(MutableClock clock) {
            this.clock = clock;
        }

        TimedProviderFactory latency(String providerId, int millis) {
            latencyMillis.put(providerId, millis);
            return this;
        }

        @Override
        public String type() {
            return "timed";
        }

        @Override
        public Provider create(ProviderSpec spec, ProviderContext context) {
            return new Provider() {
                @Override
                public CompletionStage<ChatResponse> chat(ProviderCall call) {
                    calls.merge(spec.id(), 1, Integer::sum);
                    clock.advance(Duration.ofMillis(latencyMillis.getOrDefault(spec.id(), 0)));
                    return CompletableFuture.completedFuture(new ChatResponse("cmpl-" + spec.id(), "chat.completion",
                            1, call.request().model(), List.of(new Choice(0, Message.assistant("ok"), "stop", null,
                            Map.of())), Usage.of(5, 1), null, null, Map.of()));
                }

                @Override
                public Flow.Publisher<ChatChunk> stream(ProviderCall call) {
                    return new ListPublisher<>(List.of(), new UnsupportedOperationException("not streamed here"));
                }

                @Override
                public void close() {
                }
            };
        }
    }

    // ---- weighted -------------------------------------------------------------------------------------------------------

    @Test
    void weightedPicksFirstInProportionToWeight() {
        Random seeded = new Random(20_260_101L);
        Planner planner = planner(new LatencyTracker(), seeded::nextDouble,
                target("light/m", Price.FREE), target("heavy/m", Price.FREE));
        RouteConfig route = route(new PoolConfig("weighted",
                List.of(new PoolTarget("light/m", 1), new PoolTarget("heavy/m", 3))));
        RequestShape shape = RequestShape.of(ask("Hello"));

        int draws = 10_000;
        int heavyFirst = 0;
        for (int i = 0; i < draws; i++) {
            List<String> order = ids(planner.plan(route, "*", shape));
            assertThat(order).containsExactlyInAnyOrder("light/m", "heavy/m");
            if (order.get(0).equals("heavy/m")) {
                heavyFirst++;
            }
        }

        assertThat(heavyFirst / (double) draws).isCloseTo(0.75, within(0.03));
    }

    @Test
    void weightedDrawsWithoutReplacementInProportionToTheRemainingWeights() {
        Random seeded = new Random(7L);
        Planner planner = planner(new LatencyTracker(), seeded::nextDouble,
                target("a/m", Price.FREE), target("b/m", Price.FREE), target("c/m", Price.FREE));
        RouteConfig route = route(new PoolConfig("weighted", List.of(new PoolTarget("a/m", 1),
                new PoolTarget("b/m", 1), new PoolTarget("c/m", 2))));
        RequestShape shape = RequestShape.of(ask("Hello"));

        int draws = 10_000;
        Map<String, Integer> first = new LinkedHashMap<>();
        int bSecondAfterC = 0;
        int cFirst = 0;
        for (int i = 0; i < draws; i++) {
            List<String> order = ids(planner.plan(route, "*", shape));
            assertThat(order).containsExactlyInAnyOrder("a/m", "b/m", "c/m");
            first.merge(order.get(0), 1, Integer::sum);
            if (order.get(0).equals("c/m")) {
                cFirst++;
                if (order.get(1).equals("b/m")) {
                    bSecondAfterC++;
                }
            }
        }

        assertThat(first.get("c/m") / (double) draws).isCloseTo(0.50, within(0.03));
        assertThat(first.get("a/m") / (double) draws).isCloseTo(0.25, within(0.03));
        assertThat(first.get("b/m") / (double) draws).isCloseTo(0.25, within(0.03));
        // with c drawn, a and b weigh 1:1 for second place
        assertThat(bSecondAfterC / (double) cFirst).isCloseTo(0.50, within(0.03));
    }

    // ---- eligibility ------------------------------------------------------------------------------------------------------

    static Stream<Arguments> needs() {
        ChatRequest image = ChatRequest.builder().model("di").addMessage(Message.user(List.of(
                ContentPart.text("What is it?"), ContentPart.imageUrl("https://example.com/cat.png")))).build();
        ChatRequest anthropicImage = ChatRequest.builder().model("di").addMessage(Message.user(List.of(
                new ContentPart.Other("image", null, Map.of("source", Map.of("type", "url",
                        "url", "https://example.com/cat.png")))))).build();
        ChatRequest file = ChatRequest.builder().model("di").addMessage(Message.user(List.of(
                new ContentPart.File("file-1", null, null, null, Map.of()), ContentPart.text("Summarize.")))).build();
        ChatRequest tools = ask("Weather?").toBuilder().tools(List.of(Tool.function("get_weather", null,
                Map.of("type", "object")))).build();
        ChatRequest schema = ask("Colours?").toBuilder()
                .responseFormat(ResponseFormat.jsonSchema("c", Map.of("type", "array"))).build();
        ChatRequest stream = ask("Hi").toBuilder().stream(true).build();
        return Stream.of(
                Arguments.of("image_url part", image, Capability.VISION),
                Arguments.of("Anthropic image block", anthropicImage, Capability.VISION),
                Arguments.of("file part", file, Capability.DOCUMENT),
                Arguments.of("tools", tools, Capability.TOOLS),
                Arguments.of("legacy functions", ask("Weather?").toBuilder().extra(Map.of("functions",
                        List.of(Map.of("name", "get_weather")))).build(), Capability.TOOLS),
                Arguments.of("json_schema", schema, Capability.JSON_SCHEMA),
                Arguments.of("stream", stream, Capability.STREAMING));
    }

    @ParameterizedTest(name = "{0} needs {2}")
    @MethodSource("needs")
    void aTargetLackingANeededCapabilityIsDropped(String name, ChatRequest request, Capability need) {
        Target lacking = target("lacking/m", Price.FREE, 0, EnumSet.complementOf(EnumSet.of(need)));
        Target able = target("able/m", Price.FREE, 0, ALL);
        Planner planner = planner(lacking, able);

        Plan plan = planner.plan(route(PoolConfig.of("priority", "lacking/m", "able/m")), "*",
                RequestShape.of(request));

        assertThat(ids(plan)).containsExactly("able/m");
        assertThat(plan.dropped()).containsExactly(
                new DroppedTarget("lacking/m", "missing_capability:" + need.wireName()));
    }

    @Test
    void aPlainTextRequestNeedsNoCapability() {
        Planner planner = planner(target("bare/m", Price.FREE, 0, Set.of()));

        Plan plan = planner.plan(route(PoolConfig.of("priority", "bare/m")), "*", RequestShape.of(ask("Hello")));

        assertThat(ids(plan)).containsExactly("bare/m");
    }

    @Test
    void aPromptLargerThanAContextWindowSkipsIt() {
        ChatRequest prompt = ask("x".repeat(8_000));
        long input = RequestShape.of(prompt).estimatedInputTokens();
        int output = 500;
        ChatRequest withOutput = prompt.toBuilder().maxCompletionTokens(output).build();
        Planner planner = planner(
                target("tight/m", Price.FREE, (int) (input + output) - 1, ALL),
                target("exact/m", Price.FREE, (int) (input + output), ALL),
                target("inputonly/m", Price.FREE, (int) input, ALL),
                target("unknown/m", Price.FREE, 0, ALL));
        RouteConfig route = route(PoolConfig.of("priority", "tight/m", "exact/m", "inputonly/m", "unknown/m"));

        // estimated input plus requested output must fit; a window of 0 is unknown and never drops
        Plan plan = planner.plan(route, "*", RequestShape.of(withOutput));
        assertThat(ids(plan)).containsExactly("exact/m", "unknown/m");
        assertThat(plan.dropped()).containsExactly(new DroppedTarget("tight/m", "context_window"),
                new DroppedTarget("inputonly/m", "context_window"));

        // max_tokens counts the same way when max_completion_tokens is absent
        assertThat(ids(planner.plan(route, "*", RequestShape.of(prompt.toBuilder().maxTokens(output).build()))))
                .containsExactly("exact/m", "unknown/m");
        // no output limit: only the input has to fit
        assertThat(ids(planner.plan(route, "*", RequestShape.of(prompt))))
                .containsExactly("tight/m", "exact/m", "inputonly/m", "unknown/m");
    }

    @Test
    void anImageRequestNeverReachesATargetWithoutVisionAndNothingEligibleNamesEveryReason() {
        ScriptedProviderFactory scripted = new ScriptedProviderFactory();
        ModelSpec textOnly = new ModelSpec("m", null, Price.of(0.1, 0.2), 0, 0, Set.of(Capability.STREAMING));
        ModelSpec smallVision = new ModelSpec("m", null, Price.of(0.1, 0.2), 100, 0, ALL);
        ModelSpec bigVision = new ModelSpec("m", null, Price.of(0.1, 0.2), 100_000, 0, ALL);
        try (ChatRouter router = ChatRouter.builder().providerFactory(scripted)
                .provider(ProviderSpec.builder("text", "scripted").model(textOnly).build())
                .provider(ProviderSpec.builder("small", "scripted").model(smallVision).build())
                .provider(ProviderSpec.builder("big", "scripted").model(bigVision).build())
                .route(RouteConfig.builder("narrow").pool("*", PoolConfig.of("cost", "text/m", "small/m")).build())
                .route(RouteConfig.builder("wide")
                        .pool("*", PoolConfig.of("cost", "text/m", "small/m", "big/m")).build())
                .build()) {
            ChatRequest.Builder image = ChatRequest.builder().addMessage(Message.user(List.of(
                    ContentPart.text("Describe every object in this picture. " + "x".repeat(2_000)),
                    ContentPart.imageUrl("https://example.com/room.png"))));

            RoutingReport served = router.chat(image.model("wide").build()).toCompletableFuture().join().report();
            assertThat(served.type()).isEqualTo(RequestType.VISION);
            assertThat(served.target()).isEqualTo("big/m");
            assertThat(served.dropped()).containsExactly(new DroppedTarget("text/m", "missing_capability:vision"),
                    new DroppedTarget("small/m", "context_window"));

            assertThatThrownBy(() -> router.chat(image.model("narrow").build()).toCompletableFuture().join())
                    .cause().isInstanceOfSatisfying(ChatRouterException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.NO_TARGET_AVAILABLE);
                        assertThat(e.metadata()).containsEntry("dropped",
                                Map.of("text/m", "missing_capability:vision", "small/m", "context_window"));
                        assertThat(e.getMessage()).contains("text/m", "missing_capability:vision", "small/m",
                                "context_window");
                        assertThat(e.attempts()).isEmpty();
                    });
            assertThat(scripted.calls("text")).isEmpty();
            assertThat(scripted.calls("small")).isEmpty();
            assertThat(scripted.calls("big")).hasSize(1);
        }
    }
}
