package dev.chatrouter.kit.upstream;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.ProviderContext;
import dev.chatrouter.api.spi.ProviderSpec;
import io.netty.buffer.Unpooled;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

/** Bodies sent and read whole without the copies nothing needs, and with every byte where it belongs. */
class BodiesTest {

    @RegisterExtension
    static final WireMockExtension wm = WireMockExtension.newInstance().options(wireMockConfig().dynamicPort())
            .build();

    private static Vertx vertx;
    private static UpstreamClient client;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        ProviderContext context = new ProviderContext() {
            @Override
            public Clock clock() {
                return Clock.systemUTC();
            }

            @Override
            public <T> Optional<T> service(Class<T> type) {
                return type == Vertx.class ? Optional.of(type.cast(vertx)) : Optional.empty();
            }
        };
        ProviderSpec spec = ProviderSpec.builder("up", "openai").baseUrl(wm.baseUrl()).apiKey("sk-test")
                .model(ModelSpec.of("m")).build();
        client = UpstreamClient.create(spec, context, (status, header, body) -> {
            throw new AssertionError("no error answer is expected, got " + status);
        });
    }

    @AfterAll
    static void stop() throws Exception {
        client.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void anAnswerThatComesInManyChunksIsReadWholeAndTheRequestIsSentAsItWas() throws Exception {
        String answer = "{\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                + "\"content\":\"" + "A long answer, sent a piece at a time. ".repeat(40) + "\"}}]}";
        wm.stubFor(post(urlEqualTo("/dribbled")).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "application/json").withBody(answer).withChunkedDribbleDelay(7, 140)));
        String request = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

        UpstreamResponse response = client.post(wm.baseUrl() + "/dribbled", Map.of("content-type",
                "application/json"), bytes(request), null).get(10, TimeUnit.SECONDS);

        assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(answer);
        wm.verify(postRequestedFor(urlEqualTo("/dribbled")).withRequestBody(equalToJson(request)));
    }

    @Test
    void aWrappedArrayIsSentAsItIsWithoutACopy() {
        byte[] body = bytes("{\"a\":1}");

        Buffer wrapped = Bodies.wrap(body);

        assertThat(wrapped.getBytes()).isEqualTo(body);
        assertThat(((BufferInternal) wrapped).unwrap().array()).isSameAs(body);
    }

    @Test
    void aBodyOfOneChunkIsThatChunksOwnArray() {
        byte[] only = bytes("{\"whole\":true}");
        Bodies.Whole body = new Bodies.Whole(only.length);

        body.append(Bodies.wrap(only));

        assertThat(body.length()).isEqualTo(only.length);
        assertThat(body.bytes()).isSameAs(only);
    }

    @Test
    void aChunkThatIsPartOfALargerArrayIsCopied() {
        byte[] larger = bytes("xx{\"part\":1}yy");
        Buffer slice = BufferInternal.buffer(Unpooled.wrappedBuffer(larger, 2, larger.length - 4));
        Bodies.Whole body = new Bodies.Whole(-1);

        body.append(slice);

        assertThat(body.bytes()).isEqualTo(bytes("{\"part\":1}")).isNotSameAs(larger);
    }

    @Test
    void aChunkWithRoomLeftInItsArrayIsCopied() {
        Buffer chunk = Buffer.buffer(64).appendString("{\"room\":1}");
        Bodies.Whole body = new Bodies.Whole(-1);

        body.append(chunk);

        assertThat(body.bytes()).isEqualTo(bytes("{\"room\":1}"));
    }

    @Test
    void chunksAreJoinedInOrderWhateverTheDeclaredLength() {
        for (long declared : new long[] {-1, 0, 3, 11, 1L << 40}) {
            Bodies.Whole body = new Bodies.Whole(declared);
            body.append(Buffer.buffer("{\"a\""));
            body.append(Buffer.buffer(":"));
            body.append(Buffer.buffer("[1,2]}"));

            assertThat(body.length()).isEqualTo(11);
            assertThat(new String(body.bytes(), StandardCharsets.UTF_8)).as("declared %d", declared)
                    .isEqualTo("{\"a\":[1,2]}");
        }
    }

    @Test
    void aBodyWithoutChunksIsEmpty() {
        assertThat(new Bodies.Whole(-1).bytes()).isEmpty();
    }

    @Test
    void aChunkIsReadInPlaceFromItsOffset() {
        byte[] larger = bytes("--data: x\n\n--");
        Buffer slice = BufferInternal.buffer(Unpooled.wrappedBuffer(larger, 2, larger.length - 4));
        ByteArrayOutputStream read = new ByteArrayOutputStream();

        Bodies.read(slice, (bytes, offset, length) -> {
            assertThat(bytes).isSameAs(larger);
            read.write(bytes, offset, length);
        });

        assertThat(read.toString(StandardCharsets.UTF_8)).isEqualTo("data: x\n\n");
    }
}
