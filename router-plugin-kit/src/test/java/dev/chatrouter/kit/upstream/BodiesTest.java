package dev.chatrouter.kit.upstream;

import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Bodies sent and read whole without the copies nothing needs, and with every byte where it belongs. */
class BodiesTest {

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aWrappedArrayIsSentAsItIsWithoutACopy() {
        byte[] body = bytes("{\"a\":1}");

        Buffer wrapped = Bodies.wrap(body);

        assertThat(wrapped.getBytes()).isEqualTo(body);
        assertThat(((BufferInternal) wrapped).unwrap().array()).isSameAs(body);
    }

    @Test
    void aBodyOfOneChunkIsThatChunksOwnArray() {
        byte[] only = bytes("{\"whole\":true}");
        Bodies.Whole body = new Bodies.Whole(only.length);

        body.append(Bodies.wrap(only));

        assertThat(body.length()).isEqualTo(only.length);
        assertThat(body.bytes()).isSameAs(only);
    }

    @Test
    void aChunkThatIsPartOfALargerArrayIsCopied() {
        byte[] larger = bytes("xx{\"part\":1}yy");
        Buffer slice = BufferInternal.buffer(Unpooled.wrappedBuffer(larger, 2, larger.length - 4));
        Bodies.Whole body = new Bodies.Whole(-1);

        body.append(slice);

        assertThat(body.bytes()).isEqualTo(bytes("{\"part\":1}")).isNotSameAs(larger);
    }

    @Test
    void aChunkWithRoomLeftInItsArrayIsCopied() {
        Buffer chunk = Buffer.buffer(64).appendString("{\"room\":1}");
        Bodies.Whole body = new Bodies.Whole(-1);

        body.append(chunk);

        assertThat(body.bytes()).isEqualTo(bytes("{\"room\":1}"));
    }

    @Test
    void chunksAreJoinedInOrderWhateverTheDeclaredLength() {
        for (long declared : new long[] {-1, 0, 3, 11, 1L << 40}) {
            Bodies.Whole body = new Bodies.Whole(declared);
            body.append(Buffer.buffer("{\"a\""));
            body.append(Buffer.buffer(":"));
            body.append(Buffer.buffer("[1,2]}"));

            assertThat(body.length()).isEqualTo(11);
            assertThat(new String(body.bytes(), StandardCharsets.UTF_8)).as("declared %d", declared)
                    .isEqualTo("{\"a\":[1,2]}");
        }
    }

    @Test
    void aBodyWithoutChunksIsEmpty() {
        assertThat(new Bodies.Whole(-1).bytes()).isEmpty();
    }

    @Test
    void aChunkIsReadInPlaceFromItsOffset() {
        byte[] larger = bytes("--data: x\n\n--");
        Buffer slice = BufferInternal.buffer(Unpooled.wrappedBuffer(larger, 2, larger.length - 4));
        ByteArrayOutputStream read = new ByteArrayOutputStream();

        Bodies.read(slice, (bytes, offset, length) -> {
            assertThat(bytes).isSameAs(larger);
            read.write(bytes, offset, length);
        });

        assertThat(read.toString(StandardCharsets.UTF_8)).isEqualTo("data: x\n\n");
    }
}
