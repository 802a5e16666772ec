package dev.chatrouter.core.plugin;

import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ConfigurationException;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.AccountingConfig;
import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.AccountingStoreFactory;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderContext;
import dev.chatrouter.api.spi.ProviderFactory;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.api.spi.RequestClassifier;
import dev.chatrouter.core.testing.ScriptedProviderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** A plugin that fails in any way stops the router from starting, with the plugin and what it was doing named. */
class BrokenPluginTest {

    @Test
    void aProviderPluginWhoseCreateThrowsIsNamedWithTheProvider() {
        ConfigurationException e = refused(ChatRouter.builder().providerFactory(new Throwing()), "throwing");
        assertThat(e.path()).hasValue("providers.p");
        assertThat(e.getMessage()).contains(Throwing.class.getName(), "'throwing'", "NullPointerException");
    }

    /** Proves a plugin's message that echoes the provider's secrets or option values shows none of them. */
    @Test
    void aProviderPluginsMessageShowsNoneOfTheProvidersValues() {
        ChatRouter.Builder builder = ChatRouter.builder().providerFactory(new Echoing())
                .provider(ProviderSpec.builder("p", "echoing").apiKey("sk-echoed-key").header("X-Token", "tok-echoed")
                        .baseUrl("https://u:pw-echoed@example.test").option("region", "eu-echoed")
                        .model(ModelSpec.of("m")).build())
                .route(RouteConfig.builder("di").pool("*", PoolConfig.of("priority", "p/m")).build());
        for (boolean illegalArgument : new boolean[] {true, false}) {
            Echoing.illegalArgument = illegalArgument;
            ConfigurationException e = catchThrowableOfType(ConfigurationException.class, builder::build);
            assertThat(e.getMessage()).contains("refused", "(hidden)")
                    .doesNotContain("sk-echoed-key", "tok-echoed", "pw-echoed", "eu-echoed");
        }
    }

    @Test
    void aProviderPluginWhoseCreateReturnsNullIsNamed() {
        ConfigurationException e = refused(ChatRouter.builder().providerFactory(new ReturnsNull()), "null");
        assertThat(e.path()).hasValue("providers.p");
        assertThat(e.getMessage()).contains(ReturnsNull.class.getName(), "no provider");
    }

    @Test
    void aProviderPluginWhoseOptionKeysThrowIsNamed() {
        ConfigurationException e = refused(ChatRouter.builder().providerFactory(new BadOptionKeys()), "bad-keys");
        assertThat(e.getMessage()).contains(BadOptionKeys.class.getName(), "option keys", "boom");
    }

    @Test
    void aClassifierPluginThatWrapsToNullIsNamed() {
        ConfigurationException e = refused(ChatRouter.builder().providerFactory(new ScriptedProviderFactory())
                .classifier(new NullClassifier()), "scripted");
        assertThat(e.getMessage()).contains(NullClassifier.class.getName(), "no classifier");
    }

    @ParameterizedTest
    @ValueSource(classes = {RequestClassifier.Plugin.class, AccountingStoreFactory.class})
    void aClassifierOrStorePluginThatCannotBeLoadedIsNamed(Class<?> service, @TempDir Path dir) throws Exception {
        Path services = Files.createDirectories(dir.resolve("META-INF/services"));
        Files.writeString(services.resolve(service.getName()), "com.example.Missing\n");
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, previous)) {
            Thread.currentThread().setContextClassLoader(loader);
            ConfigurationException e = refused(ChatRouter.builder().providerFactory(new ScriptedProviderFactory()),
                    "scripted");
            assertThat(e.getMessage()).contains("com.example.Missing", "could not be loaded");
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
    }

    @Test
    void aStorePluginClaimingABuiltInStoreTypeIsNamed(@TempDir Path dir) throws Exception {
        Path services = Files.createDirectories(dir.resolve("META-INF/services"));
        Files.writeString(services.resolve(AccountingStoreFactory.class.getName()), ClaimsMemory.class.getName() + "\n");
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, previous)) {
            Thread.currentThread().setContextClassLoader(loader);
            ConfigurationException e = refused(ChatRouter.builder().providerFactory(new ScriptedProviderFactory()),
                    "scripted");
            assertThat(e.getMessage()).contains(ClaimsMemory.class.getName(), "'memory'", "built-in");
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
    }

    public static final class ClaimsMemory implements AccountingStoreFactory {
        @Override
        public String type() {
            return "memory";
        }

        @Override
        public AccountingStore open(AccountingConfig config, Clock clock) {
            throw new AssertionError("not reached");
        }
    }

    private static ConfigurationException refused(ChatRouter.Builder builder, String type) {
        ChatRouter.Builder configured = builder
                .provider(ProviderSpec.builder("p", type).model(ModelSpec.of("m")).build())
                .route(RouteConfig.builder("di").pool("*", PoolConfig.of("priority", "p/m")).build());
        return catchThrowableOfType(ConfigurationException.class, configured::build);
    }

    static final class Throwing implements ProviderFactory {
        @Override
        public String type() {
            return "throwing";
        }

        @Override
        public Provider create(ProviderSpec spec, ProviderContext context) {
            Object missing = spec.options().get("missing");
            return (Provider) (Object) missing.toString();
        }
    }

    static final class Echoing implements ProviderFactory {
        static volatile boolean illegalArgument;

        @Override
        public String type() {
            return "echoing";
        }

        @Override
        public Set<String> optionKeys() {
            return Set.of("region");
        }

        @Override
        public Provider create(ProviderSpec spec, ProviderContext context) {
            String message = "refused key " + spec.apiKey() + ", token " + spec.headers().get("X-Token")
                    + ", url '" + spec.baseUrl() + "', region '" + spec.options().get("region") + "'";
            throw illegalArgument ? new IllegalArgumentException(message) : new IllegalStateException(message);
        }
    }

    static final class ReturnsNull implements ProviderFactory {
        @Override
        public String type() {
            return "null";
        }

        @Override
        public Provider create(ProviderSpec spec, ProviderContext context) {
            return null;
        }
    }

    static final class BadOptionKeys implements ProviderFactory {
        @Override
        public String type() {
            return "bad-keys";
        }

        @Override
        public Set<String> optionKeys() {
            throw new IllegalStateException("boom");
        }

        @Override
        public Provider create(ProviderSpec spec, ProviderContext context) {
            throw new AssertionError("not reached");
        }
    }

    static final class NullClassifier implements RequestClassifier.Plugin {
        @Override
        public RequestClassifier wrap(RequestClassifier builtIn) {
            return null;
        }
    }
}
