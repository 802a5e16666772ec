package dev.chatrouter.core.route;

import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ConfigurationException;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.config.BudgetConfig;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.PoolTarget;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.api.spi.RoutingPolicy;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.config.Window;
import dev.chatrouter.core.testing.MutableClock;
import dev.chatrouter.core.testing.ReversePolicyFactory;
import dev.chatrouter.core.testing.ScriptedProviderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Routing policies beyond the built-in ones: found with ServiceLoader or given on the builder, chosen by the name
 * a pool's {@code policy:} gives, seeing the candidates and the request's shape; an unknown name stops startup.
 */
class RoutingPolicyPluginTest {

    private final ScriptedProviderFactory scripted = new ScriptedProviderFactory();

    private ChatRouter.Builder builder(PoolConfig pool) {
        return ChatRouter.builder().providerFactory(scripted)
                .provider(ProviderSpec.builder("a", "scripted").model(priced("m", 1)).build())
                .provider(ProviderSpec.builder("b", "scripted").model(priced("m", 3)).build())
                .provider(ProviderSpec.builder("c", "scripted").model(priced("m", 2)).build())
                .route(RouteConfig.builder("di").pool("*", pool).build());
    }

    private static ModelSpec priced(String id, double input) {
        return new ModelSpec(id, null, Price.of(input, input), 0, 0, ModelSpec.of(id).capabilities());
    }

    private static RoutingReport chat(ChatRouter router, ChatRequest request) {
        return router.chat(request).toCompletableFuture().join().report();
    }

    private static ChatRequest ask(String text) {
        return ChatRequest.builder().model("di").addMessage(Message.user(text)).build();
    }

    /** A policy listed in META-INF/services orders the pools that name it. */
    @Test
    void aPolicyFoundByServiceLoaderIsUsedByName() {
        // given: the test class path lists ReversePolicyFactory; a pool names its policy
        try (ChatRouter router = builder(PoolConfig.of(ReversePolicyFactory.NAME, "a/m", "b/m", "c/m")).build()) {
            // when
            RoutingReport report = chat(router, ask("Hello"));

            // then
            assertThat(report.policy()).isEqualTo("reverse");
            assertThat(report.candidates()).containsExactly("c/m", "b/m", "a/m");
            assertThat(report.target()).isEqualTo("c/m");
            assertThat(scripted.calls("a")).isEmpty();
        }
    }

    /**
     * A policy given on the builder is used by name, created with the router's clock, and sees each eligible
     * candidate (weight, model, latency once measured) and the request's shape.
     */
    @Test
    void aPolicyGivenOnTheBuilderIsUsedByNameAndSeesCandidatesAndShape() {
        // given: "dearest" orders by input price, highest first, and records what it was given
        MutableClock clock = MutableClock.atEpochOf2026();
        List<RoutingPolicy.Context> contexts = new CopyOnWriteArrayList<>();
        List<List<RoutingPolicy.Candidate>> seen = new CopyOnWriteArrayList<>();
        List<RoutingPolicy.Shape> shapes = new CopyOnWriteArrayList<>();
        RoutingPolicy.Factory dearest = RoutingPolicy.Factory.of("dearest", context -> {
            contexts.add(context);
            return new RoutingPolicy() {
                @Override
                public String name() {
                    return "dearest";
                }

                @Override
                public List<Candidate> order(List<Candidate> candidates, Shape shape) {
                    seen.add(candidates);
                    shapes.add(shape);
                    List<Candidate> ordered = new ArrayList<>(candidates);
                    ordered.sort(Comparator.comparingDouble((Candidate c) -> c.model().price().input()).reversed());
                    return ordered;
                }
            };
        });
        PoolConfig pool = new PoolConfig("dearest", List.of(PoolTarget.of("a/m"), new PoolTarget("b/m", 2),
                PoolTarget.of("c/m")));
        ChatRequest request = ask("x".repeat(400)).toBuilder().maxTokens(50).build();

        try (ChatRouter router = builder(pool).clock(clock).routingPolicy(dearest).build()) {
            // when
            RoutingReport first = chat(router, request);
            RoutingReport second = chat(router, request);

            // then: ordered by the plugin, b (3) then c (2) then a (1)
            assertThat(first.policy()).isEqualTo("dearest");
            assertThat(first.candidates()).containsExactly("b/m", "c/m", "a/m");
            assertThat(second.target()).isEqualTo("b/m");
            assertThat(contexts).singleElement().satisfies(c -> assertThat(c.clock()).isSameAs(clock));
            RequestShape expected = RequestShape.of(request);
            assertThat(shapes.get(0)).isEqualTo(new RoutingPolicy.Shape(expected.estimatedInputTokens(), 50, 0,
                    false));
            assertThat(seen.get(0)).extracting(RoutingPolicy.Candidate::target)
                    .containsExactly("a/m", "b/m", "c/m");
            assertThat(seen.get(0)).extracting(RoutingPolicy.Candidate::providerId).containsExactly("a", "b", "c");
            assertThat(seen.get(0)).extracting(RoutingPolicy.Candidate::weight).containsExactly(1.0, 2.0, 1.0);
            assertThat(seen.get(0)).allSatisfy(c -> assertThat(c.latencyMillis()).isEmpty());
            // b served the first request and was measured (the clock did not move: 0 ms); the others were not
            assertThat(seen.get(1).get(1).latencyMillis()).hasValue(0.0);
            assertThat(seen.get(1).get(0).latencyMillis()).isEmpty();
        }
    }

