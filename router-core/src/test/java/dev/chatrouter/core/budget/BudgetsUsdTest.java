package dev.chatrouter.core.budget;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Pico-dollars as dollars: the fast division gives the nearest double to the exact decimal, as BigDecimal does. */
class BudgetsUsdTest {

    private static double exact(long picos) {
        return BigDecimal.valueOf(picos, 12).doubleValue();
    }

    @Test
    void theNearestDoubleAtTheEdgesOfTheFastPathAndBeyond() {
        long edge = 1L << 53;
        long[] values = {0, 1, -1, 22_000_000L, 1_500_000_000L, 999_999_999_999L, 1_000_000_000_000L,
                edge - 1, edge, edge + 1, -edge, -edge - 1, Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1};
        for (long v : values) {
            assertEquals(exact(v), Budgets.usd(v), "picos " + v);
        }
        assertEquals(2.2E-5, Budgets.usd(22_000_000L));
    }

    @Test
    void theNearestDoubleForRandomAmounts() {
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < 200_000; i++) {
            long v = random.nextLong(-(1L << 54), 1L << 54) >> random.nextInt(54);
            assertEquals(exact(v), Budgets.usd(v), "picos " + v);
        }
    }

    @Test
    void theNearestDoubleForAmountsPastTheFastPath() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 200_000; i++) {
            long v = random.nextLong() >> random.nextInt(10);
            assertEquals(exact(v), Budgets.usd(v), "picos " + v);
        }
        // ties and near-ties of the 53-bit rounding: multiples of 5^12 times odd halves of an ulp, and neighbours
        for (long q = (1L << 30) + 1; q < (1L << 30) + 2000; q++) {
            for (long d = -2; d <= 2; d++) {
                long v = q * 244_140_625L * 4 + d;
                assertEquals(exact(v), Budgets.usd(v), "picos " + v);
            }
        }
        assertEquals(exact(Long.MAX_VALUE - 1), Budgets.usd(Long.MAX_VALUE - 1));
    }
}
