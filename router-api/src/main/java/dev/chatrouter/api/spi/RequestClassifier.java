package dev.chatrouter.api.spi;

import dev.chatrouter.api.Effort;
import dev.chatrouter.api.RequestType;
import dev.chatrouter.api.chat.ChatRequest;

/**
 * Decides a chat request's type from its shape (docs/routing.md#classification). The router's built-in classifier runs the nine
 * rules; a plugin replaces or wraps it by registering a {@link RequestClassifier.Plugin} with
 * {@link java.util.ServiceLoader} (or passing one to the builder). Must be fast, deterministic, non-blocking, and
 * must not call a model.
 */
@FunctionalInterface
public interface RequestClassifier {

    /**
     * Classifies a request.
     *
     * @param request the request
     * @param input   what the router already knows of it
     * @return the type and the name of the rule that decided it
     */
    Classification classify(ChatRequest request, Input input);

    /**
     * What the router knows of a request before classifying it.
     *
     * @param baseType             the route's {@code base_type}, for requests no rule matches
     * @param effort               the effort in force
     * @param estimatedInputTokens the estimated prompt size in tokens
     */
    record Input(RequestType baseType, Effort effort, long estimatedInputTokens) {
    }

    /**
     * A classifier's verdict.
     *
     * @param type the request type
     * @param rule the rule that decided it, such as {@code vision} or {@code base}; shown in the routing report
     */
    record Classification(RequestType type, String rule) {
    }

    /** Replaces or wraps the built-in classifier; found with {@link java.util.ServiceLoader}. */
    @FunctionalInterface
    interface Plugin {
        /** Returns the classifier to use, given the one built from configuration (to wrap or ignore). */
        RequestClassifier wrap(RequestClassifier builtIn);
    }
}
