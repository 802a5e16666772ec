package dev.chatrouter.kit.wire;

/**
 * One Server-Sent Event.
 *
 * @param event the {@code event:} field of this event, or {@code null} when it had none (type {@code message})
 * @param data  the {@code data:} lines joined with {@code \n}
 * @param id    the {@code id:} field of this event, or {@code null} when it had none
 */
public record SseEvent(String event, String data, String id) {

    /** True for OpenAI's end-of-stream sentinel, {@code data: [DONE]}. */
    public boolean isDone() {
        return "[DONE]".equals(data);
    }
}
