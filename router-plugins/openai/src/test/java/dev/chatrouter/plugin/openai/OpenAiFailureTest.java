package dev.chatrouter.plugin.openai;

import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderCall;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.api.spi.Timeouts;
import dev.chatrouter.core.testing.TestSubscriber;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static dev.chatrouter.plugin.openai.Upstreams.WAIT;
import static dev.chatrouter.plugin.openai.Upstreams.call;
import static dev.chatrouter.plugin.openai.Upstreams.failure;
import static dev.chatrouter.plugin.openai.Upstreams.fixture;
import static dev.chatrouter.plugin.openai.Upstreams.hello;
import static dev.chatrouter.plugin.openai.Upstreams.spec;
import static org.assertj.core.api.Assertions.assertThat;

/** Every way an OpenAI-compatible upstream fails, classified into the failure kinds of docs/routing.md#fallback. */
class OpenAiFailureTest {

    private static final String CHAT = "/v1/chat/completions";

    @RegisterExtension
    static final WireMockExtension wm = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort())
            .build();

    private static Upstreams.TestContext context;
    private final List<Provider> providers = new ArrayList<>();

    @BeforeAll
    static void startVertx() {
        context = new Upstreams.TestContext();
    }

    @AfterAll
    static void closeVertx() throws Exception {
        context.close();
    }

    @AfterEach
    void closeProviders() {
        providers.forEach(Provider::close);
    }

    private Provider provider(ProviderSpec.Builder spec) {
        Provider provider = Upstreams.provider(spec.build(), context);
        providers.add(provider);
        return provider;
    }

    private Provider provider() {
        return provider(spec(wm.baseUrl() + "/v1"));
    }

    private static void answer(int status, String body) {
        wm.stubFor(post(CHAT).willReturn(aResponse().withStatus(status)
                .withHeader("Content-Type", "application/json").withBody(body)));
    }

    private static void answerStream(String sse) {
        wm.stubFor(post(CHAT).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/event-stream").withBody(sse)));
    }

    private ProviderException chatFailure() throws Exception {
        return failure(provider().chat(call(hello().build())));
    }

    /** Streams from {@code provider} and returns the subscriber once the stream ended, which it must have with an error. */
    private static TestSubscriber<ChatChunk> failedStream(Provider provider) {
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        provider.stream(call(hello().build())).subscribe(subscriber);
        subscriber.awaitDone(WAIT);
        assertThat(subscriber.completed()).as("completed normally").isFalse();
        assertThat(subscriber.error()).isInstanceOf(ProviderException.class);
        assertThat(subscriber.terminalSignals()).isEqualTo(1);
        return subscriber;
    }

    private static ProviderException streamFailure(Provider provider) {
        return (ProviderException) failedStream(provider).error();
    }

    private static String chunk(String content) {
        return "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + content + "\"},\"finish_reason\":null}]}\n\n";
    }

    @Test
    void rateLimitCarriesRetryAfterSeconds() throws Exception {
        wm.stubFor(post(CHAT).willReturn(aResponse().withStatus(429).withHeader("Retry-After", "7")
                .withBody(fixture("errors/status-429-rate-limit-exceeded.json"))));

        ProviderException e = chatFailure();

        assertThat(e.kind()).isEqualTo(FailureKind.RATE_LIMIT);
        assertThat(e.status()).isEqualTo(429);
        assertThat(e.retryAfter()).contains(Duration.ofSeconds(7));
        assertThat(e.upstreamCode()).contains("rate_limit_exceeded");
        assertThat(e.getMessage()).startsWith("Rate limit reached for gpt-5.5-mini");
    }

    @Test
    void rateLimitPrefersRetryAfterMs() throws Exception {
        wm.stubFor(post(CHAT).willReturn(aResponse().withStatus(429).withHeader("retry-after-ms", "1500")
                .withHeader("Retry-After", "2").withBody(fixture("errors/status-429-rate-limit-exceeded.json"))));

        ProviderException e = chatFailure();

        assertThat(e.kind()).isEqualTo(FailureKind.RATE_LIMIT);
        assertThat(e.retryAfter()).contains(Duration.ofMillis(1500));
    }

    @Test
    void rateLimitedStreamCarriesRetryAfterToo() {
        wm.stubFor(post(CHAT).willReturn(aResponse().withStatus(429).withHeader("Retry-After", "3")
                .withBody(fixture("errors/status-429-rate-limit-exceeded.json"))));

        ProviderException e = streamFailure(provider());

        assertThat(e.kind()).isEqualTo(FailureKind.RATE_LIMIT);
        assertThat(e.status()).isEqualTo(429);
        assertThat(e.retryAfter()).contains(Duration.ofSeconds(3));
    }

    @ParameterizedTest
    @ValueSource(ints = {500, 502, 503})
    void fiveHundredsAreServerFailures(int status) throws Exception {
        answer(status, fixture("errors/status-500-server-error.json"));

        ProviderException e = chatFailure();

        assertThat(e.kind()).isEqualTo(FailureKind.SERVER);
        assertThat(e.status()).isEqualTo(status);
        assertThat(e.getMessage()).isEqualTo("The server had an error while processing your request. Sorry about that!");
    }

    @Test
    void fiveHundredWithAnHtmlBodyKeepsASnippetAsTheMessage() throws Exception {
        wm.stubFor(post(CHAT).willReturn(aResponse().withStatus(502).withBody("<html>Bad Gateway</html>")));

        ProviderException e = chatFailure();

        assertThat(e.kind()).isEqualTo(FailureKind.SERVER);
        assertThat(e.getMessage()).contains("502").contains("Bad Gateway");
    }

    @ParameterizedTest
    @ValueSource(strings = {"errors/status-401-invalid-api-key.json", "errors/status-403-model-not-allowed.json"})
    void unauthorizedAndForbiddenAreAuthFailures(String fixture) throws Exception {
        int status = fixture.contains("401") ? 401 : 403;
        answer(status, fixture(fixture));

        ProviderException e = chatFailure();

        assertThat(e.kind()).isEqualTo(FailureKind.AUTH);
        assertThat(e.status()).isEqualTo(status);
        assertThat(e.getMessage()).doesNotContain(Upstreams.API_KEY);
    }

    @Test
    void badRequestCarriesTheUpstreamsMessage() throws Exception {
        answer(400, fixture("errors/compat-missing-model-parameter.json"));

        ProviderException e = chatFailure();

        assertThat(e.kind()).isEqualTo(FailureKind.BAD_REQUEST);
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.getMessage()).isEqualTo("Invalid request: missing required parameter 'model'");
        assertThat(e.upstreamType()).contains("invalid_request_error");
        assertThat(e.upstreamCode()).contains("missing_parameter");
    }

    @Test
    void contextLengthExceededIsItsOwnKind() throws Exception {
        answer(400, fixture("errors/status-400-context-length-exceeded.json"));

        ProviderException e = chatFailure();

        assertThat(e.kind()).isEqualTo(FailureKind.CONTEXT_LENGTH);
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.upstreamCode()).contains("context_length_exceeded");
    }

    @Test
    void contentFilterIsItsOwnKind() throws Exception {
        answer(400, """
                {"error": {"message": "The response was filtered due to the prompt triggering Azure OpenAI's \
                content management policy.", "type": null, "param": "prompt", "code": "content_filter"}}""");

        ProviderException e = chatFailure();

        assertThat(e.kind()).isEqualTo(FailureKind.CONTENT_FILTER);
        assertThat(e.status()).isEqualTo(400);
    }

    @Test
    void refusedConnectionIsAConnectionFailure() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Provider provider = provider(spec("http://127.0.0.1:" + port + "/v1"));

        ProviderException chat = failure(provider.chat(call(hello().build())));
        ProviderException stream = streamFailure(provider);

        assertThat(chat.kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(chat.status()).isZero();
        assertThat(stream.kind()).isEqualTo(FailureKind.CONNECTION);
    }

    @ParameterizedTest
    @EnumSource(value = Fault.class, names = {"CONNECTION_RESET_BY_PEER", "RANDOM_DATA_THEN_CLOSE"})
    void connectionBrokenMidResponseIsAConnectionFailure(Fault fault) throws Exception {
        wm.stubFor(post(CHAT).willReturn(aResponse().withFault(fault)));

        ProviderException chat = chatFailure();
        ProviderException stream = streamFailure(provider());

        assertThat(chat.kind()).as(chat.toString()).isEqualTo(FailureKind.CONNECTION);
        assertThat(chat.status()).isZero();
        assertThat(stream.kind()).as(stream.toString()).isEqualTo(FailureKind.CONNECTION);
    }

    @Test
    void answerSlowerThanTheTotalTimeoutIsATimeout() throws Exception {
        wm.stubFor(post(CHAT).willReturn(okJson(fixture("responses/di-chat-system-prompt.json"))
                .withFixedDelay(3_000)));
        Provider provider = provider(spec(wm.baseUrl() + "/v1").timeouts(
                new Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofMillis(300))));
        long start = System.nanoTime();

        ProviderException e = failure(provider.chat(call(hello().build())));

        assertThat(e.kind()).isEqualTo(FailureKind.TIMEOUT);
        assertThat(e.status()).isZero();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2_500));
    }

    @Test
    void aDeadlineAlreadyPassedFailsWithTimeoutWithoutCallingTheUpstream() throws Exception {
        Provider provider = provider();
        ProviderCall late = new ProviderCall("req-1", ModelSpec.of(Upstreams.MODEL), hello().build(),
                Instant.now().minusSeconds(1));

        ProviderException chat = failure(provider.chat(late));
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        provider.stream(late).subscribe(subscriber);
        subscriber.awaitDone(WAIT);

        assertThat(chat.kind()).isEqualTo(FailureKind.TIMEOUT);
        assertThat(subscriber.error()).isInstanceOfSatisfying(ProviderException.class,
                e -> assertThat(e.kind()).isEqualTo(FailureKind.TIMEOUT));
        assertThat(wm.getAllServeEvents()).isEmpty();
    }

    @Test
    void slowFirstTokenOnAStreamIsATimeout() throws Exception {
        try (RawUpstream upstream = new RawUpstream()) {
            Provider provider = provider(spec(upstream.baseUrl()).timeouts(
                    new Timeouts(Duration.ofSeconds(1), Duration.ofMillis(300), Duration.ofSeconds(10))));
            TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
            provider.stream(call(hello().build())).subscribe(subscriber);

            try (RawUpstream.Exchange exchange = upstream.accept()) {
                // The head and a keep-alive comment arrive at once; no token ever does.
                exchange.startEventStream().send(": keep-alive\n\n");
                subscriber.awaitDone(WAIT);

                assertThat(subscriber.items()).isEmpty();
                assertThat(subscriber.error()).isInstanceOfSatisfying(ProviderException.class, e -> {
                    assertThat(e.kind()).isEqualTo(FailureKind.TIMEOUT);
                    assertThat(e.getMessage()).contains("first token");
                });
                assertThat(exchange.closedByClientWithin(Duration.ofSeconds(2))).isTrue();
            }
        }
    }

    @Test
    void streamClosedBeforeDoneIsATruncatedServerFailureAfterTheChunksReceived() {
        answerStream(chunk("Hel") + chunk("lo"));

        TestSubscriber<ChatChunk> subscriber = failedStream(provider());

        assertThat(subscriber.items()).extracting(c -> c.choices().get(0).delta().content())
                .containsExactly("Hel", "lo");
        ProviderException e = (ProviderException) subscriber.error();
        assertThat(e.kind()).isEqualTo(FailureKind.SERVER);
        assertThat(e.getMessage()).contains("ended before it was complete");
    }

    @Test
    void malformedJsonBodyIsAServerFailure() throws Exception {
        answer(200, "{\"id\": \"chatcmpl-1\", \"choices\": [");

        ProviderException e = chatFailure();

        assertThat(e.kind()).isEqualTo(FailureKind.SERVER);
        assertThat(e.status()).isZero();
    }

    @Test
    void malformedStreamDataIsAServerFailure() {
        answerStream(chunk("Hel") + "data: {\"id\": \"c1\", \"choices\": [{\"delta\": \n\n" + chunk("lo")
                + "data: [DONE]\n\n");

        TestSubscriber<ChatChunk> subscriber = failedStream(provider());

        ProviderException e = (ProviderException) subscriber.error();
        assertThat(e.kind()).isEqualTo(FailureKind.SERVER);
        assertThat(e.getMessage()).contains("malformed stream event");
        assertThat(subscriber.items()).extracting(c -> c.choices().get(0).delta().content()).doesNotContain("lo");
    }

    @Test
    void errorObjectInsideAStreamFailsItWithTheUpstreamsMessage() {
        answerStream(chunk("Hel") + """
                data: {"error": {"message": "The server had an error while processing your request.", \
                "type": "server_error", "param": null, "code": null}}

                data: [DONE]

                """);

        TestSubscriber<ChatChunk> subscriber = failedStream(provider());

        ProviderException e = (ProviderException) subscriber.error();
        assertThat(e.kind()).isEqualTo(FailureKind.SERVER);
        assertThat(e.getMessage()).isEqualTo("The server had an error while processing your request.");
        assertThat(e.upstreamType()).contains("server_error");
    }

    @Test
    void rateLimitErrorObjectInsideAStreamIsARateLimit() {
        answerStream("data: {\"error\": " + Upstreams.tree(fixture("errors/status-429-rate-limit-exceeded.json"))
                .get("error") + "}\n\n");

        ProviderException e = streamFailure(provider());

        assertThat(e.kind()).isEqualTo(FailureKind.RATE_LIMIT);
        assertThat(e.upstreamCode()).contains("rate_limit_exceeded");
    }
}
