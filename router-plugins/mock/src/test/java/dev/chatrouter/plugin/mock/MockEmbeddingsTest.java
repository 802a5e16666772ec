package dev.chatrouter.plugin.mock;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.embed.Embedding;
import dev.chatrouter.api.embed.EmbeddingRequest;
import dev.chatrouter.api.embed.EmbeddingResponse;
import dev.chatrouter.api.spi.EmbeddingCall;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderException;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static dev.chatrouter.plugin.mock.Fixtures.await;
import static dev.chatrouter.plugin.mock.Fixtures.failure;
import static dev.chatrouter.plugin.mock.Fixtures.provider;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class MockEmbeddingsTest {

    final Provider mock = provider();

    @Test
    void equalTextsGetEqualUnitVectorsOfEightValues() throws Exception {
        EmbeddingResponse response = await(mock.embed(call(EmbeddingRequest.of("embed",
                List.of("hello world", "goodbye", "hello world")))));
        EmbeddingResponse again = await(provider().embed(call(EmbeddingRequest.of("embed", "hello world"))));

        assertThat(response.object()).isEqualTo("list");
        assertThat(response.model()).isEqualTo("embed");
        assertThat(response.data()).extracting(Embedding::index).containsExactly(0, 1, 2);
        assertThat(response.data()).allSatisfy(embedding -> {
            assertThat(embedding.vector()).hasSize(8);
            assertThat(norm(embedding.vector())).isCloseTo(1.0, within(1e-12));
        });
        assertThat(response.data().get(0).vector()).isEqualTo(response.data().get(2).vector())
                .isEqualTo(again.data().get(0).vector())
                .isNotEqualTo(response.data().get(1).vector());
        // 11 + 7 + 11 = 29 characters: 8 tokens
        assertThat(response.usage()).isEqualTo(Usage.of(8, 0));
    }

    @Test
    void dimensionsSetTheVectorLength() throws Exception {
        EmbeddingRequest request = new EmbeddingRequest("embed", List.of("x"), true, null, 100, null, Map.of());

        List<Double> vector = await(mock.embed(call(request))).data().get(0).vector();

        assertThat(vector).hasSize(100);
        assertThat(norm(vector)).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void base64EncodingGivesTheSameVectorAsLittleEndianFloats() throws Exception {
        EmbeddingRequest floats = EmbeddingRequest.of("embed", "hello");
        EmbeddingRequest base64 = new EmbeddingRequest("embed", List.of("hello"), true, "base64", null, null, Map.of());

        List<Double> vector = await(mock.embed(call(floats))).data().get(0).vector();
        Embedding encoded = await(mock.embed(call(base64))).data().get(0);

        assertThat(encoded.vector()).isNull();
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(encoded.base64())).order(ByteOrder.LITTLE_ENDIAN);
        for (Double value : vector) {
            assertThat(bytes.getFloat()).isEqualTo(value.floatValue());
        }
        assertThat(bytes.hasRemaining()).isFalse();
    }

    @Test
    void unusableDimensionsAreABadRequest() throws Exception {
        EmbeddingRequest request = new EmbeddingRequest("embed", List.of("x"), true, null, 0, null, Map.of());

        assertThat(failure(mock.embed(call(request)))).isInstanceOfSatisfying(ProviderException.class, e -> {
            assertThat(e.kind()).isEqualTo(FailureKind.BAD_REQUEST);
            assertThat(e.getMessage()).contains("dimensions");
        });
    }

    static EmbeddingCall call(EmbeddingRequest request) {
        return new EmbeddingCall("req-1", ModelSpec.of("embed"), request, null);
    }

    static double norm(List<Double> vector) {
        return Math.sqrt(vector.stream().mapToDouble(v -> v * v).sum());
    }
}
