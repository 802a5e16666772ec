package dev.chatrouter.core.budget;

/**
 * A token bucket: holds up to {@code capacity} tokens, refilled continuously at {@code capacity} per minute. Time
 * is given by the caller (nanoseconds from the router's clock), so tests control it.
 */
final class TokenBucket {

    private static final double NANOS_PER_MINUTE = 60e9;

    private final double capacity;
    private final double perNano;
    private double tokens;
    private long last;

    TokenBucket(long perMinute, long nowNanos) {
        this.capacity = perMinute;
        this.perNano = perMinute / NANOS_PER_MINUTE;
        this.tokens = perMinute;
        this.last = nowNanos;
    }

    /** The bucket's size, which is also its refill per minute. */
    long perMinute() {
        return (long) capacity;
    }

    private void refill(long now) {
        if (now > last) {
            tokens = Math.min(capacity, tokens + (now - last) * perNano);
            last = now;
        }
    }

    /** Takes {@code n} tokens when there are that many (a request larger than the bucket needs it full). */
    synchronized boolean tryTake(double n, long now) {
        refill(now);
        double needed = Math.min(n, capacity);
        if (tokens >= needed) {
            tokens -= n;
            return true;
        }
        return false;
    }

    /** Gives tokens back (a request refused by another limit), or takes more (usage above the estimate). */
    synchronized void adjust(double n, long now) {
        refill(now);
        tokens = Math.min(capacity, tokens + n);
    }

    /** Nanoseconds until {@code n} tokens are there. */
    synchronized long nanosUntil(double n, long now) {
        refill(now);
        double needed = Math.min(n, capacity) - tokens;
        return needed <= 0 ? 0 : (long) Math.ceil(needed / perNano);
    }

    /** The tokens there now (negative after usage above what was taken). */
    synchronized double available(long now) {
        refill(now);
        return tokens;
    }

    /** Nanoseconds until the bucket is full again. */
    synchronized long nanosUntilFull(long now) {
        refill(now);
        double missing = capacity - tokens;
        return missing <= 0 ? 0 : (long) Math.ceil(missing / perNano);
    }

    long capacity() {
        return (long) capacity;
    }

    /** Whether {@code n} tokens are there now, without taking them. */
    synchronized boolean has(double n, long now) {
        refill(now);
        return tokens >= Math.min(n, capacity);
    }
}
