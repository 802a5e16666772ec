package dev.chatrouter.core.tokens;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/** Images by OpenAI's tile rule, files by pages. */
class MediaTokensTest {

    /** Proves low detail is a flat 85 and high detail counts 512-pixel tiles after both scalings. */
    @Test
    void imagesFollowTheTileRule() {
        assertThat(MediaTokens.image("https://example.com/cat.png", "low")).isEqualTo(85);
        // 1024 x 1024 -> shortest side 768 -> 768 x 768: 2 x 2 tiles
        assertThat(MediaTokens.image(1024, 1024)).isEqualTo(85 + 170 * 4);
        // 2048 x 4096 -> fits 2048: 1024 x 2048 -> shortest 768: 768 x 1536: 2 x 3 tiles
        assertThat(MediaTokens.image(2048, 4096)).isEqualTo(85 + 170 * 6);
        // 512 x 512 is one tile, not scaled up
        assertThat(MediaTokens.image(512, 512)).isEqualTo(85 + 170);
        // unknown size, high or auto: the documented 1024 x 1024
        assertThat(MediaTokens.image("https://example.com/cat.png", "high")).isEqualTo(765);
        assertThat(MediaTokens.image("https://example.com/cat.png", null)).isEqualTo(765);
    }

    /** Proves a PNG data URL is sized from its header. */
    @Test
    void aPngDataUrlIsSizedFromItsHeader() {
        ByteBuffer png = ByteBuffer.allocate(33);
        png.put(new byte[]{(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 'I', 'H', 'D', 'R'});
        png.putInt(300).putInt(200);
        String url = "data:image/png;base64," + Base64.getEncoder().encodeToString(png.array());
        assertThat(MediaTokens.image(url, "auto")).isEqualTo(85 + 170); // 300 x 200: one tile
    }

    /** Proves files count 1,500 tokens per started 50 KB, and one page when their size is unknown. */
    @Test
    void filesCountByPages() {
        assertThat(MediaTokens.file(null)).isEqualTo(1_500);
        String hundredKb = "A".repeat(100 * 1024 * 4 / 3 + 8);
        assertThat(MediaTokens.file("data:application/pdf;base64," + hundredKb)).isEqualTo(3 * 1_500);
    }
}
