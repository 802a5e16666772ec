package dev.chatrouter.core.classify;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The text signals of the classification rules, each looking at a bounded window of a message: its first
 * {@link #WINDOW} and last {@link #WINDOW} characters. So classifying a 10 MB prompt reads no more than a
 * 32 KB one.
 */
final class TextSignals {

    /** Characters read from the start and from the end of each message text. */
    static final int WINDOW = 16 * 1024;

    private static final Pattern FENCE = Pattern.compile("(?m)^\\s{0,3}(```|~~~)");
    private static final Pattern DIFF = Pattern.compile(
            "(?m)^(@@ -\\d+(,\\d+)? \\+\\d+(,\\d+)? @@|--- a/\\S+|\\+\\+\\+ b/\\S+|diff --git )");
    private static final Pattern STACK_TRACE = Pattern.compile(
            "Traceback \\(most recent call last\\)|(?m)^\\s+at [\\w$.<>]+\\([\\w$.]*(:\\d+)?\\)"
                    + "|Exception in thread \"|(?m)^panic: |(?m)^goroutine \\d+ \\[|(?m)^\\s+File \"[^\"]+\", line \\d+"
                    + "|(?m)^\\w+(\\.\\w+)*(Exception|Error): ");
    private static final Pattern REPO_PATH = Pattern.compile(
            "(?<![\\w/.:])(?:[\\w.-]+/)+[\\w.-]+\\.(?:java|kt|scala|py|ts|tsx|js|jsx|go|rs|c|cc|cpp|h|hpp|cs|rb|php"
                    + "|swift|m|sql|sh|gradle|xml|toml|yaml|yml)\\b");
    private static final Pattern JSON_EXTRACTION = Pattern.compile(
            "\\b(extract|parse|convert|output|return|respond|format|give)\\b[^.\\n]{0,80}\\b(as|in|into|with)\\s+"
                    + "(valid\\s+|a\\s+|an\\s+)?json\\b|\\bjson\\s+(object|format|output|only)\\b");
    private static final Pattern REASONING = Pattern.compile(
            "\\bstep[- ]by[- ]step\\b|\\bprove\\b|\\bproof\\b|\\bderive\\b|\\bderivation\\b|\\bshow that\\b"
                    + "|\\bthink (it )?through\\b|\\breason (it )?out\\b|\\bchain of thought\\b");
    private static final Pattern MATH = Pattern.compile(
            "\\d\\s*[-+*/^=×÷]\\s*\\d|\\\\(frac|int|sum|sqrt|lim)\\b|\\b(integral|derivative|equation|solve for)\\b");
    private static final Pattern PARTS = Pattern.compile("(?m)^\\s*(\\(?[a-d]\\)|\\(?[1-9][.)])\\s");
    private static final Pattern SIMPLE_TASK = Pattern.compile(
            "\\b(summari[sz]e|summary|tl;?dr|classify|categori[sz]e|label|translate|translation|rewrite|rephrase"
                    + "|paraphrase|proofread|fix (the )?grammar)\\b");

    private static final String[] FENCE_HINTS = {"```", "~~~"};
    private static final String[] DIFF_HINTS = {"@@ -", "--- a/", "+++ b/", "diff --git "};
    private static final String[] STACK_TRACE_HINTS = {"Traceback (most recent call last)", "Exception in thread \"",
            "panic: ", "goroutine ", "File \"", "Exception: ", "Error: "};
    private static final String[] REASONING_HINTS = {"step", "prove", "proof", "deriv", "show that", "think", "reason",
            "chain of thought"};
    private static final String[] MATH_HINTS = {"integral", "derivative", "equation", "solve for"};
    private static final String[] SIMPLE_TASK_HINTS = {"summar", "tl;dr", "tldr", "classify", "categori", "label",
            "translat", "rewrite", "rephrase", "paraphrase", "proofread", "grammar"};

    private TextSignals() {
    }

    /** The start and end windows of a text, joined (the whole text when it is short). */
    static String window(String text) {
        if (text.length() <= 2 * WINDOW) {
            return text;
        }
        return text.substring(0, WINDOW) + "\n" + text.substring(text.length() - WINDOW);
    }

    static boolean looksLikeCode(String window) {
        return containsAny(window, FENCE_HINTS) && FENCE.matcher(window).find()
                || containsAny(window, DIFF_HINTS) && DIFF.matcher(window).find()
                || mayHaveStackTrace(window) && STACK_TRACE.matcher(window).find()
                || window.indexOf('/') >= 0 && REPO_PATH.matcher(window).find();
    }

    private static boolean mayHaveStackTrace(String window) {
        return window.contains("at ") && window.indexOf('(') >= 0 || containsAny(window, STACK_TRACE_HINTS);
    }

    static boolean asksForJson(String lowered) {
        return lowered.contains("json") && JSON_EXTRACTION.matcher(lowered).find();
    }

    static boolean asksForReasoning(String lowered) {
        if (containsAny(lowered, REASONING_HINTS) && REASONING.matcher(lowered).find()) {
            return true;
        }
        // multi-part math: numbered or lettered parts, and some mathematics in them
        return mayHaveMath(lowered) && MATH.matcher(lowered).find()
                && PARTS.matcher(lowered).results().limit(2).count() >= 2;
    }

    private static boolean mayHaveMath(String lowered) {
        for (int i = 0; i < lowered.length(); i++) {
            char c = lowered.charAt(i);
            if (c >= '0' && c <= '9' || c == '\\') {
                return true;
            }
        }
        return containsAny(lowered, MATH_HINTS);
    }

    static boolean asksForSimpleTask(String lowered) {
        return containsAny(lowered, SIMPLE_TASK_HINTS) && SIMPLE_TASK.matcher(lowered).find();
    }

    /**
     * Whether {@code text} contains one of {@code needles}. The hints below are literal strings that every match
     * of the pattern they guard contains: a text without any of them cannot match, so the (much slower) regular
     * expression runs only on texts that might.
     */
    private static boolean containsAny(String text, String[] needles) {
        for (String needle : needles) {
            if (text.contains(needle)) {
                return true;
            }
        }
        return false;
    }

    static String lower(String window) {
        return window.toLowerCase(Locale.ROOT);
    }
}
