package dev.chatrouter.kit.upstream;

import java.util.Map;

/**
 * A successful (2xx) upstream answer, read whole.
 *
 * @param status  the HTTP status
 * @param headers the headers, names in lower case
 * @param body    the body
 */
public record UpstreamResponse(int status, Map<String, String> headers, byte[] body) {
}
