package dev.chatrouter.core.plugin;

import dev.chatrouter.api.ConfigurationException;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderContext;
import dev.chatrouter.api.spi.ProviderFactory;
import dev.chatrouter.api.spi.ProviderSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Plugin discovery: types and option keys, and broken or duplicate plugins reported by name. */
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
