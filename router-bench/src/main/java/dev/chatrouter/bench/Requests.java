package dev.chatrouter.bench;

import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;

/** The requests the benchmarks send. */
final class Requests {

    private static final String PROSE = "The customer wrote in about a delayed parcel and asked what the options "
            + "are. Our policy allows a refund or a replacement once a parcel is ten working days late. ";

    private Requests() {
    }

    /**
     * A typical chat request of about 2 KB: a system prompt, a first question, an answer and a follow-up. No rule
     * before {@code base} matches, so the classifier runs every rule (the longest path for its size).
     */
    static ChatRequest typical2Kb() {
        return typical2Kb("");
    }

    /** {@link #typical2Kb()} with its system prompt opened by {@code systemPrefix}: another application's prompt. */
    static ChatRequest typical2Kb(String systemPrefix) {
        ChatRequest request = ChatRequest.builder().model("di")
                .addMessage(Message.system(systemPrefix
                        + "You are the support assistant of Acme Parcels. Be accurate and kind. "
                        + "Quote the policy when it applies and never promise what it does not allow. "
                        + PROSE.repeat(5)))
                .addMessage(Message.user("Hello, my parcel 4411 was due last Tuesday and it has not arrived. "
                        + "The tracking page has said 'in transit' for nine days now and nobody answers the phone. "
                        + PROSE.repeat(3)))
                .addMessage(Message.assistant("I am sorry about the delay. Parcel 4411 left our depot on the "
                        + "3rd and is with the regional carrier. " + PROSE.repeat(2)))
                .addMessage(Message.user("If it is still not here on Friday, what can I do, and how long would a "
                        + "replacement take to reach me?"))
                .maxTokens(400)
                .build();
        int chars = 0;
        for (Message m : request.messages()) {
            chars += m.text().length();
        }
        if (chars < 1_800 || chars > 2_300) {
            throw new IllegalStateException("the typical request should be about 2 KB but is " + chars + " chars");
        }
        return request;
    }

    /**
     * The body of a captured Claude Code turn (Claude Code 2.1.332's second Messages request in this project's agent
     * tests, without {@code "stream": true}): a system prompt of 29 KB, twelve tools with 35 KB of descriptions and
     * 13 KB of schemas, and a conversation of a prompt, a {@code tool_use} and its {@code tool_result}.
     */
    static byte[] claudeCodeTurn() {
        try (var in = Requests.class.getResourceAsStream("/claude-code-turn.json")) {
            if (in == null) {
                throw new IllegalStateException("claude-code-turn.json is not on the class path");
            }
            return in.readAllBytes();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** One user message of {@code chars} characters of prose ending in a question. */
    static ChatRequest prompt(int chars) {
        String question = "\nWhich parcel numbers are mentioned above?";
        String body = PROSE.repeat(chars / PROSE.length() + 1).substring(0, chars - question.length());
        return ChatRequest.builder().model("di").addMessage(Message.user(body + question)).build();
    }
}
