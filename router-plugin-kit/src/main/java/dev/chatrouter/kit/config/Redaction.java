package dev.chatrouter.kit.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/** Replaces values that must not be shown in a message with {@code (hidden)}. */
public final class Redaction {

    private static final String HIDDEN = "(hidden)";

    private Redaction() {
    }

    /**
     * {@code text} with each of {@code everywhere} replaced wherever it appears, and each of {@code whereQuoted}
     * where it appears in single or double quotes (for values too common to replace in running text). Longer
     * values go first, so that a value containing another is replaced whole; empty values are ignored.
     */
    public static String hide(String text, Collection<String> everywhere, Collection<String> whereQuoted) {
        String out = text;
        for (String value : longestFirst(everywhere)) {
            out = out.replace(value, HIDDEN);
        }
        for (String value : longestFirst(whereQuoted)) {
            out = out.replace("'" + value + "'", HIDDEN).replace("\"" + value + "\"", HIDDEN);
        }
        return out;
    }

    private static List<String> longestFirst(Collection<String> values) {
        List<String> sorted = new ArrayList<>();
        for (String value : values) {
            if (value != null && !value.isEmpty()) {
                sorted.add(value);
            }
        }
        sorted.sort(Comparator.comparingInt(String::length).reversed());
        return sorted;
    }
}
