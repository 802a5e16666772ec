package dev.chatrouter.api.spi;

import java.time.Duration;
import java.util.Objects;

/**
 * A provider's timeouts.
 *
 * @param connect    to open a connection (default 5s)
 * @param firstToken from sending a streamed request to its first token (default 30s); a non-streamed answer
 *                   arrives whole when generation ends, so only {@code total} bounds it
 * @param total      for the whole attempt (default 300s)
 */
public record Timeouts(Duration connect, Duration firstToken, Duration total) {

    public static final Timeouts DEFAULTS =
            new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(300));

    public Timeouts {
        Objects.requireNonNull(connect, "connect");
        Objects.requireNonNull(firstToken, "firstToken");
        Objects.requireNonNull(total, "total");
    }
}
