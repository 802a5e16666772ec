package dev.chatrouter.core.tokens;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Content;
import dev.chatrouter.api.chat.ContentPart;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.Tool;

import java.util.List;

/**
 * Exact token counts with OpenAI's tokenizers (jtokkit): what the router charges when an upstream reports no usage
 * (a stream without a usage chunk), and what the estimate is calibrated against (see docs/routing.md#token-counting).
 * The encodings are loaded once, when this class is first used; {@link #preload()} does it at startup, so that no
 * request pays for it.
 *
 * <p>Which encoding a model id uses (jtokkit knows no model past gpt-4o): the part after the last {@code /} is read
 * (so {@code openai/gpt-4o} at OpenRouter is gpt-4o); {@code gpt-4o*}, {@code gpt-4.1*}, {@code gpt-4.5*},
 * {@code gpt-5*} and any later {@code gpt-N}, {@code chatgpt-*}, {@code gpt-oss*}, {@code o1*}, {@code o3*},
 * {@code o4*} and any later {@code oN} are {@code o200k_base}; everything else ({@code gpt-3.5*}, {@code gpt-4},
 * {@code gpt-4-turbo}, embeddings models, and other families, whose own tokenizers are not public) is
 * {@code cl100k_base}.
 */
public final class Tokens {

    /** OpenAI's chat format: tokens around each message (role and separators), and priming the reply. */
    static final int TOKENS_PER_MESSAGE = 3;
    static final int TOKENS_PER_NAME = 1;
    static final int REPLY_PRIMING = 3;

    private static final com.knuddels.jtokkit.api.Encoding CL100K;
    private static final com.knuddels.jtokkit.api.Encoding O200K;

    static {
        EncodingRegistry registry = Encodings.newLazyEncodingRegistry();
        CL100K = registry.getEncoding(EncodingType.CL100K_BASE);
        O200K = registry.getEncoding(EncodingType.O200K_BASE);
        // the lazy registry builds an encoding on first use: build both now, once
        CL100K.countTokensOrdinary("warm");
        O200K.countTokensOrdinary("warm");
    }

    private Tokens() {
    }

    /** Loads both encodings now (it takes a few hundred milliseconds), if not done yet. */
    public static void preload() {
        // the static initializer did it
    }

    /** The encoding a model id (as sent upstream) uses; see the class documentation. */
    public static Encoding encodingOf(String modelId) {
        if (modelId == null) {
            return Encoding.CL100K_BASE;
        }
        // read in place, case-insensitively: the router asks for every target it weighs, so no copies
        int at = modelId.lastIndexOf('/') + 1;
        if (starts(modelId, at, "gpt-4o") || starts(modelId, at, "gpt-4.1") || starts(modelId, at, "gpt-4.5")
                || starts(modelId, at, "chatgpt-") || starts(modelId, at, "gpt-oss")) {
            return Encoding.O200K_BASE;
        }
        if (starts(modelId, at, "gpt-")) {
            int major = leadingNumber(modelId, at + 4);
            return major >= 5 ? Encoding.O200K_BASE : Encoding.CL100K_BASE;
        }
        if (modelId.length() - at > 1 && (modelId.charAt(at) | 0x20) == 'o' && leadingNumber(modelId, at + 1) >= 1) {
            return Encoding.O200K_BASE;
        }
        return Encoding.CL100K_BASE;
    }

    private static boolean starts(String id, int at, String lowerPrefix) {
        return id.regionMatches(true, at, lowerPrefix, 0, lowerPrefix.length());
    }

    /** The number of up to three digits that starts at {@code from}, or -1. */
    private static int leadingNumber(String id, int from) {
        int n = -1;
        for (int i = from; i < id.length() && i < from + 3 && id.charAt(i) >= '0' && id.charAt(i) <= '9'; i++) {
            n = (n < 0 ? 0 : n * 10) + (id.charAt(i) - '0');
        }
        return n;
    }

    /** The exact number of tokens of {@code text} (special tokens counted as text). */
    public static int count(String text, Encoding encoding) {
        if (text == null || text.isEmpty()) {
            return 0;
        }
        return (encoding == Encoding.O200K_BASE ? O200K : CL100K).countTokensOrdinary(text);
    }

    /**
     * The prompt tokens of a chat request as OpenAI counts them: each message's text (and tool calls) plus
     * {@value #TOKENS_PER_MESSAGE} for its role and separators, {@value #REPLY_PRIMING} to prime the reply, images
     * and files by {@link MediaTokens}, and tool definitions by the text of their names, descriptions and schemas.
     */
    public static long countInput(ChatRequest request, Encoding encoding) {
        long tokens = REPLY_PRIMING;
        for (Message message : request.messages()) {
            tokens += TOKENS_PER_MESSAGE + count(message.role().wireName(), encoding);
            if (message.name() != null) {
                tokens += TOKENS_PER_NAME + count(message.name(), encoding);
            }
            Content content = message.content();
            if (content instanceof Content.Text text) {
                tokens += count(text.text(), encoding);
            } else if (content instanceof Content.Parts parts) {
                for (ContentPart part : parts.parts()) {
                    if (part instanceof ContentPart.Text t) {
                        tokens += count(t.text(), encoding);
                    } else {
                        tokens += MediaTokens.of(part);
                    }
                }
            }
            if (message.toolCalls() != null) {
                for (var call : message.toolCalls()) {
                    if (call.function() != null) {
                        tokens += count(call.function().name(), encoding) + count(call.function().arguments(), encoding);
                    }
                }
            }
        }
        tokens += countTools(request.tools(), encoding);
        return tokens;
    }

    private static long countTools(List<Tool> tools, Encoding encoding) {
        if (tools == null) {
            return 0;
        }
        long tokens = 0;
        for (Tool tool : tools) {
            if (tool.function() != null) {
                tokens += count(tool.function().name(), encoding) + count(tool.function().description(), encoding);
                if (tool.function().parameters() != null) {
                    tokens += count(tool.function().parameters().toString(), encoding);
                }
            }
        }
        return tokens;
    }
}
