package dev.chatrouter.core.config;

import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.config.BudgetConfig;
import dev.chatrouter.api.config.RateLimitConfig;
import dev.chatrouter.api.config.Window;
import dev.chatrouter.core.testing.ScriptedProviderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A configuration file and a builder together: what the builder adds is kept, whatever the file holds. */
class BuilderWithFileTest {

    private static final String FILE = """
            providers:
              a: { type: scripted, models: { m: {} } }
            routes:
              di:
                pools:
                  "*": { targets: [a/m] }
            """;

    @Test
    void aBudgetAndARateLimitAddedInCodeApplyWithAFileThatHasNone(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("chatrouter.yaml"), FILE);
        ScriptedProviderFactory scripted = new ScriptedProviderFactory()
                .script("a", ScriptedProviderFactory.reply("one"), ScriptedProviderFactory.reply("two"));
        try (ChatRouter router = ChatRouter.builder().providerFactory(scripted).configFile(file)
                .budget(new BudgetConfig("global", Window.DAY, 1.0, null, null))
                .rateLimit(new RateLimitConfig("global", 1, 0))
                .build()) {
            // the budget is reported
            assertThat(router.spend()).singleElement().satisfies(status -> {
                assertThat(status.scope()).isEqualTo("global");
                assertThat(status.limitUsd()).isEqualTo(1.0);
            });
            // and the rate limit of one request a minute refuses the second
            ChatRequest request = ChatRequest.builder().model("di").addMessage(Message.user("hi")).build();
            router.chat(request).toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertThat(router.chat(request).toCompletableFuture()).failsWithin(10, TimeUnit.SECONDS)
                    .withThrowableOfType(ExecutionException.class)
                    .havingCause().isInstanceOfSatisfying(ChatRouterException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.RATE_LIMIT_EXCEEDED));
        }
    }
}
