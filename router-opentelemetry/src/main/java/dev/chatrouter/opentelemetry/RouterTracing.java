package dev.chatrouter.opentelemetry;

import dev.chatrouter.api.RequestType;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.event.AttemptFinished;
import dev.chatrouter.api.event.AttemptStarted;
import dev.chatrouter.api.event.RequestFinished;
import dev.chatrouter.api.event.RequestStarted;
import dev.chatrouter.api.event.RouterListener;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Traces the router with OpenTelemetry: a span per request ({@code SERVER}, named {@code chat di} after its operation
 * and the intent) and a child span per attempt ({@code CLIENT}, named {@code chat gpt-4o-mini} after the model at the
 * provider), with the GenAI semantic conventions' attributes: {@code gen_ai.operation.name},
 * {@code gen_ai.provider.name}, {@code gen_ai.request.model}, {@code gen_ai.response.model},
 * {@code gen_ai.usage.input_tokens}, {@code gen_ai.usage.output_tokens}; and the router's own:
 * {@code chatrouter.cost_usd}, {@code chatrouter.request_id}, {@code chatrouter.route}, {@code chatrouter.request_type},
 * {@code chatrouter.effort}, {@code chatrouter.key} (the key's name), {@code chatrouter.target},
 * {@code chatrouter.attempt}, {@code chatrouter.hedged}. A failure sets {@code error.type} and the span's status to
 * error. Spans start and end at the events' times (the router's clock). No prompt or completion content is recorded:
 * the router's events carry none. A request span's parent is the context current where the request was made (an
 * HTTP server span, say).
 *
 * <pre>{@code
 * ChatRouter router = ChatRouter.builder().configFile(path).listener(RouterTracing.create(openTelemetry)).build();
 * }</pre>
 *
 * Depends on {@code opentelemetry-api} only: the SDK and its exporter are the embedder's choice. Thread-safe.
 */
public final class RouterTracing implements RouterListener {

    /** The instrumentation scope's name. */
    public static final String SCOPE = "dev.chatrouter";
    /** Requests traced at once, at most: beyond it (only a bug would leave so many open) new ones are not. */
    static final int MAX_OPEN_REQUESTS = 100_000;

    static final AttributeKey<String> OPERATION = AttributeKey.stringKey("gen_ai.operation.name");
    static final AttributeKey<String> PROVIDER = AttributeKey.stringKey("gen_ai.provider.name");
    static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
    static final AttributeKey<String> RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
    static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
    static final AttributeKey<Long> OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
    static final AttributeKey<Double> COST = AttributeKey.doubleKey("chatrouter.cost_usd");
    static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("chatrouter.request_id");
    static final AttributeKey<String> ROUTE = AttributeKey.stringKey("chatrouter.route");
    static final AttributeKey<String> REQUEST_TYPE = AttributeKey.stringKey("chatrouter.request_type");
    static final AttributeKey<String> EFFORT = AttributeKey.stringKey("chatrouter.effort");
    static final AttributeKey<String> KEY = AttributeKey.stringKey("chatrouter.key");
    static final AttributeKey<String> TARGET = AttributeKey.stringKey("chatrouter.target");
    static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("chatrouter.attempt");
    static final AttributeKey<Boolean> HEDGED = AttributeKey.booleanKey("chatrouter.hedged");
    static final AttributeKey<Boolean> STREAM = AttributeKey.booleanKey("chatrouter.stream");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
    static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");

    private final Tracer tracer;
    private final Map<String, Open> open = new ConcurrentHashMap<>();

    /** A request's span and its attempts' spans still open. */
    private static final class Open {
        final Span span;
        final String operation;
        final Map<Integer, Span> attempts = new ConcurrentHashMap<>(4);

        Open(Span span, String operation) {
            this.span = span;
            this.operation = operation;
        }
    }

    private RouterTracing(Tracer tracer) {
        this.tracer = tracer;
    }

    /** A listener tracing with {@code openTelemetry}'s tracer for scope {@value #SCOPE}. */
    public static RouterTracing create(OpenTelemetry openTelemetry) {
        return new RouterTracing(Objects.requireNonNull(openTelemetry, "openTelemetry").getTracer(SCOPE));
    }

