package dev.chatrouter.bench;

import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.Choice;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderCall;
import dev.chatrouter.api.spi.ProviderContext;
import dev.chatrouter.api.spi.ProviderFactory;
import dev.chatrouter.api.spi.ProviderSpec;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A provider plugin of type {@code instant} that answers every chat at once with a completed future holding a
 * response built up front, so a benchmark through it measures the router and nothing upstream.
 */
final class InstantProviderFactory implements ProviderFactory {

    @Override
    public String type() {
        return "instant";
    }

    @Override
    public Provider create(ProviderSpec spec, ProviderContext context) {
        ChatResponse answer = new ChatResponse("cmpl-" + spec.id(), "chat.completion", 1_700_000_000L, "upstream",
                List.of(new Choice(0, Message.assistant("On Friday you may ask for a refund or a replacement."),
                        "stop", null, Map.of())), Usage.of(520, 14), null, null, Map.of());
        return new Provider() {
            @Override
            public CompletionStage<ChatResponse> chat(ProviderCall call) {
                return CompletableFuture.completedFuture(answer);
            }

            @Override
            public Flow.Publisher<ChatChunk> stream(ProviderCall call) {
                return subscriber -> {
                    subscriber.onSubscribe(new Flow.Subscription() {
                        @Override
                        public void request(long n) {
                        }

                        @Override
                        public void cancel() {
                        }
                    });
                    subscriber.onError(new UnsupportedOperationException("the instant provider does not stream"));
                };
            }

            @Override
            public void close() {
            }
        };
    }
}
