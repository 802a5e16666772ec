package dev.chatrouter.core.cache;

import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.Choice;
import dev.chatrouter.api.chat.ChunkChoice;
import dev.chatrouter.api.chat.Delta;
import dev.chatrouter.api.chat.Role;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A cached stream keeps what the stream said: text, reasoning, log probabilities and the system fingerprint. */
class ChunkAssemblerTest {

    private static ChatChunk chunk(Delta delta, String finish, Object logprobs) {
        return new ChatChunk("chatcmpl-1", "chat.completion.chunk", 1_700_000_000L, "m",
                List.of(new ChunkChoice(0, delta, finish, logprobs, Map.of())), null, "fp_44709d6fcb",
                Map.of(), null);
    }

    private static Map<String, Object> token(String token, double logprob) {
        return Map.of("token", token, "logprob", logprob, "bytes", List.of(), "top_logprobs", List.of());
    }

    /** A chunk's logprobs as OpenAI sends them: the tokens of this chunk, and a null refusal. */
    private static Map<String, Object> logprobs(Map<String, Object> token) {
        Map<String, Object> logprobs = new java.util.LinkedHashMap<>();
        logprobs.put("content", List.of(token));
        logprobs.put("refusal", null);
        return logprobs;
    }

    /** The chunks of a reasoning model's stream, as DeepSeek and vLLM send them, with logprobs asked for. */
    private static List<ChatChunk> reasoningStream() {
        return List.of(
                chunk(new Delta(Role.ASSISTANT, null, null, null, Map.of("reasoning_content", "Two and ")), null,
                        null),
                chunk(new Delta(null, null, null, null, Map.of("reasoning_content", "two make four.")), null, null),
                chunk(new Delta(null, "Four", null, null, Map.of()), null, logprobs(token("Four", -0.01))),
                chunk(new Delta(null, ".", null, null, Map.of()), null, logprobs(token(".", -0.2))),
                chunk(new Delta(null, null, null, null, Map.of()), "stop", null));
    }

    /** Proves the assembled response holds the reasoning, the log probabilities and the fingerprint. */
    @Test
    void theAssembledResponseKeepsReasoningLogprobsAndFingerprint() {
        ChunkAssembler assembler = new ChunkAssembler();
        reasoningStream().forEach(assembler::add);

        ChatResponse response = assembler.response();

        assertThat(response.systemFingerprint()).isEqualTo("fp_44709d6fcb");
        Choice choice = response.choices().get(0);
        assertThat(choice.message().content().text()).isEqualTo("Four.");
        assertThat(choice.message().extra()).containsEntry("reasoning_content", "Two and two make four.");
        assertThat(choice.finishReason()).isEqualTo("stop");
        Map<String, Object> expected = logprobs(token("Four", -0.01));
        expected.put("content", List.of(token("Four", -0.01), token(".", -0.2)));
        assertThat(choice.logprobs()).isEqualTo(expected);
    }

    /** Proves a replayed stream says it all again: assembling the replay gives the same response. */
    @Test
    void aReplayedStreamAssemblesToTheSameResponse() {
        ChunkAssembler assembler = new ChunkAssembler();
        reasoningStream().forEach(assembler::add);
        ChatResponse response = assembler.response();

        List<ChatChunk> replay = ChunkAssembler.chunks(response, false);
        ChunkAssembler again = new ChunkAssembler();
        replay.forEach(again::add);

        assertThat(replay).allSatisfy(c -> assertThat(c.systemFingerprint()).isEqualTo("fp_44709d6fcb"));
        assertThat(again.response()).isEqualTo(response);
    }

    /**
     * Proves the fields a stream sends beside the choices are kept: OpenRouter's {@code provider} on every chunk and
     * OpenAI's {@code service_tier} are in the assembled response and on every replayed chunk, and OpenAI's
     * {@code obfuscation} (random padding, different on each chunk) is not.
     */
    @Test
    void theStreamsOwnFieldsAreKeptButNotItsPadding() {
        List<ChatChunk> stream = List.of(
                withExtra(chunk(new Delta(Role.ASSISTANT, "Hi", null, null, Map.of()), null, null), "x7Qp"),
                withExtra(chunk(new Delta(null, null, null, null, Map.of()), "stop", null), "a"));
        ChunkAssembler assembler = new ChunkAssembler();
        stream.forEach(assembler::add);

        ChatResponse response = assembler.response();
        assertThat(response.extra()).containsExactly(Map.entry("provider", "DeepInfra"));
        assertThat(response.serviceTier()).isEqualTo("default");

        List<ChatChunk> replay = ChunkAssembler.chunks(response, false);
        assertThat(replay).allSatisfy(c -> assertThat(c.extra())
                .containsExactlyInAnyOrderEntriesOf(Map.of("provider", "DeepInfra", "service_tier", "default")));
        ChunkAssembler again = new ChunkAssembler();
        replay.forEach(again::add);
        assertThat(again.response()).isEqualTo(response);
    }

    private static ChatChunk withExtra(ChatChunk chunk, String padding) {
        return new ChatChunk(chunk.id(), chunk.object(), chunk.created(), chunk.model(), chunk.choices(), null,
                chunk.systemFingerprint(), Map.of("provider", "DeepInfra", "service_tier", "default",
                "obfuscation", padding), null);
    }
}
