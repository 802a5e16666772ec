package dev.chatrouter.api;

import dev.chatrouter.api.chat.ChatResponse;

/**
 * A completed chat: the response, with {@code model} echoing the caller's intent, and how it was routed.
 */
public record ChatResult(ChatResponse response, RoutingReport report) {
}
