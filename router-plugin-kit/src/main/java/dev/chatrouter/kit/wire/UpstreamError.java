package dev.chatrouter.kit.wire;

/**
 * What an upstream said when it refused a request, read from its error body by {@link WireCodec#readError}.
 *
 * @param message the message, never null (empty when the body had none)
 * @param type    the error type ({@code invalid_request_error}...), or {@code null}
 * @param param   the field at fault, or {@code null}
 * @param code    the error code as a string ({@code context_length_exceeded}, or {@code "429"} when the upstream
 *                sent a number), or {@code null}
 */
public record UpstreamError(String message, String type, String param, String code) {
}
