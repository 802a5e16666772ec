package dev.chatrouter.micrometer;

import io.micrometer.core.instrument.Meter;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The meters of one name by their tag keys and values, so that recording an event is one map look-up instead of
 * Micrometer's {@link Meter.MeterProvider#withTags} (which sorts the tags into a new id and looks that up in the
 * registry on every call). Holds at most {@link #MAX_METERS} entries; beyond that it asks the provider each time,
 * which gives the same meter, only slower. Thread-safe.
 */
final class MeterCache<M extends Meter> {

    /** Distinct tag sets kept, at most. The tag values are configured names (targets, routes, keys, error codes). */
    static final int MAX_METERS = 10_000;

    private final Meter.MeterProvider<M> provider;
    private final ConcurrentHashMap<Tags, M> meters = new ConcurrentHashMap<>();

    MeterCache(Meter.MeterProvider<M> provider) {
        this.provider = provider;
    }

    /**
     * The meter with these tags, as {@code provider.withTags(keysAndValues)} gives it.
     *
     * @param keysAndValues alternating tag keys and values; the array must not be changed afterwards
     */
    M withTags(String... keysAndValues) {
        Tags key = new Tags(keysAndValues);
        M meter = meters.get(key);
        if (meter == null) {
            meter = provider.withTags(keysAndValues);
            if (meters.size() < MAX_METERS) {
                M raced = meters.putIfAbsent(key, meter);
                if (raced != null) {
                    meter = raced;
                }
            }
        }
        return meter;
    }

    int size() {
        return meters.size();
    }

    /**
     * A tag set as a map key: hashed once, over the array itself, and compared element by element (the values are
     * mostly the same configured strings, so each comparison is usually an identity check). A list view of the
     * array costs an iterator for each hash and each comparison.
     */
    private static final class Tags {
        private final String[] keysAndValues;
        private final int hash;

        Tags(String[] keysAndValues) {
            this.keysAndValues = keysAndValues;
            this.hash = Arrays.hashCode(keysAndValues);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Tags other && other.hash == hash && Arrays.equals(other.keysAndValues, keysAndValues);
        }
    }
}
