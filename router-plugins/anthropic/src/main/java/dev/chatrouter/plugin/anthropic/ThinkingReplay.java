package dev.chatrouter.plugin.anthropic;

import dev.chatrouter.api.chat.NativeRequest;
import dev.chatrouter.kit.wire.Json;

import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * What Anthropic takes back of a conversation's thinking, for a conversation the router may have had answered by
 * other providers between its turns.
 *
 * <ul>
 *   <li>A {@code thinking} block must carry the signature Anthropic gave it. The Messages surface answers a turn of
 *       another provider's reasoning as a thinking block with an empty signature, which Anthropic refuses
 *       ({@code Invalid `signature` in `thinking` block}): such blocks are left out, and an assistant turn of
 *       nothing else with them (Anthropic joins the user turns around it).</li>
 *   <li>With thinking on, a tool loop's last assistant turn must start with a thinking block ({@code a final
 *       `assistant` message must start with a thinking block}). When it does not (another provider made the call,
 *       or the turn was translated, which carries no thinking), the loop's next step is sent without thinking.</li>
 * </ul>
 */
final class ThinkingReplay {

    private static final byte[] SIGNATURE = "\"signature\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TOOL_RESULT = "\"tool_result\"".getBytes(StandardCharsets.US_ASCII);

    private ThinkingReplay() {
    }

    /**
     * The client's Messages body as Anthropic takes it back: the same request when nothing in it needs leaving out
     * (it is read only when it has an empty signature, or a tool result beside thinking), else one whose body has the
     * unsigned thinking blocks, and the {@code thinking} field of a loop that cannot keep it, taken out.
     */
    static NativeRequest replayable(NativeRequest asSent) {
        byte[] body = asSent.body();
        boolean unsigned = hasEmptySignature(body);
        if (!unsigned && !(indexOf(body, TOOL_RESULT, 0) >= 0 && indexOf(body, "\"thinking\"".getBytes(
                StandardCharsets.US_ASCII), 0) >= 0)) {
            return asSent;
        }
        Object parsed;
        try {
            parsed = Json.read(body);
        } catch (IllegalArgumentException e) {
            return asSent; // not JSON: sent as it is, and refused upstream as it would be without the router
        }
        if (!(parsed instanceof Map<?, ?> request) || !(request.get("messages") instanceof List<?> turns)) {
            return asSent;
        }
        boolean changed = unsigned && dropUnsigned(turns);
        if (thinks(request.get("thinking")) && continuesLoopWithoutThinking(turns)) {
            request.remove("thinking");
            changed = true;
        }
        return changed ? new NativeRequest(asSent.surface(), Json.write(request), asSent.headers()) : asSent;
    }

    /** Whether a {@code thinking} field turns thinking on (any type but {@code disabled}). */
    static boolean thinks(Object thinking) {
        return thinking instanceof Map<?, ?> map && !"disabled".equals(map.get("type"));
    }

    /**
     * Whether the turns are in a tool loop (the last turn is the user's, with a {@code tool_result}) whose last
     * assistant turn does not start with a thinking block: Anthropic refuses thinking for such a request.
     */
    static boolean continuesLoopWithoutThinking(List<?> turns) {
        if (turns.isEmpty() || !isTurn(turns.get(turns.size() - 1), "user")
                || !hasBlock(turns.get(turns.size() - 1), "tool_result")) {
            return false;
        }
        for (int i = turns.size() - 2; i >= 0; i--) {
            if (isTurn(turns.get(i), "assistant")) {
                Object content = ((Map<?, ?>) turns.get(i)).get("content");
                if (!(content instanceof List<?> blocks) || blocks.isEmpty()) {
                    return true;
                }
                String first = type(blocks.get(0));
                return !"thinking".equals(first) && !"redacted_thinking".equals(first);
            }
        }
        return false;
    }

    /** Takes the thinking blocks without a signature out of the assistant turns; true if it took any. */
    private static boolean dropUnsigned(List<?> turns) {
        boolean dropped = false;
        for (Iterator<?> it = turns.iterator(); it.hasNext(); ) {
            Object turn = it.next();
            if (isTurn(turn, "assistant") && ((Map<?, ?>) turn).get("content") instanceof List<?> blocks) {
                if (blocks.removeIf(ThinkingReplay::unsigned)) {
                    dropped = true;
                    if (blocks.isEmpty()) {
                        it.remove();
                    }
                }
            }
        }
        return dropped;
    }

    private static boolean unsigned(Object block) {
        return "thinking".equals(type(block)) && !(((Map<?, ?>) block).get("signature") instanceof String signature
                && !signature.isEmpty());
    }

    private static boolean isTurn(Object turn, String role) {
        return turn instanceof Map<?, ?> map && role.equals(map.get("role"));
    }

    private static boolean hasBlock(Object turn, String type) {
        if (((Map<?, ?>) turn).get("content") instanceof List<?> blocks) {
            for (Object block : blocks) {
                if (type.equals(type(block))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static String type(Object block) {
        return block instanceof Map<?, ?> map && map.get("type") instanceof String type ? type : null;
    }

    /** Whether the bytes hold {@code "signature"}, blanks, {@code :}, blanks, {@code ""}. */
    static boolean hasEmptySignature(byte[] body) {
        for (int at = indexOf(body, SIGNATURE, 0); at >= 0; at = indexOf(body, SIGNATURE, at + 1)) {
            int i = skipBlanks(body, at + SIGNATURE.length);
            if (i < body.length && body[i] == ':') {
                i = skipBlanks(body, i + 1);
                if (i + 1 < body.length && body[i] == '"' && body[i + 1] == '"') {
                    return true;
                }
            }
        }
        return false;
    }

    private static int skipBlanks(byte[] body, int i) {
        while (i < body.length && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r')) {
            i++;
        }
        return i;
    }

    private static int indexOf(byte[] body, byte[] word, int from) {
        outer:
        for (int i = from, last = body.length - word.length; i <= last; i++) {
            for (int j = 0; j < word.length; j++) {
                if (body[i + j] != word[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
