package dev.chatrouter.core.config;

import dev.chatrouter.api.ConfigurationException;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.RequestType;
import dev.chatrouter.api.config.FallbackConfig;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.PoolTarget;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.RouterConfig;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderLimits;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.api.spi.Timeouts;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.entry;

class ConfigLoaderTest {

    private static final Map<String, String> ENV = Map.of(
            "OPENAI_API_KEY", "sk-openai-test-key",
            "ANTHROPIC_API_KEY", "sk-ant-test-key");

    /** A minimal valid configuration the error tests vary. */
    private static final String MINIMAL = """
            providers:
              openai:
                type: openai
                api_key: sk-live-secret-123
                models:
                  gpt-4o-mini: {}
            routes:
              di:
                pools:
                  "*": { targets: [openai/gpt-4o-mini] }
            """;

    @Nested
    class Loading {

        /** The example of docs/configuration.md (without unsupported sections) loads into the records it describes. */
        @Test
        void specExampleLoads() throws Exception {
            RouterConfig config = ConfigLoader.load(resource("spec-example.yaml"), ENV, FakePlugins.INSTANCE);

            assertThat(config.providers()).containsOnlyKeys("openai", "anthropic");
            assertThat(config.providers().keySet()).containsExactly("openai", "anthropic");
            ProviderSpec openai = config.providers().get("openai");
            assertThat(openai.type()).isEqualTo("openai");
            assertThat(openai.baseUrl()).isEqualTo("https://api.openai.com/v1");
            assertThat(openai.apiKey()).isEqualTo("sk-openai-test-key");
            assertThat(openai.headers()).containsExactly(entry("OpenAI-Organization", "org-1"));
            assertThat(openai.timeouts()).isEqualTo(new Timeouts(Duration.ofMillis(5000), Duration.ofSeconds(30),
                    Duration.ofMinutes(5)));
            assertThat(openai.maxConnections()).isEqualTo(64);
            assertThat(openai.limits()).isEqualTo(new ProviderLimits(5000, 2_000_000));
            assertThat(openai.options()).isEmpty();
            assertThat(openai.models().get("gpt-4o-mini")).isEqualTo(new ModelSpec("gpt-4o-mini", "gpt-4o-mini",
                    new Price(0.15, 0.60, 0.075, 0.15), 128_000, 16_384, Set.of(Capability.TOOLS, Capability.VISION,
                    Capability.JSON_SCHEMA, Capability.STREAMING, Capability.PROMPT_CACHE)));

            ProviderSpec anthropic = config.providers().get("anthropic");
            assertThat(anthropic.apiKey()).isEqualTo("sk-ant-test-key");
            assertThat(anthropic.baseUrl()).isNull();
            assertThat(anthropic.timeouts()).isEqualTo(Timeouts.DEFAULTS);
            ModelSpec haiku = anthropic.models().get("claude-haiku-4-5");
            assertThat(haiku.upstream()).isEqualTo("claude-haiku-4-5");
            assertThat(haiku.price()).isEqualTo(new Price(1.0, 5.0, 0.1, 1.25));
            assertThat(haiku.contextWindow()).isEqualTo(200_000);
            assertThat(haiku.maxOutputTokens()).isZero();
            assertThat(haiku.capabilities()).hasSize(7).contains(Capability.DOCUMENT, Capability.REASONING);

            RouteConfig di = config.routes().get("di");
            assertThat(config.routes()).containsOnlyKeys("di");
            assertThat(di.match()).containsExactly("di", "gpt-*", "claude-*");
            assertThat(di.baseType()).isEqualTo(RequestType.PRO);
            assertThat(di.pools().keySet()).containsExactly("flash", "code", "*");
            assertThat(di.pools().get("flash")).isEqualTo(PoolConfig.of("cost", "openai/gpt-4o-mini",
                    "anthropic/claude-haiku-4-5"));
            assertThat(di.pools().get("code")).isEqualTo(PoolConfig.of("priority", "anthropic/claude-haiku-4-5",
                    "openai/gpt-4o-mini"));
            assertThat(di.pools().get("*").policy()).isEqualTo("latency");
            assertThat(di.fallback()).isEqualTo(FallbackConfig.DEFAULTS);
            assertThat(di.hedgeAfter()).isZero();
            assertThat(config.defaultRoute()).isEqualTo("di");
        }

