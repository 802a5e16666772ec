package dev.chatrouter.core.route;

import java.util.concurrent.ConcurrentHashMap;

/**
 * A decaying average of observed latency per target: time to first token for streams, total time otherwise.
 * Each observation moves the average by {@code ALPHA} of the difference, so old observations fade.
 */
public final class LatencyTracker {

    static final double ALPHA = 0.2;

    private final ConcurrentHashMap<String, Double> averageMillis = new ConcurrentHashMap<>();

    /** Records one observation of the given target. */
    public void observe(String target, double millis) {
        averageMillis.merge(target, millis, (old, now) -> old + ALPHA * (now - old));
    }

    /** The average in milliseconds, or {@code NaN} when the target has not been measured. */
    public double averageMillis(String target) {
        Double value = averageMillis.get(target);
        return value == null ? Double.NaN : value;
    }
}
