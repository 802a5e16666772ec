package dev.chatrouter.plugin.mock;

import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderContext;
import dev.chatrouter.api.spi.ProviderFactory;
import dev.chatrouter.api.spi.ProviderSpec;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The {@code mock} plugin: a deterministic local provider that calls no network. The HTTP server uses it when no
 * API key is set, so that a first request gets an answer; tests and demos use it to show fallback.
 *
 * <pre>{@code
 * providers:
 *   mock:
 *     type: mock
 *     latency_ms: 50          # every answer (failures included) arrives 50 ms later; default 0
 *     fail_first: 2           # the first 2 calls fail, then calls succeed; counted per provider
 *     fail: rate_limit        # the kind they fail with; without fail_first, every call fails
 *     reply: "Hello!"         # the reply text instead of the default
 *     models:
 *       echo: { capabilities: [tools, json_schema, streaming, embeddings] }
 * }</pre>
 *
 * <h2>Answers</h2>
 * Every model name is served the same way, and the same request always gets the same answer:
 * <ul>
 *   <li>text: the {@code reply} option, else {@code Mock reply to: } and the first 200 characters of the last
 *       user message's text, or {@code Mock reply using tool result: } and the first 200 characters of the tool
 *       result when the last message is one (so a tool-use loop ends); one identical choice per {@code n};</li>
 *   <li>tools (unless {@code tool_choice} is {@code none}, and not after a tool result): one call
 *       {@code call_mock_0} to the function {@code tool_choice} names or else the first, with JSON arguments that
 *       fit its parameters schema; content {@code null}, finish reason {@code tool_calls};</li>
 *   <li>{@code response_format}: {@code json_schema} gives JSON that fits the schema, {@code json_object} gives
 *       {@code {"reply": TEXT}};</li>
 *   <li>usage: 4 characters per token, rounded up, over all messages and tool definitions (prompt) and over the
 *       content or arguments of each choice (completion); an output limit below that cuts the output to fit,
 *       with finish reason {@code length};</li>
 *   <li>id {@code mock-} and a hash of the request (the same streamed or not); {@code created} from the router's clock; {@code model} as
 *       sent upstream;</li>
 *   <li>streams: the same answer in OpenAI's chunk shape (content word by word, arguments in fragments), then a
 *       usage-only chunk, always;</li>
 *   <li>embeddings: unit vectors of 8 values (or {@code dimensions}) derived from a hash of each text.</li>
 * </ul>
 * Requests no model would accept ({@code n} or an output limit below 1, {@code tool_choice} naming an absent
 * function, bad {@code dimensions}) fail with {@code bad_request} (400).
 *
 * <h2>Failures</h2>
 * A failing call fails with a {@link dev.chatrouter.api.spi.ProviderException} of the configured kind and the
 * status an upstream would give it: {@code rate_limit} 429 with retry-after 1s, {@code server} 500, {@code auth}
 * 401, {@code bad_request} 400, {@code context_length} 400 with code {@code context_length_exceeded},
 * {@code content_filter} 400, {@code timeout} and {@code connection} status 0. A stream fails before any chunk.
 * When a call's deadline comes before {@code latency_ms} has passed, it fails with {@code timeout} at the
 * deadline. A call counts when it is made: a chat or embedding when called, a stream on its first request.
 */
public final class MockProviderFactory implements ProviderFactory {

    /** The plugin's {@code type:}. */
    public static final String TYPE = "mock";

    private static final Set<String> OPTION_KEYS = Collections.unmodifiableSet(new LinkedHashSet<>(MockOptions.KEYS));

    public MockProviderFactory() {
        // found by ServiceLoader
    }

    @Override
    public String type() {
        return TYPE;
    }

    /** {@code fail}, {@code fail_first}, {@code latency_ms} and {@code reply}; see the class description. */
    @Override
    public Set<String> optionKeys() {
        return OPTION_KEYS;
    }

    /**
     * Creates a mock provider. It ignores the spec's base URL, key, headers, timeouts, limits and models.
     *
     * @throws IllegalArgumentException naming the option, if an option key is unknown or a value is not usable:
     *                                  {@code fail} not a failure kind's wire name, {@code fail_first} or
     *                                  {@code latency_ms} not a non-negative int, {@code reply} not a string
     */
    @Override
    public Provider create(ProviderSpec spec, ProviderContext context) {
        return new MockProvider(spec.id(), MockOptions.parse(spec.options()), context.clock());
    }
}
