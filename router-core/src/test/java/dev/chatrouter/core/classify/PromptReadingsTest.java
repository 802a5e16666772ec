package dev.chatrouter.core.classify;

import dev.chatrouter.api.chat.CacheControl;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Content;
import dev.chatrouter.api.chat.ContentPart;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.Role;
import dev.chatrouter.api.chat.Tool;
import dev.chatrouter.core.route.RequestShape;
import dev.chatrouter.core.tokens.Encoding;
import dev.chatrouter.core.tokens.TokenEstimate;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What the router keeps of the system prompts and tools an application sends with every request. */
class PromptReadingsTest {

    private static final String BASH = "Executes a given bash command and returns its output. "
            + "The working directory persists between commands; shell state does not. ".repeat(12);

    /** A tool as a request parsed anew carries it: every string and map another object than last time. */
    private static Tool bash(String commandDescription) {
        Map<String, Object> command = new LinkedHashMap<>();
        command.put(new String("description".toCharArray()), new String(commandDescription.toCharArray()));
        command.put("type", "string");
        Map<String, Object> timeout = new LinkedHashMap<>();
        timeout.put("description", "Optional timeout in milliseconds (max 600000)");
        timeout.put("type", "number");
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("command", command);
        properties.put("timeout", timeout);
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("type", "object");
        schema.put("properties", properties);
        schema.put("required", new ArrayList<>(List.of("command")));
        return Tool.function(new String("Bash".toCharArray()), new String(BASH.toCharArray()), schema);
    }

    private static TokenEstimate read(Tool tool) {
        TokenEstimate tally = new TokenEstimate().add("before");
        tally.add(tool.function().name()).add(tool.function().description())
                .add(tool.function().parameters().toString());
        return tally;
    }

    private static void assertSameEstimate(TokenEstimate actual, TokenEstimate expected) {
        for (Encoding encoding : Encoding.values()) {
            assertThat(actual.tokens(encoding)).as("%s", encoding).isEqualTo(expected.tokens(encoding));
        }
    }

    @Test
    void aToolSentAgainIsEstimatedAsReadingItAgain() {
        PromptReadings readings = new PromptReadings();
        Tool first = bash("The command to execute");

        for (int round = 0; round < 3; round++) {
            Tool again = bash("The command to execute");
            TokenEstimate tally = new TokenEstimate().add("before");

            readings.count(again, tally);

            assertSameEstimate(tally, read(first));
        }
        assertThat(readings.holds(first)).isTrue();
    }

    /** The same name and description (so the same slots) with another schema is another tool, read and kept as well. */
    @Test
    void aToolWithAnotherSchemaIsNotTakenForTheOneReadBefore() {
        PromptReadings readings = new PromptReadings();
        Tool shortSchema = bash("The command");
        Tool longSchema = bash("The command to execute, quoted for a POSIX shell, with every path absolute");

        for (Tool tool : List.of(shortSchema, longSchema, shortSchema, longSchema)) {
            TokenEstimate tally = new TokenEstimate().add("before");

            readings.count(tool, tally);

            assertSameEstimate(tally, read(tool));
        }
        assertThat(read(shortSchema).tokens(Encoding.CL100K_BASE))
                .isLessThan(read(longSchema).tokens(Encoding.CL100K_BASE));
        assertThat(readings.holds(longSchema)).isTrue();
        assertThat(readings.holds(shortSchema)).isTrue();
    }

    /** More tools than a hash's slots hold, all in the same ones: each is estimated as itself, whichever is kept. */
    @Test
    void toolsThatShareTheirSlotsAreNeverTakenForEachOther() {
        PromptReadings readings = new PromptReadings();
        List<Tool> variants = new ArrayList<>();
        for (int v = 0; v <= PromptReadings.WAYS; v++) {
            variants.add(bash("The command to execute" + ", quoted".repeat(v)));
        }

        for (int round = 0; round < 3; round++) {
            for (Tool tool : variants) {
                TokenEstimate tally = new TokenEstimate().add("before");

                readings.count(tool, tally);

                assertSameEstimate(tally, read(tool));
            }
        }
        assertThat(variants.stream().filter(readings::holds).count()).isEqualTo(PromptReadings.WAYS);
    }

    /**
     * Equal schemas whose keys come in another order are equal maps, but their text (what the estimate counts) is not
     * the same: the second is read, not taken for the first.
     */
    @Test
    void aSchemaWithItsKeysInAnotherOrderIsReadAgain() {
        PromptReadings readings = new PromptReadings();
        Map<String, Object> schemaFirst = new LinkedHashMap<>();
        schemaFirst.put("$schema", "x y y y y y y");
        schemaFirst.put("type", "object");
        Map<String, Object> typeFirst = new LinkedHashMap<>();
        typeFirst.put("type", "object");
        typeFirst.put("$schema", "x y y y y y y");
        Tool first = Tool.function("Bash", "Runs a command", schemaFirst);
        Tool reordered = Tool.function("Bash", "Runs a command", typeFirst);
        assertThat(reordered).isEqualTo(first);

        for (Tool tool : List.of(first, reordered, first, reordered)) {
            TokenEstimate tally = new TokenEstimate().add("before");

            readings.count(tool, tally);

            assertSameEstimate(tally, read(tool));
        }
    }

