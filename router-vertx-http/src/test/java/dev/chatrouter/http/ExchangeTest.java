package dev.chatrouter.http;

import org.junit.jupiter.api.Test;

import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

class ExchangeTest {

    /** The header formatting writes what String.format("%.Nf") writes, for costs and for milliseconds. */
    @Test
    void decimalMatchesStringFormat() {
        double[] samples = {0, 0.5, 1, 8.5e-5, 2e-5, 4.8e-5, 1.23456789e-3, 12.345678949, 0.0009995, 999.9995, 123456.7};
        for (double value : samples) {
            assertThat(Exchange.decimal(value, 8)).isEqualTo(String.format(Locale.ROOT, "%.8f", value));
            assertThat(Exchange.decimal(value, 3)).as("%s", value)
                    .isEqualTo(String.format(Locale.ROOT, "%.3f", value));
        }
        for (int i = 0; i < 10_000; i++) {
            long nanos = ThreadLocalRandom.current().nextLong(0, 5_000_000_000L);
            assertThat(Exchange.decimal(nanos / 1e6, 3)).isEqualTo(String.format(Locale.ROOT, "%.3f", nanos / 1e6));
        }
        assertThat(Exchange.decimal(Double.NaN, 3)).isEqualTo("NaN");
    }
}
