package dev.chatrouter.plugin.anthropic;

import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderContext;
import dev.chatrouter.api.spi.ProviderFactory;
import dev.chatrouter.api.spi.ProviderSpec;

import java.util.Set;

/**
 * The {@code anthropic} plugin: Anthropic's native Messages API, {@code POST {base_url}/v1/messages} (default
 * base URL {@value #DEFAULT_BASE_URL}) with {@code x-api-key}, {@code anthropic-version: 2023-06-01} and the
 * provider's {@code headers} (put {@code anthropic-beta} there). Option beside the common keys:
 * <ul>
 *   <li>{@code default_max_tokens}: the {@code max_tokens} sent when the request sets neither
 *       {@code max_tokens} nor {@code max_completion_tokens} (the Messages API requires one); default
 *       {@value #DEFAULT_MAX_TOKENS}, lowered to the model's {@code max_output_tokens} when that is smaller.</li>
 * </ul>
 *
 * <h2>Request translation</h2>
 * <ul>
 *   <li>System and developer messages, wherever they appear, become the top-level {@code system} (text blocks,
 *       with their {@code cache_control}); {@code response_format: json_object} adds an instruction to answer in
 *       JSON there.</li>
 *   <li>User and assistant messages become content blocks; tool messages become {@code tool_result} blocks in a
 *       user turn; assistant {@code tool_calls} become {@code tool_use} blocks (input parsed from the arguments).
 *       Consecutive turns of one role are merged, as the API requires alternation.</li>
 *   <li>Images: a {@code data:} URL becomes a base64 source, an http(s) URL a url source. A file part with
 *       {@code file_data} {@code data:application/pdf;base64,...} becomes a {@code document} block (titled with
 *       the filename); file ids and other media types fail as bad_request. Parts that are already Anthropic
 *       {@code image} or {@code document} blocks are sent as they are. Audio fails as bad_request.</li>
 *   <li>Tools become {@code {name, description, input_schema}}; {@code tool_choice} auto, none, required
 *       ({@code any}) or a named function ({@code {type: tool, name}}); {@code parallel_tool_calls: false} sets
 *       {@code disable_parallel_tool_use}. The legacy function-call protocol ({@code functions},
 *       {@code function_call}, role {@code function}) fails as bad_request naming the field.</li>
 *   <li>{@code response_format: json_schema} is done with a forced tool, as Anthropic's own guide to JSON output
 *       does: a tool named after the schema whose {@code input_schema} is the schema, forced by
 *       {@code tool_choice} (or {@code any} when the request has tools of its own); the answer's
 *       {@code tool_use} input comes back as the message text, with finish reason {@code stop}. Anthropic's
 *       newer structured-output parameter is not used: it is not available on every model.</li>
 *   <li>{@code max_tokens} / {@code max_completion_tokens} become {@code max_tokens} (else the default above);
 *       {@code stop} becomes {@code stop_sequences}; {@code temperature} (clamped to Anthropic's 0..1),
 *       {@code top_p} and an extra {@code top_k}; {@code user} becomes {@code metadata.user_id}.</li>
 *   <li>Thinking, for models with the {@code reasoning} capability only: an Anthropic {@code thinking} object in
 *       the request is sent as it is; otherwise {@code reasoning_effort} low, medium or high sends
 *       {@code thinking: {type: enabled, budget_tokens}} of 1024, 8192 or 24576 (minimal sends none, nor does a
 *       tool choice that forces a call, which thinking does not allow). {@code max_tokens} is raised by the
 *       budget when it does not exceed it (up to the model's {@code max_output_tokens}). With thinking on, the
 *       sampling parameters are not sent, and a forcing tool choice becomes auto: the API rejects both. No
 *       thinking is sent for the next step of a tool loop (the last message a tool result): a translated assistant
 *       turn carries no thinking block, and the API refuses thinking when that turn does not start with one.</li>
 *   <li>{@code cache_control} on content parts (and tools) is forwarded on the corresponding blocks for models
 *       with the {@code prompt_cache} capability, and removed for others.</li>
 *   <li>Every other field ({@code n}, {@code seed}, penalties, {@code logprobs}, {@code metadata}, unknown
 *       fields...) is <b>not</b> forwarded: the native API rejects fields it does not know.</li>
 * </ul>
 *
 * <h2>Response translation</h2>
 * Text blocks are joined into the message content; {@code tool_use} blocks become tool calls (arguments as JSON
 * text); thinking blocks become {@code reasoning_content}. Stop reasons: end_turn and stop_sequence → stop,
 * max_tokens → length, tool_use → tool_calls, refusal → content_filter. Usage: prompt tokens count input, cache
 * reads and cache writes; {@code prompt_tokens_details.cached_tokens} is the cache reads and
 * {@code cache_write_tokens} the cache writes. Streams are translated event by event into chunks (see
 * {@link MessageStreamDecoder}); errors into the failure kinds of {@link AnthropicFailures}. Embeddings are not
 * supported.
 */
public final class AnthropicProviderFactory implements ProviderFactory {

    /** Where the Messages API is when the provider sets no {@code base_url}. */
    public static final String DEFAULT_BASE_URL = "https://api.anthropic.com";
    /** The {@code max_tokens} sent when neither the request nor {@code default_max_tokens} says. */
    public static final int DEFAULT_MAX_TOKENS = 4096;

    static final String DEFAULT_MAX_TOKENS_OPTION = "default_max_tokens";

    @Override
    public String type() {
        return "anthropic";
    }

    @Override
    public Set<String> optionKeys() {
        return Set.of(DEFAULT_MAX_TOKENS_OPTION);
    }

    /**
     * @throws IllegalArgumentException if {@code base_url} is not an http(s) URL or {@code default_max_tokens} is
     *                                  not a positive integer
     */
    @Override
    public Provider create(ProviderSpec spec, ProviderContext context) {
        String baseUrl = spec.baseUrl() != null ? spec.baseUrl() : DEFAULT_BASE_URL;
        if (!baseUrl.startsWith("http://") && !baseUrl.startsWith("https://")) {
            throw new IllegalArgumentException("base_url: expected an http:// or https:// URL but was '" + baseUrl + "'");
        }
        Object maxTokens = spec.options().getOrDefault(DEFAULT_MAX_TOKENS_OPTION, DEFAULT_MAX_TOKENS);
        // a number, or its text when a configuration file substituted it from the environment
        if (maxTokens instanceof String text && text.matches("[0-9]{1,10}")) {
            maxTokens = Long.valueOf(text);
        }
        if (!(maxTokens instanceof Integer || maxTokens instanceof Long)
                || ((Number) maxTokens).longValue() <= 0 || ((Number) maxTokens).longValue() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(DEFAULT_MAX_TOKENS_OPTION + ": expected a positive integer but was '"
                    + maxTokens + "'");
        }
        String trimmed = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        return new AnthropicProvider(spec, context, trimmed, ((Number) maxTokens).intValue());
    }
}
