package dev.chatrouter.plugin.mock;

import dev.chatrouter.api.Attempt;
import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatStream;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.core.testing.TestSubscriber;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The router in process from a YAML file whose providers are all mocks: no network, no key. What a first-time
 * user or a demo gets, including fallback from a failing provider to a healthy one.
 */
class MockEndToEndTest {

    @TempDir
    Path dir;
    private ChatRouter router;

    @BeforeEach
    void buildRouter() throws Exception {
        Path config = dir.resolve("chatrouter.yaml");
        Files.writeString(config, """
                providers:
                  local:
                    type: mock
                    reply: ${MOCK_REPLY:-Hello from the mock}
                    models:
                      echo: { capabilities: [streaming] }
                  broken:
                    type: mock
                    fail: server
                    models:
                      echo: { capabilities: [streaming] }
                routes:
                  di:
                    pools:
                      "*": { policy: priority, targets: [local/echo] }
                  demo:
                    pools:
                      "*": { policy: priority, targets: [broken/echo, local/echo] }
                    fallback: { max_attempts: 3, retries_per_target: 0, on: [server] }
                """);
        router = ChatRouter.builder().configFile(config).environment(Map.of()).build();
    }

    @AfterEach
    void closeRouter() {
        router.close();
    }

    private static ChatRequest ask(String intent) {
        return ChatRequest.builder().model(intent).addMessage(Message.user("Hi there")).build();
    }

    private static String text(List<ChatChunk> chunks) {
        StringBuilder text = new StringBuilder();
        chunks.forEach(chunk -> chunk.choices().forEach(choice -> {
            if (choice.delta().content() != null) {
                text.append(choice.delta().content());
            }
        }));
        return text.toString();
    }

    private static TestSubscriber<ChatChunk> streamAll(ChatStream stream) {
        TestSubscriber<ChatChunk> subscriber = TestSubscriber.unbounded();
        stream.subscribe(subscriber);
        subscriber.awaitDone(Duration.ofSeconds(5));
        assertThat(subscriber.error()).isNull();
        assertThat(subscriber.completed()).isTrue();
        return subscriber;
    }

    @Test
    void chatAnswersWithTheIntentAsModelAndReportsTheTarget() throws Exception {
        ChatResult result = router.chat(ask("di")).toCompletableFuture().get(5, TimeUnit.SECONDS);

        assertThat(result.response().model()).isEqualTo("di");
        assertThat(result.response().text()).isEqualTo("Hello from the mock");
        RoutingReport report = result.report();
        assertThat(report.intent()).isEqualTo("di");
        assertThat(report.route()).isEqualTo("di");
        assertThat(report.target()).isEqualTo("local/echo");
        assertThat(report.attempts()).singleElement().satisfies(a -> assertThat(a.succeeded()).isTrue());
    }

    @Test
    void streamSaysWhatChatSaysWithTheIntentAsModelAndReportsTheTarget() throws Exception {
        ChatStream stream = router.stream(ask("di"));

        List<ChatChunk> chunks = streamAll(stream).items();

        assertThat(chunks).isNotEmpty().allSatisfy(chunk -> assertThat(chunk.model()).isEqualTo("di"));
        assertThat(text(chunks)).isEqualTo("Hello from the mock");
        assertThat(chunks.get(chunks.size() - 1).choices()).singleElement()
                .satisfies(choice -> assertThat(choice.finishReason()).isEqualTo("stop"));
        RoutingReport report = stream.report().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(report.route()).isEqualTo("di");
        assertThat(report.target()).isEqualTo("local/echo");
    }

    @Test
    void aFailingProviderFallsBackToTheHealthyOneAndTheReportListsBothAttempts() throws Exception {
        ChatResult result = router.chat(ask("demo")).toCompletableFuture().get(5, TimeUnit.SECONDS);

        assertThat(result.response().model()).isEqualTo("demo");
        assertThat(result.response().text()).isEqualTo("Hello from the mock");
        RoutingReport report = result.report();
        assertThat(report.candidates()).containsExactly("broken/echo", "local/echo");
        assertThat(report.target()).isEqualTo("local/echo");
        assertThat(report.attempts()).extracting(Attempt::target, Attempt::failure, Attempt::status)
                .containsExactly(tuple("broken/echo", FailureKind.SERVER, 500),
                        tuple("local/echo", null, 200));
    }

    @Test
    void aFailingProviderFallsBackOnAStreamTooBeforeAnyChunkIsSent() throws Exception {
        ChatStream stream = router.stream(ask("demo"));

        List<ChatChunk> chunks = streamAll(stream).items();

        assertThat(text(chunks)).isEqualTo("Hello from the mock");
        assertThat(chunks).allSatisfy(chunk -> assertThat(chunk.model()).isEqualTo("demo"));
        RoutingReport report = stream.report().toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(report.target()).isEqualTo("local/echo");
        assertThat(report.attempts()).extracting(Attempt::target, Attempt::failure)
                .containsExactly(tuple("broken/echo", FailureKind.SERVER),
                        tuple("local/echo", null));
    }
}