    /** Under a soft budget the flash pool is ordered by the built-in cost policy, whatever the pool names. */
    @Test
    void aSoftBudgetOverridesAPluginPolicyWithCost() {
        // given: a flash pool under the reverse policy, and a soft limit the first request passes
        ChatRouter.Builder builder = ChatRouter.builder().providerFactory(scripted)
                .provider(ProviderSpec.builder("a", "scripted").model(priced("m", 1)).build())
                .provider(ProviderSpec.builder("b", "scripted").model(priced("m", 3)).build())
                .route(RouteConfig.builder("di")
                        .pool("*", PoolConfig.of("priority", "b/m"))
                        .pool("flash", PoolConfig.of(ReversePolicyFactory.NAME, "a/m", "b/m")).build())
                .budget(new BudgetConfig("key:team", Window.DAY, null, null, 1e-9));
        RequestContext team = RequestContext.empty().withKey("team");
        try (ChatRouter router = builder.build()) {
            chat(router, ask("Hello"), team);

            // when
            RoutingReport report = chat(router, ask("Hello"), team);

            // then: cheapest first, not reversed
            assertThat(report.pool()).isEqualTo("flash");
            assertThat(report.policy()).isEqualTo("cost");
            assertThat(report.candidates()).containsExactly("a/m", "b/m");
        }
    }

    private static RoutingReport chat(ChatRouter router, ChatRequest request, RequestContext context) {
        return router.chat(request, context).toCompletableFuture().join().report();
    }

    /** A policy name no installed policy has stops startup, naming the file, the path and every installed name. */
    @Test
    void anUnknownPolicyInAFileIsAStartupErrorNamingThePathAndTheInstalledPolicies(@TempDir Path dir)
            throws Exception {
        // given
        Path file = dir.resolve("chatrouter.yaml");
        Files.writeString(file, """
                providers:
                  a: { type: scripted, models: { m: {} } }
                routes:
                  di:
                    pools:
                      code: { policy: fastest, targets: [a/m] }
                """);
        ChatRouter.Builder builder = ChatRouter.builder().providerFactory(scripted).configFile(file)
                .routingPolicy(RoutingPolicy.Factory.of(listedOrder("dearest")));

        // when
        ConfigurationException e = catchThrowableOfType(ConfigurationException.class, builder::build);

        // then
        assertThat(e.source()).isEqualTo(file.toString());
        assertThat(e.path()).hasValue("routes.di.pools.code.policy");
        assertThat(e.getMessage()).contains("'fastest'")
                .contains("priority, cost, latency, weighted, reverse, dearest");
    }

