package dev.chatrouter.opentelemetry;

import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.config.CacheConfig;
import dev.chatrouter.api.config.FallbackConfig;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.ResponseCacheConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.StickyPrefixConfig;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.core.testing.ScriptedProviderFactory;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.chatrouter.core.testing.ScriptedProviderFactory.fail;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

/** The spans {@link RouterTracing} makes of a real router's requests, read from the SDK's in-memory exporter. */
class RouterTracingTest {

    private static final CacheConfig NO_STICKY =
            new CacheConfig(ResponseCacheConfig.DEFAULTS, new StickyPrefixConfig(false, Duration.ofMinutes(5), 1000));

    private final ScriptedProviderFactory scripted = new ScriptedProviderFactory();
    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
            .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build()).build();
    private ChatRouter router;

    @AfterEach
    void close() {
        router.close();
        sdk.close();
    }

    /** Proves a fallback request yields one request span and two attempt spans under it, with GenAI attributes. */
    @Test
    void aFallbackIsOneRequestSpanWithTwoAttemptSpans() throws Exception {
        // given a router whose first target fails with a server error, traced
        ModelSpec model = new ModelSpec("m", null, Price.of(1.0, 2.0), 100_000, 1_000,
                EnumSet.allOf(Capability.class));
        router = ChatRouter.builder().providerFactory(scripted).cache(NO_STICKY)
                .provider(ProviderSpec.builder("a", "scripted").model(model).build())
                .provider(ProviderSpec.builder("b", "scripted").model(model).build())
                .route(RouteConfig.builder("di").pool("*", PoolConfig.of("priority", "a/m", "b/m"))
                        .fallback(new FallbackConfig(3, 0, FallbackConfig.DEFAULTS.on())).build())
                .listener(RouterTracing.create(sdk)).build();
        scripted.script("a", fail(FailureKind.SERVER));
        // when one request is made
        ChatResult result = router.chat(ChatRequest.builder().model("di").addMessage(Message.user("Hello secret"))
                .maxTokens(5).build(), RequestContext.empty().withKey("team-a")).toCompletableFuture()
                .get(5, TimeUnit.SECONDS);
        // then there are three spans: the request's, and one per attempt under it
        List<SpanData> spans = exporter.getFinishedSpanItems();
        assertThat(spans).hasSize(3);
        SpanData request = spans.stream().filter(s -> s.getKind() == SpanKind.SERVER).findFirst().orElseThrow();
        List<SpanData> attempts = spans.stream().filter(s -> s.getKind() == SpanKind.CLIENT)
                .sorted((x, y) -> Long.compare(x.getAttributes().get(RouterTracing.ATTEMPT),
                        y.getAttributes().get(RouterTracing.ATTEMPT))).toList();
        assertThat(attempts).hasSize(2).allSatisfy(a -> {
            assertThat(a.getParentSpanId()).isEqualTo(request.getSpanId());
            assertThat(a.getTraceId()).isEqualTo(request.getTraceId());
        });
        assertThat(request.getName()).isEqualTo("chat di");
        assertThat(request.getAttributes().get(RouterTracing.OPERATION)).isEqualTo("chat");
        assertThat(request.getAttributes().get(RouterTracing.REQUEST_MODEL)).isEqualTo("di");
        assertThat(request.getAttributes().get(RouterTracing.PROVIDER)).isEqualTo("b");
        assertThat(request.getAttributes().get(RouterTracing.RESPONSE_MODEL)).isEqualTo("m");
        assertThat(request.getAttributes().get(RouterTracing.INPUT_TOKENS)).isEqualTo(10);
        assertThat(request.getAttributes().get(RouterTracing.OUTPUT_TOKENS)).isEqualTo(5);
        assertThat(request.getAttributes().get(RouterTracing.COST)).isCloseTo(20e-6, offset(1e-12));
        assertThat(request.getAttributes().get(RouterTracing.REQUEST_ID)).isEqualTo(result.report().requestId());
        assertThat(request.getAttributes().get(RouterTracing.KEY)).isEqualTo("team-a");
        assertThat(request.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);

        SpanData failed = attempts.get(0);
        assertThat(failed.getName()).isEqualTo("chat m");
        assertThat(failed.getAttributes().get(RouterTracing.PROVIDER)).isEqualTo("a");
        assertThat(failed.getAttributes().get(RouterTracing.TARGET)).isEqualTo("a/m");
        assertThat(failed.getAttributes().get(RouterTracing.ERROR_TYPE)).isEqualTo("server");
        assertThat(failed.getAttributes().get(RouterTracing.HTTP_STATUS)).isEqualTo(500);
        assertThat(failed.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        SpanData served = attempts.get(1);
        assertThat(served.getAttributes().get(RouterTracing.PROVIDER)).isEqualTo("b");
        assertThat(served.getAttributes().get(RouterTracing.REQUEST_MODEL)).isEqualTo("m");
        assertThat(served.getAttributes().get(RouterTracing.RESPONSE_MODEL)).isEqualTo("m");
        assertThat(served.getAttributes().get(RouterTracing.INPUT_TOKENS)).isEqualTo(10);
        assertThat(served.getAttributes().get(RouterTracing.OUTPUT_TOKENS)).isEqualTo(5);
        assertThat(served.getAttributes().get(RouterTracing.COST)).isCloseTo(20e-6, offset(1e-12));
        assertThat(served.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        // and no span holds the prompt
        assertThat(spans).allSatisfy(s -> assertThat(s.getAttributes().asMap().values())
                .noneMatch(v -> String.valueOf(v).contains("secret")));
    }
}
