package dev.chatrouter.core.classify;

import dev.chatrouter.api.Effort;
import dev.chatrouter.api.RequestType;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Content;
import dev.chatrouter.api.chat.ContentPart;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.Role;
import dev.chatrouter.api.config.ClassificationConfig;
import dev.chatrouter.api.spi.RequestClassifier;
import dev.chatrouter.core.route.RequestShape;
import dev.chatrouter.core.tokens.TokenEstimate;

import java.util.ArrayList;
import java.util.List;

/**
 * The built-in classifier: the nine rules of docs/routing.md#classification, run in the configured order, first match wins.
 * Reads only the request's shape and bounded windows of its text ({@link TextSignals#WINDOW}).
 *
 * <ol>
 *   <li>{@code document}: a {@code file} part, or an Anthropic {@code document} block: type document</li>
 *   <li>{@code vision}: an {@code image_url} part, or an Anthropic {@code image} block: vision</li>
 *   <li>{@code long}: estimated input tokens above {@code long_input_tokens}: long</li>
 *   <li>{@code tools}: non-empty {@code tools}, or {@code tool_choice} required or a named function: code</li>
 *   <li>{@code code}: in system, developer or user text, a fenced code block, a unified diff, a stack trace
 *       or a repository path ({@code src/main/App.java}): code</li>
 *   <li>{@code json}: {@code response_format} json_schema or json_object, or extraction language in system,
 *       developer or user text ("extract the names as JSON"): json</li>
 *   <li>{@code reason}: "step by step", "prove", "derive", "show that"..., or two or more numbered or lettered
 *       parts with mathematics in them, in system, developer or user text: reason</li>
 *   <li>{@code simple}: a last user message of at most {@value #SIMPLE_MAX_CHARS} characters asking to
 *       summarize, classify, translate or rewrite: flash at effort {@code auto}, {@code fast}, {@code minimal}
 *       or {@code low}, else pro</li>
 *   <li>{@code base}: the route's {@code base_type}</li>
 * </ol>
 */
public final class RuleClassifier implements RequestClassifier {

    /** The longest last user message the {@code simple} rule reads. */
    public static final int SIMPLE_MAX_CHARS = 1_000;
    /** The {@code simple} rule's signal, which only the last user message's text is read for. */
    public static final int SIMPLE = TextSignals.SIMPLE;
    /**
     * In the signals handed to {@link #classify(ChatRequest, Input, int)}: the {@link #SIMPLE} bit was looked for
     * in the last user message (which is a single text, or too long for the rule, or missing).
     */
    public static final int SIMPLE_READ = 1 << 5;

    private final List<String> order;
    private final long longInputTokens;
    private final int signalsWanted;

    public RuleClassifier(ClassificationConfig config) {
        this.order = config.order();
        this.longInputTokens = config.longInputTokens();
        this.signalsWanted = (order.contains("code") ? TextSignals.CODE : 0)
                | (order.contains("json") ? TextSignals.JSON : 0)
                | (order.contains("reason") ? TextSignals.REASON : 0)
                | (order.contains("simple") ? SIMPLE : 0);
    }

    /**
     * The text signals this classifier's enabled rules read: code, json and reason in system, developer and user
     * texts, {@link #SIMPLE} in the last user message's; 0 when no such rule is enabled.
     */
    public int instructionSignalsWanted() {
        return signalsWanted;
    }

    /**
     * Finds the {@code wanted} signals in a system, developer or user text of at most
     * {@link TokenEstimate#SAMPLE_CHARS} characters and adds the text to {@code tally}, in one pass: what
     * {@link RequestShape#of(ChatRequest, int)} does so that classification does not read the text again.
     *
     * @return the signals found, for {@link #classify(ChatRequest, Input, int)}
     */
    public static int scanCounting(String text, int wanted, TokenEstimate tally) {
        return TextSignals.scanCounting(text, wanted, tally);
    }

    @Override
    public Classification classify(ChatRequest request, Input input) {
        return classify(request, input, -1);
    }

