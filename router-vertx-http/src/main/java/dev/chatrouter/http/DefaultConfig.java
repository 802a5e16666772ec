package dev.chatrouter.http;

import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.PoolTarget;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.RouterConfig;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderSpec;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The configuration the server builds when it is given none (docs/operations.md, "The default configuration"): a
 * provider for each of {@code OPENAI_API_KEY}, {@code ANTHROPIC_API_KEY}, {@code GROQ_API_KEY},
 * {@code OPENROUTER_API_KEY} and {@code DEEPINFRA_API_KEY} set in the environment (when its plugin is installed),
 * with a few current models each; and, when none is set, the {@code mock} provider behind one route that matches
 * every model id.
 *
 * <p>With providers, the client's model is served when a provider has it, so no request costs more than the
 * client chose:
 * <ul>
 *   <li>one route per known model id, its intent the model id ({@code gpt-4o-mini}, {@code claude-haiku-4-5},
 *       {@code openai/gpt-4o-mini} at OpenRouter), whose one pool tries that target first and then every other
 *       target, cheapest first, as fallback;</li>
 *   <li>then the route {@code default}, matching every other id ({@code *}): every target cheapest first (input
 *       plus output price per million tokens; ties in the order above), by the {@code cost} policy for
 *       {@code flash} requests and in that fixed order for the rest.</li>
 * </ul>
 * A model id two providers share (none does today) becomes one route that tries them in the order above.
 */
final class DefaultConfig {

    static final String ROUTE = "default";

    private DefaultConfig() {
    }

    private record Known(String env, String provider, String type, List<ModelSpec> models) {
    }

    private static final Set<Capability> CHAT = EnumSet.of(Capability.TOOLS, Capability.JSON_SCHEMA,
            Capability.STREAMING);
    private static final Set<Capability> MULTIMODAL = EnumSet.of(Capability.TOOLS, Capability.VISION,
            Capability.JSON_SCHEMA, Capability.STREAMING, Capability.PROMPT_CACHE);

    private static final List<Known> KNOWN = List.of(
            new Known("OPENAI_API_KEY", "openai", "openai", List.of(
                    new ModelSpec("gpt-4o", null, new Price(2.50, 10.00, 1.25, 2.50), 128_000, 16_384, MULTIMODAL),
                    new ModelSpec("gpt-4o-mini", null, new Price(0.15, 0.60, 0.075, 0.15), 128_000, 16_384,
                            MULTIMODAL))),
            new Known("ANTHROPIC_API_KEY", "anthropic", "anthropic", List.of(
                    new ModelSpec("claude-sonnet-4-5", null, new Price(3.00, 15.00, 0.30, 3.75), 200_000, 64_000,
                            withDocuments()),
                    new ModelSpec("claude-haiku-4-5", null, new Price(1.00, 5.00, 0.10, 1.25), 200_000, 64_000,
                            withDocuments()))),
            new Known("GROQ_API_KEY", "groq", "openai", List.of(
                    new ModelSpec("llama-3.3-70b-versatile", null, Price.of(0.59, 0.79), 131_072, 32_768, CHAT),
                    new ModelSpec("llama-3.1-8b-instant", null, Price.of(0.05, 0.08), 131_072, 131_072, CHAT))),
            new Known("OPENROUTER_API_KEY", "openrouter", "openai", List.of(
                    new ModelSpec("openai/gpt-4o-mini", null, Price.of(0.15, 0.60), 128_000, 16_384, MULTIMODAL))),
            new Known("DEEPINFRA_API_KEY", "deepinfra", "openai", List.of(
                    new ModelSpec("meta-llama/Llama-3.3-70B-Instruct", null, Price.of(0.23, 0.40), 131_072, 16_384,
                            CHAT),
                    new ModelSpec("meta-llama/Meta-Llama-3.1-8B-Instruct", null, Price.of(0.03, 0.05), 131_072,
                            16_384, CHAT))));

    private static Set<Capability> withDocuments() {
        EnumSet<Capability> caps = EnumSet.copyOf(MULTIMODAL);
        caps.add(Capability.DOCUMENT);
        caps.add(Capability.REASONING);
        return caps;
    }

    /** What was built, and the environment variables that were set but not used (their plugin is missing). */
    record Built(RouterConfig config, List<String> skipped) {
    }

    static Built fromEnvironment(Map<String, String> env, Predicate<String> pluginInstalled) {
        Map<String, ProviderSpec> providers = new LinkedHashMap<>();
        List<String> skipped = new ArrayList<>();
        Map<String, List<String>> byModel = new LinkedHashMap<>();
        Map<String, Double> prices = new LinkedHashMap<>();
        for (Known known : KNOWN) {
            String key = env.get(known.env());
            if (key == null || key.isBlank()) {
                continue;
            }
            if (!pluginInstalled.test(known.type())) {
                skipped.add(known.env());
                continue;
            }
            ProviderSpec.Builder spec = ProviderSpec.builder(known.provider(), known.type()).apiKey(key);
            known.models().forEach(spec::model);
            providers.put(known.provider(), spec.build());
            for (ModelSpec model : known.models()) {
                String target = known.provider() + "/" + model.id();
                byModel.computeIfAbsent(model.id(), id -> new ArrayList<>()).add(target);
                prices.put(target, model.price().input() + model.price().output());
            }
        }
        Map<String, RouteConfig> routes = new LinkedHashMap<>();
        if (providers.isEmpty()) {
            providers.put("mock", ProviderSpec.builder("mock", "mock")
                    .model(new ModelSpec("mock-1", null, Price.FREE, 128_000, 16_384, EnumSet.allOf(Capability.class)))
                    .build());
            routes.put(ROUTE, RouteConfig.builder(ROUTE).match("*")
                    .pool("*", PoolConfig.of("priority", "mock/mock-1")).build());
        } else {
            List<String> cheapestFirst = new ArrayList<>(prices.keySet());
            cheapestFirst.sort(Comparator.comparingDouble(prices::get)); // stable: ties keep the order above
            byModel.forEach((model, targets) -> {
                List<String> ordered = new ArrayList<>(targets);
                cheapestFirst.stream().filter(t -> !ordered.contains(t)).forEach(ordered::add);
                routes.put(model, RouteConfig.builder(model).pool("*", targets(ordered)).build());
            });
            routes.put(ROUTE, RouteConfig.builder(ROUTE).match("*")
                    .pool("flash", new PoolConfig("cost", targets(cheapestFirst).targets()))
                    .pool("*", targets(cheapestFirst)).build());
        }
        return new Built(new RouterConfig(providers, routes, ROUTE), skipped);
    }

    private static PoolConfig targets(List<String> ordered) {
        return new PoolConfig("priority", ordered.stream().map(PoolTarget::of).toList());
    }
}
