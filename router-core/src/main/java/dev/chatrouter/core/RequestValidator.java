package dev.chatrouter.core;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.embed.EmbeddingRequest;

import java.util.Map;

/**
 * Checks a request's fields before it is routed, so that a value out of range is the caller's error with
 * {@code param} naming the field, never an upstream's 400 without one. The ranges are OpenAI's:
 * {@code max_tokens} and {@code max_completion_tokens} at least 1, {@code temperature} 0 to 2, {@code top_p} 0 to
 * 1, {@code n} 1 to {@value #MAX_N}, {@code presence_penalty} and {@code frequency_penalty} -2 to 2,
 * {@code top_logprobs} 0 to 20, {@code logit_bias} values -100 to 100, at most {@value #MAX_STOP} {@code stop}
 * sequences; embeddings' {@code dimensions} at least 1. Any {@code seed} is allowed.
 */
final class RequestValidator {

    /** The most choices one request may ask for. */
    static final int MAX_N = 128;

    /** The most stop sequences one request may give. */
    static final int MAX_STOP = 4;

    private RequestValidator() {
    }

    /**
     * Checks a chat request.
     *
     * @throws ChatRouterException {@code missing_parameter} without messages, {@code invalid_parameter} for a value
     *                             out of range; {@code param} names the field
     */
    static void check(ChatRequest request) {
        if (request.messages().isEmpty()) {
            throw ChatRouterException.invalid(ErrorCode.MISSING_PARAMETER, "messages",
                    "messages must hold at least one message");
        }
        atLeast("max_tokens", request.maxTokens(), 1);
        atLeast("max_completion_tokens", request.maxCompletionTokens(), 1);
        between("temperature", request.temperature(), 0, 2);
        between("top_p", request.topP(), 0, 1);
        if (request.n() != null) {
            between("n", request.n().doubleValue(), 1, MAX_N);
        }
        between("presence_penalty", request.presencePenalty(), -2, 2);
        between("frequency_penalty", request.frequencyPenalty(), -2, 2);
        if (request.topLogprobs() != null) {
            between("top_logprobs", request.topLogprobs().doubleValue(), 0, 20);
        }
        if (request.stop() != null && request.stop().sequences().size() > MAX_STOP) {
            throw invalid("stop", "at most " + MAX_STOP + " sequences are allowed, found "
                    + request.stop().sequences().size());
        }
        Object bias = request.extra().get("logit_bias");
        if (bias != null) {
            if (!(bias instanceof Map<?, ?> entries)) {
                throw invalid("logit_bias", "expected an object mapping token ids to numbers");
            }
            for (Map.Entry<?, ?> e : entries.entrySet()) {
                String param = "logit_bias." + e.getKey();
                if (!(e.getValue() instanceof Number n)) {
                    throw invalid(param, "expected a number from -100 to 100");
                }
                between(param, n.doubleValue(), -100, 100);
            }
        }
    }

    /**
     * Checks an embeddings request.
     *
     * @throws ChatRouterException {@code missing_parameter} without input, {@code invalid_parameter} for
     *                             {@code dimensions} below 1
     */
    static void check(EmbeddingRequest request) {
        if (request.input().isEmpty()) {
            throw ChatRouterException.invalid(ErrorCode.MISSING_PARAMETER, "input", "input must not be empty");
        }
        atLeast("dimensions", request.dimensions(), 1);
    }

    private static void atLeast(String param, Integer value, int min) {
        if (value != null && value < min) {
            throw invalid(param, "expected an integer of at least " + min + ", found " + value);
        }
    }

    private static void between(String param, Double value, double min, double max) {
        // written so that NaN fails too
        if (value != null && !(value >= min && value <= max)) {
            throw invalid(param, "expected a number from " + number(min) + " to " + number(max) + ", found "
                    + number(value));
        }
    }

    private static String number(double value) {
        return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value)
                : Double.toString(value);
    }

    private static ChatRouterException invalid(String param, String detail) {
        return ChatRouterException.invalid(ErrorCode.INVALID_PARAMETER, param,
                "invalid parameter '" + param + "': " + detail);
    }
}
