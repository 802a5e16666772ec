package dev.chatrouter.e2e.agents;

import org.junit.jupiter.api.Assumptions;

/**
 * Whether the router serves the surfaces the agents speak. The router-backed tests run only when theirs is on;
 * until then they are skipped with a message, and the direct tests (agent to scripted upstream, no router) carry
 * the proof that the harness and the scripted conversation work.
 *
 * <p>Switch one on by flipping its constant to {@code true}, once {@code POST /v1/messages} (Claude Code) or
 * {@code POST /v1/responses} (Codex) is on this branch. {@code -Dchatrouter.e2e.router-surfaces=true} turns both on
 * for one run without an edit, to watch how they fail.
 */
final class RouterSurfaces {

    /** The Anthropic Messages surface: {@code POST /v1/messages}, translated to Chat Completions upstream. */
    static final boolean ANTHROPIC_MESSAGES = true;

    /** The OpenAI Responses surface: {@code POST /v1/responses}, translated to Chat Completions upstream. */
    static final boolean OPENAI_RESPONSES = true;

    private RouterSurfaces() {
    }

    static void require(boolean served, String surface, String constant) {
        boolean forced = Boolean.getBoolean("chatrouter.e2e.router-surfaces");
        Assumptions.assumeTrue(served || forced, () -> "the router does not serve " + surface
                + " yet: set RouterSurfaces." + constant + " = true (or run with -Dchatrouter.e2e.router-surfaces=true)"
                + " to run this router-backed test");
    }
}
