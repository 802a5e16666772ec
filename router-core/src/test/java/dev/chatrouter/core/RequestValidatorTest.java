package dev.chatrouter.core;

import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.Stop;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.embed.EmbeddingRequest;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.core.testing.ScriptedProviderFactory;
import dev.chatrouter.core.testing.TestSubscriber;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Every numeric field of a request is checked before routing, with {@code param} naming the field: a bad value
 * never reaches a provider (which would answer with {@code param: null}).
 */
class RequestValidatorTest {

    private static ChatRequest.Builder base() {
        return ChatRequest.builder().model("di").addMessage(Message.user("Hello"));
    }

    private static ChatRequest with(String field, String value) {
        ChatRequest.Builder b = base();
        UnaryOperator<ChatRequest.Builder> set = switch (field) {
            case "max_tokens" -> x -> x.maxTokens(Integer.parseInt(value));
            case "max_completion_tokens" -> x -> x.maxCompletionTokens(Integer.parseInt(value));
            case "temperature" -> x -> x.temperature(Double.parseDouble(value));
            case "top_p" -> x -> x.topP(Double.parseDouble(value));
            case "n" -> x -> x.n(Integer.parseInt(value));
            case "presence_penalty" -> x -> x.presencePenalty(Double.parseDouble(value));
            case "frequency_penalty" -> x -> x.frequencyPenalty(Double.parseDouble(value));
            case "top_logprobs" -> x -> x.topLogprobs(Integer.parseInt(value));
            case "seed" -> x -> x.seed(Long.parseLong(value));
            case "stop" -> x -> x.stop(Stop.of(List.of(value.split(","))));
            case "logit_bias" -> x -> x.extra(Map.of("logit_bias", Map.of("50256", Double.parseDouble(value))));
            default -> throw new IllegalArgumentException(field);
        };
        return set.apply(b).build();
    }

    @ParameterizedTest(name = "{0} = {1}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            max_tokens            | -1     | max_tokens
            max_tokens            | 0      | max_tokens
            max_completion_tokens | 0      | max_completion_tokens
            temperature           | -0.1   | temperature
            temperature           | 2.01   | temperature
            temperature           | NaN    | temperature
            top_p                 | -0.5   | top_p
            top_p                 | 1.5    | top_p
            n                     | 0      | n
            n                     | 129    | n
            presence_penalty      | -2.5   | presence_penalty
            presence_penalty      | 2.5    | presence_penalty
            frequency_penalty     | -3     | frequency_penalty
            frequency_penalty     | 2.001  | frequency_penalty
            top_logprobs          | -1     | top_logprobs
            top_logprobs          | 21     | top_logprobs
            logit_bias            | 100.5  | logit_bias.50256
            logit_bias            | -101   | logit_bias.50256
            stop                  | a,b,c,d,e | stop
            """)
    void outOfRangeIsInvalidParameterNamingTheField(String field, String value, String param) {
        ChatRouterException e = catchChat(with(field, value));
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PARAMETER);
        assertThat(e.param()).contains(param);
        assertThat(e.getMessage()).contains(param);
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', textBlock = """
            max_tokens            | 1
            max_completion_tokens | 2147483647
            temperature           | 0
            temperature           | 2
            top_p                 | 0
            top_p                 | 1
            n                     | 1
            n                     | 128
            presence_penalty      | -2
            frequency_penalty     | 2
            top_logprobs          | 0
            top_logprobs          | 20
            logit_bias            | -100
            logit_bias            | 100
            seed                  | -9223372036854775808
            stop                  | a,b,c,d
            """)
    void boundsAreAllowed(String field, String value) {
        assertThatCode(() -> RequestValidator.check(with(field, value))).doesNotThrowAnyException();
    }

    /** A logit_bias that is not an object of numbers names the entry at fault. */
    @Test
    void logitBiasMustMapTokensToNumbers() {
        Map<String, Object> bias = new LinkedHashMap<>();
        bias.put("50256", "ten");
        ChatRouterException e = catchChat(base().extra(Map.of("logit_bias", bias)).build());
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PARAMETER);
        assertThat(e.param()).contains("logit_bias.50256");

        ChatRouterException notAnObject = catchChat(base().extra(Map.of("logit_bias", List.of(1))).build());
        assertThat(notAnObject.param()).contains("logit_bias");
    }

    /** No messages is a missing parameter. */
    @Test
    void messagesAreRequired() {
        ChatRouterException e = catchChat(ChatRequest.builder().model("di").build());
        assertThat(e.code()).isEqualTo(ErrorCode.MISSING_PARAMETER);
        assertThat(e.param()).contains("messages");
    }

    @ParameterizedTest(name = "dimensions = {0}")
    @CsvSource({"0", "-3"})
    void embeddingDimensionsArePositive(int dimensions) {
        ChatRouterException e = catchEmbed(new EmbeddingRequest("di", List.of("a"), false, null, dimensions, null,
                Map.of()));
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PARAMETER);
        assertThat(e.param()).contains("dimensions");
    }

    @Test
    void embeddingInputIsRequired() {
        ChatRouterException e = catchEmbed(new EmbeddingRequest("di", List.of(), false, null, null, null, Map.of()));
        assertThat(e.code()).isEqualTo(ErrorCode.MISSING_PARAMETER);
        assertThat(e.param()).contains("input");
    }

    private static ChatRouterException catchChat(ChatRequest request) {
        Throwable t = catchThrowable(() -> RequestValidator.check(request));
        assertThat(t).isInstanceOf(ChatRouterException.class);
        return (ChatRouterException) t;
    }

    private static ChatRouterException catchEmbed(EmbeddingRequest request) {
        Throwable t = catchThrowable(() -> RequestValidator.check(request));
        assertThat(t).isInstanceOf(ChatRouterException.class);
        return (ChatRouterException) t;
    }

    private final ScriptedProviderFactory scripted = new ScriptedProviderFactory();
    private ChatRouter router;

    @AfterEach
    void close() {
        if (router != null) {
            router.close();
        }
    }

    /** Through the router: chat, stream and embed fail with the typed error and no provider is called. */
    @Test
    void theRouterChecksBeforeAnyProviderIsCalled() {
        router = ChatRouter.builder().providerFactory(scripted)
                .provider(ProviderSpec.builder("a", "scripted").model(new ModelSpec("m", null, Price.of(1, 2),
                        100_000, 0, EnumSet.allOf(Capability.class))).build())
                .route(RouteConfig.builder("di").pool("*", PoolConfig.of("priority", "a/m")).build())
                .build();
        ChatRequest bad = base().maxTokens(-1).build();

        Throwable chat = catchThrowable(() -> router.chat(bad).toCompletableFuture().join());
        assertThat(chat).isInstanceOf(CompletionException.class).cause().isInstanceOf(ChatRouterException.class)
                .satisfies(c -> assertThat(((ChatRouterException) c).param()).contains("max_tokens"));

        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        router.stream(bad).subscribe(subscriber);
        subscriber.awaitDone(Duration.ofSeconds(5));
        assertThat(subscriber.error()).isInstanceOf(ChatRouterException.class)
                .satisfies(c -> assertThat(((ChatRouterException) c).param()).contains("max_tokens"));

        Throwable embed = catchThrowable(() -> router.embed(new EmbeddingRequest("di", List.of("a"), false, null, 0,
                null, Map.of())).toCompletableFuture().join());
        assertThat(embed.getCause()).isInstanceOf(ChatRouterException.class)
                .satisfies(c -> assertThat(((ChatRouterException) c).param()).contains("dimensions"));

        assertThat(scripted.calls("a")).isEmpty();
    }
}
