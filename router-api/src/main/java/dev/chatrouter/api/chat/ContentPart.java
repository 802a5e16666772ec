package dev.chatrouter.api.chat;

import java.util.Map;
import java.util.Objects;

/**
 * One part of a multi-part message content. Each kind keeps the fields the router does not model in
 * {@code extra}, so they reach OpenAI-compatible upstreams untouched.
 */
public sealed interface ContentPart {

    /** The part's {@code type} on the wire. */
    String type();

    /** The prompt-cache breakpoint on this part, or {@code null}. */
    CacheControl cacheControl();

    /** Fields of the part the model does not name. */
    Map<String, Object> extra();

    static Text text(String text) {
        return new Text(text, null, Map.of());
    }

    static Image imageUrl(String url) {
        return new Image(url, null, null, Map.of());
    }

    /** {@code {"type":"text","text":...}} */
    record Text(String text, CacheControl cacheControl, Map<String, Object> extra) implements ContentPart {
        public Text {
            Objects.requireNonNull(text, "text");
            extra = Extras.copy(extra);
        }

        @Override
        public String type() {
            return "text";
        }
    }

    /**
     * {@code {"type":"image_url","image_url":{"url":...,"detail":...}}}; the URL may be a {@code data:} URL.
     *
     * @param imageExtra fields of the {@code image_url} object other than url and detail
     */
    record Image(String url, String detail, CacheControl cacheControl, Map<String, Object> extra,
                 Map<String, Object> imageExtra) implements ContentPart {
        public Image {
            Objects.requireNonNull(url, "url");
            extra = Extras.copy(extra);
            imageExtra = Extras.copy(imageExtra);
        }

        public Image(String url, String detail, CacheControl cacheControl, Map<String, Object> extra) {
            this(url, detail, cacheControl, extra, Map.of());
        }

        @Override
        public String type() {
            return "image_url";
        }
    }

    /** {@code {"type":"input_audio","input_audio":{"data":...,"format":...}}} */
    record Audio(String data, String format, CacheControl cacheControl, Map<String, Object> extra)
            implements ContentPart {
        public Audio {
            Objects.requireNonNull(data, "data");
            extra = Extras.copy(extra);
        }

        @Override
        public String type() {
            return "input_audio";
        }
    }

    /**
     * {@code {"type":"file","file":{"file_id":...,"filename":...,"file_data":...}}}: a PDF or other document,
     * by id or inline as a {@code data:} URL.
     */
    record File(String fileId, String filename, String fileData, CacheControl cacheControl, Map<String, Object> extra)
            implements ContentPart {
        public File {
            extra = Extras.copy(extra);
        }

        @Override
        public String type() {
            return "file";
        }
    }

    /**
     * A part of a type the model does not know (an Anthropic {@code document} or {@code image} block, a
     * {@code refusal}...), kept whole.
     *
     * @param fields every field of the part except {@code type} and {@code cache_control}
     */
    record Other(String type, CacheControl cacheControl, Map<String, Object> fields) implements ContentPart {
        public Other {
            Objects.requireNonNull(type, "type");
            fields = Extras.copy(fields);
        }

        @Override
        public Map<String, Object> extra() {
            return fields;
        }
    }
}
