package dev.chatrouter.core.route;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A decaying average of observed latency per target: time to first token for streams, total time otherwise.
 * Each observation moves the average by {@code ALPHA} of the difference, so old observations fade.
 *
 * <p>Each target's average is one atomic cell, updated by compare-and-set: an observation allocates nothing and
 * takes no lock once its target has been seen.
 */
public final class LatencyTracker {

    static final double ALPHA = 0.2;

    /** The bits of each target's average ({@link Double#doubleToRawLongBits}); NaN until its first observation. */
    private final ConcurrentHashMap<String, AtomicLong> averageMillis = new ConcurrentHashMap<>();

    private static final long UNMEASURED = Double.doubleToRawLongBits(Double.NaN);

    /** Records one observation of the given target. */
    public void observe(String target, double millis) {
        AtomicLong cell = averageMillis.get(target);
        if (cell == null) {
            cell = averageMillis.computeIfAbsent(target, t -> new AtomicLong(UNMEASURED));
        }
        while (true) {
            long bits = cell.get();
            double old = Double.longBitsToDouble(bits);
            double next = Double.isNaN(old) ? millis : old + ALPHA * (millis - old);
            if (cell.compareAndSet(bits, Double.doubleToRawLongBits(next))) {
                return;
            }
        }
    }

    /** The average in milliseconds, or {@code NaN} when the target has not been measured. */
    public double averageMillis(String target) {
        AtomicLong cell = averageMillis.get(target);
        return cell == null ? Double.NaN : Double.longBitsToDouble(cell.get());
    }
}
