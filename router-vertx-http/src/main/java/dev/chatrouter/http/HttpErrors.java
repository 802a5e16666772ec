package dev.chatrouter.http;

import dev.chatrouter.api.Attempt;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.kit.wire.WireCodec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one place errors become HTTP: status, OpenAI error {@code type}, and the envelope
 * {@code {"error":{"message","type","param","code"[,"metadata"]}}} (docs/operations.md#endpoints).
 */
final class HttpErrors {

    private HttpErrors() {
    }

    /**
     * An error ready to write.
     *
     * @param requestId   the request's id for {@code X-Request-Id}, or {@code null}
     * @param requestType the request's type for {@code X-DI-Request-Type}, or {@code null} when not classified
     */
    record HttpError(int status, byte[] body, long retryAfterSeconds, String requestId, String requestType) {
        HttpError(int status, byte[] body, long retryAfterSeconds) {
            this(status, body, retryAfterSeconds, null, null);
        }
    }

    static HttpError of(ChatRouterException e, Redactor redactor) {
        ErrorCode code = e.code();
        int status = status(e);
        String type = type(e, status);
        String wireCode = code == ErrorCode.UPSTREAM_REJECTED ? e.upstreamCode().orElse(null) : code.wireName();
        Map<String, Object> metadata = new LinkedHashMap<>(e.metadata());
        if (!e.attempts().isEmpty()) {
            metadata.put("attempts", attempts(e.attempts(), redactor));
        }
        long retryAfter = e.retryAfter().map(d -> Math.max(1, (d.toMillis() + 999) / 1000)).orElse(0L);
        byte[] body = WireCodec.writeError(redactor.redact(e.getMessage()), type, e.param().orElse(null), wireCode,
                metadata);
        return new HttpError(status, body, retryAfter, e.requestId().orElse(null),
                e.requestType().map(t -> t.wireName()).orElse(null));
    }

    static HttpError of(int status, String type, String code, String param, String message) {
        return new HttpError(status, WireCodec.writeError(message, type, param, code, Map.of()), 0);
    }

    static int status(ChatRouterException e) {
        return switch (e.code()) {
            case INVALID_JSON, MISSING_PARAMETER, INVALID_PARAMETER, CONTEXT_LENGTH_EXCEEDED, UNSUPPORTED -> 400;
            case INVALID_API_KEY -> 401;
            case SPEND_LIMIT_EXCEEDED -> 402;
            case MODEL_NOT_ALLOWED -> 403;
            case MODEL_NOT_FOUND -> 404;
            case REQUEST_TOO_LARGE -> 413;
            case RATE_LIMIT_EXCEEDED -> 429;
            case UPSTREAM_REJECTED -> e.upstreamStatus() >= 400 && e.upstreamStatus() < 500 ? e.upstreamStatus() : 400;
            case UPSTREAM_ERROR -> 502;
            case NO_TARGET_AVAILABLE, ROUTER_CLOSED, ACCOUNTING_UNAVAILABLE, STORE_UNAVAILABLE -> 503;
            case TIMEOUT -> 504;
            case INTERNAL_ERROR -> 500;
        };
    }

    private static String type(ChatRouterException e, int status) {
        if (e.code() == ErrorCode.UPSTREAM_REJECTED && e.upstreamType().isPresent()) {
            return e.upstreamType().get();
        }
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 429 -> "rate_limit_error";
            case 500, 502, 503, 504 -> "api_error";
            default -> "invalid_request_error";
        };
    }

    private static List<Map<String, Object>> attempts(List<Attempt> attempts, Redactor redactor) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (Attempt a : attempts) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("target", a.target());
            m.put("outcome", a.failure() != null ? a.failure().wireName() : a.cancelled() ? "cancelled" : "ok");
            if (a.status() > 0) {
                m.put("status", a.status());
            }
            if (a.message() != null) {
                m.put("message", redactor.redact(a.message()));
            }
            m.put("latency_ms", a.latency() == null ? null : a.latency().toMillis());
            if (a.waitedBefore() != null && !a.waitedBefore().isZero()) {
                m.put("waited_ms", a.waitedBefore().toMillis());
            }
            if (a.hedged()) {
                m.put("hedged", true);
            }
            list.add(m);
        }
        return list;
    }
}
