package dev.chatrouter.kit.upstream;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.NativeRequest;
import dev.chatrouter.api.spi.ProviderException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NativeCallsTest {

    private static NativeRequest messages(String json) {
        return new NativeRequest(NativeRequest.Surface.MESSAGES, json.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Test
    void retargetingSetsTheModelAndStreamAndKeepsEverythingElseAsWritten() {
        NativeRequest asSent = messages("{\"model\":\"intent\",\"max_tokens\":1.50e3,\"x_unknown\":{\"a\":[1]},"
                + "\"stream\":false}");
        assertEquals("{\"model\":\"claude-x\",\"max_tokens\":1.50e3,\"x_unknown\":{\"a\":[1]},\"stream\":true}",
                text(NativeCalls.retargeted(asSent, "claude-x", true)));
        assertEquals("{\"model\":\"claude-x\",\"x_unknown\":{\"a\":[1]}}",
                text(NativeCalls.retargeted(asSent, "claude-x", null, "max_tokens")));
    }

    @Test
    void aBodyThatIsNotAnObjectIsABadRequestNamingTheSurface() {
        ProviderException e = assertThrows(ProviderException.class,
                () -> NativeCalls.retargeted(messages("[1,2]"), "m", null));
        assertEquals(FailureKind.BAD_REQUEST, e.kind());
        assertTrue(e.getMessage().startsWith("the Messages body cannot be sent: "), e.getMessage());
    }

    @Test
    void aCountAnswerGivesItsInputTokens() {
        assertEquals(42, NativeCalls.inputTokens(
                "{\"object\":\"response.input_tokens\",\"input_tokens\":42}".getBytes(StandardCharsets.UTF_8)));
        assertThrows(IllegalArgumentException.class,
                () -> NativeCalls.inputTokens("{\"tokens\":42}".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aFailedPublisherSubscribesThenFails() {
        IllegalStateException error = new IllegalStateException("cannot start");
        AtomicReference<Flow.Subscription> subscription = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Stages.<String>failedPublisher(error).subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscription.set(s);
                s.request(1);
            }

            @Override
            public void onNext(String item) {
                throw new AssertionError("no item expected");
            }

            @Override
            public void onError(Throwable throwable) {
                failure.set(throwable);
            }

            @Override
            public void onComplete() {
                throw new AssertionError("no completion expected");
            }
        });
        assertNotNull(subscription.get());
        assertSame(error, failure.get());
    }
}
