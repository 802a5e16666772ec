package dev.chatrouter.kit.wire;

import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * Decimal text for numbers people read: the one formatter of money ({@code usage.cost}, {@code X-DI-Cost-USD},
 * spend) and of fixed-point figures such as milliseconds. Never an exponent, never binary noise
 * ({@code 0.30000000000000004} is written {@code 0.3}, {@code 2.2000000000000006E-5} is written {@code 0.000022}).
 *
 * <p>Rounding is half-up of the value's decimal form (the digits {@link Double#toString} gives), as
 * {@code String.format("%.Nf")} and {@link BigDecimal#valueOf(double)} round, not of its binary value:
 * {@code 4152.0655} to three places is {@code 4152.066}, although the nearest double is a little below it.
 * The common case costs a multiplication and a {@code long}; only a value within a few ulps of a tie, or too
 * large for a {@code long}, goes through {@link BigDecimal}.
 */
public final class Decimals {

    /** The places money is written to: a tenth of a nano-dollar, below any per-token price. */
    public static final int MONEY_DECIMALS = 10;

    private static final long[] POWERS_OF_TEN = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000,
            100_000_000, 1_000_000_000, 10_000_000_000L};

    /** Below this, {@code value * 10^decimals} has ulps of 1/8 or less, so a tie can be told apart. */
    private static final double FAST_LIMIT = 1e15;

    private Decimals() {
    }

    /**
     * {@code value} with exactly {@code decimals} digits after the point (none and no point for 0), as
     * {@code String.format(Locale.ROOT, "%.Nf", value)} writes it; {@code NaN} and infinities as
     * {@link Double#toString} writes them.
     *
     * @throws IllegalArgumentException if {@code decimals} is not from 0 to 10
     */
    public static String fixed(double value, int decimals) {
        if (decimals < 0 || decimals >= POWERS_OF_TEN.length) {
            throw new IllegalArgumentException("decimals must be from 0 to 10 but was " + decimals);
        }
        if (!Double.isFinite(value)) {
            return Double.toString(value);
        }
        StringBuilder text = new StringBuilder(24);
        if (value < 0 || (value == 0 && 1 / value < 0)) {
            text.append('-'); // as String.format: -0.0004 is "-0.000"
            value = -value;
        }
        long scale = POWERS_OF_TEN[decimals];
        long scaled = scaled(value, scale);
        if (scaled < 0) {
            return text.append(BigDecimal.valueOf(value).setScale(decimals, RoundingMode.HALF_UP).toPlainString())
                    .toString();
        }
        text.append(scaled / scale);
        if (decimals > 0) {
            text.append('.');
            String fraction = Long.toString(scaled % scale);
            for (int i = fraction.length(); i < decimals; i++) {
                text.append('0');
            }
            text.append(fraction);
        }
        return text.toString();
    }

    /**
     * An amount of US dollars as a plain decimal: rounded half-up to {@value #MONEY_DECIMALS} places, trailing
     * zeros dropped ({@code 0.000022}, {@code 0.3}, {@code 12}, {@code 0}); the text of a JSON number.
     *
     * @throws IllegalArgumentException if {@code usd} is NaN or infinite
     */
    public static String usd(double usd) {
        if (!Double.isFinite(usd)) {
            throw new IllegalArgumentException("an amount of money must be finite but was " + usd);
        }
        boolean negative = usd < 0;
        double magnitude = Math.abs(usd);
        long scale = POWERS_OF_TEN[MONEY_DECIMALS];
        long scaled = scaled(magnitude, scale);
        if (scaled < 0) {
            BigDecimal exact = BigDecimal.valueOf(magnitude).setScale(MONEY_DECIMALS, RoundingMode.HALF_UP);
            if (exact.signum() == 0) {
                return "0";
            }
            return (negative ? "-" : "") + exact.stripTrailingZeros().toPlainString();
        }
        if (scaled == 0) {
            return "0";
        }
        StringBuilder text = new StringBuilder(24);
        if (negative) {
            text.append('-');
        }
        text.append(scaled / scale);
        long fraction = scaled % scale;
        if (fraction != 0) {
            int digits = MONEY_DECIMALS;
            while (fraction % 10 == 0) {
                fraction /= 10;
                digits--;
            }
            text.append('.');
            String fractionText = Long.toString(fraction);
            for (int i = fractionText.length(); i < digits; i++) {
                text.append('0');
            }
            text.append(fractionText);
        }
        return text.toString();
    }

    /**
     * An amount of US dollars for {@link Json#write}: written as the JSON number {@link #usd(double)} gives;
     * {@code null} stays {@code null}.
     */
    public static Object usdJson(Double usd) {
        return usd == null ? null : new Usd(usd(usd));
    }

    /** Money in a tree of plain values, written as its decimal text. */
    record Usd(String text) {
        @Override
        public String toString() {
            return text;
        }
    }

    /**
     * {@code value * scale} rounded half-up as its decimal form would be, or -1 when that needs {@link BigDecimal}:
     * the value is too large, or the product lies so near a half that the binary error could decide the rounding.
     * (The decimal form and the double differ by half an ulp of the value, the product by half an ulp more: well
     * under four ulps of the product.)
     */
    private static long scaled(double value, long scale) {
        double product = value * scale;
        if (!(product < FAST_LIMIT)) {
            return -1;
        }
        double fraction = product - Math.floor(product);
        if (Math.abs(fraction - 0.5) <= 4 * Math.ulp(product)) {
            return -1;
        }
        return Math.round(product);
    }
}
