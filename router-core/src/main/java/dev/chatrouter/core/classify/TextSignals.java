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
        return FENCE.matcher(window).find() || DIFF.matcher(window).find() || STACK_TRACE.matcher(window).find()
                || REPO_PATH.matcher(window).find();
    }

    static boolean asksForJson(String lowered) {
        return lowered.contains("json") && JSON_EXTRACTION.matcher(lowered).find();
    }

    static boolean asksForReasoning(String lowered) {
        if (REASONING.matcher(lowered).find()) {
            return true;
        }
        // multi-part math: numbered or lettered parts, and some mathematics in them
        return MATH.matcher(lowered).find() && PARTS.matcher(lowered).results().limit(2).count() >= 2;
    }

    static boolean asksForSimpleTask(String lowered) {
        return SIMPLE_TASK.matcher(lowered).find();
    }

    static String lower(String window) {
        return window.toLowerCase(Locale.ROOT);
    }
}
