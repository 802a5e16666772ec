package dev.chatrouter.core.config;

import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderContext;
import dev.chatrouter.api.spi.ProviderFactory;
import dev.chatrouter.api.spi.ProviderSpec;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class PluginCatalogTest {

    /** A catalog built from plugins answers with their types and option keys. */
    @Test
    void describesThePlugins() {
        PluginCatalog catalog = PluginCatalog.of(List.of(new Stub("openai", Set.of()),
                new Stub("mock", Set.of("fail", "fail_first"))));

        assertThat(catalog.types()).containsExactly("mock", "openai");
        assertThat(catalog.hasType("mock")).isTrue();
        assertThat(catalog.hasType("gemini")).isFalse();
        assertThat(catalog.optionKeys("mock")).containsExactlyInAnyOrder("fail", "fail_first");
        assertThat(catalog.optionKeys("gemini")).isEmpty();
    }

    /** Two plugins claiming one type are reported by class name. */
    @Test
    void duplicateTypeRefused() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> PluginCatalog.of(List.of(new Stub("openai", Set.of()), new Other())))
                .withMessageContaining("'openai' is provided twice")
                .withMessageContaining(Stub.class.getName()).withMessageContaining(Other.class.getName());
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
            throw new UnsupportedOperationException();
        }
    }

    private static final class Other extends Stub {
        Other() {
            super("openai", Set.of());
        }
    }
}
