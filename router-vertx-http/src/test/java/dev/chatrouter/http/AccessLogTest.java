package dev.chatrouter.http;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.event.AttemptFinished;
import dev.chatrouter.api.event.RequestFinished;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The access line's formatting, for what a real request rarely shows: failures, cancels and tiny amounts. */
class AccessLogTest {

    /** Proves amounts have fixed decimals and never scientific notation, however small or large. */
    @Test
    void amountsHaveFixedDecimalsAndNoExponent() {
        assertThat(AccessLog.fixed(0.00016, 6)).isEqualTo("0.000160");
        assertThat(AccessLog.fixed(1.6e-7, 6)).isEqualTo("0.000000");
        assertThat(AccessLog.fixed(6e-7, 6)).isEqualTo("0.000001");
        assertThat(AccessLog.fixed(0, 6)).isEqualTo("0.000000");
        assertThat(AccessLog.fixed(12345678.9, 1)).isEqualTo("12345678.9");
        assertThat(AccessLog.fixed(1e21, 2)).isEqualTo("1000000000000000000000.00");
        assertThat(AccessLog.fixed(Double.NaN, 3)).isEqualTo("0.000");
    }

    /** Proves the fast formatting writes the digits BigDecimal's half-up rounding writes, ties included. */
    @Test
    void amountsRoundAsBigDecimalDoes() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(42);
        for (int i = 0; i < 100_000; i++) {
            double value = switch (i % 4) {
                case 0 -> random.nextDouble() * 1e-3;              // costs
                case 1 -> random.nextLong(0, 10_000_000) / 1e6;    // durations in ms, from nanoseconds
                case 2 -> random.nextLong(0, 2_000_000) / 2e6;     // many exact ties at 6 places
                default -> random.nextDouble() * 1e7;
            };
            for (int decimals : new int[]{1, 3, 6}) {
                assertThat(AccessLog.fixed(value, decimals)).as("%s to %d places", value, decimals)
                        .isEqualTo(java.math.BigDecimal.valueOf(value)
                                .setScale(decimals, java.math.RoundingMode.HALF_UP).toPlainString());
            }
        }
        assertThat(AccessLog.fixed(5e-7, 6)).isEqualTo("0.000001");
        assertThat(AccessLog.fixed(-0.0, 3)).isEqualTo("0.000");
        assertThat(AccessLog.fixed(-1e-9, 6)).isEqualTo("0.000000");
    }

    /**
     * Proves an access log on other loggers (the warm-up's) writes the same line and each failed attempt there, and
     * nothing to the real log.
     */
    @Test
    void otherLoggersGetTheLinesAndTheRealLogNothing() {
        LogCapture real = new LogCapture(AccessLog.LOGGER);
        LogCapture realWarnings = new LogCapture("chatrouter");
        real.start();
        realWarnings.start();
        try {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            RequestFinished event = new RequestFinished(Instant.EPOCH, "req_2", null, null,
                    ChatRouterException.builder(ErrorCode.MODEL_NOT_FOUND, "no route").build(), false, 0, 0,
                    Duration.ofMillis(1), Duration.ofMillis(1));
            try (WarmUpAccessLogger loggers = new WarmUpAccessLogger(() -> out)) {
                AccessLog log = new AccessLog(loggers.access(), loggers.log());
                log.onAttemptFinished(failedAttempt());
                log.onRequestFinished(event);
            } // closing writes what is queued
            assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8))
                    .contains("WARN  chatrouter: req_3 attempt 1 at openai/gpt-4o-mini failed")
                    .contains("INFO  chatrouter.access: " + AccessLog.line(event));
            assertThat(real.lines()).isEmpty();
            assertThat(realWarnings.lines()).isEmpty();
        } finally {
            real.stop();
            realWarnings.stop();
        }
    }

    private static AttemptFinished failedAttempt() {
        return new AttemptFinished(Instant.EPOCH, "req_3", "openai/gpt-4o-mini", 1, false,
                FailureKind.SERVER, false, 503, Duration.ofMillis(7), null, 0, 0, 0, 0);
    }

    /** Proves a request that failed before routing shows dashes, the error's status and its code. */
    @Test
    void aRequestThatFailedBeforeRoutingShowsTheErrorsStatusAndCode() {
        ChatRouterException error = ChatRouterException.builder(ErrorCode.MODEL_NOT_FOUND, "no route").build();
        String line = AccessLog.line(new RequestFinished(Instant.EPOCH, "req_1", "team a", null, error, false, 0, 0,
                Duration.ofNanos(1_234_567), Duration.ofNanos(1_234_567)));
        assertThat(line).isEqualTo("req_1 key=team_a route=- type=- target=- attempts=0 status=404 tokens=0/0"
                + " cost=0.000000 total_ms=1.2 overhead_ms=1.235 error=model_not_found");
    }

    /** Proves a request its caller gave up on is logged with status 499 and error=cancelled. */
    @Test
    void aCancelledRequestIs499() {
        String line = AccessLog.line(new RequestFinished(Instant.EPOCH, "req_2", null, null, null, true, 0, 0,
                Duration.ofMillis(5), Duration.ZERO));
        assertThat(line).contains(" key=- ").contains(" status=499 ").endsWith(" overhead_ms=0.000 error=cancelled");
    }
}
