package dev.chatrouter.core.classify;

import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.Effort;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.RequestType;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Content;
import dev.chatrouter.api.chat.ContentPart;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.ResponseFormat;
import dev.chatrouter.api.chat.Role;
import dev.chatrouter.api.chat.Tool;
import dev.chatrouter.api.chat.ToolCall;
import dev.chatrouter.api.chat.ToolChoice;
import dev.chatrouter.api.config.ClassificationConfig;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.api.spi.RequestClassifier;
import dev.chatrouter.core.route.RequestShape;
import dev.chatrouter.core.testing.ScriptedProviderFactory;
import dev.chatrouter.core.tokens.TokenEstimate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The nine classification rules of docs/routing.md#classification and the effort sources of section 5, as one table of named
 * requests: each row states the request, the settings it is classified under, and the type, the deciding rule and
 * the effort it must get. The bulk runs the built-in {@link RuleClassifier} directly, fed the way the router feeds
 * it ({@link EffortResolver} for the effort, {@link RequestShape} for the token estimate); the rows marked end to
 * end also go through {@link ChatRouter#chat} and are checked in its {@link RoutingReport}.
 */
class ClassificationTableTest {

    // ---- text fixtures ------------------------------------------------------------------------------------------

    /** Prose that triggers no rule: no code, no JSON, no reasoning, no simple-task words. */
    private static final String FILLER_UNIT = "lorem ipsum dolor sit amet ";
    /** About 111,000 tokens (cl100k_base counts 5 per unit): over the default long_input_tokens of 100,000. */
    private static final String LONG_TEXT = filler(600_000);
    private static final int TEN_MB = 10 * 1024 * 1024;
    private static final String CODE = "```python\nprint('hello')\n```";

    private static final ContentPart PDF = new ContentPart.File(null, "q3-report.pdf",
            "data:application/pdf;base64,JVBERi0xLjQK", null, Map.of());
    private static final ContentPart PDF_BY_ID = new ContentPart.File("file-abc123", null, null, null, Map.of());
    private static final ContentPart ANTHROPIC_DOCUMENT = new ContentPart.Other("document", null, Map.of("source",
            Map.of("type", "base64", "media_type", "application/pdf", "data", "JVBERi0xLjQK")));
    private static final ContentPart IMAGE = ContentPart.imageUrl("https://example.com/cat.png");
    private static final ContentPart IMAGE_DATA_URL = ContentPart.imageUrl("data:image/png;base64,iVBORw0KGgo=");
    private static final ContentPart ANTHROPIC_IMAGE = new ContentPart.Other("image", null, Map.of("source",
            Map.of("type", "base64", "media_type", "image/png", "data", "iVBORw0KGgo=")));
    private static final ContentPart AUDIO = new ContentPart.Audio("UklGRg==", "wav", null, Map.of());
    private static final Tool WEATHER = Tool.function("get_weather", "Current weather in a city",
            Map.of("type", "object", "properties", Map.of("city", Map.of("type", "string"))));

    private static String filler(int length) {
        return FILLER_UNIT.repeat(length / FILLER_UNIT.length() + 1).substring(0, length);
    }

    // ---- the table ----------------------------------------------------------------------------------------------

    /**
     * One row: a request and the settings it is classified under, and what must come out.
     *
     * @param contextEffort the effort the caller's {@link RequestContext} sets, or {@code null}
     * @param endToEnd      whether the row also goes through the router
     */
    record Case(String name, ChatRequest request, Effort contextEffort, ClassificationConfig config,
                RequestType baseType, RequestType type, String rule, Effort effort, String effortSource,
                String routedModel, boolean endToEnd) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** Starts a row; by default: model {@code di}, default classification, base type pro, effort auto. */
    private static Row row(String name, ChatRequest request) {
        return new Row(name, request);
    }

    private static final class Row {
        private final String name;
        private final ChatRequest request;
        private Effort contextEffort;
        private ClassificationConfig config = ClassificationConfig.DEFAULTS;
        private RequestType baseType = RequestType.PRO;
        private Effort effort = Effort.AUTO;
        private String effortSource = "default";
        private String routedModel;
        private boolean endToEnd;

        private Row(String name, ChatRequest request) {
            this.name = name;
            this.request = request;
            this.routedModel = request.model();
        }

        Row context(Effort effort) {
            this.contextEffort = effort;
            return effort(effort, "context");
        }

        Row order(String... rules) {
            config = new ClassificationConfig(config.longInputTokens(), List.of(rules));
            return this;
        }

        Row longAbove(long tokens) {
            config = new ClassificationConfig(tokens, config.order());
            return this;
        }

        Row base(RequestType type) {
            this.baseType = type;
            return this;
        }

        /** The effort the resolver must find, and where. */
        Row effort(Effort effort, String source) {
            this.effort = effort;
            this.effortSource = source;
            return this;
        }

        Row routedTo(String model) {
            this.routedModel = model;
            return this;
        }

        Row endToEnd() {
            this.endToEnd = true;
            return this;
        }

        Case decides(RequestType type, String rule) {
            return new Case(name, request, contextEffort, config, baseType, type, rule, effort, effortSource,
                    routedModel, endToEnd);
        }
    }

    // ---- request helpers ----------------------------------------------------------------------------------------

    private static ChatRequest users(String... texts) {
        ChatRequest.Builder b = ChatRequest.builder().model("di");
        for (String text : texts) {
            b.addMessage(Message.user(text));
        }
        return b.build();
    }

    private static ChatRequest messages(Message... messages) {
        return ChatRequest.builder().model("di").messages(List.of(messages)).build();
    }

    private static ChatRequest.Builder ask(String text) {
        return ChatRequest.builder().model("di").addMessage(Message.user(text));
    }

    private static ChatRequest parts(ContentPart... parts) {
        return messages(Message.user(List.of(parts)));
    }

    private static Message developer(String text) {
        return new Message(Role.DEVELOPER, Content.of(text), null, null, null, null, Map.of());
    }

    private static ChatRequest model(String model, ChatRequest request) {
        return request.toBuilder().model(model).build();
    }

    private static ChatRequest extra(ChatRequest request, String key, Object value) {
        return request.toBuilder().extra(Map.of(key, value)).build();
    }

    private static final ChatRequest SUMMARIZE = users("Summarize this paragraph in one sentence: the quarterly "
            + "meeting moved to Thursday and the budget review was postponed.");

    // ---- precedence: one ingredient per rule, combined pairwise ----------------------------------------------------

    /** The type a rule decides under the rows' defaults (effort auto, base type pro). */
    private static RequestType typeOf(String rule) {
        return switch (rule) {
            case "document" -> RequestType.DOCUMENT;
            case "vision" -> RequestType.VISION;
            case "long" -> RequestType.LONG;
            case "tools", "code" -> RequestType.CODE;
            case "json" -> RequestType.JSON;
            case "reason" -> RequestType.REASON;
            case "simple" -> RequestType.FLASH;
            case "base" -> RequestType.PRO;
            default -> throw new IllegalArgumentException(rule);
        };
    }

    /**
     * A request that triggers exactly the given rules (and base, which every request triggers): each rule adds
     * its own ingredient, and none of the ingredients triggers another rule (the single-rule rows prove it).
     */
    static ChatRequest triggering(Set<String> rules) {
        ChatRequest.Builder b = ChatRequest.builder().model("di");
        if (rules.contains("long")) {
            b.addMessage(Message.system(LONG_TEXT));
        }
        if (rules.contains("code")) {
            b.addMessage(Message.system("Context for the task:\n```java\nint retries = 3;\n```"));
        }
        if (rules.contains("reason")) {
            b.addMessage(Message.system("Think it through step by step before you answer."));
        }
        List<ContentPart> last = new ArrayList<>();
        if (rules.contains("document")) {
            last.add(PDF);
        }
        if (rules.contains("vision")) {
            last.add(IMAGE);
        }
        last.add(ContentPart.text(rules.contains("simple") ? "Summarize this in one sentence."
                : "What do you make of this?"));
        b.addMessage(Message.user(last));
        if (rules.contains("tools")) {
            b.tools(List.of(WEATHER));
        }
        if (rules.contains("json")) {
            b.responseFormat(ResponseFormat.jsonObject());
        }
        return b.build();
    }

    /**
     * For every pair of rules A before B in the default order (all 36): a request triggering both is decided by A;
     * and under an order with A and B swapped the same request is decided by B, which proves it triggers B too.
     */
    static Stream<Case> precedence() {
        List<String> rules = ClassificationConfig.RULES;
        List<Case> cases = new ArrayList<>();
        for (String rule : rules) {
            Set<String> only = rule.equals("base") ? Set.of() : Set.of(rule);
            cases.add(row("single ingredient: " + rule, triggering(only)).decides(typeOf(rule), rule));
        }
        for (int i = 0; i < rules.size(); i++) {
            for (int j = i + 1; j < rules.size(); j++) {
                String a = rules.get(i);
                String b = rules.get(j);
                Set<String> both = new LinkedHashSet<>(List.of(a, b));
                both.remove("base");
                ChatRequest request = triggering(both);
                cases.add(row("precedence " + a + " > " + b, request).decides(typeOf(a), a));
                List<String> swapped = new ArrayList<>(rules);
                swapped.set(i, b);
                swapped.set(j, a);
                cases.add(row("precedence " + a + " > " + b + ", order swapped: " + b + " decides", request)
                        .order(swapped.toArray(String[]::new)).decides(typeOf(b), b));
            }
        }
        return cases.stream();
    }

    // ---- the rules one by one, and their edges ---------------------------------------------------------------------

    static Stream<Case> rules() {
        ChatRequest atThreshold = users(filler(20_000));
        long estimate = RequestShape.of(atThreshold).estimatedInputTokens();
        return Stream.of(
                // 1 document
                row("document: file part with an inline PDF", parts(ContentPart.text("What were Q3 sales?"), PDF))
                        .endToEnd().decides(RequestType.DOCUMENT, "document"),
                row("document: file part by file_id", parts(PDF_BY_ID, ContentPart.text("Summarize it.")))
                        .decides(RequestType.DOCUMENT, "document"),
                row("document: Anthropic document block (ContentPart.Other)",
                        parts(ANTHROPIC_DOCUMENT, ContentPart.text("List the parties to this contract.")))
                        .decides(RequestType.DOCUMENT, "document"),
                // 2 vision
                row("vision: image_url part", parts(ContentPart.text("What is in this picture?"), IMAGE))
                        .endToEnd().decides(RequestType.VISION, "vision"),
                row("vision: image_url with a data: URL", parts(IMAGE_DATA_URL, ContentPart.text("Describe it.")))
                        .decides(RequestType.VISION, "vision"),
                row("vision: Anthropic image block (ContentPart.Other)",
                        parts(ANTHROPIC_IMAGE, ContentPart.text("What breed is this dog?")))
                        .decides(RequestType.VISION, "vision"),
                row("neither document nor vision: an input_audio part",
                        parts(AUDIO, ContentPart.text("Who is speaking?")))
                        .decides(RequestType.PRO, "base"),
                row("neither document nor vision: another unknown block type",
                        messages(Message.user("Hello"), new Message(Role.ASSISTANT, Content.of(List.of(
                                new ContentPart.Other("refusal", null, Map.of("refusal", "I can't.")))),
                                null, null, null, null, Map.of()), Message.user("Why not?")))
                        .decides(RequestType.PRO, "base"),
                // 3 long
                row("long: about 111k tokens, over the default 100k", users(LONG_TEXT))
                        .endToEnd().decides(RequestType.LONG, "long"),
                row("long: an estimate one token over long_input_tokens", atThreshold).longAbove(estimate - 1)
                        .decides(RequestType.LONG, "long"),
                row("not long: an estimate exactly at long_input_tokens", atThreshold).longAbove(estimate)
                        .decides(RequestType.PRO, "base"),
                row("long: custom long_input_tokens of 1,000 makes a 6 KB prompt long", users(filler(6_000)))
                        .longAbove(1_000).decides(RequestType.LONG, "long"),
                // 4 tools
                row("tools: non-empty tools", ask("What's the weather in Paris?").tools(List.of(WEATHER)).build())
                        .endToEnd().decides(RequestType.CODE, "tools"),
                row("tools: tool_choice required with no tools", ask("Call something.")
                        .toolChoice(ToolChoice.required()).build()).decides(RequestType.CODE, "tools"),
                row("tools: tool_choice naming a function with no tools", ask("Look it up.")
                        .toolChoice(ToolChoice.function("get_weather")).build()).decides(RequestType.CODE, "tools"),
                row("tools: the legacy functions", ask("What's the weather in Paris?").extra(Map.of("functions",
                        List.of(Map.of("name", "get_weather", "parameters", Map.of("type", "object"))))).build())
                        .endToEnd().decides(RequestType.CODE, "tools"),
                row("tools: the legacy function_call naming a function", ask("Look it up.").extra(Map.of(
                        "function_call", Map.of("name", "get_weather"))).build()).decides(RequestType.CODE, "tools"),
                row("not tools: the legacy function_call auto", ask("Hello there.").extra(Map.of(
                        "function_call", "auto")).build()).decides(RequestType.PRO, "base"),
                row("not tools: empty tools and tool_choice auto", ask("Hello there.").tools(List.of())
                        .toolChoice(ToolChoice.auto()).build()).decides(RequestType.PRO, "base"),
                row("not tools: tool_choice none", ask("Hello there.").toolChoice(ToolChoice.none()).build())
                        .decides(RequestType.PRO, "base"),
                // 5 code
                row("code: a fenced block", users("Why does this fail?\n" + CODE))
                        .decides(RequestType.CODE, "code"),
                row("code: a ~~~ fence", users("Explain:\n~~~\nSELECT * FROM t;\n~~~"))
                        .decides(RequestType.CODE, "code"),
                row("code: a unified diff", users("Review this patch:\n--- a/app.c\n+++ b/app.c\n"
                        + "@@ -1,3 +1,4 @@\n int main() {\n+  return 0;\n }"))
                        .decides(RequestType.CODE, "code"),
                row("code: a git diff header", users("diff --git a/x b/x\nindex 83db48f..bf269f4 100644"))
                        .decides(RequestType.CODE, "code"),
                row("code: a Java stack trace", users("I get this:\nException in thread \"main\" "
                        + "java.lang.NullPointerException\n\tat com.acme.App.run(App.java:42)\n"
                        + "\tat com.acme.App.main(App.java:7)"))
                        .decides(RequestType.CODE, "code"),
                row("code: a Python traceback", users("Traceback (most recent call last):\n"
                        + "  File \"main.py\", line 3, in <module>\nValueError: invalid literal for int()"))
                        .decides(RequestType.CODE, "code"),
                row("code: a Go panic", users("panic: runtime error: index out of range\n\ngoroutine 1 [running]:"))
                        .decides(RequestType.CODE, "code"),
                row("code: a repository path", users("Where is the retry logic in "
                        + "router-core/src/main/java/dev/chatrouter/core/dispatch/FallbackSequence.java decided?"))
                        .decides(RequestType.CODE, "code"),
                row("code: in a system message", messages(Message.system("Repository layout:\nsrc/app/main.py"),
                        Message.user("Where do I start?"))).decides(RequestType.CODE, "code"),
                row("code: in a developer message", messages(developer(CODE), Message.user("Go on.")))
                        .decides(RequestType.CODE, "code"),
                row("code: in the second text part of a multi-part message", parts(ContentPart.text("Look:"),
                        ContentPart.text(CODE))).decides(RequestType.CODE, "code"),
                row("not code: a URL ending in .js", users("Is https://cdn.example.com/lib/app.js still up?"))
                        .decides(RequestType.PRO, "base"),
                row("not code: code only in an assistant turn", messages(Message.user("Can you help me?"),
                        Message.assistant("Sure:\n" + CODE), Message.user("Thanks, what next?")))
                        .decides(RequestType.PRO, "base"),
                row("not code: a stack trace only in a tool result", messages(Message.user("Run the job."),
                        Message.assistantToolCalls(List.of(ToolCall.function("call_1", "run_job", "{}"))),
                        Message.tool("call_1", "Traceback (most recent call last):\n  File \"job.py\", line 9\n"
                                + "KeyError: 'id'"))).decides(RequestType.PRO, "base"),
                row("a tool turn with tools defined is decided by the tools rule, not the code rule",
                        messages(Message.user("Run the job."),
                                Message.assistantToolCalls(List.of(ToolCall.function("call_1", "run_job", "{}"))),
                                Message.tool("call_1", CODE)).toBuilder().tools(List.of(WEATHER)).build())
                        .decides(RequestType.CODE, "tools"),
                // 6 json
                row("json: response_format json_object", ask("List three colours.")
                        .responseFormat(ResponseFormat.jsonObject()).build()).endToEnd()
                        .decides(RequestType.JSON, "json"),
                row("json: response_format json_schema", ask("List three colours.").responseFormat(
                        ResponseFormat.jsonSchema("colours", Map.of("type", "array"))).build())
                        .decides(RequestType.JSON, "json"),
                row("json: extraction language", users("Extract the names and dates from this email as JSON: "
                        + "Ann met Bob on 3 May.")).decides(RequestType.JSON, "json"),
                row("json: 'return ... in valid JSON'", users("Return the totals in valid JSON."))
                        .decides(RequestType.JSON, "json"),
                row("json: extraction language in a system message", messages(
                        Message.system("Always respond with a JSON object."), Message.user("Paris")))
                        .decides(RequestType.JSON, "json"),
                row("not json: response_format text", ask("Hello there.")
                        .responseFormat(new ResponseFormat("text", null)).build()).decides(RequestType.PRO, "base"),
                row("not json: mentioning JSON without asking for it", users("What is JSON, briefly?"))
                        .decides(RequestType.PRO, "base"),
                // 7 reason
                row("reason: step by step", users("Walk me through it step by step: why is the sky blue?"))
                        .decides(RequestType.REASON, "reason"),
                row("reason: prove", users("Prove that there are infinitely many primes."))
                        .decides(RequestType.REASON, "reason"),
                row("reason: derive", users("Derive the quadratic formula."))
                        .decides(RequestType.REASON, "reason"),
                row("reason: multi-part math", users("1. Solve 3x + 2 = 11.\n2. Then compute 4 * 5."))
                        .decides(RequestType.REASON, "reason"),
                row("not reason: one sum, no parts", users("What is 2 + 2?")).decides(RequestType.PRO, "base"),
                row("not reason: a numbered list without maths", users("1. Buy milk\n2. Call Ann\n3. Walk the dog"))
                        .decides(RequestType.PRO, "base"),
                // 8 simple
                row("simple: summarize", SUMMARIZE).endToEnd().decides(RequestType.FLASH, "simple"),
                row("simple: translate", users("Translate 'good morning' into German."))
                        .decides(RequestType.FLASH, "simple"),
                row("simple: classify", users("Classify this review as positive or negative: great food."))
                        .decides(RequestType.FLASH, "simple"),
                row("simple: rewrite", users("Rewrite this more politely: send it now."))
                        .decides(RequestType.FLASH, "simple"),
                row("simple: a multi-part last user message", parts(ContentPart.text("Translate into French:"),
                        ContentPart.text("the cat is asleep"))).decides(RequestType.FLASH, "simple"),
                row("simple: only the last user message counts (it asks)", messages(Message.user("Hi, who are you?"),
                        Message.assistant("An assistant."), Message.user("Rewrite my intro: I am Bob.")))
                        .decides(RequestType.FLASH, "simple"),
                row("not simple: only the last user message counts (an earlier one asks)",
                        messages(Message.user("Summarize the plot of Hamlet."), Message.assistant("A prince..."),
                                Message.user("Why does he wait so long?"))).decides(RequestType.PRO, "base"),
                row("not simple: a summarize request over 1,000 characters",
                        users("Summarize this: " + filler(1_200))).decides(RequestType.PRO, "base"),
                // 9 base
                row("base: nothing matches, route base type pro", users("Tell me about the Moon."))
                        .decides(RequestType.PRO, "base"),
                row("base: nothing matches, route base type flash", users("Tell me about the Moon."))
                        .base(RequestType.FLASH).endToEnd().decides(RequestType.FLASH, "base"),
                // no user message at all
                row("no user message: a system message only", messages(Message.system("You are terse.")))
                        .decides(RequestType.PRO, "base"),
                row("no user message: a simple task in the system message is not rule 8",
                        messages(Message.system("Summarize the text.")))
                        .decides(RequestType.PRO, "base"),
                row("no user message: code in the system message still counts",
                        messages(Message.system("Fix this:\n" + CODE))).decides(RequestType.CODE, "code")
        );
    }

    // ---- rule 8 at each effort --------------------------------------------------------------------------------------

    static Stream<Case> simpleAtEachEffort() {
        return Stream.of(Effort.values()).map(effort -> {
            boolean flash = switch (effort) {
                case AUTO, FAST, MINIMAL, LOW -> true;
                case MEDIUM, HIGH, XHIGH, MAX -> false;
            };
            return row("simple at effort " + effort.wireName(), SUMMARIZE).context(effort)
                    .decides(flash ? RequestType.FLASH : RequestType.PRO, "simple");
        });
    }

    // ---- effort sources (docs/routing.md#effort) --------------------------------------------------------------------------------------

    static Stream<Case> effortSources() {
        Map<String, Object> reasoningHigh = Map.of("effort", "high");
        return Stream.of(
                row("effort: default auto", SUMMARIZE).decides(RequestType.FLASH, "simple"),
                row("effort: context", SUMMARIZE).context(Effort.HIGH).endToEnd()
                        .decides(RequestType.PRO, "simple"),
                row("effort: context beats reasoning_effort and the suffix (suffix still stripped)",
                        model("di@high", SUMMARIZE.toBuilder().reasoningEffort("high").build()))
                        .context(Effort.LOW).routedTo("di").decides(RequestType.FLASH, "simple"),
                row("effort: reasoning_effort", SUMMARIZE.toBuilder().reasoningEffort("medium").build())
                        .effort(Effort.MEDIUM, "reasoning_effort").endToEnd().decides(RequestType.PRO, "simple"),
                row("effort: reasoning_effort is case-insensitive", SUMMARIZE.toBuilder().reasoningEffort("LOW")
                        .build()).effort(Effort.LOW, "reasoning_effort").decides(RequestType.FLASH, "simple"),
                row("effort: reasoning.effort", extra(SUMMARIZE, "reasoning", reasoningHigh))
                        .effort(Effort.HIGH, "reasoning.effort").decides(RequestType.PRO, "simple"),
                row("effort: reasoning_effort beats reasoning.effort",
                        extra(SUMMARIZE.toBuilder().reasoningEffort("minimal").build(), "reasoning", reasoningHigh))
                        .effort(Effort.MINIMAL, "reasoning_effort").decides(RequestType.FLASH, "simple"),
                row("effort: reasoning.effort beats thinking.budget_tokens", SUMMARIZE.toBuilder().extra(Map.of(
                        "reasoning", Map.of("effort", "low"), "thinking", Map.of("type", "enabled",
                                "budget_tokens", 30_000))).build())
                        .effort(Effort.LOW, "reasoning.effort").decides(RequestType.FLASH, "simple"),
                thinking(1_024, Effort.LOW, RequestType.FLASH),
                thinking(1_025, Effort.MEDIUM, RequestType.PRO),
                thinking(8_192, Effort.MEDIUM, RequestType.PRO),
                thinking(8_193, Effort.HIGH, RequestType.PRO),
                thinking(32_768, Effort.HIGH, RequestType.PRO),
                thinking(32_769, Effort.MAX, RequestType.PRO),
                row("effort: thinking.budget_tokens beats the model suffix",
                        extra(model("di:fast", SUMMARIZE), "thinking", Map.of("type", "enabled", "budget_tokens",
                                16_000))).routedTo("di").effort(Effort.HIGH, "thinking")
                        .decides(RequestType.PRO, "simple"),
                row("effort: model suffix @high", model("di@high", SUMMARIZE)).routedTo("di").endToEnd()
                        .effort(Effort.HIGH, "model_suffix").decides(RequestType.PRO, "simple"),
                row("effort: model suffix :fast", model("di:fast", SUMMARIZE)).routedTo("di").endToEnd()
                        .effort(Effort.FAST, "model_suffix").decides(RequestType.FLASH, "simple"),
                row("effort: model suffix @minimal on a model id with slashes",
                        model("openrouter/meta-llama/llama-3.3-70b-instruct@minimal", SUMMARIZE))
                        .routedTo("openrouter/meta-llama/llama-3.3-70b-instruct")
                        .effort(Effort.MINIMAL, "model_suffix").decides(RequestType.FLASH, "simple"),
                row("effort: an invalid reasoning_effort is skipped, the suffix decides",
                        model("di@high", SUMMARIZE.toBuilder().reasoningEffort("extreme").build()))
                        .routedTo("di").effort(Effort.HIGH, "model_suffix").decides(RequestType.PRO, "simple"),
                row("effort: a reasoning.effort that is not a string is skipped",
                        extra(SUMMARIZE, "reasoning", Map.of("effort", 5)))
                        .decides(RequestType.FLASH, "simple"),
                row("effort: a thinking.budget_tokens that is not a number is skipped",
                        extra(model("di@medium", SUMMARIZE), "thinking", Map.of("budget_tokens", "lots")))
                        .routedTo("di").effort(Effort.MEDIUM, "model_suffix").decides(RequestType.PRO, "simple"),
                row("effort: thinking without budget_tokens is skipped",
                        extra(SUMMARIZE, "thinking", Map.of("type", "disabled")))
                        .decides(RequestType.FLASH, "simple"),
                row("effort: ':free' is not an effort and is not stripped", model("di:free", SUMMARIZE))
                        .routedTo("di:free").decides(RequestType.FLASH, "simple"),
                row("effort: an OpenRouter ':free' model id is kept whole",
                        model("openrouter/meta-llama/llama-3.3-70b-instruct:free", SUMMARIZE))
                        .routedTo("openrouter/meta-llama/llama-3.3-70b-instruct:free")
                        .decides(RequestType.FLASH, "simple"),
                row("effort: a bare '@high' is a model id, not a suffix", model("@high", SUMMARIZE))
                        .routedTo("@high").decides(RequestType.FLASH, "simple"),
                row("effort: a trailing '@' is kept", model("di@", SUMMARIZE)).routedTo("di@")
                        .decides(RequestType.FLASH, "simple")
        );
    }

    private static Case thinking(int budget, Effort effort, RequestType type) {
        return row("effort: thinking.budget_tokens " + budget + " is " + effort.wireName(),
                extra(SUMMARIZE, "thinking", Map.of("type", "enabled", "budget_tokens", budget)))
                .effort(effort, "thinking").decides(type, "simple");
    }

    // ---- custom orders -------------------------------------------------------------------------------------------------

    static Stream<Case> customOrders() {
        String[] withoutCode = {"document", "vision", "long", "tools", "json", "reason", "simple", "base"};
        return Stream.of(
                row("order without code: a fenced block falls through to base", users("Why?\n" + CODE))
                        .order(withoutCode).endToEnd().decides(RequestType.PRO, "base"),
                row("order without code: a fenced block and JSON extraction is json",
                        users("Extract the variable names as JSON:\n" + CODE))
                        .order(withoutCode).decides(RequestType.JSON, "json"),
                row("order without document: a file part falls through to base",
                        parts(PDF, ContentPart.text("What do you make of this?")))
                        .order("vision", "long", "tools", "code", "json", "reason", "simple", "base")
                        .decides(RequestType.PRO, "base"),
                row("reordered: json before tools", ask("Weather in Oslo?").tools(List.of(WEATHER))
                        .responseFormat(ResponseFormat.jsonObject()).build())
                        .order("document", "vision", "long", "json", "tools", "code", "reason", "simple", "base")
                        .decides(RequestType.JSON, "json"),
                row("reordered and dropped: simple first, tools dropped",
                        ask("Translate this to Spanish: where is the station?").tools(List.of(WEATHER)).build())
                        .order("simple", "document", "vision", "long", "code", "json", "reason", "base")
                        .decides(RequestType.FLASH, "simple"),
                row("reordered: reason before code", users("Prove this loop terminates:\n" + CODE))
                        .order("document", "vision", "long", "tools", "reason", "code", "json", "simple", "base")
                        .decides(RequestType.REASON, "reason"),
                row("order without base: nothing matches, still the route's base type", users("Tell me a joke."))
                        .order("document", "vision", "long", "tools", "code", "json", "reason", "simple")
                        .base(RequestType.FLASH).decides(RequestType.FLASH, "base"),
                row("empty order: even an image is base", parts(IMAGE, ContentPart.text("What is it?")))
                        .order().decides(RequestType.PRO, "base")
        );
    }

    // ---- size: the bounded prefix and suffix windows -----------------------------------------------------------------------

    static Stream<Case> largePrompts() {
        String tenMb = filler(TEN_MB);
        String tenMbCodeAtEnd = filler(TEN_MB) + "\n" + CODE + "\n";
        String tenMbCodeInMiddle = filler(TEN_MB / 2) + "\n" + CODE + "\n" + filler(TEN_MB / 2);
        String[] withoutLong = {"document", "vision", "tools", "code", "json", "reason", "simple", "base"};
        return Stream.of(
                row("10 MB prompt: long", users(tenMb)).decides(RequestType.LONG, "long"),
                row("10 MB prompt with code at the end: long still comes first", users(tenMbCodeAtEnd))
                        .decides(RequestType.LONG, "long"),
                row("10 MB prompt, long disabled: code at the very end is in the suffix window",
                        users(tenMbCodeAtEnd)).order(withoutLong).decides(RequestType.CODE, "code"),
                row("10 MB prompt, long disabled: code at the very start is in the prefix window",
                        users(CODE + "\n" + tenMb)).order(withoutLong).decides(RequestType.CODE, "code"),
                // Intended: text signals read a bounded prefix and suffix of each message (docs/routing.md#classification), so that a
                // 10 MB prompt costs what a 100 KB one does; a signal buried in the middle is not seen.
                row("10 MB prompt, long disabled: code only in the middle is not seen (intended)",
                        users(tenMbCodeInMiddle)).order(withoutLong).decides(RequestType.PRO, "base"),
                row("200 KB prompt: code at the very end is in the suffix window",
                        users(filler(200_000) + "\n" + CODE)).decides(RequestType.CODE, "code"),
                row("200 KB prompt: code only in the middle is not seen (intended)",
                        users(filler(100_000) + "\n" + CODE + "\n" + filler(100_000)))
                        .decides(RequestType.PRO, "base"),
                row("200 KB prompt: JSON extraction at the very end is in the suffix window",
                        users(filler(200_000) + "\nExtract every name above as JSON."))
                        .decides(RequestType.JSON, "json")
        );
    }

    static Stream<Case> table() {
        return Stream.of(rules(), precedence(), simpleAtEachEffort(), effortSources(), customOrders(), largePrompts())
                .flatMap(s -> s);
    }

    static Stream<Case> endToEndTable() {
        return table().filter(Case::endToEnd);
    }

    // ---- the tests -----------------------------------------------------------------------------------------------------

    private static final PromptReadings READINGS = new PromptReadings();

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void classifies(Case c) {
        EffortResolver.Resolved effort = EffortResolver.resolve(c.request().model(), c.contextEffort(), c.request());
        long estimate = RequestShape.of(c.request()).estimatedInputTokens();

        RequestClassifier.Classification result = new RuleClassifier(c.config())
                .classify(c.request(), new RequestClassifier.Input(c.baseType(), effort.effort(), estimate));

        assertThat(result.rule()).as("deciding rule").isEqualTo(c.rule());
        assertThat(result.type()).as("request type").isEqualTo(c.type());
        assertThat(effort.effort()).as("effort").isEqualTo(c.effort());
        assertThat(effort.source()).as("effort source").isEqualTo(c.effortSource());
        assertThat(effort.routedModel()).as("model id matched against routes").isEqualTo(c.routedModel());
    }

    /**
     * The router reads the instruction texts' signals in the shape's pass ({@link RequestShape#of(ChatRequest, int)})
     * and hands them to the classifier: every row must come out as when the classifier reads the texts itself.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void classifiesTheSameFromTheSignalsOfTheShapesPass(Case c) {
        EffortResolver.Resolved effort = EffortResolver.resolve(c.request().model(), c.contextEffort(), c.request());
        RuleClassifier classifier = new RuleClassifier(c.config());
        RequestShape alone = RequestShape.of(c.request());
        RequestShape read = RequestShape.of(c.request(), classifier.instructionSignalsWanted());
        // and through readings of system prompts and tools kept across every row (and their configurations), twice
        RequestShape kept = RequestShape.of(c.request(), classifier.instructionSignalsWanted(), READINGS);
        RequestShape keptAgain = RequestShape.of(c.request(), classifier.instructionSignalsWanted(), READINGS);
        RequestClassifier.Input input = new RequestClassifier.Input(c.baseType(), effort.effort(),
                read.estimatedInputTokens());

        RequestClassifier.Classification result = classifier.classify(c.request(), input, read.instructionSignals());

        assertThat(result).isEqualTo(classifier.classify(c.request(), input));
        assertThat(kept).isEqualTo(read);
        assertThat(keptAgain).isEqualTo(read);
        assertThat(read.estimatedInputTokens()).isEqualTo(alone.estimatedInputTokens());
        assertThat(read.compactInputTokens()).isEqualTo(alone.compactInputTokens());
        assertThat(read.cacheableInputTokens()).isEqualTo(alone.cacheableInputTokens());
        assertThat(alone.instructionSignals()).as("not looked for").isEqualTo(-1);
        boolean sampled = c.request().messages().stream()
                .filter(m -> m.role() == Role.USER || m.role() == Role.SYSTEM || m.role() == Role.DEVELOPER)
                .flatMap(m -> m.content() instanceof Content.Parts parts
                        ? parts.parts().stream().filter(p -> p instanceof ContentPart.Text)
                                .map(p -> ((ContentPart.Text) p).text())
                        : Stream.of(m.text()))
                .anyMatch(text -> text.length() > TokenEstimate.SAMPLE_CHARS);
        if (classifier.instructionSignalsWanted() == 0 || sampled) {
            assertThat(read.instructionSignals()).as("left to the classifier").isEqualTo(-1);
        } else {
            assertThat(read.instructionSignals()).isNotNegative();
            // the simple rule's text is read in the same pass, unless the last user message is in parts
            Message lastUser = c.request().messages().stream().filter(m -> m.role() == Role.USER)
                    .reduce((first, second) -> second).orElse(null);
            boolean simpleRead = (classifier.instructionSignalsWanted() & RuleClassifier.SIMPLE) != 0
                    && (lastUser == null || lastUser.content() instanceof Content.Text);
            assertThat((read.instructionSignals() & RuleClassifier.SIMPLE_READ) != 0).as("simple read")
                    .isEqualTo(simpleRead);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("endToEndTable")
    void classifiesEndToEndThroughTheRouter(Case c) throws Exception {
        ScriptedProviderFactory scripted = new ScriptedProviderFactory();
        ModelSpec everything = new ModelSpec("m", null, Price.of(1.0, 2.0), 0, 0, EnumSet.allOf(Capability.class));
        try (ChatRouter router = ChatRouter.builder()
                .providerFactory(scripted)
                .provider(ProviderSpec.builder("p", "scripted").model(everything).build())
                .route(RouteConfig.builder(c.routedModel()).baseType(c.baseType())
                        .pool("*", PoolConfig.of("priority", "p/m")).build())
                .classification(c.config())
                .build()) {
            RequestContext context = RequestContext.empty().withEffort(c.contextEffort());

            ChatResult result = router.chat(c.request(), context).toCompletableFuture().get(10, TimeUnit.SECONDS);

            RoutingReport report = result.report();
            assertThat(report.rule()).as("deciding rule").isEqualTo(c.rule());
            assertThat(report.type()).as("request type").isEqualTo(c.type());
            assertThat(report.effort()).as("effort").isEqualTo(c.effort());
            assertThat(report.route()).isEqualTo(c.routedModel());
            assertThat(result.response().model()).as("the intent is echoed as sent")
                    .isEqualTo(c.request().model());
            assertThat(scripted.calls("p")).hasSize(1);
        }
    }

    /**
     * The router keeps what it read in a system prompt: the same prompt sent again (parsed anew, so another object)
     * is classified as the first time, and another prompt, kept in the same slots, is not taken for it.
     */
    @Test
    void aSystemPromptSentAgainIsClassifiedAsTheFirstTime() throws Exception {
        String rules = "You review pull requests for the payments team. " + "Be precise and brief. ".repeat(20);
        String withCode = rules + "\nThe service under review:\n```java\nint retries = 3;\n```\n";
        // another prompt in the same slots of the readings
        String withoutCode = null;
        for (int desk = 0; withoutCode == null; desk++) {
            String candidate = rules + "\nThe service under review is the ledger, at desk " + "7".repeat(desk) + ".\n";
            if (PromptReadings.textSlots(candidate) == PromptReadings.textSlots(withCode)) {
                withoutCode = candidate;
            }
        }
        ScriptedProviderFactory scripted = new ScriptedProviderFactory();
        ModelSpec everything = new ModelSpec("m", null, Price.of(1.0, 2.0), 0, 0, EnumSet.allOf(Capability.class));
        try (ChatRouter router = ChatRouter.builder()
                .providerFactory(scripted)
                .provider(ProviderSpec.builder("p", "scripted").model(everything).build())
                .route(RouteConfig.builder("di").pool("*", PoolConfig.of("priority", "p/m")).build())
                .build()) {
            for (int round = 0; round < 3; round++) {
                for (String prompt : List.of(withCode, withoutCode)) {
                    ChatRequest request = ChatRequest.builder().model("di")
                            .addMessage(Message.system(new String(prompt.toCharArray())))
                            .addMessage(Message.user("Is this change safe to ship, round " + round + "?"))
                            .build();

                    RoutingReport report = router.chat(request).toCompletableFuture().get(10, TimeUnit.SECONDS)
                            .report();

                    assertThat(report.rule()).as("round %s", round).isEqualTo(prompt == withCode ? "code" : "base");
                }
            }
        }
    }

    /** Keeps the table honest: it must hold at least one row deciding each of the nine rules. */
    @Test
    void theTableCoversEveryRuleAndEnoughRows() {
        List<Case> all = table().toList();
        assertThat(all).hasSizeGreaterThanOrEqualTo(60);
        assertThat(all).extracting(Case::rule).containsAll(ClassificationConfig.RULES);
        assertThat(all).extracting(Case::name).doesNotHaveDuplicates();
        assertThat(all).filteredOn(Case::endToEnd).hasSizeGreaterThanOrEqualTo(5);
    }
}