    /** A caller that changes a schema's nested map after a request is not answered from the schema it had then. */
    @Test
    void aNestedSchemaChangedAfterItWasReadIsReadAgain() {
        PromptReadings readings = new PromptReadings();
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("command", new LinkedHashMap<>(Map.of("type", "string")));
        Map<String, Object> schema = new LinkedHashMap<>();
        schema.put("type", "object");
        schema.put("properties", properties);
        Tool tool = Tool.function("Bash", "Runs a command", schema);
        readings.count(tool, new TokenEstimate());

        properties.put("timeout", new LinkedHashMap<>(Map.of("type", "number",
                "description", "Optional timeout in milliseconds")));
        TokenEstimate tally = new TokenEstimate().add("before");
        readings.count(tool, tally);

        assertSameEstimate(tally, read(tool));
    }

    @Test
    void aToolTooLargeToKeepIsReadEveryTime() {
        PromptReadings readings = new PromptReadings();
        Tool huge = bash("word ".repeat(PromptReadings.MAX_TOOL_CHARS / 5));
        TokenEstimate tally = new TokenEstimate().add("before");

        readings.count(huge, tally);

        assertSameEstimate(tally, read(huge));
        assertThat(readings.holds(huge)).isFalse();
    }

    /**
     * An agent's request as the Messages surface makes it (the system prompt in blocks, one of them longer than the
     * estimate reads whole, and tools): its shape through the readings, sent again and again parsed anew, is the
     * shape read without them.
     */
    @Test
    void anAgentsRequestIsShapedAsWithoutTheReadings() {
        PromptReadings readings = new PromptReadings();
        int wanted = TextSignals.CODE | TextSignals.JSON | TextSignals.REASON | RuleClassifier.SIMPLE;
        String identity = "You are Claude Code, Anthropic's official CLI for Claude.";
        String rules = "Use the tools to read files before you change them; answer in JSON when asked. "
                .repeat(TokenEstimate.SAMPLE_CHARS / 70);
        for (String second : List.of(rules, "You help with tasks step by step. ".repeat(40))) {
            RequestShape expected = RequestShape.of(agentRequest(identity, second), wanted);
            for (int round = 0; round < 3; round++) {
                RequestShape shape = RequestShape.of(agentRequest(identity, second), wanted, readings);

                assertThat(shape).as("round %s", round).isEqualTo(expected);
            }
        }
        assertThat(readings.holds(rules)).isTrue();
    }

    /**
     * A conversation's long texts (a user's, in a whole message and in a block, an assistant's, a tool's), resent
     * with the next turn: shaped through the readings as without them, for any signals wanted, and kept.
     */
    @Test
    void aLongConversationIsShapedAsWithoutTheReadings() {
        PromptReadings readings = new PromptReadings();
        String report = "The build failed on the payments service. ".repeat(50)
                + "\n```java\nint retries = 3;\n```\n";
        String answer = "Let us think step by step about why the retries ran out. ".repeat(40);
        String log = "{\"level\":\"error\",\"msg\":\"timeout after 30 s\"}\n".repeat(60);
        assertThat(List.of(report, answer, log)).allMatch(t -> t.length() >= PromptReadings.MIN_MESSAGE_CHARS);
        for (int wanted : new int[]{0, TextSignals.CODE, TextSignals.JSON | TextSignals.REASON | RuleClassifier.SIMPLE,
                TextSignals.CODE | TextSignals.JSON | TextSignals.REASON | RuleClassifier.SIMPLE}) {
            RequestShape expected = RequestShape.of(conversation(report, answer, log), wanted);
            for (int round = 0; round < 3; round++) {
                RequestShape shape = RequestShape.of(conversation(report, answer, log), wanted, readings);

                assertThat(shape).as("signals %s, round %s", wanted, round).isEqualTo(expected);
            }
        }
        assertThat(List.of(report, answer, log)).allMatch(readings::holds);
    }

    private static ChatRequest conversation(String report, String answer, String log) {
        List<ContentPart> blocks = List.of(ContentPart.text(new String(log.toCharArray())),
                ContentPart.text("And the log above."));
        return ChatRequest.builder().model("di")
                .addMessage(Message.system("You are an on-call assistant."))
                .addMessage(Message.user(new String(report.toCharArray())))
                .addMessage(Message.assistant(new String(answer.toCharArray())))
                .addMessage(Message.tool("call_1", new String(log.toCharArray())))
                .addMessage(Message.user(blocks))
                .addMessage(Message.user("Summarize the thread."))
                .build();
    }

    private static ChatRequest agentRequest(String... systemBlocks) {
        List<ContentPart> blocks = new ArrayList<>();
        for (String block : systemBlocks) {
            blocks.add(new ContentPart.Text(new String(block.toCharArray()), CacheControl.ephemeral(), Map.of()));
        }
        return ChatRequest.builder().model("claude-sonnet-4-5")
                .addMessage(new Message(Role.SYSTEM, Content.of(blocks), null, null, null, null, Map.of()))
                .addMessage(Message.user("List the files here and tell me which one builds the project."))
                .tools(List.of(bash("The command to execute")))
                .build();
    }
}
