package dev.chatrouter.core;

import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.TokenCount;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.NativeRequest;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.core.testing.ScriptedProviderFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** ChatRouter.countInputTokens: the first target's provider counts a native request, else the router does. */
class CountInputTokensTest {

    private final ScriptedProviderFactory scripted = new ScriptedProviderFactory();
    private ChatRouter router;

    @BeforeEach
    void build() {
        ModelSpec model = new ModelSpec("m", "upstream-m", Price.of(1.0, 2.0), 100_000, 0,
                Set.of(Capability.STREAMING));
        router = ChatRouter.builder()
                .providerFactory(scripted)
                .provider(ProviderSpec.builder("a", "scripted").model(model).build())
                .provider(ProviderSpec.builder("b", "scripted").model(model).build())
                .route(RouteConfig.builder("di").pool("*", PoolConfig.of("priority", "a/m", "b/m")).build())
                .build();
    }

    @AfterEach
    void close() {
        router.close();
    }

    private static ChatRequest request(String model, boolean withNative) {
        ChatRequest.Builder b = ChatRequest.builder().model(model).addMessage(Message.user("Hello ".repeat(40)));
        if (withNative) {
            b.nativeRequest(new NativeRequest(NativeRequest.Surface.MESSAGES,
                    "{\"model\":\"di\"}".getBytes(StandardCharsets.UTF_8), Map.of()));
        }
        return b.build();
    }

    private TokenCount count(ChatRequest request) throws Exception {
        return router.countInputTokens(request).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void theFirstTargetsProviderCountsANativeRequest() throws Exception {
        scripted.counts("a", 4242).counts("b", 1);

        assertThat(count(request("di", true))).isEqualTo(new TokenCount(4242, TokenCount.Source.PROVIDER));
        assertThat(scripted.countCalls("a")).singleElement()
                .satisfies(call -> assertThat(call.request().model()).isEqualTo("upstream-m"));
        assertThat(scripted.countCalls("b")).isEmpty();
        assertThat(scripted.calls("a")).isEmpty(); // nothing was generated
    }

    @Test
    void aRequestWithoutANativeFormIsCountedByTheRouter() throws Exception {
        scripted.counts("a", 4242);
        ChatRequest request = request("di", false);

        assertThat(count(request)).isEqualTo(new TokenCount(router.estimateInputTokens(request),
                TokenCount.Source.ROUTER));
        assertThat(scripted.countCalls("a")).isEmpty();
    }

    @Test
    void aProviderWithoutACountApiOrAFailedCountLeavesItToTheRouter() throws Exception {
        ChatRequest request = request("di", true);
        long estimate = router.estimateInputTokens(request);

        assertThat(count(request)).isEqualTo(new TokenCount(estimate, TokenCount.Source.ROUTER));
        scripted.counts("a", -1);
        assertThat(count(request)).isEqualTo(new TokenCount(estimate, TokenCount.Source.ROUTER));
        assertThat(scripted.countCalls("a")).hasSize(1);
    }

    @Test
    void aModelThatRoutesNowhereIsCountedByTheRouter() throws Exception {
        scripted.counts("a", 4242);
        assertThat(count(request("nowhere", true)).source()).isEqualTo(TokenCount.Source.ROUTER);
    }

    @Test
    void aRouteTheKeyMayNotUseIsRefused() {
        scripted.counts("a", 4242);
        assertThatThrownBy(() -> router.countInputTokens(request("di", true),
                RequestContext.empty().withAllowedRoutes(Set.of("other"))).toCompletableFuture()
                .get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOfSatisfying(ChatRouterException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.MODEL_NOT_ALLOWED));
        assertThat(scripted.countCalls("a")).isEmpty();
    }
}
