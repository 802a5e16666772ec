package dev.chatrouter.core.route;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Decaying averages of observed latency per target, two of them: time to first token for streams, and total time for
 * whole answers. They are kept apart because they measure different things (a target quick to start a long answer
 * has a low first but a high second), and the {@code latency} policy orders a stream by the one and a whole answer
 * by the other. Each observation moves its average by {@code ALPHA} of the difference, so old observations fade.
 *
 * <p>Each target's averages are two atomic cells, updated by compare-and-set: an observation allocates nothing and
 * takes no lock once its target has been seen.
 */
public final class LatencyTracker {

    static final double ALPHA = 0.2;

    private static final int WHOLE = 0;
    private static final int STREAM = 1;
    private static final long UNMEASURED = Double.doubleToRawLongBits(Double.NaN);

    /** The bits ({@link Double#doubleToRawLongBits}) of each target's averages; NaN until a first observation. */
    private final ConcurrentHashMap<String, AtomicLongArray> averages = new ConcurrentHashMap<>();

    /**
     * Records one observation of the given target.
     *
     * @param stream whether it is a stream's time to first token (else a whole answer's total time)
     */
    public void observe(String target, boolean stream, double millis) {
        AtomicLongArray cells = averages.get(target);
        if (cells == null) {
            cells = averages.computeIfAbsent(target, t -> new AtomicLongArray(new long[] {UNMEASURED, UNMEASURED}));
        }
        int cell = stream ? STREAM : WHOLE;
        while (true) {
            long bits = cells.get(cell);
            double old = Double.longBitsToDouble(bits);
            double next = Double.isNaN(old) ? millis : old + ALPHA * (millis - old);
            if (cells.compareAndSet(cell, bits, Double.doubleToRawLongBits(next))) {
                return;
            }
        }
    }

    /**
     * The average in milliseconds of streams' time to first token ({@code stream}) or of whole answers' total time,
     * or {@code NaN} when the target has not been measured so.
     */
    public double averageMillis(String target, boolean stream) {
        AtomicLongArray cells = averages.get(target);
        return cells == null ? Double.NaN : Double.longBitsToDouble(cells.get(stream ? STREAM : WHOLE));
    }
}
