package dev.chatrouter.plugin.openai;

import dev.chatrouter.api.chat.Content;
import dev.chatrouter.api.chat.ContentPart;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.Role;

import java.util.ArrayList;
import java.util.List;

/**
 * Chat Completions takes only text in a {@code tool} message, while an Anthropic {@code tool_result} or a
 * Responses {@code function_call_output} may hold images and files (Claude Code reading a screenshot, Codex's
 * {@code view_image}). Such a tool message keeps its text, and its other parts go in one {@code user} message after
 * the tool messages of its turn (a message between them would break the turn), each call's after a line naming it.
 */
final class ToolResultMedia {

    private ToolResultMedia() {
    }

    /** {@code messages} as Chat Completions takes them: the same list when no tool message holds anything but text. */
    static List<Message> inUserMessages(List<Message> messages) {
        int first = 0;
        while (first < messages.size() && !holdsMedia(messages.get(first))) {
            first++;
        }
        if (first == messages.size()) {
            return messages;
        }
        List<Message> out = new ArrayList<>(messages.size() + 1);
        out.addAll(messages.subList(0, first));
        List<ContentPart> moved = new ArrayList<>();
        for (int i = first; i < messages.size(); i++) {
            Message m = messages.get(i);
            if (holdsMedia(m)) {
                List<ContentPart> text = new ArrayList<>();
                moved.add(ContentPart.text("The result of tool call " + m.toolCallId() + ":"));
                for (ContentPart part : ((Content.Parts) m.content()).parts()) {
                    (part instanceof ContentPart.Text ? text : moved).add(part);
                }
                if (text.isEmpty()) {
                    text.add(ContentPart.text("(in the next message)"));
                }
                out.add(new Message(Role.TOOL, Content.of(text), m.name(), m.toolCalls(), m.toolCallId(),
                        m.refusal(), m.extra()));
            } else {
                out.add(m);
            }
            boolean turnEnds = i + 1 == messages.size() || messages.get(i + 1).role() != Role.TOOL;
            if (turnEnds && !moved.isEmpty()) {
                out.add(Message.user(moved));
                moved = new ArrayList<>();
            }
        }
        return out;
    }

    private static boolean holdsMedia(Message m) {
        if (m.role() != Role.TOOL || !(m.content() instanceof Content.Parts parts)) {
            return false;
        }
        for (ContentPart part : parts.parts()) {
            if (!(part instanceof ContentPart.Text)) {
                return true;
            }
        }
        return false;
    }
}
