package dev.chatrouter.kit.config;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the durations a configuration file writes: a whole number followed by a unit, with nothing between:
 * {@code 500ms}, {@code 30s}, {@code 10m}, {@code 1h}, {@code 1d}. Zero ({@code 0s}) is allowed.
 */
public final class Durations {

    private static final Pattern DURATION = Pattern.compile("([0-9]+)(ms|s|m|h|d)");

    private Durations() {
    }

    /**
     * Parses a duration such as {@code 30s}.
     *
     * @throws IllegalArgumentException if {@code text} is not a whole number followed by {@code ms}, {@code s},
     *                                  {@code m}, {@code h} or {@code d}, or is too large; the message says what was
     *                                  expected and what was found
     * @throws NullPointerException     if {@code text} is null
     */
    public static Duration parse(String text) {
        Objects.requireNonNull(text, "text");
        Matcher m = DURATION.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid duration '" + text
                    + "': expected a whole number followed by ms, s, m, h or d, such as 500ms, 30s, 10m, 1h or 1d");
        }
        try {
            long amount = Long.parseLong(m.group(1));
            switch (m.group(2)) {
                case "ms":
                    return Duration.ofMillis(amount);
                case "s":
                    return Duration.ofSeconds(amount);
                case "m":
                    return Duration.ofMinutes(amount);
                case "h":
                    return Duration.ofHours(amount);
                default:
                    return Duration.ofDays(amount);
            }
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("invalid duration '" + text + "': too large", e);
        }
    }
}