    @Override
    public void onRequestStarted(RequestStarted event) {
        if (open.size() >= MAX_OPEN_REQUESTS) {
            return;
        }
        String operation = event.type() == RequestType.EMBEDDING ? "embeddings" : "chat";
        var builder = tracer.spanBuilder(operation + " " + event.model())
                .setParent(Context.current())
                .setSpanKind(SpanKind.SERVER)
                .setStartTimestamp(event.at())
                .setAttribute(OPERATION, operation)
                .setAttribute(REQUEST_MODEL, event.model())
                .setAttribute(REQUEST_ID, event.requestId())
                .setAttribute(STREAM, event.stream());
        if (event.route() != null) {
            builder.setAttribute(ROUTE, event.route());
        }
        if (event.type() != null) {
            builder.setAttribute(REQUEST_TYPE, event.type().wireName());
        }
        if (event.effort() != null) {
            builder.setAttribute(EFFORT, event.effort().wireName());
        }
        if (event.key() != null) {
            builder.setAttribute(KEY, event.key());
        }
        open.put(event.requestId(), new Open(builder.startSpan(), operation));
    }

    @Override
    public void onAttemptStarted(AttemptStarted event) {
        Open request = open.get(event.requestId());
        if (request == null) {
            return;
        }
        Span span = tracer.spanBuilder(request.operation + " " + event.providerModel())
                .setParent(Context.root().with(request.span))
                .setSpanKind(SpanKind.CLIENT)
                .setStartTimestamp(event.at())
                .setAttribute(OPERATION, request.operation)
                .setAttribute(PROVIDER, event.provider())
                .setAttribute(REQUEST_MODEL, event.providerModel())
                .setAttribute(TARGET, event.target())
                .setAttribute(ATTEMPT, (long) event.attempt())
                .setAttribute(HEDGED, event.hedged())
                .startSpan();
        request.attempts.put(event.attempt(), span);
    }

    @Override
    public void onAttemptFinished(AttemptFinished event) {
        Open request = open.get(event.requestId());
        Span span = request == null ? null : request.attempts.remove(event.attempt());
        if (span == null) {
            return;
        }
        span.setAttribute(INPUT_TOKENS, event.inputTokens());
        span.setAttribute(OUTPUT_TOKENS, event.outputTokens());
        span.setAttribute(COST, event.costUsd());
        if (event.status() > 0) {
            span.setAttribute(HTTP_STATUS, (long) event.status());
        }
        if (event.succeeded()) {
            span.setAttribute(RESPONSE_MODEL, event.providerModel());
        } else if (event.failure() != null) {
            span.setAttribute(ERROR_TYPE, event.failure().wireName());
            span.setStatus(StatusCode.ERROR, event.failure().wireName());
        } else {
            span.setAttribute(ERROR_TYPE, "cancelled");
        }
        span.end(event.at());
    }

    @Override
    public void onRequestFinished(RequestFinished event) {
        Open request = open.remove(event.requestId());
        if (request == null) {
            return;
        }
        for (Span attempt : request.attempts.values()) {
            attempt.end(event.at()); // not told to have finished: a bug path; the span still ends
        }
        Span span = request.span;
        RoutingReport report = event.report();
        if (report != null && report.target() != null) {
            int slash = report.target().indexOf('/');
            span.setAttribute(PROVIDER, report.target().substring(0, slash));
            span.setAttribute(RESPONSE_MODEL, report.target().substring(slash + 1));
            span.setAttribute(TARGET, report.target());
        }
        if (report != null) {
            span.setAttribute(COST, report.costUsd());
            span.setAttribute(ATTEMPT, (long) report.attempts().size());
        }
        span.setAttribute(INPUT_TOKENS, event.inputTokens());
        span.setAttribute(OUTPUT_TOKENS, event.outputTokens());
        if (event.error() != null) {
            span.setAttribute(ERROR_TYPE, event.error().code().wireName());
            span.setStatus(StatusCode.ERROR, event.error().code().wireName());
        } else if (event.cancelled()) {
            span.setAttribute(ERROR_TYPE, "cancelled");
        }
        span.end(event.at());
    }

    @Override
    public String toString() {
        return "RouterTracing";
    }
}
