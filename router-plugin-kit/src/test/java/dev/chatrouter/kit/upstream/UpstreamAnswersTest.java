package dev.chatrouter.kit.upstream;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.ProviderContext;
import dev.chatrouter.api.spi.ProviderSpec;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Answers read whole: an answer's headers, read after the connection has carried other answers, are still that
 * answer's, and a body that comes in many chunks is read whole.
 */
class UpstreamAnswersTest {

    @RegisterExtension
    static final WireMockExtension wm = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort())
            .build();

    private static Vertx vertx;
    private static UpstreamClient client;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        ProviderContext context = new VertxContext(vertx, Clock.systemUTC());
        // one connection: the second answer comes on the connection of the first
        ProviderSpec spec = ProviderSpec.builder("up", "openai").baseUrl(wm.baseUrl()).apiKey("sk-test")
                .maxConnections(1).model(ModelSpec.of("m")).build();
        client = UpstreamClient.create(spec, context, (status, header, body) -> {
            throw new AssertionError("no error answer is expected, got " + status);
        });
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static UpstreamResponse answer(String path) throws Exception {
        return client.post(wm.baseUrl() + path, Map.of("content-type", "application/json"),
                "{}".getBytes(StandardCharsets.UTF_8), null).get(10, TimeUnit.SECONDS);
    }

    @Test
    void headersAreLowerCasedFirstValuesReadableAfterLaterAnswers() throws Exception {
        wm.stubFor(post(urlEqualTo("/one")).willReturn(aResponse().withStatus(200)
                .withHeader("X-Request-Id", "first").withHeader("OpenAI-Processing-Ms", "12")
                .withHeader("Set-Cookie", "a=1", "b=2").withBody("{\"n\":1}")));
        wm.stubFor(post(urlEqualTo("/two")).willReturn(aResponse().withStatus(200)
                .withHeader("X-Request-Id", "second").withBody("{\"n\":2}")));

        UpstreamResponse first = answer("/one");
        UpstreamResponse second = answer("/two");

        assertThat(first.headers()).containsEntry("x-request-id", "first").containsEntry("openai-processing-ms", "12")
                .containsEntry("set-cookie", "a=1").doesNotContainKey("X-Request-Id");
        assertThat(second.headers()).containsEntry("x-request-id", "second").doesNotContainKey("openai-processing-ms");
        assertThat(new String(first.body(), StandardCharsets.UTF_8)).isEqualTo("{\"n\":1}");
        assertThatThrownBy(() -> first.headers().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void anAnswerThatComesInManyChunksIsReadWholeAndTheRequestIsSentAsItWas() throws Exception {
        String answer = "{\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                + "\"content\":\"" + "A long answer, sent a piece at a time. ".repeat(40) + "\"}}]}";
        wm.stubFor(post(urlEqualTo("/dribbled")).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "application/json").withBody(answer).withChunkedDribbleDelay(7, 140)));
        String request = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

        UpstreamResponse response = client.post(wm.baseUrl() + "/dribbled", Map.of("content-type",
                "application/json"), request.getBytes(StandardCharsets.UTF_8), null).get(10, TimeUnit.SECONDS);

        assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(answer);
        wm.verify(postRequestedFor(urlEqualTo("/dribbled")).withRequestBody(equalToJson(request)));
    }
}
