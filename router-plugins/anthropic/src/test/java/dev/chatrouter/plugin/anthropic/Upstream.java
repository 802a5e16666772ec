package dev.chatrouter.plugin.anthropic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderCall;
import dev.chatrouter.api.spi.ProviderContext;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.core.testing.TestSubscriber;
import io.vertx.core.Vertx;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * What the anthropic plugin's tests share: a Vert.x instance offered to the plugin as the router would offer its
 * own, two models (one with every capability, one with none of the optional ones), the documentation fixtures and
 * bounded waits.
 */
final class Upstream {

    /** The longest any test waits for one thing. */
    static final Duration WAIT = Duration.ofSeconds(5);
    static final String API_KEY = "sk-ant-test-0123";
    static final String MESSAGES = "/v1/messages";
    static final ObjectMapper JSON = new ObjectMapper();

    /** A model with every capability the plugin acts on: prompt_cache and reasoning among them. */
    static final ModelSpec SONNET = new ModelSpec("sonnet", "claude-sonnet-4-5", Price.FREE, 200_000, 64_000,
            Set.of(Capability.TOOLS, Capability.VISION, Capability.DOCUMENT, Capability.JSON_SCHEMA,
                    Capability.STREAMING, Capability.PROMPT_CACHE, Capability.REASONING));
    /** A model without prompt_cache or reasoning, whose output limit is 4096 tokens. */
    static final ModelSpec PLAIN = new ModelSpec("haiku-3", "claude-3-haiku-20240307", Price.FREE, 200_000, 4096,
            Set.of(Capability.TOOLS, Capability.STREAMING));

    private Upstream() {
    }

    /** A Vert.x instance the test owns. */
    static final class TestContext implements ProviderContext, AutoCloseable {
        final Vertx vertx = Vertx.vertx();

        @Override
        public Clock clock() {
            return Clock.systemUTC();
        }

        @Override
        public <T> Optional<T> service(Class<T> type) {
            return type == Vertx.class ? Optional.of(type.cast(vertx)) : Optional.empty();
        }

        @Override
        public void close() throws Exception {
            vertx.close().toCompletionStage().toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Provider {@code claude} of type anthropic at {@code baseUrl}, with both models. */
    static ProviderSpec.Builder spec(String baseUrl) {
        return ProviderSpec.builder("claude", "anthropic").baseUrl(baseUrl).apiKey(API_KEY).model(SONNET).model(PLAIN);
    }

    static Provider provider(ProviderSpec spec, ProviderContext context) {
        return new AnthropicProviderFactory().create(spec, context);
    }

    /** The call the router would make: the request's model is the target's upstream name. */
    static ProviderCall call(ModelSpec model, ChatRequest request) {
        return new ProviderCall("req-1", model, request.toBuilder().model(model.upstream()).build(), null);
    }

    static void answer(WireMockExtension wm, String json) {
        wm.stubFor(post(MESSAGES).willReturn(okJson(json)));
    }

    static void answerStream(WireMockExtension wm, String sse) {
        wm.stubFor(post(MESSAGES).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/event-stream").withBody(sse)));
    }

    static LoggedRequest onlyRequest(WireMockExtension wm) {
        List<LoggedRequest> requests = wm.findAll(postRequestedFor(urlEqualTo(MESSAGES)));
        assertThat(requests).hasSize(1);
        return requests.get(0);
    }

    static JsonNode sentBody(WireMockExtension wm) {
        return tree(onlyRequest(wm).getBodyAsString());
    }

    /** A file under {@code src/test/resources/anthropic}. */
    static String fixture(String path) {
        return resource("/anthropic/" + path);
    }

    /** A file of router-core's test fixtures ({@code /fixtures/...} in its test-jar). */
    static String coreFixture(String path) {
        return resource("/fixtures/" + path);
    }

    private static String resource(String path) {
        try (InputStream in = Upstream.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode tree(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static <T> T await(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Waits for a stage that must fail with a {@link ProviderException}, and returns it. */
    static ProviderException failure(CompletionStage<?> stage) throws Exception {
        try {
            Object value = stage.toCompletableFuture().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            return fail("expected a ProviderException but the call succeeded with " + value);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(ProviderException.class);
            return (ProviderException) e.getCause();
        }
    }

    /** Streams a call to its end and returns the subscriber, whatever the ending. */
    static TestSubscriber<ChatChunk> streamToEnd(Provider provider, ProviderCall call) {
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        provider.stream(call).subscribe(subscriber);
        return subscriber.awaitDone(WAIT);
    }

    /** Streams a call that must complete, and returns its chunks. */
    static List<ChatChunk> streamAll(Provider provider, ProviderCall call) {
        TestSubscriber<ChatChunk> subscriber = streamToEnd(provider, call);
        assertThat(subscriber.error()).isNull();
        assertThat(subscriber.completed()).isTrue();
        return subscriber.items();
    }

    /** Streams a call that must fail with a {@link ProviderException}, and returns it. */
    static ProviderException streamFailure(Provider provider, ProviderCall call) {
        TestSubscriber<ChatChunk> subscriber = streamToEnd(provider, call);
        assertThat(subscriber.completed()).isFalse();
        assertThat(subscriber.error()).isInstanceOf(ProviderException.class);
        return (ProviderException) subscriber.error();
    }
}
