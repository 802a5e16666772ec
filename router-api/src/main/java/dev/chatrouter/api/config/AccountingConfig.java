package dev.chatrouter.api.config;

/**
 * How a request's worst case is bounded when nothing else bounds it (the {@code accounting} section; see
 * docs/configuration.md#accounting and docs/routing.md#budgets).
 *
 * @param defaultOutputTokens the output a request's worst case assumes when neither the request
 *                            ({@code max_tokens}, {@code max_completion_tokens}) nor the model
 *                            ({@code max_output_tokens}) bounds it; default {@value #DEFAULT_OUTPUT_TOKENS}
 */
public record AccountingConfig(long defaultOutputTokens) {

    public static final long DEFAULT_OUTPUT_TOKENS = 4_096;

    /** The defaults. */
    public static final AccountingConfig DEFAULTS = new AccountingConfig(DEFAULT_OUTPUT_TOKENS);

    /**
     * @throws IllegalArgumentException if {@code defaultOutputTokens} is not positive
     */
    public AccountingConfig {
        if (defaultOutputTokens <= 0) {
            throw new IllegalArgumentException("default_output_tokens must be positive but was "
                    + defaultOutputTokens);
        }
    }
}
