package dev.chatrouter.core.plugin;

import dev.chatrouter.api.ConfigurationException;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderContext;
import dev.chatrouter.api.spi.ProviderFactory;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.api.spi.RoutingPolicy;
import dev.chatrouter.core.testing.ReversePolicyFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Plugin discovery: types and option keys, routing policies, and broken or duplicate plugins reported by name.
 */
class PluginRegistryTest {

    /** The registry answers with the plugins' types and option keys. */
    @Test
    void describesThePlugins() {
        PluginRegistry registry = PluginRegistry.discover(getClass().getClassLoader(),
                List.of(new Stub("openai", Set.of()), new Stub("mock", Set.of("fail", "fail_first"))), List.of());
        assertThat(registry.types()).contains("mock", "openai");
        assertThat(registry.hasType("mock")).isTrue();
        assertThat(registry.hasType("gemini")).isFalse();
        assertThat(registry.optionKeys("mock")).containsExactlyInAnyOrder("fail", "fail_first");
        assertThat(registry.optionKeys("gemini")).isEmpty();
        assertThat(registry.factory("openai")).isPresent();
    }

    /** Two plugins claiming one type are reported by class name. */
    @Test
    void duplicateTypeIsReportedWithBothClasses() {
        ConfigurationException e = catchThrowableOfType(ConfigurationException.class, () -> PluginRegistry.discover(
                getClass().getClassLoader(), List.of(new Stub("openai", Set.of()), new Other()), List.of()));
        assertThat(e.getMessage()).contains("'openai'").contains(Stub.class.getName()).contains(Other.class.getName());
    }

    /**
     * Proves a factory given in code wins over the instance ServiceLoader makes of the same class: the one given may
     * be configured (a client, a credential source), and dropping it silently would surprise.
     */
    @Test
    void aFactoryGivenInCodeReplacesTheOneOfItsClassFoundOnTheClassPath(@TempDir Path dir) throws Exception {
        Path services = Files.createDirectories(dir.resolve("META-INF/services"));
        Files.writeString(services.resolve(ProviderFactory.class.getName()), Listed.class.getName() + "\n");
        Listed given = new Listed("configured in code");
        try (URLClassLoader loader = new URLClassLoader(new URL[]{dir.toUri().toURL()}, getClass().getClassLoader())) {
            PluginRegistry registry = PluginRegistry.discover(loader, List.of(given), List.of());

            assertThat(registry.factory("listed")).containsSame(given);
        }
    }

    /** A plugin listed in META-INF/services that cannot be loaded stops startup, named. */
    @Test
    void brokenPluginIsReportedByName(@TempDir Path dir) throws Exception {
        Path services = dir.resolve("META-INF/services");
        Files.createDirectories(services);
        Files.writeString(services.resolve(ProviderFactory.class.getName()), "com.example.MissingFactory\n");
        try (URLClassLoader loader = new URLClassLoader(new URL[]{dir.toUri().toURL()}, getClass().getClassLoader())) {
            ConfigurationException e = catchThrowableOfType(ConfigurationException.class,
                    () -> PluginRegistry.discover(loader, List.of(), List.of()));
            assertThat(e.getMessage()).contains("com.example.MissingFactory");
        }
    }

    /** The built-in policies come first, then those ServiceLoader finds, then those given in code. */
    @Test
    void listsTheRoutingPoliciesAndCreatesThemWithTheContext() {
        // given
        RoutingPolicy.Context context = new RoutingPolicy.Context(Clock.systemUTC(), () -> 0.5);
        PluginRegistry registry = PluginRegistry.discover(getClass().getClassLoader(), List.of(),
                List.of(RoutingPolicy.Factory.of(named("dearest"))));

        // when
        Map<String, RoutingPolicy> policies = registry.createPolicies(context);

        // then
        assertThat(registry.policies()).containsExactly("priority", "cost", "latency", "weighted", "reverse",
                "dearest");
        assertThat(policies).containsOnlyKeys(registry.policies());
        policies.forEach((name, policy) -> assertThat(policy.name()).isEqualTo(name));
    }

