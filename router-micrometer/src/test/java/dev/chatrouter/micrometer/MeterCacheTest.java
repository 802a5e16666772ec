package dev.chatrouter.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link MeterCache} hands out the registry's own meters, one per tag set, and stays bounded. */
class MeterCacheTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final MeterCache<Counter> counters =
            new MeterCache<>(Counter.builder("c").withRegistry(registry));

    /** Proves a cached meter is the one the registry holds for those tags, so what it counts is what is scraped. */
    @Test
    void givesTheRegistrysMeterForEachTagSet() {
        // when two tag sets are counted, one of them twice
        counters.withTags("target", "a/m", "outcome", "success").increment();
        counters.withTags("target", "a/m", "outcome", "success").increment();
        counters.withTags("target", "b/m", "outcome", "server").increment();
        // then each tag set has its own registered counter, with its own count
        assertThat(registry.get("c").tags("target", "a/m", "outcome", "success").counter().count()).isEqualTo(2.0);
        assertThat(registry.get("c").tags("target", "b/m", "outcome", "server").counter().count()).isEqualTo(1.0);
        assertThat(counters.withTags("target", "a/m", "outcome", "success"))
                .isSameAs(registry.get("c").tags("target", "a/m", "outcome", "success").counter());
        assertThat(counters.size()).isEqualTo(2);
    }

    /** Proves the cache stops growing at its bound, while meters beyond it still count in the registry. */
    @Test
    void staysBoundedAndStillCountsBeyondTheBound() {
        // when more tag sets than the bound are counted
        for (int i = 0; i < MeterCache.MAX_METERS + 10; i++) {
            counters.withTags("target", "t" + i).increment();
        }
        counters.withTags("target", "t" + (MeterCache.MAX_METERS + 5)).increment();
        // then the cache holds the bound, and the counter past it still reached the registry both times
        assertThat(counters.size()).isEqualTo(MeterCache.MAX_METERS);
        assertThat(registry.get("c").tags("target", "t" + (MeterCache.MAX_METERS + 5)).counter().count())
                .isEqualTo(2.0);
    }
}
