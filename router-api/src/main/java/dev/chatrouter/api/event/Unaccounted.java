package dev.chatrouter.api.event;

import java.time.Instant;
import java.util.Objects;

/**
 * An attempt went on without a reservation: the accounting store could not be reached and every limit that applied
 * to it fails open ({@code accounting.on_store_failure} for budgets, {@code accounting.rate_limits_on_store_failure}
 * for rate limits). Its budgets' spend is still recorded once the store is back; its rate limits did not count it.
 *
 * @param at         when, on the router's clock
 * @param store      the store that failed, such as {@code redis store at 127.0.0.1:6390}
 * @param budgets    whether budgets applied to the attempt
 * @param rateLimits whether rate limits (the router's, or its provider's caps) applied to it
 */
public record Unaccounted(Instant at, String store, boolean budgets, boolean rateLimits) {
    public Unaccounted {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(store, "store");
    }
}
