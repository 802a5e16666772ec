package dev.chatrouter.core.tokens;

import dev.chatrouter.api.chat.ContentPart;

import java.util.Base64;

/**
 * What images and files cost in prompt tokens (see docs/routing.md#token-counting).
 *
 * <p>Images, by OpenAI's tile rule: {@code detail: low} costs {@value #IMAGE_BASE}; {@code high} or {@code auto}
 * (or none) costs {@value #IMAGE_BASE} plus {@value #IMAGE_PER_TILE} per 512-pixel tile, after the image is scaled
 * to fit 2048 x 2048 and then so that its shortest side is at most 768. The size is read from the header of a
 * {@code data:} URL (PNG, GIF, JPEG, WebP); for a remote URL, or a header that cannot be read, the image is assumed
 * to be {@value #DEFAULT_SIDE} x {@value #DEFAULT_SIDE}: 4 tiles, 765 tokens.
 *
 * <p>Files: {@value #TOKENS_PER_PAGE} tokens per page (OpenAI reads a PDF page as its text and an image of the page:
 * a letter-size page is 765 image tokens plus a few hundred of text), a page being each started
 * {@value #BYTES_PER_PAGE} bytes of the file's data; a file sent by {@code file_id}, whose size the router cannot
 * see, counts as one page.
 */
public final class MediaTokens {

    static final int IMAGE_BASE = 85;
    static final int IMAGE_PER_TILE = 170;
    static final int DEFAULT_SIDE = 1024;
    static final int TOKENS_PER_PAGE = 1_500;
    static final int BYTES_PER_PAGE = 50 * 1024;
    /** How much of a data URL's base64 is decoded to find the image's size. */
    private static final int HEADER_BASE64_CHARS = 64 * 1024;

    private MediaTokens() {
    }

    /** The tokens of a non-text content part: an image, a file or document, else 0. */
    public static long of(ContentPart part) {
        if (part instanceof ContentPart.Image image) {
            return image(image.url(), image.detail());
        }
        if (part instanceof ContentPart.File file) {
            return file(file.fileData());
        }
        if (part instanceof ContentPart.Other other) {
            if ("image".equals(other.type())) {
                return image(null, null);
            }
            if ("document".equals(other.type())) {
                return file(null);
            }
        }
        return 0;
    }

    /** The tokens of an image at {@code url} (a data URL's header gives the size) with {@code detail}. */
    public static long image(String url, String detail) {
        if ("low".equals(detail)) {
            return IMAGE_BASE;
        }
        int[] size = url == null ? null : dataUrlSize(url);
        return size == null ? image(DEFAULT_SIDE, DEFAULT_SIDE) : image(size[0], size[1]);
    }

    /** The tokens of a {@code width} x {@code height} image at high detail. */
    public static long image(long width, long height) {
        if (width <= 0 || height <= 0) {
            return image(DEFAULT_SIDE, DEFAULT_SIDE);
        }
        double w = width;
        double h = height;
        if (w > 2048 || h > 2048) {
            double scale = 2048 / Math.max(w, h);
            w *= scale;
            h *= scale;
        }
        if (Math.min(w, h) > 768) {
            double scale = 768 / Math.min(w, h);
            w *= scale;
            h *= scale;
        }
        long tiles = (long) Math.ceil(w / 512) * (long) Math.ceil(h / 512);
        return IMAGE_BASE + IMAGE_PER_TILE * tiles;
    }

    /** The tokens of a file whose data is {@code base64} ({@code null} or a data URL's tail also accepted). */
    public static long file(String data) {
        if (data == null || data.isEmpty()) {
            return TOKENS_PER_PAGE;
        }
        int comma = data.startsWith("data:") ? data.indexOf(',') : -1;
        long bytes = (data.length() - comma - 1) * 3L / 4;
        return TOKENS_PER_PAGE * Math.max(1, (bytes + BYTES_PER_PAGE - 1) / BYTES_PER_PAGE);
    }

    /** Width and height from a base64 data URL's image header, or {@code null}. */
    static int[] dataUrlSize(String url) {
        if (!url.startsWith("data:")) {
            return null;
        }
        int comma = url.indexOf(',');
        if (comma < 0 || !url.regionMatches(comma - 7, ";base64", 0, 7)) {
            return null;
        }
        // 64 characters hold the header of a PNG, GIF or WebP; a JPEG's size may come after its metadata
        byte[] head = decode(url, comma + 1, 64);
        if (head != null && head.length >= 2 && (head[0] & 0xff) == 0xff && (head[1] & 0xff) == 0xd8) {
            head = decode(url, comma + 1, HEADER_BASE64_CHARS);
        }
        if (head == null) {
            return null;
        }
        return imageSize(head);
    }

    private static byte[] decode(String url, int from, int chars) {
        int end = Math.min(url.length(), from + chars);
        end -= (end - from) % 4;
        try {
            return Base64.getDecoder().decode(url.substring(from, end));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Width and height from the start of a PNG, GIF, WebP or JPEG file, or {@code null}. */
    static int[] imageSize(byte[] b) {
        if (b.length >= 24 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
            return new int[]{int32(b, 16), int32(b, 20)};
        }
        if (b.length >= 10 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F') {
            return new int[]{u16le(b, 6), u16le(b, 8)};
        }
        if (b.length >= 30 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F' && b[8] == 'W'
                && b[9] == 'E' && b[10] == 'B' && b[11] == 'P') {
            if (b[12] == 'V' && b[13] == 'P' && b[14] == '8' && b[15] == ' ') {
                return new int[]{u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff};
            }
            if (b[12] == 'V' && b[13] == 'P' && b[14] == '8' && b[15] == 'L') {
                int bits = (b[21] & 0xff) | (b[22] & 0xff) << 8 | (b[23] & 0xff) << 16 | (b[24] & 0xff) << 24;
                return new int[]{(bits & 0x3fff) + 1, (bits >>> 14 & 0x3fff) + 1};
            }
            if (b[12] == 'V' && b[13] == 'P' && b[14] == '8' && b[15] == 'X') {
                return new int[]{u24le(b, 24) + 1, u24le(b, 27) + 1};
            }
            return null;
        }
        if (b.length >= 4 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8) {
            int i = 2;
            while (i + 9 < b.length) {
                if ((b[i] & 0xff) != 0xff) {
                    return null;
                }
                int marker = b[i + 1] & 0xff;
                int length = u16be(b, i + 2);
                boolean sof = marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
                if (sof) {
                    return new int[]{u16be(b, i + 7), u16be(b, i + 5)};
                }
                i += 2 + length;
            }
        }
        return null;
    }

    private static int int32(byte[] b, int i) {
        return (b[i] & 0xff) << 24 | (b[i + 1] & 0xff) << 16 | (b[i + 2] & 0xff) << 8 | (b[i + 3] & 0xff);
    }

    private static int u16be(byte[] b, int i) {
        return (b[i] & 0xff) << 8 | (b[i + 1] & 0xff);
    }

    private static int u16le(byte[] b, int i) {
        return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8;
    }

    private static int u24le(byte[] b, int i) {
        return (b[i] & 0xff) | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff) << 16;
    }
}
