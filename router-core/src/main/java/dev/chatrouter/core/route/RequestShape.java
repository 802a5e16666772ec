package dev.chatrouter.core.route;

import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Content;
import dev.chatrouter.api.chat.ContentPart;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.Tool;
import dev.chatrouter.api.spi.Capability;

import java.util.EnumSet;
import java.util.Set;

/**
 * What routing needs to know of a request: the capabilities it needs and its estimated size.
 *
 * <p>Input tokens are estimated as one token per four characters of text (the usual figure for English under
 * OpenAI's tokenizers), plus four per message for the role and separators, plus a fixed 85 per image and 1,000
 * per file part; tool definitions count by the length of their names, descriptions and parameter schemas.
 *
 * @param needs                 the capabilities a target must have
 * @param estimatedInputTokens  the estimated prompt size
 * @param requestedOutputTokens the caller's output limit, or 0 when it set none
 * @param cacheableInputTokens  the estimated size of the prompt up to its last {@code cache_control} breakpoint:
 *                              what a target with {@code prompt_cache} may read at its cached-input price
 */
public record RequestShape(Set<Capability> needs, long estimatedInputTokens, long requestedOutputTokens,
                           long cacheableInputTokens) {

    public RequestShape(Set<Capability> needs, long estimatedInputTokens, long requestedOutputTokens) {
        this(needs, estimatedInputTokens, requestedOutputTokens, 0);
    }

    static final int CHARS_PER_TOKEN = 4;
    static final int TOKENS_PER_MESSAGE = 4;
    static final int TOKENS_PER_IMAGE = 85;
    static final int TOKENS_PER_FILE = 1_000;

    public static RequestShape of(ChatRequest request) {
        EnumSet<Capability> needs = EnumSet.noneOf(Capability.class);
        long chars = 0;
        long tokens = 0;
        long cacheable = 0;
        for (Message message : request.messages()) {
            tokens += TOKENS_PER_MESSAGE;
            Content content = message.content();
            if (content instanceof Content.Text text) {
                chars += text.text().length();
            } else if (content instanceof Content.Parts parts) {
                for (ContentPart part : parts.parts()) {
                    if (part instanceof ContentPart.Text t) {
                        chars += t.text().length();
                    } else if (part instanceof ContentPart.Image) {
                        needs.add(Capability.VISION);
                        tokens += TOKENS_PER_IMAGE;
                    } else if (part instanceof ContentPart.File) {
                        needs.add(Capability.DOCUMENT);
                        tokens += TOKENS_PER_FILE;
                    } else if (part instanceof ContentPart.Other other) {
                        if ("image".equals(other.type())) {
                            needs.add(Capability.VISION);
                            tokens += TOKENS_PER_IMAGE;
                        } else if ("document".equals(other.type())) {
                            needs.add(Capability.DOCUMENT);
                            tokens += TOKENS_PER_FILE;
                        }
                    }
                    if (part.cacheControl() != null) {
                        // everything before this breakpoint, and the part itself (text, image or document), may be
                        // read from a prompt cache
                        cacheable = tokens + (chars + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN;
                    }
                }
            }
            if (message.toolCalls() != null) {
                for (var call : message.toolCalls()) {
                    if (call.function() != null && call.function().arguments() != null) {
                        chars += call.function().arguments().length();
                    }
                }
            }
        }
        if (request.tools() != null && !request.tools().isEmpty()) {
            needs.add(Capability.TOOLS);
            for (Tool tool : request.tools()) {
                if (tool.function() != null) {
                    chars += tool.function().name().length();
                    if (tool.function().description() != null) {
                        chars += tool.function().description().length();
                    }
                    if (tool.function().parameters() != null) {
                        chars += tool.function().parameters().toString().length();
                    }
                }
            }
        }
        if (request.responseFormat() != null && "json_schema".equals(request.responseFormat().type())) {
            needs.add(Capability.JSON_SCHEMA);
        }
        if (request.isStream()) {
            needs.add(Capability.STREAMING);
        }
        Integer limit = request.outputLimit();
        long input = tokens + (chars + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN;
        return new RequestShape(Set.copyOf(needs), input, limit == null ? 0 : limit, Math.min(cacheable, input));
    }
}
