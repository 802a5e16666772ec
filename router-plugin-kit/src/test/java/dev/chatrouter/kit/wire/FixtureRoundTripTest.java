package dev.chatrouter.kit.wire;

import dev.chatrouter.api.ModelInfo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static dev.chatrouter.kit.wire.JsonTrees.assertSameJson;
import static org.assertj.core.api.Assertions.assertThat;

/** Every fixture decodes to the records and encodes back to the same JSON tree. */
class FixtureRoundTripTest {

    static Path fixtures(String dir) {
        try {
            return Path.of(FixtureRoundTripTest.class.getResource("/fixtures").toURI()).resolve(dir);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Stream<Path> files(String dir, String suffix) {
        try {
            List<Path> files;
            try (Stream<Path> list = Files.list(fixtures(dir))) {
                files = list.filter(p -> p.toString().endsWith(suffix)).sorted().toList();
            }
            assertThat(files).as("fixtures in %s", dir).isNotEmpty();
            return files.stream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Stream<Path> requests() {
        return files("requests", ".json");
    }

    static Stream<Path> responses() {
        return files("responses", ".json");
    }

    static Stream<Path> chunks() {
        return files("chunks", ".jsonl");
    }

    static Stream<Path> sse() {
        return files("sse", ".sse");
    }

    static Stream<Path> embeddingRequests() {
        return files("embeddings/requests", ".json");
    }

    static Stream<Path> embeddingResponses() {
        return files("embeddings/responses", ".json");
    }

    static Stream<Path> errors() {
        return files("errors", ".json");
    }

    static Stream<Path> models() {
        return files("models", ".json");
    }

    static byte[] bytes(Path file) throws IOException {
        return Files.readAllBytes(file);
    }

    static List<String> lines(Path file) throws IOException {
        return Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(l -> !l.isBlank()).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("requests")
    void chatRequestRoundTrips(Path file) throws IOException {
        byte[] json = bytes(file);
        assertSameJson(WireCodec.writeChatRequest(WireCodec.readChatRequest(json)), json);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("responses")
    void chatResponseRoundTrips(Path file) throws IOException {
        byte[] json = bytes(file);
        assertSameJson(WireCodec.writeChatResponse(WireCodec.readChatResponse(json)), json);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("chunks")
    void everyChunkRoundTrips(Path file) throws IOException {
        for (String line : lines(file)) {
            byte[] json = line.getBytes(StandardCharsets.UTF_8);
            assertSameJson(WireCodec.writeChatChunk(WireCodec.readChatChunk(json)), json);
            assertSameJson(WireCodec.writeChatChunk(WireCodec.readChatChunk(line)), json);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("embeddingRequests")
    void embeddingRequestRoundTrips(Path file) throws IOException {
        byte[] json = bytes(file);
        assertSameJson(WireCodec.writeEmbeddingRequest(WireCodec.readEmbeddingRequest(json)), json);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("embeddingResponses")
    void embeddingResponseRoundTrips(Path file) throws IOException {
        byte[] json = bytes(file);
        assertSameJson(WireCodec.writeEmbeddingResponse(WireCodec.readEmbeddingResponse(json)), json);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("errors")
    void errorRoundTrips(Path file) throws IOException {
        byte[] json = bytes(file);
        UpstreamError error = WireCodec.readError(json);
        assertThat(error).isNotNull();
        assertSameJson(WireCodec.writeError(error.message(), error.type(), error.param(), error.code(), null), json);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void modelListRoundTrips(Path file) throws IOException {
        byte[] json = bytes(file);
        List<ModelInfo> models = WireCodec.readModels(json);
        assertSameJson(WireCodec.writeModels(models), json);
        for (int i = 0; i < models.size(); i++) {
            assertSameJson(WireCodec.writeModel(models.get(i)),
                    Json.write(JsonTrees.tree(json).get("data").get(i)));
        }
    }

    /** Fed in random fragments (1-byte ones included), a stream gives exactly its chunk lines, then [DONE]. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("sse")
    void sseStreamGivesTheChunks(Path file) throws IOException {
        byte[] stream = bytes(file);
        String name = file.getFileName().toString().replace(".sse", ".jsonl");
        Path jsonl = fixtures("chunks").resolve(name);
        List<String> expected = new ArrayList<>(Files.exists(jsonl) ? lines(jsonl) : List.of());
        expected.add("[DONE]");
        for (long seed = 0; seed < 20; seed++) {
            Random random = new Random(seed);
            List<String> data = new ArrayList<>();
            SseParser parser = new SseParser(event -> data.add(event.data()));
            int maxFragment = seed == 0 ? 1 : 1 + random.nextInt(64);
            for (int i = 0; i < stream.length; ) {
                int n = Math.min(stream.length - i, 1 + random.nextInt(maxFragment));
                parser.feed(stream, i, n);
                i += n;
            }
            parser.end();
            assertThat(data).as("seed %d", seed).containsExactlyElementsOf(expected);
            assertThat(parser.hasPartialEvent()).isFalse();
        }
        for (int i = 0; i < expected.size() - 1; i++) {
            // every event re-encodes as the same SSE bytes the fixture carries
            byte[] line = expected.get(i).getBytes(StandardCharsets.UTF_8);
            assertThat(new String(stream, StandardCharsets.UTF_8))
                    .contains(new String(WireCodec.sseData(line), StandardCharsets.UTF_8));
        }
        assertThat(new String(stream, StandardCharsets.UTF_8))
                .endsWith(new String(WireCodec.SSE_DONE, StandardCharsets.US_ASCII));
    }
}
