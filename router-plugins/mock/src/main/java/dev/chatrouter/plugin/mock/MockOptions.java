package dev.chatrouter.plugin.mock;

import dev.chatrouter.api.FailureKind;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The mock provider's options, validated.
 *
 * @param failKind the kind every failing call fails with
 * @param failures how many calls fail: 0 for none, {@link Long#MAX_VALUE} for every call
 * @param latency  the delay before every answer, failures included
 * @param reply    the fixed reply text, or {@code null} for the default
 */
record MockOptions(FailureKind failKind, long failures, Duration latency, String reply) {

    static final String FAIL = "fail";
    static final String FAIL_FIRST = "fail_first";
    static final String LATENCY_MS = "latency_ms";
    static final String REPLY = "reply";
    static final List<String> KEYS = List.of(FAIL, FAIL_FIRST, LATENCY_MS, REPLY);

    private static final String KINDS = Arrays.stream(FailureKind.values())
            .map(FailureKind::wireName).collect(Collectors.joining(", "));

    /**
     * Reads the options of a provider entry.
     *
     * @throws IllegalArgumentException naming the option, if a key is unknown or a value is not usable
     */
    static MockOptions parse(Map<String, Object> options) {
        for (String key : options.keySet()) {
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown option '" + key + "': expected one of "
                        + String.join(", ", KEYS));
            }
        }
        FailureKind fail = options.containsKey(FAIL) ? failureKind(options.get(FAIL)) : null;
        long failures = options.containsKey(FAIL_FIRST) ? nonNegativeInt(FAIL_FIRST, options.get(FAIL_FIRST))
                : fail != null ? Long.MAX_VALUE : 0;
        Duration latency = options.containsKey(LATENCY_MS)
                ? Duration.ofMillis(nonNegativeInt(LATENCY_MS, options.get(LATENCY_MS))) : Duration.ZERO;
        String reply = null;
        if (options.containsKey(REPLY)) {
            if (!(options.get(REPLY) instanceof String text)) {
                throw new IllegalArgumentException(REPLY + ": expected a string but was " + show(options.get(REPLY)));
            }
            reply = text;
        }
        return new MockOptions(fail == null ? FailureKind.SERVER : fail, failures, latency, reply);
    }

    private static FailureKind failureKind(Object value) {
        if (value instanceof String name) {
            for (FailureKind kind : FailureKind.values()) {
                if (kind.wireName().equals(name)) {
                    return kind;
                }
            }
        }
        throw new IllegalArgumentException(FAIL + ": expected one of " + KINDS + " but was " + show(value));
    }

    /** Accepts integral numbers and decimal strings (a value substituted from the environment is a string). */
    private static int nonNegativeInt(String key, Object value) {
        try {
            // NaN and Infinity make BigDecimal throw NumberFormatException, as do non-numeric strings.
            BigDecimal number = value instanceof Number n ? new BigDecimal(n.toString())
                    : value instanceof String s ? new BigDecimal(s.strip()) : null;
            if (number != null && number.signum() >= 0) {
                return number.intValueExact();
            }
        } catch (NumberFormatException | ArithmeticException e) {
            // not an int: reported below
        }
        throw new IllegalArgumentException(key + ": expected a non-negative integer but was " + show(value));
    }

    private static String show(Object value) {
        return value instanceof String s ? "'" + s + "'" : String.valueOf(value);
    }
}
