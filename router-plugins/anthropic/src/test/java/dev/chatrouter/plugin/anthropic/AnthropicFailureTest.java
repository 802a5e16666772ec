package dev.chatrouter.plugin.anthropic;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.ServerSocket;
import java.time.Duration;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static dev.chatrouter.plugin.anthropic.Upstream.MESSAGES;
import static dev.chatrouter.plugin.anthropic.Upstream.SONNET;
import static dev.chatrouter.plugin.anthropic.Upstream.call;
import static dev.chatrouter.plugin.anthropic.Upstream.failure;
import static dev.chatrouter.plugin.anthropic.Upstream.fixture;
import static dev.chatrouter.plugin.anthropic.Upstream.tree;
import static org.assertj.core.api.Assertions.assertThat;

/** How the anthropic plugin classifies Anthropic's error answers and transport failures into failure kinds. */
class AnthropicFailureTest {

    @RegisterExtension
    static final WireMockExtension wm = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort())
            .build();

    private static Upstream.TestContext context;

    @BeforeAll
    static void startVertx() {
        context = new Upstream.TestContext();
    }

    @AfterAll
    static void closeVertx() throws Exception {
        context.close();
    }

    private static ChatRequest hello() {
        return ChatRequest.builder().addMessage(Message.user("Hello")).build();
    }

    private static ProviderException chatFailure(String baseUrl) throws Exception {
        try (Provider provider = Upstream.provider(Upstream.spec(baseUrl).build(), context)) {
            return failure(provider.chat(call(SONNET, hello())));
        }
    }

    @ParameterizedTest(name = "{0} {1} is {2}")
    @CsvSource({
            "429, 429-rate-limit-error.json,      RATE_LIMIT",
            "529, 529-overloaded-error.json,      SERVER",
            "500, 500-api-error.json,             SERVER",
            "401, 401-authentication-error.json,  AUTH",
            "403, 403-permission-error.json,      AUTH",
            "400, 400-invalid-request-error.json, BAD_REQUEST",
            "400, 400-prompt-too-long.json,       CONTEXT_LENGTH",
            "404, 404-not-found-error.json,       BAD_REQUEST",
            "413, 413-request-too-large.json,     BAD_REQUEST"})
    void eachDocumentedErrorIsAFailureOfItsKindWithTheUpstreamsTypeAndMessage(int status, String file,
                                                                              FailureKind kind) throws Exception {
        String body = fixture("errors/" + file);
        wm.stubFor(post(MESSAGES).willReturn(aResponse().withStatus(status)
                .withHeader("Content-Type", "application/json").withBody(body)));

        ProviderException e = chatFailure(wm.baseUrl());

        assertThat(e.kind()).isEqualTo(kind);
        assertThat(e.status()).isEqualTo(status);
        assertThat(e.upstreamType()).contains(tree(body).path("error").path("type").asText());
        assertThat(e.getMessage()).isEqualTo(tree(body).path("error").path("message").asText());
    }

    @Test
    void aRateLimitCarriesTheRetryAfterDelay() throws Exception {
        wm.stubFor(post(MESSAGES).willReturn(aResponse().withStatus(429).withHeader("retry-after", "7")
                .withBody(fixture("errors/429-rate-limit-error.json"))));

        ProviderException e = chatFailure(wm.baseUrl());

        assertThat(e.kind()).isEqualTo(FailureKind.RATE_LIMIT);
        assertThat(e.retryAfter()).contains(Duration.ofSeconds(7));
    }

    @Test
    void anOverloadedAnswerKeepsItsRetryAfterWhenItSendsOne() throws Exception {
        wm.stubFor(post(MESSAGES).willReturn(aResponse().withStatus(529).withHeader("retry-after", "2")
                .withBody(fixture("errors/529-overloaded-error.json"))));

        ProviderException e = chatFailure(wm.baseUrl());

        assertThat(e.kind()).isEqualTo(FailureKind.SERVER);
        assertThat(e.retryAfter()).contains(Duration.ofSeconds(2));
    }

    @Test
    void aGatewayErrorPageThatIsNotJsonIsAServerFailureQuotingTheBody() throws Exception {
        wm.stubFor(post(MESSAGES).willReturn(aResponse().withStatus(502)
                .withBody("<html><body>502 Bad Gateway</body></html>")));

        ProviderException e = chatFailure(wm.baseUrl());

        assertThat(e.kind()).isEqualTo(FailureKind.SERVER);
        assertThat(e.upstreamType()).isEmpty();
        assertThat(e.getMessage()).isEqualTo("upstream answered HTTP 502: <html><body>502 Bad Gateway</body></html>");
    }

    @Test
    void anErrorObjectUnderA200IsClassifiedByItsType() throws Exception {
        Upstream.answer(wm, fixture("errors/529-overloaded-error.json"));

        ProviderException e = chatFailure(wm.baseUrl());

        assertThat(e.kind()).isEqualTo(FailureKind.SERVER);
        assertThat(e.upstreamType()).contains("overloaded_error");
    }

    @Test
    void anAnswerThatIsNotAMessageIsAServerFailure() throws Exception {
        Upstream.answer(wm, "[1, 2, 3]");

        ProviderException e = chatFailure(wm.baseUrl());

        assertThat(e.kind()).isEqualTo(FailureKind.SERVER);
        assertThat(e.getMessage()).startsWith("unreadable upstream answer");
    }

    @Test
    void aRefusedConnectionIsAConnectionFailure() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }

        ProviderException e = chatFailure("http://127.0.0.1:" + port);

        assertThat(e.kind()).isEqualTo(FailureKind.CONNECTION);
        assertThat(e.status()).isZero();
    }
}
