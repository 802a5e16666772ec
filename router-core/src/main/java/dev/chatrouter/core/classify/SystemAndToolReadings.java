package dev.chatrouter.core.classify;

import dev.chatrouter.api.chat.Tool;
import dev.chatrouter.core.tokens.TokenEstimate;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The readings of the parts of a request that an application sends unchanged with every request: its system and
 * developer prompts (what {@link RuleClassifier#scanCounting} found in each, its code, json and reason signals, and
 * its token counts) and its tools (their token counts), kept by content. A coding agent's prompt and tools come to
 * tens of kilobytes; with this, each distinct one is read once instead of once a request, and a request pays for
 * each an equality check.
 *
 * <p>Two direct-mapped tables: {@value #TEXT_SLOTS} prompt texts of {@value #MIN_CHARS} to {@value #MAX_TEXT_CHARS}
 * characters, and {@value #TOOL_SLOTS} tools of at most {@value #MAX_TOOL_CHARS} characters of description and schema.
 * A slot is found from a text's length and {@value #SAMPLES} of its characters (so a text parsed anew, whose hash is
 * not known yet, is not read whole to find it); a reading answers only for a text (or a tool) equal to the one read,
 * and a different one in its slot replaces it. Shorter prompt texts (little to save, and they would take the places of
 * prompts worth keeping) and longer texts or tools are read every time. A prompt text longer than
 * {@link TokenEstimate#SAMPLE_CHARS} is estimated from its sampled windows and its signals are left to the
 * classifier, as when it is read. Safe for any number of threads: a reading is immutable once published, and two
 * threads reading the same new text at once both read it.
 */
public final class SystemAndToolReadings {

    static final int TEXT_SLOTS = 64;
    static final int TOOL_SLOTS = 128;
    static final int MIN_CHARS = 256;
    static final int MAX_TEXT_CHARS = 65_536;
    static final int MAX_TOOL_CHARS = 32_768;
    /** The characters of a text that find its slot, spread evenly from its first to its last. */
    static final int SAMPLES = 16;
    /** The signals a reading looks for: every signal a system or developer text can give. */
    static final int SIGNALS = TextSignals.CODE | TextSignals.JSON | TextSignals.REASON;

    /** One text's reading; {@code signals} is -1 for a sampled text; {@code counts} is never added to. */
    private record Reading(String text, int signals, TokenEstimate counts) {
    }

    /** One tool's reading: the counts of its name, description and schema. */
    private record ToolReading(Tool tool, TokenEstimate counts) {
    }

    private final AtomicReferenceArray<Reading> texts = new AtomicReferenceArray<>(TEXT_SLOTS);
    private final AtomicReferenceArray<ToolReading> tools = new AtomicReferenceArray<>(TOOL_SLOTS);

    /**
     * The {@code wanted} signals (some of the code, json and reason signals) that
     * {@link RuleClassifier#scanCounting(String, int, TokenEstimate)} finds in a system or developer text, counting
     * the text into {@code tally} as it does; from the reading kept when the text was read before. For a text longer
     * than {@link TokenEstimate#SAMPLE_CHARS}, -1: it is counted from its sampled windows, and its signals are the
     * classifier's to look for.
     */
    public int scanCounting(String text, int wanted, TokenEstimate tally) {
        if ((wanted & ~SIGNALS) != 0) {
            throw new IllegalArgumentException("a system prompt's reading holds no signal " + (wanted & ~SIGNALS));
        }
        int length = text.length();
        if (length < MIN_CHARS || length > MAX_TEXT_CHARS) {
            return read(text, wanted, tally);
        }
        int slot = slot(text);
        Reading reading = texts.get(slot);
        if (reading == null || !reading.text().equals(text)) {
            TokenEstimate counts = new TokenEstimate();
            reading = new Reading(text, read(text, SIGNALS, counts), counts);
            texts.set(slot, reading);
        }
        tally.addAll(reading.counts());
        return reading.signals() < 0 ? -1 : reading.signals() & wanted;
    }

    private static int read(String text, int wanted, TokenEstimate tally) {
        if (text.length() > TokenEstimate.SAMPLE_CHARS) {
            tally.add(text);
            return -1;
        }
        if (wanted == 0) {
            tally.add(text); // counting alone is cheaper
            return 0;
        }
        return TextSignals.scanCounting(text, wanted, tally) & wanted;
    }

    /**
     * Counts a function tool into {@code tally}: its name, its description and its parameters' schema (as the text
     * {@link java.util.Map#toString()} gives, a stand-in for the JSON the model is shown); from the reading kept when
     * an equal tool was read before.
     */
    public void count(Tool tool, TokenEstimate tally) {
        var function = tool.function();
        int slot = (function.name().hashCode() * 31 + (function.description() == null ? 0
                : sampledHash(function.description()))) & (TOOL_SLOTS - 1);
        ToolReading reading = tools.get(slot);
        if (reading != null && reading.tool().equals(tool)) {
            tally.addAll(reading.counts());
            return;
        }
        TokenEstimate counts = new TokenEstimate();
        counts.add(function.name());
        int chars = 0;
        if (function.description() != null) {
            counts.add(function.description());
            chars += function.description().length();
        }
        if (function.parameters() != null) {
            String schema = function.parameters().toString();
            counts.add(schema);
            chars += schema.length();
        }
        if (chars <= MAX_TOOL_CHARS) {
            tools.set(slot, new ToolReading(tool, counts));
        }
        tally.addAll(counts);
    }

    static int slot(String text) {
        int hash = sampledHash(text);
        return (hash ^ (hash >>> 16)) & (TEXT_SLOTS - 1);
    }

    /** A hash of {@code text}'s length and {@value #SAMPLES} of its characters, spread evenly over it. */
    static int sampledHash(String text) {
        int n = text.length();
        int hash = n;
        if (n == 0) {
            return hash;
        }
        long last = n - 1;
        for (int k = 0; k < SAMPLES; k++) {
            hash = 31 * hash + text.charAt((int) (last * k / (SAMPLES - 1)));
        }
        return hash;
    }

    /** Whether a reading of {@code text} is kept. */
    boolean holds(String text) {
        Reading reading = texts.get(slot(text));
        return reading != null && reading.text().equals(text);
    }

    /** Whether a reading of {@code tool} is kept. */
    boolean holds(Tool tool) {
        for (int i = 0; i < TOOL_SLOTS; i++) {
            ToolReading reading = tools.get(i);
            if (reading != null && reading.tool().equals(tool)) {
                return true;
            }
        }
        return false;
    }
}
