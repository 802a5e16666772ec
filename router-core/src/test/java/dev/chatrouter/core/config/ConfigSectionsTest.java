package dev.chatrouter.core.config;

import dev.chatrouter.api.ConfigurationException;
import dev.chatrouter.api.config.AccountingConfig;
import dev.chatrouter.api.config.BudgetConfig;
import dev.chatrouter.api.config.ClassificationConfig;
import dev.chatrouter.api.config.RateLimitConfig;
import dev.chatrouter.api.config.RouterConfig;
import dev.chatrouter.api.config.Window;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The classification, budgets, rate_limits and cache sections. */
class ConfigSectionsTest {

    private static final Map<String, String> ENV = Map.of("OPENAI_API_KEY", "sk-test-openai",
            "ANTHROPIC_API_KEY", "sk-test-anthropic", "TEAM_B_KEY", "vk-team-b");
    private static final String MINIMAL = """
            providers:
              openai:
                type: openai
                models:
                  gpt-4o-mini: {}
            routes:
              di:
                pools:
                  "*": { targets: [openai/gpt-4o-mini] }
            """;

    /** The whole example of docs/configuration.md loads, every section read. */
    @Test
    void theWholeSpecExampleLoads() throws Exception {
        Path file = Path.of(getClass().getResource("/config/spec-full.yaml").toURI());
        RouterConfig config = ConfigLoader.load(file, ENV, FakePlugins.INSTANCE);
        assertThat(config.classification()).isEqualTo(ClassificationConfig.DEFAULTS);
        assertThat(config.budgets()).containsExactly(
                new BudgetConfig("global", Window.MONTH, 1000.0, null, null),
                new BudgetConfig("key:team-a", Window.DAY, 20.0, null, 15.0),
                new BudgetConfig("provider:openai", Window.MONTH, 500.0, null, null),
                new BudgetConfig("user:*", Window.DAY, null, 200_000L, null));
        assertThat(config.rateLimits()).containsExactly(new RateLimitConfig("key:*", 60, 100_000));
        assertThat(config.cache().stickyPrefix().enabled()).isTrue();
        assertThat(config.cache().stickyPrefix().ttl()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void classificationOrderMayDropAndReorderRules() {
        RouterConfig config = ConfigLoader.parse("c.yaml", MINIMAL
                + "classification: { long_input_tokens: 5000, order: [vision, document, base] }\n", ENV,
                FakePlugins.INSTANCE);
        assertThat(config.classification()).isEqualTo(new ClassificationConfig(5000, List.of("vision", "document",
                "base")));
    }

    @Test
    void unknownClassificationRuleIsNamed() {
        ConfigurationException e = failure(MINIMAL + "classification: { order: [vision, sarcasm] }\n");
        assertThat(e.path()).hasValue("classification.order[1]");
        assertThat(e.getMessage()).contains("unknown rule 'sarcasm'");
    }

    @Test
    void budgetWithABadScopeIsNamed() {
        ConfigurationException e = failure(MINIMAL + "budgets: [ { scope: team-a, window: day, limit_usd: 1 } ]\n");
        assertThat(e.path()).hasValue("budgets[0].scope");
        assertThat(e.getMessage()).contains("key:NAME");
    }

    @Test
    void budgetWithABadWindowIsNamed() {
        ConfigurationException e = failure(MINIMAL + "budgets: [ { scope: global, window: week, limit_usd: 1 } ]\n");
        assertThat(e.path()).hasValue("budgets[0].window");
        assertThat(e.getMessage()).contains("minute, hour, day, month");
    }

    @Test
    void budgetWithoutALimitIsRefused() {
        ConfigurationException e = failure(MINIMAL + "budgets: [ { scope: global, window: day } ]\n");
        assertThat(e.path()).hasValue("budgets[0]");
        assertThat(e.getMessage()).contains("limit_usd, limit_tokens, soft_limit_usd");
    }

    @Test
    void budgetOnAnUndefinedProviderIsNamed() {
        ConfigurationException e = failure(MINIMAL
                + "budgets: [ { scope: \"provider:groq\", window: day, limit_usd: 1 } ]\n");
        assertThat(e.path()).hasValue("budgets[0].scope");
        assertThat(e.getMessage()).contains("provider 'groq' is not defined");
    }

    @Test
    void budgetLimitOfTheWrongTypeIsNamed() {
        ConfigurationException e = failure(MINIMAL + "budgets: [ { scope: global, window: day, limit_usd: lots } ]\n");
        assertThat(e.path()).hasValue("budgets[0].limit_usd");
    }

    @Test
    void rateLimitOnAProviderIsRefused() {
        ConfigurationException e = failure(MINIMAL + "rate_limits: [ { scope: \"provider:openai\", rpm: 5 } ]\n");
        assertThat(e.path()).hasValue("rate_limits[0].scope");
        assertThat(e.getMessage()).contains("limits");
    }

    @Test
    void rateLimitWithoutRpmOrTpmIsRefused() {
        ConfigurationException e = failure(MINIMAL + "rate_limits: [ { scope: global } ]\n");
        assertThat(e.path()).hasValue("rate_limits[0]");
    }

    @Test
    void stickyPrefixTtlMustBeADuration() {
        ConfigurationException e = failure(MINIMAL + "cache: { sticky_prefix: { ttl: forever } }\n");
        assertThat(e.path()).hasValue("cache.sticky_prefix.ttl");
    }

    @Test
    void responseCacheSettingsAreRead() {
        RouterConfig config = ConfigLoader.parse("c.yaml", MINIMAL + "cache: { responses: { enabled: true, ttl: 30s,"
                + " max_entries: 5, deterministic_only: false } }\n", ENV, FakePlugins.INSTANCE);
        assertThat(config.cache().responses()).isEqualTo(new dev.chatrouter.api.config.ResponseCacheConfig(true,
                Duration.ofSeconds(30), 5, false));
    }

    @Test
    void responseCacheUnknownKeyIsNamed() {
        ConfigurationException e = failure(MINIMAL + "cache: { responses: { enable: true } }\n");
        assertThat(e.path()).hasValue("cache.responses.enable");
    }

    /** Rate limits fail open by default, budgets closed; each mode is read from its own key. */
    @Test
    void rateLimitsHaveTheirOwnStoreFailureMode() {
        RouterConfig defaults = ConfigLoader.parse("c.yaml", MINIMAL + "accounting: { lease: 1m }\n", ENV,
                FakePlugins.INSTANCE);
        assertThat(defaults.accounting().onStoreFailure()).isEqualTo(AccountingConfig.FailureMode.CLOSED);
        assertThat(defaults.accounting().rateLimitsOnStoreFailure()).isEqualTo(AccountingConfig.FailureMode.OPEN);

        RouterConfig swapped = ConfigLoader.parse("c.yaml", MINIMAL
                + "accounting: { on_store_failure: open, rate_limits_on_store_failure: closed }\n", ENV,
                FakePlugins.INSTANCE);
        assertThat(swapped.accounting().onStoreFailure()).isEqualTo(AccountingConfig.FailureMode.OPEN);
        assertThat(swapped.accounting().rateLimitsOnStoreFailure()).isEqualTo(AccountingConfig.FailureMode.CLOSED);
    }

    @Test
    void aWrongRateLimitsStoreFailureModeIsNamed() {
        ConfigurationException e = failure(MINIMAL + "accounting: { rate_limits_on_store_failure: ajar }\n");
        assertThat(e.path()).hasValue("accounting.rate_limits_on_store_failure");
        assertThat(e.getMessage()).contains("expected closed or open but was").contains("ajar");
    }

    private static ConfigurationException failure(String text) {
        ConfigurationException e = catchThrowableOfType(ConfigurationException.class,
                () -> ConfigLoader.parse("c.yaml", text, ENV, FakePlugins.INSTANCE));
        assertThat(e).as("a ConfigurationException").isNotNull();
        assertThat(e.getMessage()).startsWith("c.yaml: ");
        return e;
    }
}
