package dev.chatrouter.samples.embedded;

import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatStream;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderSpec;

import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

/**
 * Embedding ChatRouter in a plain Java program: a router built in code and one built from YAML, a chat and a
 * stream through each, and the routing report. Runs with no network: the providers are the {@code mock} plugin.
 */
public final class EmbeddedExample {

    private EmbeddedExample() {
    }

    public static void main(String[] args) throws Exception {
        run(System.out);
    }

    static void run(PrintStream out) throws Exception {
        // 1. From code: one provider, one route.
        try (ChatRouter router = ChatRouter.builder()
                .provider(ProviderSpec.builder("local", "mock")
                        .model(new ModelSpec("small", null, Price.of(0.15, 0.60), 128_000, 4_096,
                                Set.of(Capability.TOOLS, Capability.STREAMING)))
                        .build())
                .route(RouteConfig.builder("assistant").pool("*", PoolConfig.of("cost", "local/small")).build())
                .build()) {
            out.println("== built in code");
            chatAndStream(router, out);
        }
        // 2. From YAML: the first target fails, the router falls back to the second.
        try (ChatRouter router = ChatRouter.builder().configFile(configFile()).build()) {
            out.println("== built from embedded.yaml");
            chatAndStream(router, out);
        }
    }

    private static void chatAndStream(ChatRouter router, PrintStream out) throws Exception {
        ChatRequest request = ChatRequest.builder().model("assistant")
                .addMessage(Message.system("You are a concise assistant."))
                .addMessage(Message.user("Summarize: ChatRouter routes each request to a provider."))
                .build();
        ChatResult result = router.chat(request, RequestContext.empty().withKey("sample"))
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
        out.println("chat:   " + result.response().text());
        print(result.report(), out);

        ChatStream stream = router.stream(request);
        StringBuilder text = new StringBuilder();
        CountDownLatch done = new CountDownLatch(1);
        stream.subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(ChatChunk chunk) {
                chunk.choices().forEach(c -> {
                    if (c.delta() != null && c.delta().content() != null) {
                        text.append(c.delta().content());
                    }
                });
            }

            @Override
            public void onError(Throwable error) {
                out.println("stream failed: " + error.getMessage());
                done.countDown();
            }

            @Override
            public void onComplete() {
                done.countDown();
            }
        });
        if (!done.await(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the stream did not end within 10 s");
        }
        out.println("stream: " + text);
        print(stream.report().toCompletableFuture().get(10, TimeUnit.SECONDS), out);
    }

    private static void print(RoutingReport report, PrintStream out) {
        out.printf("report: type=%s (rule %s), effort=%s, route=%s, pool=%s/%s, target=%s, attempts=%d, cost=$%.8f%n",
                report.type().wireName(), report.rule(), report.effort().wireName(), report.route(), report.pool(),
                report.policy(), report.target(), report.attempts().size(), report.costUsd());
        report.attempts().forEach(a -> out.println("        attempt " + a.target() + ": "
                + (a.succeeded() ? "ok" : a.cancelled() ? a.message()
                        : a.failure().wireName() + " (" + a.message() + ")")));
    }

    private static Path configFile() throws URISyntaxException {
        return Path.of(EmbeddedExample.class.getResource("/embedded.yaml").toURI());
    }
}