        /** The same configuration written as (tab-indented) JSON loads into equal records. */
        @Test
        void jsonLoadsLikeYaml() throws Exception {
            RouterConfig fromJson = ConfigLoader.load(resource("spec-example.json"), ENV, FakePlugins.INSTANCE);

            assertThat(fromJson).isEqualTo(ConfigLoader.load(resource("spec-example.yaml"), ENV,
                    FakePlugins.INSTANCE));
        }

        /** YAML's flow style for the whole document is YAML, not JSON, and still loads. */
        @Test
        void flowStyleYamlLoads() {
            RouterConfig config = parse("flow.yaml", "{ providers: { openai: { type: openai, models: { m: {} } } },"
                    + " routes: { di: { pools: { '*': { targets: [openai/m] } } } } }");

            assertThat(config.routes().get("di").pools().get("*").targets()).containsExactly(PoolTarget.of("openai/m"));
        }

        /** Absent values take documented defaults; cached_input and cache_write default to input. */
        @Test
        void defaults() {
            RouterConfig config = parse("defaults.yaml", """
                    providers:
                      openai:
                        type: openai
                        timeouts: { total_ms: 60000 }
                        models:
                          empty: {}
                          nothing:
                          priced: { price: { input: 2.5, output: 10 } }
                    routes:
                      di:
                        pools:
                          flash: { targets: [openai/empty, { target: openai/priced, weight: 3 }] }
                        fallback: { max_attempts: 5, on: [timeout] }
                        hedge_after_ms: 250
                    """);

            ProviderSpec openai = config.providers().get("openai");
            assertThat(openai.timeouts()).isEqualTo(new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(30),
                    Duration.ofMinutes(1)));
            assertThat(openai.maxConnections()).isEqualTo(64);
            assertThat(openai.limits()).isEqualTo(ProviderLimits.NONE);
            assertThat(openai.headers()).isEmpty();
            assertThat(openai.models().get("empty")).isEqualTo(new ModelSpec("empty", "empty", Price.FREE, 0, 0,
                    Set.of()));
            assertThat(openai.models().get("nothing")).isEqualTo(new ModelSpec("nothing", "nothing", Price.FREE, 0, 0,
                    Set.of()));
            assertThat(openai.models().get("priced").price()).isEqualTo(new Price(2.5, 10, 2.5, 2.5));
            RouteConfig di = config.routes().get("di");
            assertThat(di.baseType()).isEqualTo(RequestType.PRO);
            assertThat(di.match()).isEmpty();
            assertThat(di.pools().get("flash")).isEqualTo(new PoolConfig("priority",
                    List.of(PoolTarget.of("openai/empty"), new PoolTarget("openai/priced", 3))));
            assertThat(di.fallback()).isEqualTo(new FallbackConfig(5, 1, Set.of(FailureKind.TIMEOUT)));
            assertThat(di.hedgeAfter()).isEqualTo(Duration.ofMillis(250));
            assertThat(config.defaultRoute()).isNull();
        }

        /** The keys a plugin declares arrive in the spec's options as plain Java values. */
        @Test
        void pluginOptions() {
            RouterConfig config = parse("mock.yaml", """
                    providers:
                      local:
                        type: mock
                        fail_first: 2
                        fail: [server, { kind: timeout, after_ms: 1.5, sticky: true }]
                        models: { echo: {} }
                    routes:
                      di: { pools: { "*": { targets: [local/echo] } } }
                    """);

            assertThat(config.providers().get("local").options()).containsExactly(
                    entry("fail_first", 2L),
                    entry("fail", List.of("server", Map.of("kind", "timeout", "after_ms", 1.5, "sticky", true))));
        }

        /** Model ids may contain '/': the provider is the part before the first one. */
        @Test
        void modelIdsWithSlashes() {
            RouterConfig config = parse("slash.yaml", """
                    providers:
                      openrouter:
                        type: openai
                        models: { meta-llama/llama-3.3-70b-instruct: {} }
                    routes:
                      di: { pools: { "*": { targets: [openrouter/meta-llama/llama-3.3-70b-instruct] } } }
                    """);

            assertThat(config.providers().get("openrouter").models()).containsKey("meta-llama/llama-3.3-70b-instruct");
        }

