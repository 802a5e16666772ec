package dev.chatrouter.http;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.event.AttemptFinished;
import dev.chatrouter.api.event.RequestFinished;
import dev.chatrouter.api.event.RouterListener;
import dev.chatrouter.kit.wire.Decimals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;

/**
 * The server's access log: one line per routed request on logger {@value #LOGGER} at INFO, and each failed upstream
 * attempt at WARN on {@code chatrouter} with its kind, status and target. A line names the key by its name, never
 * the key, and holds no prompt, completion or upstream message. docs/operations.md explains each field:
 *
 * <pre>
 * req_8f2c01d9e4b7a6f3 key=team-a route=di type=code target=openai/gpt-4o-mini attempts=1 status=200 tokens=812/64 cost=0.000160 total_ms=412.3 overhead_ms=0.210
 * </pre>
 *
 * A listener of the router, so it runs inline where the request ends: it formats the line and hands it to the
 * logging backend (whose {@code logback.xml} queues access lines, so an event loop never waits on output).
 */
final class AccessLog implements RouterListener {

    static final String LOGGER = "chatrouter.access";
    /** HTTP's unofficial "client closed request", for a request its caller gave up on. */
    static final int CLIENT_CLOSED = 499;

    /** Where lines go: the server's access logger, or the warm-up's. */
    private final Logger access;
    /** Where failed attempts are told. */
    private final Logger log;

    /** The access log of the server, on logger {@value #LOGGER}. */
    AccessLog() {
        this(LoggerFactory.getLogger(LOGGER), LoggerFactory.getLogger("chatrouter"));
    }

    /**
     * An access log that formats each line as the server's does and writes it, and each failed attempt, to these
     * loggers instead: for the warm-up, whose requests must not appear in the real log but should run the same code.
     */
    AccessLog(Logger access, Logger log) {
        this.access = java.util.Objects.requireNonNull(access, "access");
        this.log = java.util.Objects.requireNonNull(log, "log");
    }

    @Override
    public void onAttemptFinished(AttemptFinished event) {
        if (event.failure() != null && log.isWarnEnabled()) {
            log.warn("{} attempt {} at {} failed: {} (upstream status {}, after {} ms)", event.requestId(),
                    event.attempt(), event.target(), event.failure().wireName(), event.status(),
                    event.latency().toMillis());
        }
    }

    @Override
    public void onRequestFinished(RequestFinished event) {
        if (access.isInfoEnabled()) {
            access.info(line(event));
        }
    }

    /** The access line of a finished request. */
    static String line(RequestFinished event) {
        RoutingReport report = event.report();
        ChatRouterException error = event.error();
        int status = event.cancelled() ? CLIENT_CLOSED : error != null ? HttpErrors.status(error) : 200;
        StringBuilder line = new StringBuilder(200).append(event.requestId());
        field(line, "key", event.key());
        field(line, "route", report == null ? null : report.route());
        field(line, "type", report != null ? report.type().wireName()
                : error != null ? error.requestType().map(t -> t.wireName()).orElse(null) : null);
        field(line, "target", report == null ? null : report.target());
        line.append(" attempts=").append(report == null ? 0 : report.attempts().size());
        line.append(" status=").append(status);
        line.append(" tokens=").append(event.inputTokens()).append('/').append(event.outputTokens());
        line.append(" cost=").append(fixed(report == null ? 0 : report.costUsd(), 6));
        line.append(" total_ms=").append(millis(event.total(), 1));
        line.append(" overhead_ms=").append(millis(event.overhead(), 3));
        if (report != null && report.cacheHit()) {
            line.append(" cache=hit");
        }
        if (error != null) {
            line.append(" error=").append(error.code().wireName());
        } else if (event.cancelled()) {
            line.append(" error=cancelled");
        }
        return line.toString();
    }

    /** {@code name=value}, or {@code name=-} when there is no value; spaces in a value become {@code _}. */
    private static void field(StringBuilder line, String name, String value) {
        line.append(' ').append(name).append('=');
        if (value == null || value.isEmpty()) {
            line.append('-');
        } else {
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                line.append(c <= ' ' || c == '=' ? '_' : c);
            }
        }
    }

    /** {@code value} with exactly {@code decimals} digits after the point, never in scientific notation. */
    static String fixed(double value, int decimals) {
        if (!Double.isFinite(value) || value == 0) {
            return "0." + "0".repeat(decimals);
        }
        if (value < 0) { // never for a cost or a duration; kept as BigDecimal writes it (no "-0.000")
            return BigDecimal.valueOf(value).setScale(decimals, RoundingMode.HALF_UP).toPlainString();
        }
        return Decimals.fixed(value, decimals); // the same digits, without a BigDecimal per field
    }

    private static String millis(Duration duration, int decimals) {
        return fixed(duration.toNanos() / 1e6, decimals);
    }
}
