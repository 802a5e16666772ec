package dev.chatrouter.core.tokens;

/**
 * The decision path's token estimate: one pass over the text that counts characters and runs by script, weighed
 * by rates calibrated against jtokkit's exact counts (see docs/routing.md#token-counting for the corpus and the
 * measured error). It is about one tenth of an exact count's cost on a 2 KB request, which the decision path's
 * budget cannot pay (measured in router-bench, {@code TokenCountingBenchmark}).
 *
 * <p>The rates, per encoding: an ASCII word (a run of letters) 0.65, a run of spaces 0.44 (together, a
 * space-led word is about one token), a newline 1.85 (it carries the indentation after it), a run of ASCII
 * punctuation 0.46 plus 0.10 a character, 0.25 a letter past the twelfth of a run (a word that long is an
 * identifier run together, a hash or a blob), a digit 1.15 (numbers split in groups of up to three, and line numbers
 * and versions are short); CJK ideographs 1.08 ({@code cl100k_base}) or 0.67 ({@code o200k_base}), kana 1.02 or
 * 0.78, Hangul 1.23 or 0.63, CJK and full-width punctuation 1.0 or 0.5, other letters (Cyrillic, Greek, accented
 * Latin...) 0.56 or 0.19 a character, and a character outside the Basic Multilingual Plane (emoji) 1.5 or 1.0 per
 * UTF-16 unit.
 *
 * <p>Cost is bounded: a text longer than {@value #SAMPLE_CHARS} characters is read in its first and last
 * {@value #HALF_SAMPLE} characters, and the counts are scaled to its length.
 *
 * <p>A tally accumulates any number of texts; not thread-safe (one request's shape is computed on one thread).
 */
public final class TokenEstimate {

    /** Texts longer than this are sampled. */
    public static final int SAMPLE_CHARS = 16_384;
    static final int HALF_SAMPLE = SAMPLE_CHARS / 2;

    // character classes
    private static final int LETTER = 0;
    private static final int DIGIT = 1;
    private static final int NEWLINE = 2;
    private static final int SPACE = 3;
    private static final int PUNCT = 4;
    private static final int KANA = 5;
    private static final int IDEOGRAPH = 6;
    private static final int HANGUL = 7;
    private static final int CJK_PUNCT = 8;
    private static final int OTHER = 9;
    private static final int ASTRAL = 10;
    private static final int CLASSES = 11;

    private static final byte[] ASCII = new byte[128];

