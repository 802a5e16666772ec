package dev.chatrouter.http;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.config.PoolTarget;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.RouterConfig;
import dev.chatrouter.api.spi.ProviderSpec;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/** The configuration built from provider keys in the environment serves the model the client names. */
class DefaultConfigTest {

    static final Map<String, String> ENV = Map.of("OPENAI_API_KEY", "sk-openai-test", "ANTHROPIC_API_KEY",
            "sk-ant-test", "GROQ_API_KEY", "gsk-test", "OPENROUTER_API_KEY", "sk-or-test");

    private static List<String> targets(RouteConfig route) {
        return route.pools().get("*").targets().stream().map(PoolTarget::target).toList();
    }

    /**
     * Each known model id is a route whose pool tries that model first, then the others cheapest first; every
     * other id goes to the default route, cheapest first.
     */
    @Test
    void eachKnownModelIsARouteThatTriesItFirst() {
        RouterConfig config = DefaultConfig.fromEnvironment(ENV, type -> true).config();

        assertThat(config.routes().keySet()).containsExactly("gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5",
                "claude-haiku-4-5", "llama-3.3-70b-versatile", "llama-3.1-8b-instant", "openai/gpt-4o-mini",
                "default");
        assertThat(targets(config.routes().get("gpt-4o-mini"))).startsWith("openai/gpt-4o-mini",
                "groq/llama-3.1-8b-instant", "openrouter/openai/gpt-4o-mini").endsWith("anthropic/claude-sonnet-4-5");
        assertThat(targets(config.routes().get("claude-haiku-4-5")).get(0)).isEqualTo("anthropic/claude-haiku-4-5");
        assertThat(targets(config.routes().get("openai/gpt-4o-mini")).get(0))
                .isEqualTo("openrouter/openai/gpt-4o-mini");
        RouteConfig fallback = config.routes().get("default");
        assertThat(fallback.match()).containsExactly("*");
        assertThat(targets(fallback)).containsExactly("groq/llama-3.1-8b-instant", "openai/gpt-4o-mini",
                "openrouter/openai/gpt-4o-mini", "groq/llama-3.3-70b-versatile", "anthropic/claude-haiku-4-5",
                "openai/gpt-4o", "anthropic/claude-sonnet-4-5");
        assertThat(fallback.pools().get("flash").policy()).isEqualTo("cost");
        assertThat(config.defaultRoute()).isEqualTo("default");
    }

    /**
     * Over HTTP: with OpenAI and Groq keys (the upstreams a WireMock server), a gpt-4o-mini request is sent as
     * gpt-4o-mini, never to gpt-4o; a model nobody has goes to the cheapest target.
     */
    @Test
    void aNamedModelIsServedByThatModel() throws Exception {
        WireMockServer upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
        Vertx vertx = Vertx.vertx();
        ChatRouter router = null;
        ChatRouterServer server = null;
        try {
            upstream.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(200)
                    .withHeader("content-type", "application/json")
                    .withBody(TestServer.fixture("responses/di-chat-system-prompt.json"))));
            RouterConfig config = DefaultConfig.fromEnvironment(
                    Map.of("OPENAI_API_KEY", "sk-openai-test", "GROQ_API_KEY", "gsk-test"), type -> true).config();
            Map<String, ProviderSpec> local = new LinkedHashMap<>();
            config.providers().forEach((id, p) -> local.put(id, new ProviderSpec(p.id(), p.type(),
                    "http://127.0.0.1:" + upstream.port() + "/v1", p.apiKey(), p.headers(), p.timeouts(),
                    p.maxConnections(), p.limits(), p.models(), p.options())));
            router = ChatRouter.builder().service(Vertx.class, vertx).environment(Map.of())
                    .config(new RouterConfig(local, config.routes(), config.defaultRoute())).build();
            server = ChatRouterServer.start(vertx, router, ServerSettings.DEFAULTS.withPort(0), List.of(), 1)
                    .toCompletableFuture().get(10, TimeUnit.SECONDS);
            String url = "http://127.0.0.1:" + server.port() + "/v1/chat/completions";

            HttpResponse<String> mini = Http.post(url,
                    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}");
            assertThat(mini.statusCode()).isEqualTo(200);
            assertThat(mini.headers().firstValue("x-di-provider")).hasValue("openai");
            assertThat(mini.headers().firstValue("x-di-model")).hasValue("gpt-4o-mini");
            assertThat(sentModels(upstream)).containsExactly("gpt-4o-mini");

            upstream.resetRequests();
            HttpResponse<String> other = Http.post(url,
                    "{\"model\":\"some-other-model\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}");
            assertThat(other.statusCode()).isEqualTo(200);
            assertThat(other.headers().firstValue("x-di-model")).hasValue("llama-3.1-8b-instant");
            assertThat(sentModels(upstream)).containsExactly("llama-3.1-8b-instant");
        } finally {
            if (server != null) {
                server.shutdown().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
            if (router != null) {
                router.close();
            }
            vertx.close().await(10, TimeUnit.SECONDS);
            upstream.stop();
        }
    }

    private static List<String> sentModels(WireMockServer upstream) {
        return upstream.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions"))).stream()
                .map(r -> Http.json(r.getBodyAsString()).path("model").asText()).toList();
    }
}
