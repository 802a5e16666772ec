package dev.chatrouter.core.classify;

import dev.chatrouter.core.tokens.TokenEstimate;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The readings of the system and developer prompts a router saw lately: what {@link RuleClassifier#scanCounting}
 * found in each (its code, json and reason signals) and its token counts, kept by content. An application sends
 * the same system prompt with every request, and an agent's is many kilobytes; with this, each distinct prompt is
 * read once instead of once a request, and a request pays for its prompt an equality check.
 *
 * <p>A direct-mapped table of {@value #SLOTS} readings indexed by the text's {@link String#hashCode()} (which a
 * {@code String} caches, and which the sticky-prefix key computes for the same texts anyway). A reading answers only
 * for a text equal to the one read; a different text in its slot replaces it. Texts shorter than
 * {@value #MIN_CHARS} characters (little to save, and they would take the places of prompts worth keeping) or longer than
 * {@link TokenEstimate#SAMPLE_CHARS} (read in sampled windows) are read every time. At most {@value #SLOTS} texts
 * of at most {@link TokenEstimate#SAMPLE_CHARS} characters are held. Safe for any number of threads: a reading is
 * immutable once published, and two threads reading the same new prompt at once both read it.
 */
public final class SystemPromptReadings {

    static final int SLOTS = 64;
    static final int MIN_CHARS = 256;
    /** The signals a reading looks for: every signal a system or developer text can give. */
    static final int SIGNALS = TextSignals.CODE | TextSignals.JSON | TextSignals.REASON;

    /** One text's reading; {@code counts} is never added to, only added from. */
    private record Reading(String text, int signals, TokenEstimate counts) {
    }

    private final AtomicReferenceArray<Reading> slots = new AtomicReferenceArray<>(SLOTS);

    /**
     * The {@code wanted} signals (some of the code, json and reason signals) that
     * {@link RuleClassifier#scanCounting(String, int, TokenEstimate)} finds in a system or developer text, counting
     * the text into {@code tally} as it does; from the reading kept when the text was read before.
     */
    public int scanCounting(String text, int wanted, TokenEstimate tally) {
        if ((wanted & ~SIGNALS) != 0) {
            throw new IllegalArgumentException("a system prompt's reading holds no signal " + (wanted & ~SIGNALS));
        }
        int length = text.length();
        if (length < MIN_CHARS || length > TokenEstimate.SAMPLE_CHARS) {
            return TextSignals.scanCounting(text, wanted, tally) & wanted;
        }
        int slot = slot(text);
        Reading reading = slots.get(slot);
        if (reading == null || !reading.text().equals(text)) {
            TokenEstimate counts = new TokenEstimate();
            reading = new Reading(text, TextSignals.scanCounting(text, SIGNALS, counts), counts);
            slots.set(slot, reading);
        }
        tally.addAll(reading.counts());
        return reading.signals() & wanted;
    }

    static int slot(String text) {
        int hash = text.hashCode();
        return (hash ^ (hash >>> 16)) & (SLOTS - 1);
    }

    /** Whether a reading of {@code text} is kept. */
    boolean holds(String text) {
        Reading reading = slots.get(slot(text));
        return reading != null && reading.text().equals(text);
    }
}