    static {
        for (int c = 0; c < 128; c++) {
            int cls;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
                cls = LETTER;
            } else if (c >= '0' && c <= '9') {
                cls = DIGIT;
            } else if (c == '\n') {
                cls = NEWLINE;
            } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == 0x0b) {
                cls = SPACE;
            } else {
                cls = PUNCT;
            }
            ASCII[c] = (byte) cls;
        }
    }

    /** Tokens per character of each class, {@code [encoding][class]}. */
    private static final double[][] PER_CHAR = {
            // LETTER DIGIT NEWLINE SPACE PUNCT KANA IDEOGRAPH HANGUL CJK_PUNCT OTHER ASTRAL
            {0, 1.15, 1.85, 0, 0.10, 1.02, 1.08, 1.23, 1.0, 0.56, 1.5},   // cl100k_base
            {0, 1.15, 1.85, 0, 0.10, 0.78, 0.67, 0.63, 0.5, 0.19, 1.0},   // o200k_base
    };
    /** Tokens per run of each class (ASCII words, spaces and punctuation). */
    private static final double[] PER_RUN = {0.65, 0, 0, 0.44, 0.46, 0, 0, 0, 0, 0, 0};

    /** Letters past this many in one run (identifiers run together, hashes) count {@link #PER_LONG_LETTER}. */
    private static final int LONG_WORD = 12;
    private static final double PER_LONG_LETTER = 0.25;

    /**
     * Where the tally keeps each class's characters and runs: a slot for each count some rate reads, -1 for one that
     * every encoding weighs 0 (ASCII letters and spaces count by the run, the other classes by the character), so
     * that an estimate is one small array.
     */
    private static final int[] CHAR_SLOT = new int[CLASSES];
    private static final int[] RUN_SLOT = new int[CLASSES];
    private static final int SLOTS;
    // the slots of the runs a scanner reports one by one (static final: the JIT drops an add to slot -1)
    private static final int LETTER_CHARS;
    private static final int LETTER_RUNS;
    private static final int SPACE_CHARS;
    private static final int SPACE_RUNS;

    static {
        int slots = 0;
        for (int k = 0; k < CLASSES; k++) {
            boolean read = false;
            for (double[] perChar : PER_CHAR) {
                read |= perChar[k] != 0;
            }
            CHAR_SLOT[k] = read ? slots++ : -1;
        }
        for (int k = 0; k < CLASSES; k++) {
            RUN_SLOT[k] = PER_RUN[k] != 0 ? slots++ : -1;
        }
        SLOTS = slots;
        LETTER_CHARS = CHAR_SLOT[LETTER];
        LETTER_RUNS = RUN_SLOT[LETTER];
        SPACE_CHARS = CHAR_SLOT[SPACE];
        SPACE_RUNS = RUN_SLOT[SPACE];
    }

    private long longLetters;
    private double longLetterSum;
    /**
     * {@code [0, SLOTS)}: the counts of the text being added (whole numbers, exact in a double);
     * {@code [SLOTS, 2 SLOTS)}: the counts scaled and summed over the texts added.
     */
    private final double[] tally = new double[2 * SLOTS];

    /** Adds a text to the tally. */
    public TokenEstimate add(CharSequence text) {
        int length = text.length();
        if (length <= SAMPLE_CHARS) {
            scan(text, 0, length);
            flush(1.0);
        } else {
            scan(text, 0, HALF_SAMPLE);
            scan(text, length - HALF_SAMPLE, length);
            flush((double) length / SAMPLE_CHARS);
        }
        return this;
    }

    /**
     * Counts {@code [from, to)} run by run (a run's length is added once, at its end), with tight loops over ASCII
     * letters and spaces, the commonest runs, counted in locals.
     */
    private void scan(CharSequence s, int from, int to) {
        double[] tally = this.tally;
        long letters = 0;
        long letterRuns = 0;
        long longLetters = 0;
        long spaces = 0;
        long spaceRuns = 0;
        int i = from;
        while (i < to) {
            char c = s.charAt(i);
            int start = i++;
            if (c < 128) {
                int cls = ASCII[c];
                if (cls == LETTER) {
                    while (true) {
                        while (i < to && (char) ((s.charAt(i) | 0x20) - 'a') < 26) {
                            i++;
                        }
                        int length = i - start;
                        letters += length;
                        letterRuns++;
                        if (length > LONG_WORD) {
                            longLetters += length - LONG_WORD;
                        }
                        // one space and the next word, the commonest runs of prose: without going round again
                        if (i + 1 < to && s.charAt(i) == ' ' && (char) ((s.charAt(i + 1) | 0x20) - 'a') < 26) {
                            spaces++;
                            spaceRuns++;
                            start = i + 1;
                            i += 2;
                            continue;
                        }
                        break;
                    }
                } else if (cls == SPACE) {
                    char d;
                    while (i < to && (d = s.charAt(i)) < 128 && ASCII[d] == SPACE) {
                        i++;
                    }
                    spaces += i - start;
                    spaceRuns++;
                } else {
                    char d;
                    while (i < to && (d = s.charAt(i)) < 128 && ASCII[d] == cls) {
                        i++;
                    }
                    run(tally, cls, i - start);
                }
            } else {
                int cls = wide(c);
                char d;
                while (i < to && (d = s.charAt(i)) >= 128 && wide(d) == cls) {
                    i++;
                }
                run(tally, cls, i - start);
            }
        }
        add(tally, CHAR_SLOT[LETTER], letters);
        add(tally, RUN_SLOT[LETTER], letterRuns);
        add(tally, CHAR_SLOT[SPACE], spaces);
        add(tally, RUN_SLOT[SPACE], spaceRuns);
        this.longLetters += longLetters;
    }

    // ---- counting by a caller that reads the text for other reasons too (the classifier's text signals, in the
    // same pass): it reports each run of ASCII letters to countLetters, each lone space to countLoneSpace, and hands
    // every other run to countRun, then calls endText. For a text of at most SAMPLE_CHARS characters the counts are exactly add(text)'s.

    /** Counts a run of {@code length} ASCII letters (a maximal one: the characters around it are not letters). */
    public void countLetters(int length) {
        add(tally, LETTER_CHARS, length);
        add(tally, LETTER_RUNS, 1);
        if (length > LONG_WORD) {
            longLetters += length - LONG_WORD;
        }
    }

    /** Counts a run of one {@code ' '} (the characters around it are not spaces, tabs or other blanks). */
    public void countLoneSpace() {
        add(tally, SPACE_CHARS, 1);
        add(tally, SPACE_RUNS, 1);
    }

    /**
     * Counts the run that starts at {@code i}, a character that is not an ASCII letter: the characters up to
     * {@code to} of its class (spaces, digits, newlines, punctuation, a script).
     *
     * @return where the run ends
     */
    public int countRun(CharSequence s, int i, int to) {
        char c = s.charAt(i);
        int start = i++;
        int cls;
        char d;
        if (c < 128) {
            cls = ASCII[c];
            while (i < to && (d = s.charAt(i)) < 128 && ASCII[d] == cls) {
                i++;
            }
        } else {
            cls = wide(c);
            while (i < to && (d = s.charAt(i)) >= 128 && wide(d) == cls) {
                i++;
            }
        }
        run(tally, cls, i - start);
        return i;
    }

    /** Ends a text counted with {@link #countLetters} and {@link #countRun}. */
    public void endText() {
        flush(1.0);
    }

    /** Counts a run of {@code length} characters of class {@code cls}. */
    private void run(double[] tally, int cls, int length) {
        add(tally, CHAR_SLOT[cls], length);
        add(tally, RUN_SLOT[cls], 1);
        if (cls == LETTER && length > LONG_WORD) {
            longLetters += length - LONG_WORD;
        }
    }

    private static void add(double[] tally, int slot, long count) {
        if (slot >= 0) {
            tally[slot] += count;
        }
    }

    private static int wide(char c) {
        if (c >= 0x3040 && c <= 0x30ff) {
            return KANA;
        }
        if (c >= 0x3400 && c <= 0x9fff || c >= 0xf900 && c <= 0xfaff) {
            return IDEOGRAPH;
        }
        if (c >= 0xac00 && c <= 0xd7af || c >= 0x1100 && c <= 0x11ff) {
            return HANGUL;
        }
        if (c >= 0x3000 && c <= 0x303f || c >= 0xff00 && c <= 0xffef) {
            return CJK_PUNCT;
        }
        if (Character.isSurrogate(c)) {
            return ASTRAL;
        }
        return OTHER;
    }

    private void flush(double scale) {
        longLetterSum += longLetters * scale;
        longLetters = 0;
        double[] tally = this.tally;
        for (int k = 0; k < SLOTS; k++) {
            double count = tally[k];
            if (count != 0) {
                tally[SLOTS + k] += count * scale;
                tally[k] = 0;
            }
        }
    }

    /**
     * Adds every text counted into {@code other} as if each were added here again ({@code other} is only read: a
     * tally that is no longer added to may be added from by any number of threads).
     */
    public TokenEstimate addAll(TokenEstimate other) {
        double[] tally = this.tally;
        double[] counted = other.tally;
        for (int k = SLOTS; k < 2 * SLOTS; k++) {
            tally[k] += counted[k];
        }
        longLetterSum += other.longLetterSum;
        return this;
    }

    /** The estimated tokens of every text added, under {@code encoding} (rounded up). */
    public long tokens(Encoding encoding) {
        double[] perChar = PER_CHAR[encoding.ordinal()];
        double sum = longLetterSum * PER_LONG_LETTER;
        for (int k = 0; k < CLASSES; k++) {
            // a count without a slot is weighed 0: its term is 0, as it was when every count was kept
            int chars = CHAR_SLOT[k];
            int runs = RUN_SLOT[k];
            sum += (chars < 0 ? 0.0 : tally[SLOTS + chars] * perChar[k])
                    + (runs < 0 ? 0.0 : tally[SLOTS + runs] * PER_RUN[k]);
        }
        return (long) Math.ceil(sum);
    }

    /** The estimate of one text under {@code encoding}. */
    public static long of(CharSequence text, Encoding encoding) {
        return new TokenEstimate().add(text).tokens(encoding);
    }
}
