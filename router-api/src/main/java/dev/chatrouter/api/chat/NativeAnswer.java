package dev.chatrouter.api.chat;

import java.util.Objects;

/**
 * An upstream's answer in the wire format of the client's surface, carried beside its translation on a
 * {@link ChatResponse} (the whole JSON body) or a {@link ChatChunk} (one Server-Sent Event), when the request was
 * sent upstream as its {@link NativeRequest}. The surface relays it as it is; the translation is what the router
 * reads usage and content from.
 *
 * @param event the event's {@code event:} name for a stream event, or {@code null} (a whole answer, or an event
 *              without a name)
 * @param data  the JSON body, or the event's {@code data:}; not copied, so callers must not change it afterwards
 */
public record NativeAnswer(String event, byte[] data) {

    /** @throws NullPointerException if {@code data} is null */
    public NativeAnswer {
        Objects.requireNonNull(data, "data");
    }

    /** A whole answer's body. */
    public static NativeAnswer body(byte[] data) {
        return new NativeAnswer(null, data);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NativeAnswer other && Objects.equals(event, other.event)
                && java.util.Arrays.equals(data, other.data);
    }

    @Override
    public int hashCode() {
        return 31 * Objects.hashCode(event) + java.util.Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "NativeAnswer[" + (event == null ? "" : event + ", ") + data.length + " bytes]";
    }
}
