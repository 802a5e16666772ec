package dev.chatrouter.core.route;

import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Content;
import dev.chatrouter.api.chat.ContentPart;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.Role;
import dev.chatrouter.api.chat.Tool;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.core.classify.RuleClassifier;
import dev.chatrouter.core.classify.PromptReadings;
import dev.chatrouter.core.tokens.Encoding;
import dev.chatrouter.core.tokens.MediaTokens;
import dev.chatrouter.core.tokens.TokenEstimate;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What routing needs to know of a request: the capabilities it needs and its estimated size.
 *
 * <p>Input tokens are estimated by {@link TokenEstimate}: one pass over the text (message text, tool-call
 * arguments, tool names, descriptions and parameter schemas) counting characters by script, at rates calibrated
 * against OpenAI's tokenizers; on the calibration corpus (English prose and documentation, Java, Python, Chinese,
 * Japanese) a 2 KB text's estimate is within 13% of the exact count, and a paragraph of prose, code or CJK text
 * within 10% (docs/routing.md#token-counting). To that come {@value #TOKENS_PER_MESSAGE} tokens a message (role and
 * separators) and {@value #REPLY_PRIMING} to prime the reply, as OpenAI counts them; images by OpenAI's tile rule
 * and files by pages ({@link MediaTokens}). The estimate is made for both encodings in the same pass:
 * {@link #estimatedInputTokens()} is {@code cl100k_base}'s, the larger of the two on every script (it is the one
 * classification and planning use), {@link #compactInputTokens()} is {@code o200k_base}'s. Exact counting
 * ({@link dev.chatrouter.core.tokens.Tokens}) costs about ten times as much and is kept off the decision path.
 *
 * @param needs                 the capabilities a target must have
 * @param estimatedInputTokens  the estimated prompt size under {@code cl100k_base}
 * @param requestedOutputTokens the caller's output limit, or 0 when it set none
 * @param cacheableInputTokens  the estimated size of the prompt up to its last {@code cache_control} breakpoint:
 *                              what a target with {@code prompt_cache} may read at its cached-input price
 * @param compactInputTokens    the estimated prompt size under {@code o200k_base}
 * @param instructionSignals    the classifier's text signals in the system, developer and user texts, found in the
 *                              same pass ({@link #of(ChatRequest, int)}); -1 when they were not looked for
 */
public record RequestShape(Set<Capability> needs, long estimatedInputTokens, long requestedOutputTokens,
                           long cacheableInputTokens, long compactInputTokens, int instructionSignals) {

    public RequestShape(Set<Capability> needs, long estimatedInputTokens, long requestedOutputTokens,
                        long cacheableInputTokens, long compactInputTokens) {
        this(needs, estimatedInputTokens, requestedOutputTokens, cacheableInputTokens, compactInputTokens, -1);
    }

    public RequestShape(Set<Capability> needs, long estimatedInputTokens, long requestedOutputTokens) {
        this(needs, estimatedInputTokens, requestedOutputTokens, 0, estimatedInputTokens);
    }

    public RequestShape(Set<Capability> needs, long estimatedInputTokens, long requestedOutputTokens,
                        long cacheableInputTokens) {
        this(needs, estimatedInputTokens, requestedOutputTokens, cacheableInputTokens, estimatedInputTokens);
    }

    static final int TOKENS_PER_MESSAGE = 4;
    static final int REPLY_PRIMING = 3;

    /** The estimated prompt size under {@code encoding}. */
    public long estimatedInputTokens(Encoding encoding) {
        return encoding == Encoding.O200K_BASE ? compactInputTokens : estimatedInputTokens;
    }

    /** The shape of embeddings input: its texts, estimated like a prompt's. */
    public static RequestShape ofTexts(Set<Capability> needs, Iterable<String> texts) {
        TokenEstimate text = new TokenEstimate();
        for (String t : texts) {
            text.add(t);
        }
        return new RequestShape(needs, text.tokens(Encoding.CL100K_BASE), 0, 0, text.tokens(Encoding.O200K_BASE));
    }

    /**
     * Whether the request offers tools or forces a call: non-empty {@code tools}, {@code tool_choice} of
     * {@code required} or a named function, or the legacy {@code functions} and a {@code function_call} naming one.
     */
    public static boolean usesTools(ChatRequest request) {
        return request.tools() != null && !request.tools().isEmpty()
                || request.toolChoice() != null && request.toolChoice().forcesCall()
                || request.extra().get("functions") instanceof List<?> functions && !functions.isEmpty()
                || request.extra().get("function_call") instanceof Map<?, ?> named && named.get("name") != null;
    }

    public static RequestShape of(ChatRequest request) {
        return of(request, 0);
    }

    /**
     * The shape of a request, and the {@code signalsWanted} of {@link RuleClassifier#instructionSignalsWanted()}
     * found in its system, developer and user texts in the same pass over them (one pass instead of two when the
     * built-in classifier runs next), the simple rule's in the last user message when it is one text (see
     * {@link RuleClassifier#SIMPLE_READ}). When one of those texts is too long to be read whole
     * ({@link TokenEstimate#SAMPLE_CHARS}), or {@code signalsWanted} is 0, the signals are left to the classifier
     * ({@link #instructionSignals()} is -1).
     */
    public static RequestShape of(ChatRequest request, int signalsWanted) {
        return of(request, signalsWanted, null);
    }

    /**
     * {@link #of(ChatRequest, int)}, with the texts (but the last user message's) and the tools read through
     * {@code readings} (null: read every time), so that a system prompt, a tool or a long message seen before is not
     * read again.
     */
    public static RequestShape of(ChatRequest request, int signalsWanted, PromptReadings readings) {
        EnumSet<Capability> needs = EnumSet.noneOf(Capability.class);
        TokenEstimate text = new TokenEstimate();
        long tokens = REPLY_PRIMING;
        long cacheable = 0;
        int signals = signalsWanted == 0 ? -1 : 0;
        // the simple rule reads the last user message, in the same pass when it is one text short enough for it
        Message lastUser = null;
        if ((signalsWanted & RuleClassifier.SIMPLE) != 0) {
            for (Message message : request.messages()) {
                if (message.role() == Role.USER) {
                    lastUser = message;
                }
            }
            if (lastUser == null || lastUser.content() instanceof Content.Text t
                    && t.text().length() > RuleClassifier.SIMPLE_MAX_CHARS) {
                signals = RuleClassifier.SIMPLE_READ; // nothing for the rule to read
                lastUser = null;
            } else if (lastUser.content() instanceof Content.Text) {
                signals = RuleClassifier.SIMPLE_READ;
            } else {
                lastUser = null; // its parts' texts are read together, by the classifier
            }
        }
        for (Message message : request.messages()) {
            tokens += TOKENS_PER_MESSAGE;
            boolean instruction = signals >= 0 && (message.role() == Role.USER || message.role() == Role.SYSTEM
                    || message.role() == Role.DEVELOPER);
            Content content = message.content();
            boolean system = readings != null && (message.role() == Role.SYSTEM || message.role() == Role.DEVELOPER);
            if (content instanceof Content.Text t) {
                if (system) {
                    signals = readSystem(t.text(), signalsWanted, signals, text, readings);
                } else if (instruction && (readings == null || message == lastUser)) {
                    signals = read(t.text(), signalsWanted, message == lastUser, signals, text);
                } else if (readings != null) {
                    signals = readMessage(t.text(), instruction ? signalsWanted : 0, signals, text, readings);
                } else {
                    text.add(t.text());
                }
            } else if (content instanceof Content.Parts parts) {
                for (ContentPart part : parts.parts()) {
                    if (part instanceof ContentPart.Text t) {
                        if (system) {
                            signals = readSystem(t.text(), signalsWanted, signals, text, readings);
                        } else if (readings != null) {
                            signals = readMessage(t.text(), instruction ? signalsWanted : 0, signals, text, readings);
                        } else if (instruction && signals >= 0) {
                            signals = read(t.text(), signalsWanted, false, signals, text);
                        } else {
                            text.add(t.text());
                        }
                    } else if (part instanceof ContentPart.Image) {
                        needs.add(Capability.VISION);
                        tokens += MediaTokens.of(part);
                    } else if (part instanceof ContentPart.File) {
                        needs.add(Capability.DOCUMENT);
                        tokens += MediaTokens.of(part);
                    } else if (part instanceof ContentPart.Other other) {
                        if ("image".equals(other.type())) {
                            needs.add(Capability.VISION);
                        } else if ("document".equals(other.type())) {
                            needs.add(Capability.DOCUMENT);
                        }
                        tokens += MediaTokens.of(part);
                    }
                    if (part.cacheControl() != null) {
                        // everything before this breakpoint, and the part itself (text, image or document), may be
                        // read from a prompt cache
                        cacheable = tokens + text.tokens(Encoding.CL100K_BASE);
                    }
                }
            }
            if (message.toolCalls() != null) {
                for (var call : message.toolCalls()) {
                    if (call.function() != null && call.function().arguments() != null) {
                        text.add(call.function().arguments());
                    }
                }
            }
        }
        if (request.extra().get("functions") instanceof List<?> functions && !functions.isEmpty()) {
            // the legacy function-call protocol: functions are tools to a target
            needs.add(Capability.TOOLS);
            text.add(functions.toString());
        }
        if (request.tools() != null && !request.tools().isEmpty()) {
            needs.add(Capability.TOOLS);
            for (Tool tool : request.tools()) {
                if (tool.function() != null && readings != null) {
                    readings.count(tool, text);
                } else if (tool.function() != null) {
                    text.add(tool.function().name());
                    if (tool.function().description() != null) {
                        text.add(tool.function().description());
                    }
                    if (tool.function().parameters() != null) {
                        text.add(tool.function().parameters().toString());
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
        long input = tokens + text.tokens(Encoding.CL100K_BASE);
        long compact = tokens + text.tokens(Encoding.O200K_BASE);
        // a read-only view of the set built here (no copy into a hash set per request)
        return new RequestShape(needs.isEmpty() ? Set.of() : java.util.Collections.unmodifiableSet(needs), input,
                limit == null ? 0 : limit, Math.min(cacheable, input), compact, signals);
    }

    /**
     * Adds an instruction text to the tally, looking for the wanted signals not found yet (and for
     * {@link RuleClassifier#SIMPLE} when it is the last user message's); returns the signals found so far, or -1
     * when it was too long.
     */
    private static int read(String s, int wanted, boolean lastUser, int signals, TokenEstimate tally) {
        if (s.length() > TokenEstimate.SAMPLE_CHARS) {
            tally.add(s);
            return -1;
        }
        int here = (wanted & ~RuleClassifier.SIMPLE & ~signals) | (lastUser ? RuleClassifier.SIMPLE : 0);
        if (here == 0) {
            tally.add(s); // every wanted signal is found: counting alone is cheaper
            return signals;
        }
        // a text's other signals are not this rule set's to read (the simple words of a system prompt)
        return signals | (RuleClassifier.scanCounting(s, here, tally) & here);
    }

    /**
     * {@link #read} for a system or developer text, which the simple rule does not read: from its reading. The
     * signals found so far stay as they are when they are no longer looked for (-1).
     */
    private static int readSystem(String s, int wanted, int signals, TokenEstimate tally,
                                  PromptReadings readings) {
        int found = readings.scanCounting(s, signals < 0 ? 0 : wanted & ~RuleClassifier.SIMPLE & ~signals, tally);
        return signals < 0 || found < 0 ? -1 : signals | found;
    }

    /**
     * {@link #readSystem} for a text of the conversation other than the last user message's; {@code wanted} is 0
     * for a text whose signals are not looked for (an assistant's or a tool's), which leaves the signals as they are.
     */
    private static int readMessage(String s, int wanted, int signals, TokenEstimate tally,
                                   PromptReadings readings) {
        int here = signals < 0 ? 0 : wanted & ~RuleClassifier.SIMPLE & ~signals;
        int found = readings.scanCountingMessage(s, here, tally);
        return signals < 0 || wanted == 0 ? signals : found < 0 ? -1 : signals | found;
    }
}