    /** A pool built in code is checked the same way, against "builder". */
    @Test
    void anUnknownPolicyInCodeIsAStartupError() {
        // given / when / then
        assertThatThrownBy(() -> builder(PoolConfig.of("fastest", "a/m")).build())
                .isInstanceOfSatisfying(ConfigurationException.class, e -> {
                    assertThat(e.source()).isEqualTo("builder");
                    assertThat(e.path()).hasValue("routes.di.pools.*.policy");
                    assertThat(e.getMessage()).contains("'fastest'", "reverse");
                });
    }

    /** A policy that drops or repeats a candidate fails the request, named, before any target is tried. */
    @Test
    void aPolicyReturningOtherThanAReorderingIsRefused() {
        // given: "first-only" returns just the first candidate
        RoutingPolicy firstOnly = ordering("first-only", candidates -> List.of(candidates.get(0)));
        Planner planner = new Planner(Map.of("a/m", target("a"), "b/m", target("b")), new LatencyTracker(),
                Map.of("first-only", firstOnly));
        RouteConfig route = RouteConfig.builder("di").pool("*", PoolConfig.of("first-only", "a/m", "b/m")).build();

        // when / then
        assertThatThrownBy(() -> planner.plan(route, "*", RequestShape.of(ask("Hello"))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'first-only'").hasMessageContaining("[a/m, b/m]")
                .hasMessageContaining("returned [a/m]");
    }

    /** A policy may hand back copies of its candidates: they are matched by value, in the order given. */
    @Test
    void aPolicyReturningEqualCopiesIsFollowed() {
        // given: "copies" returns new, equal candidates, last first
        RoutingPolicy copies = ordering("copies", candidates -> {
            List<RoutingPolicy.Candidate> copied = new ArrayList<>();
            for (RoutingPolicy.Candidate c : candidates) {
                copied.add(0, new RoutingPolicy.Candidate(c.target(), c.providerId(), c.model(), c.weight(),
                        c.latencyMillis()));
            }
            return copied;
        });
        Planner planner = new Planner(Map.of("a/m", target("a"), "b/m", target("b"), "c/m", target("c")),
                new LatencyTracker(), Map.of("copies", copies));
        RouteConfig route = RouteConfig.builder("di")
                .pool("*", PoolConfig.of("copies", "a/m", "b/m", "c/m")).build();

        // when
        Plan plan = planner.plan(route, "*", RequestShape.of(ask("Hello")));

        // then
        assertThat(plan.candidateIds()).containsExactly("c/m", "b/m", "a/m");
    }

    /** The same candidate twice, in place of another, is refused like a dropped one. */
    @Test
    void aPolicyRepeatingACandidateIsRefused() {
        RoutingPolicy repeat = ordering("repeat", candidates -> List.of(candidates.get(1), candidates.get(1)));
        Planner planner = new Planner(Map.of("a/m", target("a"), "b/m", target("b")), new LatencyTracker(),
                Map.of("repeat", repeat));
        RouteConfig route = RouteConfig.builder("di").pool("*", PoolConfig.of("repeat", "a/m", "b/m")).build();

        assertThatThrownBy(() -> planner.plan(route, "*", RequestShape.of(ask("Hello"))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'repeat'").hasMessageContaining("returned [b/m, b/m]");
    }

    /** A policy of the given name that keeps the listed order. */
    static RoutingPolicy listedOrder(String name) {
        return ordering(name, candidates -> candidates);
    }

    /** A policy of the given name whose order is {@code order} of the candidates. */
    static RoutingPolicy ordering(String name,
                                  UnaryOperator<List<RoutingPolicy.Candidate>> order) {
        return new RoutingPolicy() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public List<Candidate> order(List<Candidate> candidates, Shape shape) {
                return order.apply(candidates);
            }
        };
    }

    private static Target target(String provider) {
        return new Target(provider + "/m", provider, null, ModelSpec.of("m"));
    }
}
