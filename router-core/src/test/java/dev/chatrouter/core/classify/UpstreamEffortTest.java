package dev.chatrouter.core.classify;

import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.Effort;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.ProviderCall;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.core.testing.ScriptedProviderFactory;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The {@code reasoning_effort} a reasoning target is sent: the effort that won, in OpenAI's terms. */
class UpstreamEffortTest {

    private final ScriptedProviderFactory scripted = new ScriptedProviderFactory();

    @Test
    void theCallersContextEffortBeatsTheBodysReasoningEffortUpstreamAsInTheReport() throws Exception {
        assertThat(sent(body("low"), RequestContext.empty().withEffort(Effort.HIGH))).isEqualTo("high");
    }

    @Test
    void aRouterEffortInTheBodyIsSentInOpenAisTerms() throws Exception {
        assertThat(sent(body("max"), RequestContext.empty())).isEqualTo("high");
        assertThat(sent(body("fast"), RequestContext.empty())).isEqualTo("minimal");
        assertThat(sent(body("Medium"), RequestContext.empty())).isEqualTo("medium");
    }

    @Test
    void autoInTheBodySendsNoReasoningEffort() throws Exception {
        assertThat(sent(body("auto"), RequestContext.empty())).isNull();
    }

    /** A value the router does not know (a newer model's, such as {@code none}) passes through as other fields do. */
    @Test
    void aValueTheRouterDoesNotKnowPassesThroughUntouched() throws Exception {
        assertThat(sent(body("none"), RequestContext.empty())).isEqualTo("none");
    }

    private static ChatRequest body(String reasoningEffort) {
        return ChatRequest.builder().model("di").addMessage(Message.user("hi")).reasoningEffort(reasoningEffort)
                .build();
    }

    private String sent(ChatRequest request, RequestContext context) throws Exception {
        scripted.script("a", ScriptedProviderFactory.reply("ok"));
        try (ChatRouter router = ChatRouter.builder().providerFactory(scripted)
                .provider(ProviderSpec.builder("a", "scripted").model(ModelSpec.of("m", Capability.REASONING)).build())
                .route(RouteConfig.builder("di").pool("*", PoolConfig.of("priority", "a/m")).build())
                .build()) {
            router.chat(request, context).toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        List<ProviderCall> calls = scripted.calls("a");
        return calls.get(calls.size() - 1).request().reasoningEffort();
    }
}