        /** load names the file in its messages, also when it does not exist. */
        @Test
        void loadNamesTheFile(@TempDir Path dir) throws Exception {
            Path file = dir.resolve("router.yaml");
            Files.writeString(file, MINIMAL.replace("type: openai", "type: opneai"));

            ConfigurationException e = loadFailure(file);
            assertThat(e.source()).isEqualTo(file.toString());
            assertThat(e.getMessage()).contains(file.toString()).contains("providers.openai.type");

            ConfigurationException missing = loadFailure(dir.resolve("absent.yaml"));
            assertThat(missing.getMessage()).contains("absent.yaml").contains("no such file");
        }
    }

    @Nested
    class Environment {

        /** ${VAR:-default} uses the default when the variable is not set. */
        @Test
        void defaultUsedWhenUnset() {
            RouterConfig config = parse("env.yaml", MINIMAL.replace("sk-live-secret-123",
                    "${MISSING_KEY:-sk-fallback}"), Map.of());

            assertThat(config.providers().get("openai").apiKey()).isEqualTo("sk-fallback");
        }

        /** The variable wins over the default when it is set. */
        @Test
        void variableWinsOverDefault() {
            RouterConfig config = parse("env.yaml", MINIMAL.replace("sk-live-secret-123", "${KEY:-sk-fallback}"),
                    Map.of("KEY", "sk-from-env"));

            assertThat(config.providers().get("openai").apiKey()).isEqualTo("sk-from-env");
        }

        /** References are replaced inside longer strings, several per string. */
        @Test
        void referenceInsideALongerString() {
            RouterConfig config = parse("env.yaml", MINIMAL.replace("api_key: sk-live-secret-123",
                    "headers: { Authorization: \"Bearer ${TOKEN}\", X-Where: \"${REGION:-eu}-${ZONE}\" }"),
                    Map.of("TOKEN", "tok-123", "ZONE", "a"));

            assertThat(config.providers().get("openai").headers())
                    .containsOnly(entry("Authorization", "Bearer tok-123"), entry("X-Where", "eu-a"));
        }

        /** A substituted number field is read as a number. */
        @Test
        void referenceInANumberField() {
            RouterConfig config = parse("env.yaml", MINIMAL.replace("type: openai",
                    "type: openai\n    max_connections: ${CONNECTIONS}"), Map.of("CONNECTIONS", "16"));

            assertThat(config.providers().get("openai").maxConnections()).isEqualTo(16);
        }

        /** A variable neither set nor defaulted is an error naming the path and the variable. */
        @Test
        void missingVariableWithoutDefault() {
            ConfigurationException e = failure("env.yaml", MINIMAL.replace("sk-live-secret-123", "${OPENAI_API_KEY}"),
                    Map.of());

            assertError(e, "env.yaml", "providers.openai.api_key");
            assertThat(e.getMessage()).contains("OPENAI_API_KEY").contains("not set");
        }

        /** The server section is the HTTP module's: its unset variables are not this loader's concern. */
        @Test
        void serverSectionIgnored() {
            RouterConfig config = parse("server.yaml", MINIMAL + """
                    server:
                      port: 8080
                      anything: [goes, here]
                      keys: { team-b: { key: "${TEAM_B_KEY}" } }
                    """, Map.of());

            assertThat(config.providers()).containsOnlyKeys("openai");
        }
    }

    @Nested
    class UnknownKeys {

        /** A misspelt section is named, with the accepted sections listed. */
        @Test
        void topLevel() {
            ConfigurationException e = failure("top.yaml", MINIMAL + "default_rout: di\n");

            assertError(e, "top.yaml", "default_rout");
            assertThat(e.getMessage()).contains("unknown key 'default_rout'")
                    .contains("providers, routes, default_route, classification, budgets, rate_limits, accounting, cache,"
                            + " server");
        }

        /** Proves fallback.max_retry_wait is read as a duration, and 10 s is its default. */
        @Test
        void maxRetryWaitIsReadAsADuration() {
            // given a route that sets it and one that does not
            RouterConfig config = parse("wait.yaml", MINIMAL + """
                      slow:
                        pools:
                          "*": { targets: [openai/gpt-4o-mini] }
                        fallback: { max_retry_wait: 30s }
                    """);
            // then each gets its value
            assertThat(config.routes().get("slow").fallback().maxRetryWait()).isEqualTo(Duration.ofSeconds(30));
            assertThat(config.routes().get("di").fallback().maxRetryWait()).isEqualTo(Duration.ofSeconds(10));
        }

        /** Proves a max_retry_wait of zero is refused, naming its path. */
        @Test
        void aZeroMaxRetryWaitIsRefused() {
            // given a route whose max_retry_wait is 0
            ConfigurationException e = failure("wait.yaml", MINIMAL + """
                        fallback: { max_retry_wait: "0s" }
                    """);
            // then the error names the field
            assertError(e, "wait.yaml", "routes.di.fallback.max_retry_wait");
            assertThat(e.getMessage()).contains("positive duration");
        }

        /** Proves a configuration built in code with a zero max_retry_wait is refused the same way. */
        @Test
        void aZeroMaxRetryWaitFromCodeIsRefused() {
            // given a parsed configuration whose route is rebuilt with a zero max_retry_wait
            RouterConfig parsed = parse("code.yaml", MINIMAL);
            RouteConfig di = parsed.routes().get("di");
            RouteConfig zero = new RouteConfig(di.id(), di.match(), di.baseType(), di.pools(),
                    new FallbackConfig(3, 1, FallbackConfig.DEFAULTS.on(), Duration.ZERO), di.hedgeAfter());
            RouterConfig config = new RouterConfig(parsed.providers(), Map.of("di", zero), parsed.defaultRoute(),
                    parsed.classification(), parsed.cache(), parsed.budgets(), parsed.rateLimits());
            // when it is validated, then the error names the field
            ConfigurationException e = catchThrowableOfType(ConfigurationException.class,
                    () -> ConfigLoader.validate(config, "builder", FakePlugins.INSTANCE));
            assertError(e, "builder", "routes.di.fallback.max_retry_wait");
        }

        /** A provider key no plugin option explains is named with the keys the provider accepts. */
        @Test
        void providerLevel() {
            ConfigurationException e = failure("provider.yaml", MINIMAL.replace("type: openai",
                    "type: openai\n    fail_first: 2"));

            assertError(e, "provider.yaml", "providers.openai.fail_first");
            assertThat(e.getMessage()).contains("accepted keys: type, base_url, api_key");
        }

        /** A misspelt model key is named with its path. */
        @Test
        void modelLevel() {
            ConfigurationException e = failure("model.yaml", MINIMAL.replace("gpt-4o-mini: {}",
                    "gpt-4o-mini: { prize: { input: 1, output: 2 } }"));

            assertError(e, "model.yaml", "providers.openai.models.gpt-4o-mini.prize");
            assertThat(e.getMessage()).contains("upstream, price, context_window, max_output_tokens, capabilities");
        }

        /** A misspelt pool key is named with its path. */
        @Test
        void poolLevel() {
            ConfigurationException e = failure("pool.yaml", MINIMAL.replace("{ targets: [openai/gpt-4o-mini] }",
                    "{ polcy: cost, targets: [openai/gpt-4o-mini] }"));

            assertError(e, "pool.yaml", "routes.di.pools.*.polcy");
            assertThat(e.getMessage()).contains("accepted keys: policy, targets");
        }
    }

    @Nested
    class WrongTypes {

        /** A word where a count belongs names the expected type and what was found. */
        @Test
        void maxConnectionsNotANumber() {
            ConfigurationException e = failure("types.yaml", MINIMAL.replace("type: openai",
                    "type: openai\n    max_connections: many"));

            assertError(e, "types.yaml", "providers.openai.max_connections");
            assertThat(e.getMessage()).contains("expected a positive integer but found the string 'many'");
        }

        /** A word where a price belongs names the expected type and what was found. */
        @Test
        void priceNotANumber() {
            ConfigurationException e = failure("types.yaml", MINIMAL.replace("gpt-4o-mini: {}",
                    "gpt-4o-mini: { price: { input: cheap, output: 1 } }"));

            assertError(e, "types.yaml", "providers.openai.models.gpt-4o-mini.price.input");
            assertThat(e.getMessage()).contains("expected a non-negative number but found the string 'cheap'");
        }

        /** A single capability where a list belongs is refused. */
        @Test
        void capabilitiesNotAList() {
            ConfigurationException e = failure("types.yaml", MINIMAL.replace("gpt-4o-mini: {}",
                    "gpt-4o-mini: { capabilities: vision }"));

            assertError(e, "types.yaml", "providers.openai.models.gpt-4o-mini.capabilities");
            assertThat(e.getMessage()).contains("expected a list of capabilities").contains("found the string 'vision'");
        }

        /** An unknown capability is named with the list of known ones. */
        @Test
        void unknownCapability() {
            ConfigurationException e = failure("types.yaml", MINIMAL.replace("gpt-4o-mini: {}",
                    "gpt-4o-mini: { capabilities: [tools, visoin] }"));

            assertError(e, "types.yaml", "providers.openai.models.gpt-4o-mini.capabilities[1]");
            assertThat(e.getMessage()).contains("'visoin'").contains("tools, vision, document");
        }

        /** bad_request and auth cannot be listed in fallback.on. */
        @Test
        void neverRetriedFailureKind() {
            ConfigurationException e = failure("fallback.yaml", MINIMAL + "    fallback: { on: [server, auth] }\n");

            assertError(e, "fallback.yaml", "routes.di.fallback.on[1]");
            assertThat(e.getMessage()).contains("never retried");
        }

        /** A negative timeout is refused where it is written. */
        @Test
        void nonPositiveTimeout() {
            ConfigurationException e = failure("timeouts.yaml", MINIMAL.replace("type: openai",
                    "type: openai\n    timeouts: { connect_ms: 0 }"));

            assertError(e, "timeouts.yaml", "providers.openai.timeouts.connect_ms");
            assertThat(e.getMessage()).contains("expected a positive integer but found the number 0");
        }
    }

    @Nested
    class CrossReferences {

        /** A target naming a provider the file does not define is reported at the target. */
        @Test
        void undefinedTargetProvider() {
            ConfigurationException e = failure("targets.yaml", MINIMAL.replace("\"*\": { targets: [openai/gpt-4o-mini] }",
                    "code: { targets: [openai/gpt-4o-mini, anthropic/claude-haiku-4-5] }"));

            assertError(e, "targets.yaml", "routes.di.pools.code.targets[1]");
            assertThat(e.getMessage()).contains("provider 'anthropic', which is not defined")
                    .contains("defined providers: openai");
        }

        /** A target naming a model its provider does not define is reported at the target. */
        @Test
        void undefinedTargetModel() {
            ConfigurationException e = failure("targets.yaml", MINIMAL.replace("\"*\": { targets: [openai/gpt-4o-mini] }",
                    "code: { targets: [openai/gpt-4o, openai/gpt-4o-mini] }"));

            assertError(e, "targets.yaml", "routes.di.pools.code.targets[0]");
            assertThat(e.getMessage()).contains("model 'gpt-4o'").contains("its models: gpt-4o-mini");
        }

        /** A type no installed plugin provides is refused with the available types. */
        @Test
        void unknownPluginType() {
            ConfigurationException e = failure("plugins.yaml", MINIMAL.replace("type: openai", "type: gemini"));

            assertError(e, "plugins.yaml", "providers.openai.type");
            assertThat(e.getMessage()).contains("'gemini'").contains("available types: anthropic, mock, openai");
        }

        /** A default route that is not defined is refused. */
        @Test
        void undefinedDefaultRoute() {
            ConfigurationException e = failure("default.yaml", MINIMAL + "default_route: chat\n");

            assertError(e, "default.yaml", "default_route");
            assertThat(e.getMessage()).contains("route 'chat' is not defined").contains("defined routes: di");
        }

        /** A key given twice in one map is reported with its path. */
        @Test
        void duplicateKey() {
            ConfigurationException e = failure("duplicate.yaml", MINIMAL.replace("gpt-4o-mini: {}",
                    "gpt-4o-mini: {}\n      gpt-4o: {}\n      gpt-4o-mini: { context_window: 1 }"));

            assertError(e, "duplicate.yaml", "providers.openai.models.gpt-4o-mini");
            assertThat(e.getMessage()).contains("duplicate key");
        }

        /** A duplicate key in a JSON file is reported the same way. */
        @Test
        void duplicateKeyInJson() {
            ConfigurationException e = failure("duplicate.json", "{\"providers\": {\"a\": {\"type\": \"openai\"},"
                    + " \"a\": {\"type\": \"mock\"}}}");

            assertError(e, "duplicate.json", "providers.a");
        }

        /** A match id that is another route's id would make one of them unreachable. */
        @Test
        void matchIdClaimedByTwoRoutes() {
            ConfigurationException e = failure("match.yaml", MINIMAL + """
                      chat:
                        match: [chat-latest, di]
                        pools: { "*": { targets: [openai/gpt-4o-mini] } }
                    """);

            assertError(e, "match.yaml", "routes.chat.match[1]");
            assertThat(e.getMessage()).contains("'di' already resolves to route 'di'");
        }

        /** A pool keyed by something that is not a request type is refused. */
        @Test
        void unknownPoolType() {
            ConfigurationException e = failure("pools.yaml", MINIMAL.replace("\"*\":", "images:"));

            assertError(e, "pools.yaml", "routes.di.pools.images");
            assertThat(e.getMessage()).contains("document, vision, long, code, json, reason, flash, pro, embedding, *");
        }

        /** A provider id with '/' could not be told apart in targets. */
        @Test
        void providerIdWithSlash() {
            ConfigurationException e = failure("ids.yaml", MINIMAL.replace("  openai:\n", "  open/ai:\n"));

            assertError(e, "ids.yaml", "providers.open/ai");
        }

        /** An empty file has no providers. */
        @Test
        void emptyFile() {
            ConfigurationException e = failure("empty.yaml", "# nothing yet\n");

            assertError(e, "empty.yaml", "providers");
            assertThat(e.getMessage()).contains("no providers");
        }

        /** Providers without routes cannot serve anything. */
        @Test
        void noRoutes() {
            ConfigurationException e = failure("routes.yaml", MINIMAL.substring(0, MINIMAL.indexOf("routes:")));

            assertError(e, "routes.yaml", "routes");
            assertThat(e.getMessage()).contains("no routes");
        }

        /** A configuration built in code gets the same checks, reported against "builder". */
        @Test
        void builderConfigValidated() {
            RouterConfig config = new RouterConfig(
                    Map.of("openai", ProviderSpec.builder("openai", "openai").model(ModelSpec.of("gpt-4o-mini")).build()),
                    Map.of("di", RouteConfig.builder("di").pool("code", PoolConfig.of("fastest", "openai/gpt-4o-mini"))
                            .build()),
                    null);

            ConfigurationException e = catchThrowableOfType(ConfigurationException.class,
                    () -> ConfigLoader.validate(config, "builder", FakePlugins.INSTANCE));

            assertError(e, "builder", "routes.di.pools.code.policy");
            assertThat(e.getMessage()).contains("'fastest'").contains("priority, cost, latency, weighted");
        }

        /** Options a plugin does not declare are refused also when set in code. */
        @Test
        void builderOptionsChecked() {
            RouterConfig config = new RouterConfig(
                    Map.of("local", ProviderSpec.builder("local", "mock").option("fial", true)
                            .model(ModelSpec.of("echo")).build()),
                    Map.of("di", RouteConfig.builder("di").pool("*", PoolConfig.of("priority", "local/echo")).build()),
                    null);

            ConfigurationException e = catchThrowableOfType(ConfigurationException.class,
                    () -> ConfigLoader.validate(config, "builder", FakePlugins.INSTANCE));

            assertError(e, "builder", "providers.local.fial");
            assertThat(e.getMessage()).contains("fail, fail_first, latency_ms");
        }
    }

    @Nested
    class Secrets {

        /** An api_key of the wrong type is reported without its value. */
        @Test
        void apiKeyOfWrongTypeNotShown() {
            for (String value : List.of("[sk-live-secret-123]", "{ sk-live-secret-123: x }", "12345678901")) {
                ConfigurationException e = failure("secret.yaml", MINIMAL.replace("sk-live-secret-123", value));

                assertError(e, "secret.yaml", "providers.openai.api_key");
                assertThat(e.getMessage()).contains("expected a string")
                        .doesNotContain("sk-live-secret-123").doesNotContain("12345678901");
            }
        }

        /** A header value of the wrong type is reported without its value. */
        @Test
        void headerValueNotShown() {
            ConfigurationException e = failure("secret.yaml", MINIMAL.replace("api_key: sk-live-secret-123",
                    "headers: { X-Key: [sk-live-secret-123] }"));

            assertError(e, "secret.yaml", "providers.openai.headers.X-Key");
            assertThat(e.getMessage()).doesNotContain("sk-live-secret-123");
        }

        /** A substituted value in the wrong place is reported without the value. */
        @Test
        void substitutedValueNotShown() {
            ConfigurationException e = failure("secret.yaml", MINIMAL.replace("type: openai",
                    "type: openai\n    max_connections: ${OPENAI_API_KEY}"), Map.of("OPENAI_API_KEY", "sk-env-secret"));

            assertError(e, "secret.yaml", "providers.openai.max_connections");
            assertThat(e.getMessage()).contains("found a string (hidden)").doesNotContain("sk-env-secret");
        }

        /** A substituted target that names nothing is reported without the value. */
        @Test
        void substitutedTargetNotShown() {
            ConfigurationException e = failure("secret.yaml", MINIMAL.replace("[openai/gpt-4o-mini]",
                    "[\"${TARGET}\"]"), Map.of("TARGET", "openai/sk-env-secret"));

            assertError(e, "secret.yaml", "routes.di.pools.*.targets[0]");
            assertThat(e.getMessage()).doesNotContain("sk-env-secret");
        }

        /** A substituted value a parser refuses (a duration, a window, a scope) is reported without the value. */
        @Test
        void substitutedValuesParsersRefuseAreNotShown() {
            Map<String, String> env = Map.of("WAIT", "sk-env-secret", "WINDOW", "sk-env-window",
                    "SCOPE", "sk-env-scope", "SHORT", "7x");
            String budget = MINIMAL + "budgets:\n  - { scope: global, window: day, limit_usd: 1 }\n";
            for (String text : List.of(
                    MINIMAL + "    fallback: { max_retry_wait: \"${WAIT}\" }\n",
                    MINIMAL + "    fallback: { max_retry_wait: \"${SHORT}\" }\n",
                    budget.replace("window: day", "window: \"${WINDOW}\""),
                    budget.replace("scope: global", "scope: \"${SCOPE}\""))) {
                ConfigurationException e = failure("secret.yaml", text, env);

                assertThat(e.getMessage()).as(text).contains("(hidden)").doesNotContain("sk-env").doesNotContain("7x");
            }
        }

        /** A syntax error on the api_key line is located without quoting the line. */
        @Test
        void syntaxErrorDoesNotQuoteTheLine() {
            ConfigurationException e = failure("syntax.yaml", MINIMAL.replace("sk-live-secret-123",
                    "sk-live-secret-123: oops"));

            assertThat(e.getMessage()).contains("syntax.yaml").contains("not valid YAML at line 4")
                    .doesNotContain("sk-live-secret-123");
        }

        /** A JSON syntax error (that is no YAML either) does not quote the offending token. */
        @Test
        void jsonSyntaxErrorDoesNotQuoteTheToken() {
            ConfigurationException e = failure("syntax.json",
                    "{\"providers\": {\"openai\": {\"type\": \"openai\", \"api_key\": skLiveSecret123 ]}}}");

            assertThat(e.getMessage()).contains("syntax.json").contains("not valid JSON at line 1")
                    .doesNotContain("skLiveSecret123");
        }
    }

    private static RouterConfig parse(String source, String text) {
        return parse(source, text, ENV);
    }

    private static RouterConfig parse(String source, String text, Map<String, String> env) {
        return ConfigLoader.parse(source, text, env, FakePlugins.INSTANCE);
    }

    private static ConfigurationException failure(String source, String text) {
        return failure(source, text, ENV);
    }

    private static ConfigurationException failure(String source, String text, Map<String, String> env) {
        ConfigurationException e = catchThrowableOfType(ConfigurationException.class, () -> parse(source, text, env));
        assertThat(e).as("a ConfigurationException from %s", source).isNotNull();
        return e;
    }

    private static ConfigurationException loadFailure(Path file) {
        return catchThrowableOfType(ConfigurationException.class,
                () -> ConfigLoader.load(file, ENV, FakePlugins.INSTANCE));
    }

    /** The message names the source and the exact path, and the exception carries both. */
    private static void assertError(ConfigurationException e, String source, String path) {
        assertThat(e).isNotNull();
        assertThat(e.source()).isEqualTo(source);
        assertThat(e.path()).hasValue(path);
        assertThat(e.getMessage()).startsWith(source + ": " + path + ": ");
    }

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(ConfigLoaderTest.class.getResource("/config/" + name).toURI());
    }
}
