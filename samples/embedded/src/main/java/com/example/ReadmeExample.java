package com.example;

import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderSpec;

import java.util.Set;

public class ReadmeExample {
    public static void main(String[] args) {
        String apiKey = System.getenv("OPENAI_API_KEY");
        if (apiKey == null || apiKey.isBlank()) {
            System.err.println("OPENAI_API_KEY is not set: this example sends one request to OpenAI's gpt-4o-mini.");
            System.exit(1);
        }
        try (ChatRouter router = ChatRouter.builder()
                .provider(ProviderSpec.builder("openai", "openai").apiKey(apiKey)   // base URL: the openai preset's
                        .model(new ModelSpec("gpt-4o-mini", null, Price.of(0.15, 0.60), 128_000, 16_384,
                                Set.of(Capability.TOOLS, Capability.STREAMING)))
                        .build())
                .route(RouteConfig.builder("di").match("gpt-*")
                        .pool("*", PoolConfig.of("cost", "openai/gpt-4o-mini")).build())
                .build()) {
            ChatResult result = router.chat(ChatRequest.builder().model("di")
                            .addMessage(Message.user("Name three uses for a paperclip.")).build())
                    .toCompletableFuture().join();
            System.out.println(result.response().text());
            System.out.printf("%s via %s for $%.6f%n", result.report().type().wireName(),
                    result.report().target(), result.report().costUsd());
        }
    }
}
