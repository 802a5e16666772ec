package dev.chatrouter.plugin.mock;

import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.embed.Embedding;
import dev.chatrouter.api.embed.EmbeddingRequest;
import dev.chatrouter.api.embed.EmbeddingResponse;
import dev.chatrouter.api.spi.ProviderException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Deterministic embeddings: for each text, a unit-length vector of {@code dimensions} values (default
 * {@value #DEFAULT_DIMENSIONS}) drawn from SHA-256 of the text in counter mode, so equal texts always get equal
 * vectors, on any JVM. {@code encoding_format: base64} gives the little-endian float32 bytes, as OpenAI does.
 * Prompt tokens are estimated at 4 characters each over all texts, rounded up.
 */
final class MockEmbeddings {

    static final int DEFAULT_DIMENSIONS = 8;
    private static final int MAX_DIMENSIONS = 65_536;

    private MockEmbeddings() {
    }

    /**
     * @throws ProviderException of kind {@code bad_request} (400) when {@code dimensions} is below 1 or above
     *                           {@value #MAX_DIMENSIONS}, or the encoding is neither {@code float} nor {@code base64}
     */
    static EmbeddingResponse embed(EmbeddingRequest request) {
        int dimensions = request.dimensions() == null ? DEFAULT_DIMENSIONS : request.dimensions();
        if (dimensions < 1 || dimensions > MAX_DIMENSIONS) {
            throw MockFailures.badRequest("dimensions must be between 1 and " + MAX_DIMENSIONS + " but was " + dimensions);
        }
        String encoding = request.encodingFormat() == null ? "float" : request.encodingFormat();
        if (!encoding.equals("float") && !encoding.equals("base64")) {
            throw MockFailures.badRequest("encoding_format must be float or base64 but was '" + encoding + "'");
        }
        List<Embedding> data = new ArrayList<>(request.input().size());
        long chars = 0;
        for (int i = 0; i < request.input().size(); i++) {
            String text = request.input().get(i);
            chars += text.length();
            double[] vector = vector(text, dimensions);
            data.add(encoding.equals("float")
                    ? new Embedding(i, Arrays.stream(vector).boxed().toList(), null, Map.of())
                    : new Embedding(i, null, base64(vector), Map.of()));
        }
        return new EmbeddingResponse("list", data, request.model(), Usage.of(MockCompletion.tokens(chars), 0),
                Map.of());
    }

    static double[] vector(String text, int dimensions) {
        MessageDigest sha256 = sha256();
        byte[] seed = text.getBytes(StandardCharsets.UTF_8);
        double[] vector = new double[dimensions];
        ByteBuffer block = ByteBuffer.allocate(0);
        for (int i = 0; i < dimensions; i++) {
            if (!block.hasRemaining()) {
                sha256.update(seed);
                sha256.update(ByteBuffer.allocate(Integer.BYTES).putInt(i / 8).array());
                block = ByteBuffer.wrap(sha256.digest());
            }
            vector[i] = block.getInt() / (double) Integer.MAX_VALUE;
        }
        double norm = Math.sqrt(Arrays.stream(vector).map(v -> v * v).sum());
        if (norm == 0) {
            vector[0] = 1; // all 32-bit draws were zero: never in practice, but the vector stays a unit vector
            return vector;
        }
        for (int i = 0; i < dimensions; i++) {
            vector[i] /= norm;
        }
        return vector;
    }

    private static String base64(double[] vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : vector) {
            bytes.putFloat((float) v);
        }
        return Base64.getEncoder().encodeToString(bytes.array());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
