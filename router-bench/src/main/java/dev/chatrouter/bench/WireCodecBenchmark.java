package dev.chatrouter.bench;

import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.http.surface.AnthropicMessages;
import dev.chatrouter.kit.wire.WireCodec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * What the HTTP server's wire work costs on each chat request it relays, step by step: reading the client's request
 * into the model, writing the upstream's request, reading the upstream's answer, writing the client's answer. The
 * bodies are the ones {@code router-bench/http} sends and its mock upstream answers (an answer, a stream's chunk), the
 * typical 2 KB request, and a 64 KB one.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class WireCodecBenchmark {

    /** The body {@code router-bench/http/chat-post.lua} posts. */
    static final String HTTP_BENCH_REQUEST = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\","
            + "\"content\":\"You are a helpful assistant.\"},{\"role\":\"user\",\"content\":\"Say hello in one short "
            + "sentence.\"}],\"max_tokens\":16,\"temperature\":0}";
    /** The answer {@code router-bench/http/mock-openai.mjs} gives. */
    static final String MOCK_ANSWER = "{\"id\":\"chatcmpl-mock-0001\",\"object\":\"chat.completion\","
            + "\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_mock\",\"choices\":[{"
            + "\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello! This is a fixed reply from the "
            + "mock upstream.\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{"
            + "\"prompt_tokens\":12,\"completion_tokens\":11,\"total_tokens\":23}}";
    /** One content chunk of the mock's streams (each stream has eight events). */
    static final String MOCK_CHUNK = "{\"id\":\"chatcmpl-mock-0001\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"system_fingerprint\":\"fp_mock\",\"choices\":[{"
            + "\"index\":0,\"delta\":{\"content\":\"tok1 \"},\"logprobs\":null,\"finish_reason\":null}]}";

    private byte[] smallRequestBytes;
    private ChatRequest smallRequest;
    private byte[] typicalRequestBytes;
    private byte[] claudeCodeTurnBytes;
    private ChatRequest typicalRequest;
    private byte[] chunkBytes;
    private ChatChunk chunk;
    private final ByteArrayOutputStream events = new ByteArrayOutputStream(1024);
    private byte[] longRequestBytes;
    private ChatRequest longRequest;
    private byte[] answerBytes;
    private ChatResponse answer;

    @Setup
    public void setUp() {
        smallRequestBytes = HTTP_BENCH_REQUEST.getBytes(StandardCharsets.UTF_8);
        smallRequest = WireCodec.readChatRequest(smallRequestBytes);
        typicalRequest = Requests.typical2Kb();
        typicalRequestBytes = WireCodec.writeChatRequest(typicalRequest);
        claudeCodeTurnBytes = Requests.claudeCodeTurn();
        longRequest = Requests.prompt(64 * 1024);
        longRequestBytes = WireCodec.writeChatRequest(longRequest);
        answerBytes = MOCK_ANSWER.getBytes(StandardCharsets.UTF_8);
        answer = WireCodec.readChatResponse(answerBytes);
        chunkBytes = MOCK_CHUNK.getBytes(StandardCharsets.UTF_8);
        chunk = WireCodec.readChatChunk(chunkBytes);
    }

    /** The client's request, read (the HTTP bench's body). */
    @Benchmark
    public ChatRequest readSmallRequest() {
        return WireCodec.readChatRequest(smallRequestBytes);
    }

    /** The upstream's request, written (the HTTP bench's body). */
    @Benchmark
    public byte[] writeSmallRequest() {
        return WireCodec.writeChatRequest(smallRequest);
    }

    /** The client's request, read (the typical 2 KB request). */
    @Benchmark
    public ChatRequest readTypicalRequest() {
        return WireCodec.readChatRequest(typicalRequestBytes);
    }

    /** A Claude Code turn's Messages request, read by the Messages surface (90 KB, twelve tools). */
    @Benchmark
    public ChatRequest readClaudeCodeTurn() {
        return AnthropicMessages.readRequest(claudeCodeTurnBytes, false);
    }

    /** The upstream's request, written (the typical 2 KB request). */
    @Benchmark
    public byte[] writeTypicalRequest() {
        return WireCodec.writeChatRequest(typicalRequest);
    }

    /** The client's request, read (a 64 KB request, the size a coding agent's turn often is). */
    @Benchmark
    public ChatRequest readLongRequest() {
        return WireCodec.readChatRequest(longRequestBytes);
    }

    /** The upstream's request, written (a 64 KB request). */
    @Benchmark
    public byte[] writeLongRequest() {
        return WireCodec.writeChatRequest(longRequest);
    }

    /** The upstream's answer, read (the mock's). */
    @Benchmark
    public ChatResponse readAnswer() {
        return WireCodec.readChatResponse(answerBytes);
    }

    /** The client's answer, written (the mock's, with its cost). */
    @Benchmark
    public byte[] writeAnswer() {
        return WireCodec.writeChatResponse(answer);
    }

    /** One upstream stream chunk, read (the mock's). */
    @Benchmark
    public ChatChunk readChunk() {
        return WireCodec.readChatChunk(chunkBytes);
    }

    /** One stream chunk, written as the client's Server-Sent Event. */
    @Benchmark
    public int writeChunk() {
        events.reset();
        WireCodec.writeSseChunk(chunk, events);
        return events.size();
    }
}