    /** A routing policy claiming a built-in name is refused, named. */
    @Test
    void aPolicyClaimingABuiltInNameIsRefused() {
        // given
        List<RoutingPolicy.Factory> policies = List.of(new CheapestFactory());

        // when
        ConfigurationException e = catchThrowableOfType(ConfigurationException.class,
                () -> PluginRegistry.discover(getClass().getClassLoader(), List.of(), policies));

        // then
        assertThat(e.getMessage()).contains(CheapestFactory.class.getName(), "'cost'", "built-in");
    }

    /** Two routing policies of one name are refused with both named; one plugin class found twice is one. */
    @Test
    void twoPoliciesOfOneNameAreRefused() {
        // given
        List<RoutingPolicy.Factory> twice = List.of(RoutingPolicy.Factory.of(named("x")),
                RoutingPolicy.Factory.of(named("x")));

        // when
        ConfigurationException e = catchThrowableOfType(ConfigurationException.class,
                () -> PluginRegistry.discover(getClass().getClassLoader(), List.of(), twice));

        // then
        assertThat(e.getMessage()).contains("'x'", "RoutingPolicy.Factory.of(");
        assertThat(PluginRegistry.discover(getClass().getClassLoader(), List.of(),
                List.of(new ReversePolicyFactory())).policies()).containsOnlyOnce("reverse");
    }

    /** A factory whose policy has another name than the factory's, or that fails, is refused at creation, named. */
    @Test
    void aFactoryCreatingAPolicyOfAnotherNameOrFailingIsRefused() {
        // given
        RoutingPolicy.Context context = new RoutingPolicy.Context(Clock.systemUTC(), () -> 0.5);
        PluginRegistry misnamed = PluginRegistry.discover(getClass().getClassLoader(), List.of(),
                List.of(RoutingPolicy.Factory.of("fast", c -> named("slow"))));
        PluginRegistry failing = PluginRegistry.discover(getClass().getClassLoader(), List.of(),
                List.of(RoutingPolicy.Factory.of("fast", c -> {
                    throw new IllegalArgumentException("no latency table");
                })));

        // when / then
        assertThat(catchThrowableOfType(ConfigurationException.class, () -> misnamed.createPolicies(context)))
                .hasMessageContaining("'fast'").hasMessageContaining("'slow'");
        assertThat(catchThrowableOfType(ConfigurationException.class, () -> failing.createPolicies(context)))
                .hasMessageContaining("'fast'").hasMessageContaining("no latency table");
    }

    private static RoutingPolicy named(String name) {
        return new RoutingPolicy() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public List<Candidate> order(List<Candidate> candidates, Shape shape) {
                return candidates;
            }
        };
    }

    /** Claims the built-in name {@code cost}. */
    private static final class CheapestFactory implements RoutingPolicy.Factory {
        @Override
        public String name() {
            return "cost";
        }

        @Override
        public RoutingPolicy create(RoutingPolicy.Context context) {
            return named("cost");
        }
    }

    /** A plugin ServiceLoader can make (public, no-argument constructor) that code may also give configured. */
    public static final class Listed extends Stub {
        final String label;

        public Listed() {
            this("made by ServiceLoader");
        }

        Listed(String label) {
            super("listed", Set.of());
            this.label = label;
        }
    }

    private static class Stub implements ProviderFactory {
        private final String type;
        private final Set<String> options;

        Stub(String type, Set<String> options) {
            this.type = type;
            this.options = options;
        }

        @Override
        public String type() {
            return type;
        }

        @Override
        public Set<String> optionKeys() {
            return options;
        }

        @Override
        public Provider create(ProviderSpec spec, ProviderContext context) {
            throw new IllegalStateException("not used");
        }
    }

    private static final class Other extends Stub {
        Other() {
            super("openai", Set.of());
        }
    }
}
