package dev.chatrouter.api.chat;

/**
 * The function a tool call invokes. In stream deltas either field may be a fragment or {@code null}.
 *
 * @param name      the function's name
 * @param arguments the arguments as a JSON text, as the model produced it
 */
public record FunctionCall(String name, String arguments) {
}
