package dev.chatrouter.core.classify;

import dev.chatrouter.api.Effort;
import dev.chatrouter.api.chat.ChatRequest;

import java.util.Locale;
import java.util.Map;

/**
 * Finds a request's effort (docs/routing.md#effort), first found wins: the caller's context (the {@code X-DI-Effort}
 * header or {@code ?effort=} query in HTTP mode, which the HTTP module puts there in that order); then
 * {@code reasoning_effort} or {@code reasoning.effort}; then Anthropic's {@code thinking.budget_tokens}; then a
 * model suffix ({@code di@high}, {@code di:fast}); else {@code auto}. Values that are not efforts are skipped.
 *
 * <p>Thinking budgets map to efforts as: up to 1,024 tokens {@code low}, up to 8,192 {@code medium}, up to
 * 32,768 {@code high}, above that {@code max}.
 */
public final class EffortResolver {

    private EffortResolver() {
    }

    /**
     * The effort and where it came from, and the model id with any effort suffix removed.
     *
     * @param effort      the effort
     * @param source      {@code context}, {@code reasoning_effort}, {@code reasoning.effort}, {@code thinking},
     *                    {@code model_suffix} or {@code default}
     * @param routedModel the model id to match routes with
     */
    public record Resolved(Effort effort, String source, String routedModel) {
    }

    public static Resolved resolve(String model, Effort fromContext, ChatRequest request) {
        Effort suffix = suffix(model);
        String routed = suffix == null ? model : model.substring(0, suffixAt(model));
        if (fromContext != null) {
            return new Resolved(fromContext, "context", routed);
        }
        if (request != null) {
            Effort e = parse(request.reasoningEffort());
            if (e != null) {
                return new Resolved(e, "reasoning_effort", routed);
            }
            if (request.extra().get("reasoning") instanceof Map<?, ?> reasoning) {
                e = parse(reasoning.get("effort"));
                if (e != null) {
                    return new Resolved(e, "reasoning.effort", routed);
                }
            }
            if (request.extra().get("thinking") instanceof Map<?, ?> thinking
                    && thinking.get("budget_tokens") instanceof Number budget) {
                return new Resolved(ofThinkingBudget(budget.longValue()), "thinking", routed);
            }
        }
        if (suffix != null) {
            return new Resolved(suffix, "model_suffix", routed);
        }
        return new Resolved(Effort.AUTO, "default", routed);
    }

    /** The model id with its effort suffix ({@code di@high}, {@code di:fast}) removed, if it has one. */
    public static String withoutSuffix(String model) {
        return suffix(model) == null ? model : model.substring(0, suffixAt(model));
    }

    private static int suffixAt(String model) {
        return Math.max(model.lastIndexOf('@'), model.lastIndexOf(':'));
    }

    /** The effort a model id's suffix names, or null. */
    private static Effort suffix(String model) {
        int at = suffixAt(model);
        return at > 0 && at < model.length() - 1 ? parse(model.substring(at + 1)) : null;
    }

    static Effort ofThinkingBudget(long tokens) {
        if (tokens <= 1_024) {
            return Effort.LOW;
        }
        if (tokens <= 8_192) {
            return Effort.MEDIUM;
        }
        return tokens <= 32_768 ? Effort.HIGH : Effort.MAX;
    }

    /** An effort's name, case-insensitive; {@code null} for anything else. */
    public static Effort parse(Object value) {
        if (!(value instanceof String text) || text.isBlank()) {
            return null;
        }
        try {
            return Effort.fromWireName(text.strip().toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException notAnEffort) {
            return null;
        }
    }

    /**
     * The {@code reasoning_effort} to send a reasoning target for an effort: the OpenAI values {@code minimal},
     * {@code low}, {@code medium}, {@code high}; {@code null} for {@code auto} (send nothing).
     */
    public static String upstreamValue(Effort effort) {
        return switch (effort) {
            case AUTO -> null;
            case FAST, MINIMAL -> "minimal";
            case LOW -> "low";
            case MEDIUM -> "medium";
            case HIGH, XHIGH, MAX -> "high";
        };
    }
}