    /**
     * Classifies a request whose system, developer and user texts were already read: {@code instructionSignals}
     * is what {@link #scanCounting} found in them (or'ed) of the code, json and reason signals of
     * {@link #instructionSignalsWanted()}, with {@link #SIMPLE} found in the last user message's text when
     * {@link #SIMPLE_READ} says it was looked for; -1 to read them here.
     */
    public Classification classify(ChatRequest request, Input input, int instructionSignals) {
        Facts facts = instructionSignals < 0 ? null : new Facts(request, instructionSignals);
        for (String rule : order) {
            RequestType type = switch (rule) {
                case "document" -> (facts = facts(facts, request)).document ? RequestType.DOCUMENT : null;
                case "vision" -> (facts = facts(facts, request)).image ? RequestType.VISION : null;
                case "long" -> input.estimatedInputTokens() > longInputTokens ? RequestType.LONG : null;
                case "tools" -> RequestShape.usesTools(request) ? RequestType.CODE : null;
                case "code" -> (facts = facts(facts, request)).code() ? RequestType.CODE : null;
                case "json" -> json(request) || (facts = facts(facts, request)).json() ? RequestType.JSON : null;
                case "reason" -> (facts = facts(facts, request)).reasoning() ? RequestType.REASON : null;
                case "simple" -> (facts = facts(facts, request)).simple()
                        ? (lowEffort(input.effort()) ? RequestType.FLASH : RequestType.PRO) : null;
                case "base" -> input.baseType();
                default -> null;
            };
            if (type != null) {
                return new Classification(type, rule);
            }
        }
        return new Classification(input.baseType(), "base");
    }

    private static boolean lowEffort(Effort effort) {
        return switch (effort) {
            case AUTO, FAST, MINIMAL, LOW -> true;
            default -> false;
        };
    }

    private static boolean json(ChatRequest request) {
        if (request.responseFormat() == null) {
            return false;
        }
        String type = request.responseFormat().type();
        return "json_schema".equals(type) || "json_object".equals(type);
    }

    private static Facts facts(Facts known, ChatRequest request) {
        return known != null ? known : new Facts(request, -1);
    }

    /** What one pass over the messages finds; text signals are computed on first use. */
    private static final class Facts {
        private static final int INSTRUCTION_SIGNALS = TextSignals.CODE | TextSignals.JSON | TextSignals.REASON;

        boolean document;
        boolean image;
        private final List<String> instructionTexts = new ArrayList<>(4);
        private Message lastUser;
        private int signals = -1;

        /** {@code signals}: those of the instruction texts when they were read already, else -1. */
        Facts(ChatRequest request, int signals) {
            this.signals = signals;
            boolean collect = signals < 0;
            for (Message message : request.messages()) {
                boolean instruction = collect && (message.role() == Role.USER || message.role() == Role.SYSTEM
                        || message.role() == Role.DEVELOPER);
                Content content = message.content();
                if (content instanceof Content.Text text) {
                    if (instruction) {
                        instructionTexts.add(text.text());
                    }
                } else if (content instanceof Content.Parts parts) {
                    for (ContentPart part : parts.parts()) {
                        if (part instanceof ContentPart.File
                                || part instanceof ContentPart.Other o && "document".equals(o.type())) {
                            document = true;
                        } else if (part instanceof ContentPart.Image
                                || part instanceof ContentPart.Other o && "image".equals(o.type())) {
                            image = true;
                        } else if (part instanceof ContentPart.Text t && instruction) {
                            instructionTexts.add(t.text());
                        }
                    }
                }
                if (message.role() == Role.USER) {
                    lastUser = message;
                }
            }
        }

        /** The code, json and reason signals of the system, developer and user texts, in one pass each. */
        private int signals() {
            if (signals < 0) {
                int found = 0;
                for (String text : instructionTexts) {
                    found |= TextSignals.scan(text, INSTRUCTION_SIGNALS);
                    if ((found & INSTRUCTION_SIGNALS) == INSTRUCTION_SIGNALS) {
                        break;
                    }
                }
                signals = found;
            }
            return signals;
        }

        boolean code() {
            return (signals() & TextSignals.CODE) != 0;
        }

        boolean json() {
            return (signals() & TextSignals.JSON) != 0;
        }

        boolean reasoning() {
            return (signals() & TextSignals.REASON) != 0;
        }

        boolean simple() {
            if (signals >= 0 && (signals & SIMPLE_READ) != 0) {
                return (signals & SIMPLE) != 0;
            }
            if (lastUser == null || textLength(lastUser.content()) > SIMPLE_MAX_CHARS) {
                return false;
            }
            return (TextSignals.scan(lastUser.text(), TextSignals.SIMPLE) & TextSignals.SIMPLE) != 0;
        }

        private static long textLength(Content content) {
            if (content instanceof Content.Text text) {
                return text.text().length();
            }
            long length = 0;
            if (content instanceof Content.Parts parts) {
                for (ContentPart part : parts.parts()) {
                    if (part instanceof ContentPart.Text t) {
                        length += t.text().length();
                    }
                }
            }
            return length;
        }
    }
}
