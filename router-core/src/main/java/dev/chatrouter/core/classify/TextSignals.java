package dev.chatrouter.core.classify;

import dev.chatrouter.core.tokens.TokenEstimate;

/**
 * The text signals of the classification rules, found in one pass over a bounded window of each message: its
 * first {@link #WINDOW} and last {@link #WINDOW} characters (so classifying a 10 MB prompt reads no more than a
 * 32 KB one). Hand-written scanning rather than regular expressions: the whole decision path has a budget of a
 * few microseconds (docs/benchmarks.md#targets). Words are matched case-insensitively and whole.
 *
 * <ul>
 *   <li>{@link #CODE}: a fenced code block (a line starting with {@code ```} or {@code ~~~}); a unified diff
 *       ({@code diff --git }, {@code --- a/}, {@code +++ b/}, {@code @@ -1,2 +1,3 @@} at a line start); a stack
 *       trace ({@code Traceback (most recent call last)}, {@code Exception in thread "}, an indented
 *       {@code at pkg.Class.method(}, an indented {@code File "x.py", line 3}, {@code panic: },
 *       {@code goroutine 1 [}, or a line starting {@code some.pkg.SomeException: } / {@code ...Error: }); or a
 *       repository path ({@code src/main/App.java}: segments joined by {@code /}, not absolute, not in a URL,
 *       ending in a source file extension).</li>
 *   <li>{@link #JSON}: "json" followed by object / format / output / only, or preceded in the same sentence by
 *       extract / parse / convert / output / return / respond / format / give and then as / in / into / with
 *       (optionally "valid", "a" or "an") right before it.</li>
 *   <li>{@link #REASON}: "step by step", "prove", "proof", "derive", "derivation", "show that", "think (it)
 *       through", "reason (it) out", "chain of thought"; or two or more lines starting with a part marker
 *       ({@code (a)}, {@code b)}, {@code 1.}, {@code (2)}) and some mathematics (a digit, an operator, a digit;
 *       {@code \frac}, {@code \int}, {@code \sum}, {@code \sqrt}, {@code \lim}; integral, derivative, equation,
 *       "solve for").</li>
 *   <li>{@link #SIMPLE}: summarize, summarise, summary, tldr / tl;dr, classify, categorize, categorise, label,
 *       translate, translation, rewrite, rephrase, paraphrase, proofread, "fix (the) grammar".</li>
 * </ul>
 */
final class TextSignals {

    /** Characters read from the start and from the end of each message text. */
    static final int WINDOW = 16 * 1024;

    static final int CODE = 1;
    static final int JSON = 1 << 1;
    static final int REASON = 1 << 2;
    static final int SIMPLE = 1 << 3;
    private static final int MATH = 1 << 4;

    private static final String[] EXTENSIONS = {"java", "kt", "scala", "py", "ts", "tsx", "js", "jsx", "go", "rs",
        "c", "cc", "cpp", "h", "hpp", "cs", "rb", "php", "swift", "m", "sql", "sh", "gradle", "xml", "toml", "yaml",
        "yml"};

    // word ids: first those that only move the phrase window along (the words of a phrase before its last, and the
    // rest), up to LAST_PASSIVE, so that the scan loop handles them without a call; then those that act
    private static final int W_OTHER = 0;
    private static final int W_BY = 1;
    private static final int W_SHOW = 2;
    private static final int W_THINK = 3;
    private static final int W_IT = 4;
    private static final int W_REASON = 5;
    private static final int W_CHAIN = 6;
    private static final int W_OF = 7;
    private static final int W_PREP = 8;         // as, in, into, with
    private static final int W_ARTICLE = 9;      // valid, a, an
    private static final int W_JSON_NOUN = 10;   // object, format, output, only (after json)
    private static final int W_SOLVE = 11;
    private static final int W_FIX = 12;
    private static final int W_THE = 13;
    private static final int W_TL = 14;
    private static final int LAST_PASSIVE = W_TL;
    private static final int W_STEP = 15;
    private static final int W_THAT = 16;
    private static final int W_THROUGH = 17;
    private static final int W_OUT = 18;
    private static final int W_THOUGHT = 19;
    private static final int W_JSON = 20;
    private static final int W_VERB = 21;        // extract, parse, convert, output, return, respond, format, give
    private static final int W_FOR = 22;
    private static final int W_GRAMMAR = 23;
    private static final int W_DR = 24;
    private static final int W_REASONING_WORD = 25; // prove, proof, derive, derivation
    private static final int W_MATH_WORD = 26;      // integral, derivative, equation
    private static final int W_SIMPLE_WORD = 27;    // summarize ... proofread
    private static final int W_TRACEBACK = 28;
    private static final int W_EXCEPTION = 29;

    /** The longest word looked up: twelve letters of five bits fit in a long. */
    private static final int MAX_WORD = 12;
    private static final long[] KEYS = new long[256];
    private static final int[] IDS = new int[256];
    private static final long FORMAT = pack("format");
    private static final long OUTPUT = pack("output");

    static {
        String[][] words = {
            {"step", "" + W_STEP}, {"by", "" + W_BY}, {"show", "" + W_SHOW}, {"that", "" + W_THAT},
            {"think", "" + W_THINK}, {"it", "" + W_IT}, {"through", "" + W_THROUGH}, {"reason", "" + W_REASON},
            {"out", "" + W_OUT}, {"chain", "" + W_CHAIN}, {"of", "" + W_OF}, {"thought", "" + W_THOUGHT},
            {"json", "" + W_JSON},
            {"extract", "" + W_VERB}, {"parse", "" + W_VERB}, {"convert", "" + W_VERB}, {"output", "" + W_VERB},
            {"return", "" + W_VERB}, {"respond", "" + W_VERB}, {"format", "" + W_VERB}, {"give", "" + W_VERB},
            {"as", "" + W_PREP}, {"in", "" + W_PREP}, {"into", "" + W_PREP}, {"with", "" + W_PREP},
            {"valid", "" + W_ARTICLE}, {"a", "" + W_ARTICLE}, {"an", "" + W_ARTICLE},
            {"object", "" + W_JSON_NOUN}, {"only", "" + W_JSON_NOUN},
            {"solve", "" + W_SOLVE}, {"for", "" + W_FOR}, {"fix", "" + W_FIX}, {"the", "" + W_THE},
            {"grammar", "" + W_GRAMMAR}, {"tl", "" + W_TL}, {"dr", "" + W_DR},
            {"prove", "" + W_REASONING_WORD}, {"proof", "" + W_REASONING_WORD}, {"derive", "" + W_REASONING_WORD},
            {"derivation", "" + W_REASONING_WORD},
            {"integral", "" + W_MATH_WORD}, {"derivative", "" + W_MATH_WORD}, {"equation", "" + W_MATH_WORD},
            {"summarize", "" + W_SIMPLE_WORD}, {"summarise", "" + W_SIMPLE_WORD}, {"summary", "" + W_SIMPLE_WORD},
            {"tldr", "" + W_SIMPLE_WORD}, {"classify", "" + W_SIMPLE_WORD}, {"categorize", "" + W_SIMPLE_WORD},
            {"categorise", "" + W_SIMPLE_WORD}, {"label", "" + W_SIMPLE_WORD}, {"translate", "" + W_SIMPLE_WORD},
            {"translation", "" + W_SIMPLE_WORD}, {"rewrite", "" + W_SIMPLE_WORD}, {"rephrase", "" + W_SIMPLE_WORD},
            {"paraphrase", "" + W_SIMPLE_WORD}, {"proofread", "" + W_SIMPLE_WORD},
            {"traceback", "" + W_TRACEBACK}, {"exception", "" + W_EXCEPTION},
        };
        for (String[] word : words) {
            long key = pack(word[0]);
            int slot = slot(key);
            while (KEYS[slot] != 0) {
                slot = (slot + 1) & (KEYS.length - 1);
            }
            KEYS[slot] = key;
            IDS[slot] = Integer.parseInt(word[1]);
        }
    }

    private static long pack(String lower) {
        long key = 0;
        for (int i = 0; i < lower.length(); i++) {
            key = (key << 5) | (lower.charAt(i) - 'a' + 1);
        }
        return key;
    }

    private static int slot(long key) {
        return (int) ((key * 0x9E3779B97F4A7C15L) >>> 56);
    }

    /** The id of a packed lower-case word; {@code W_OTHER} when it is none of the words the rules read. */
    private static int lookup(long key) {
        int slot = slot(key);
        while (true) {
            long k = KEYS[slot];
            if (k == key) {
                return IDS[slot];
            }
            if (k == 0) {
                return W_OTHER;
            }
            slot = (slot + 1) & (KEYS.length - 1);
        }
    }

    private TextSignals() {
    }

    /** The signals in a text's start and end windows (all of it when it is short). */
    static int scan(String text, int wanted) {
        int n = text.length();
        if (n <= 2 * WINDOW) {
            return new Scanner(text, 0, n, wanted).run();
        }
        int flags = new Scanner(text, 0, WINDOW, wanted).run();
        return (flags & wanted) == wanted ? flags : flags | new Scanner(text, n - WINDOW, n, wanted).run();
    }

    /**
     * The signals of a text of at most {@link TokenEstimate#SAMPLE_CHARS} characters, counting it into
     * {@code tally} in the same pass: the same signals as {@link #scan} and the same counts as
     * {@link TokenEstimate#add}, for about the cost of the signals alone.
     */
    static int scanCounting(String text, int wanted, TokenEstimate tally) {
        if (text.length() > TokenEstimate.SAMPLE_CHARS) {
            throw new IllegalArgumentException("a text of " + text.length() + " characters is sampled, not counted "
                    + "whole");
        }
        int flags = new Scanner(text, 0, text.length(), wanted).runCounting(tally);
        tally.endText();
        return flags;
    }

    /** One pass over {@code text[from, to)}. */
    private static final class Scanner {
        private final String s;
        private final int from;
        private final int to;
        private final int wanted;
        private int flags;
        private int parts;
        // phrase state: the previous two word ids and where the sentence's last verb was
        private int prev1 = W_OTHER;
        private int prev2 = W_OTHER;
        private int verbAt = -1;
        private boolean afterJson;

        Scanner(String s, int from, int to, int wanted) {
            this.s = s;
            this.from = from;
            this.to = to;
            this.wanted = wanted;
        }

        int run() {
            int i = from;
            boolean lineStart = true;
            while (i < to) {
                if ((flags & wanted) == wanted) {
                    break;
                }
                if (lineStart) {
                    i = lineStart(i);
                    lineStart = false;
                    continue;
                }
                char c = s.charAt(i);
                if (isLetter(c)) {
                    // pack the lower-cased word, five bits a letter, to look it up in one probe
                    long key = 0;
                    int end = i;
                    while (end < to) {
                        char d = s.charAt(end);
                        if (!isLetter(d)) {
                            break;
                        }
                        key = (key << 5) | ((d | 0x20) - 'a' + 1);
                        end++;
                    }
                    int id = end - i <= MAX_WORD ? lookup(key) : W_OTHER;
                    if (id <= LAST_PASSIVE && !afterJson) {
                        prev2 = prev1; // the common case, kept small enough to inline
                        prev1 = id;
                    } else {
                        word(i, end, id, key);
                    }
                    i = end;
                } else if (c == '\n') {
                    lineStart = true;
                    sentenceEnd();
                    i++;
                } else {
                    if (c == '.' || c == '?' || c == '!') {
                        sentenceEnd();
                    } else if (c >= '0' && c <= '9') {
                        math(i);
                    } else if (c == '/') {
                        i = path(i);
                        continue;
                    } else if (c == '\\') {
                        latex(i);
                    }
                    i++;
                }
            }
            if (parts >= 2 && (flags & MATH) != 0) {
                flags |= REASON;
            }
            return flags;
        }

        /**
         * {@link #run}'s signals over every run of the text, each counted into {@code tally}. Where {@link #run}
         * jumps (over a line's indentation, the rest of a path, or to the end once every wanted signal is found)
         * this one reads on for the counts but looks for no signal before {@code quiet}: the skipped characters are
         * the ones {@link #run} would not have looked at.
         */
        int runCounting(TokenEstimate tally) {
            int i = from;
            int quiet = from;
            if (wanted != 0 && i < to) {
                lineStart(i);
            }
            while (i < to) {
                char c = s.charAt(i);
                if (isLetter(c)) {
                    long key = 0;
                    int end = i;
                    while (end < to) {
                        char d = s.charAt(end);
                        if (!isLetter(d)) {
                            break;
                        }
                        key = (key << 5) | ((d | 0x20) - 'a' + 1);
                        end++;
                    }
                    tally.countLetters(end - i);
                    // a path's characters are all before quiet or all after: a word is not cut by it
                    if (i >= quiet && (flags & wanted) != wanted) {
                        int id = end - i <= MAX_WORD ? lookup(key) : W_OTHER;
                        if (id <= LAST_PASSIVE && !afterJson) {
                            prev2 = prev1;
                            prev1 = id;
                        } else {
                            word(i, end, id, key);
                        }
                    }
                    i = end;
                } else if (c == ' ' && (i + 1 == to || s.charAt(i + 1) > ' ')) {
                    // a space between words, the commonest run: nothing to the signals
                    tally.countLoneSpace();
                    i++;
                } else {
                    int end = tally.countRun(s, i, to);
                    if (end > quiet && (flags & wanted) != wanted) {
                        // the run's characters one by one, as run() reads them (a space or a wide character is
                        // nothing to it); punctuation may run on past a path's end
                        for (int k = i; k < end; k++) {
                            if (k < quiet || (flags & wanted) == wanted) {
                                continue;
                            }
                            char d = s.charAt(k);
                            if (d == '\n') {
                                sentenceEnd();
                                if (k + 1 < to) {
                                    lineStart(k + 1);
                                }
                            } else if (d == '.' || d == '?' || d == '!') {
                                sentenceEnd();
                            } else if (d >= '0' && d <= '9') {
                                math(k);
                            } else if (d == '/') {
                                quiet = path(k);
                            } else if (d == '\\') {
                                latex(k);
                            }
                        }
                    }
                    i = end;
                }
            }
            if (parts >= 2 && (flags & MATH) != 0) {
                flags |= REASON;
            }
            return flags;
        }

        private void sentenceEnd() {
            verbAt = -1;
            prev1 = W_OTHER;
            prev2 = W_OTHER;
            afterJson = false;
        }

        private static boolean isLetter(char c) {
            return (char) ((c | 0x20) - 'a') < 26; // a-z or A-Z, in one comparison
        }

        private static boolean isWordChar(char c) {
            return isLetter(c) || (c >= '0' && c <= '9') || c == '_';
        }

        private boolean at(int i, String literal) {
            return i + literal.length() <= to && s.startsWith(literal, i);
        }

        // ---- line starts: fences, diffs, stack frames, exception lines, part markers

        private int lineStart(int i) {
            int j = i;
            while (j < to && (s.charAt(j) == ' ' || s.charAt(j) == '\t')) {
                j++;
            }
            int indent = j - i;
            if (j >= to) {
                return j;
            }
            char c = s.charAt(j);
            if ((c == '`' && at(j, "```") || c == '~' && at(j, "~~~")) && indent <= 3) {
                flags |= CODE;
            } else if (indent == 0 && (at(j, "diff --git ") || at(j, "--- a/") || at(j, "+++ b/")
                    || at(j, "panic: ") || goroutine(j) || hunk(j) || exceptionLine(j))) {
                flags |= CODE;
            } else if (indent > 0 && (javaFrame(j) || pythonFrame(j))) {
                flags |= CODE;
            }
            if (partMarker(j)) {
                parts++;
            }
            return j;
        }

        private int digits(int i) {
            int j = i;
            while (j < to && s.charAt(j) >= '0' && s.charAt(j) <= '9') {
                j++;
            }
            return j;
        }

        /** {@code @@ -12,7 +12,8 @@} */
        private boolean hunk(int i) {
            if (!at(i, "@@ -")) {
                return false;
            }
            int j = range(i + 4);
            if (j < 0 || !at(j, " +")) {
                return false;
            }
            j = range(j + 2);
            return j >= 0 && at(j, " @@");
        }

        private int range(int i) {
            int j = digits(i);
            if (j == i) {
                return -1;
            }
            if (j < to && s.charAt(j) == ',') {
                int k = digits(j + 1);
                return k == j + 1 ? -1 : k;
            }
            return j;
        }

        /** {@code goroutine 1 [running]:} */
        private boolean goroutine(int i) {
            if (!at(i, "goroutine ")) {
                return false;
            }
            int j = digits(i + 10);
            return j > i + 10 && at(j, " [");
        }

        /** {@code java.lang.IllegalStateException: ...} or {@code ValueError: ...} at a line start. */
        private boolean exceptionLine(int i) {
            int j = i;
            while (j < to && (isWordChar(s.charAt(j)) || s.charAt(j) == '.')) {
                j++;
            }
            if (j == i || !at(j, ": ")) {
                return false;
            }
            return s.regionMatches(j - 9, "Exception", 0, 9) && j - 9 >= i
                    || s.regionMatches(j - 5, "Error", 0, 5) && j - 5 >= i;
        }

        /** {@code at com.example.Foo.bar(Foo.java:12)} (indented) */
        private boolean javaFrame(int i) {
            if (!at(i, "at ")) {
                return false;
            }
            int j = i + 3;
            int start = j;
            while (j < to) {
                char c = s.charAt(j);
                if (isWordChar(c) || c == '$' || c == '.' || c == '<' || c == '>') {
                    j++;
                } else {
                    break;
                }
            }
            return j > start && j < to && s.charAt(j) == '(';
        }

        /** {@code File "app.py", line 3} (indented) */
        private boolean pythonFrame(int i) {
            if (!at(i, "File \"")) {
                return false;
            }
            int close = i + 6;
            while (close < to && s.charAt(close) != '"' && s.charAt(close) != '\n') {
                close++;
            }
            if (!at(close, "\", line ")) {
                return false;
            }
            return digits(close + 8) > close + 8;
        }

        /** {@code (a) }, {@code a) }, {@code (1. }, {@code (1) }, {@code 1. }, {@code 1) } */
        private boolean partMarker(int i) {
            int j = i;
            boolean paren = j < to && s.charAt(j) == '(';
            if (paren) {
                j++;
            }
            if (j >= to) {
                return false;
            }
            char c = Character.toLowerCase(s.charAt(j));
            int k = j + 1;
            if (c >= 'a' && c <= 'd') {
                if (!(k < to && s.charAt(k) == ')')) {
                    return false;
                }
            } else if (c >= '1' && c <= '9') {
                if (!(k < to && (s.charAt(k) == '.' || s.charAt(k) == ')'))) {
                    return false;
                }
            } else {
                return false;
            }
            k++;
            return k < to && Character.isWhitespace(s.charAt(k));
        }

        // ---- mathematics

        private void math(int i) {
            int j = i + 1;
            while (j < to && s.charAt(j) == ' ') {
                j++;
            }
            if (j >= to) {
                return;
            }
            char op = s.charAt(j);
            if (op == '+' || op == '-' || op == '*' || op == '/' || op == '^' || op == '=' || op == '×' || op == '÷') {
                j++;
                while (j < to && s.charAt(j) == ' ') {
                    j++;
                }
                if (j < to && s.charAt(j) >= '0' && s.charAt(j) <= '9') {
                    flags |= MATH;
                }
            }
        }

        private void latex(int i) {
            if (at(i, "\\frac") || at(i, "\\int") || at(i, "\\sum") || at(i, "\\sqrt") || at(i, "\\lim")) {
                int end = i + (at(i, "\\int") || at(i, "\\sum") || at(i, "\\lim") ? 4 : 5);
                if (end >= to || !isWordChar(s.charAt(end))) {
                    flags |= MATH;
                }
            }
        }

        // ---- repository paths

        private static boolean isPathChar(char c) {
            return isWordChar(c) || c == '.' || c == '-' || c == '/';
        }

        /** Checks the path-like token around the {@code /} at {@code i}; returns where to go on. */
        private int path(int i) {
            int a = i;
            while (a > from && isPathChar(s.charAt(a - 1))) {
                a--;
            }
            int b = i + 1;
            while (b < to && isPathChar(s.charAt(b))) {
                b++;
            }
            if ((flags & CODE) == 0 && a < i && s.charAt(a) != '/' && (a == from || s.charAt(a - 1) != ':')) {
                int lastSlash = lastIndexOf('/', a, b);
                int dot = lastIndexOf('.', a, b);
                if (dot > lastSlash + 1 && dot < b - 1 && !emptySegment(a, b)) {
                    String ext = s.substring(dot + 1, b);
                    for (String known : EXTENSIONS) {
                        if (known.equals(ext)) {
                            flags |= CODE;
                            break;
                        }
                    }
                }
            }
            return b;
        }

        private int lastIndexOf(char c, int a, int b) {
            for (int k = b - 1; k >= a; k--) {
                if (s.charAt(k) == c) {
                    return k;
                }
            }
            return -1;
        }

        /** True when the token {@code [a, b)} holds an empty segment ({@code //}). */
        private boolean emptySegment(int a, int b) {
            for (int k = a + 1; k < b; k++) {
                if (s.charAt(k) == '/' && s.charAt(k - 1) == '/') {
                    return true;
                }
            }
            return false;
        }

        // ---- words and phrases

        private void word(int start, int end, int id, long key) {
            if (afterJson) {
                afterJson = false;
                if (id == W_JSON_NOUN || id == W_VERB && (key == FORMAT || key == OUTPUT)) {
                    flags |= JSON;
                }
            }
            switch (id) {
                case W_REASONING_WORD -> flags |= REASON;
                case W_MATH_WORD -> flags |= MATH;
                case W_SIMPLE_WORD -> flags |= SIMPLE;
                case W_STEP -> {
                    if (prev1 == W_BY && prev2 == W_STEP) {
                        flags |= REASON;
                    }
                }
                case W_THAT -> {
                    if (prev1 == W_SHOW) {
                        flags |= REASON;
                    }
                }
                case W_THROUGH -> {
                    if (prev1 == W_THINK || prev1 == W_IT && prev2 == W_THINK) {
                        flags |= REASON;
                    }
                }
                case W_OUT -> {
                    if (prev1 == W_REASON || prev1 == W_IT && prev2 == W_REASON) {
                        flags |= REASON;
                    }
                }
                case W_THOUGHT -> {
                    if (prev1 == W_OF && prev2 == W_CHAIN) {
                        flags |= REASON;
                    }
                }
                case W_FOR -> {
                    if (prev1 == W_SOLVE) {
                        flags |= MATH;
                    }
                }
                case W_GRAMMAR -> {
                    if (prev1 == W_FIX || prev1 == W_THE && prev2 == W_FIX) {
                        flags |= SIMPLE;
                    }
                }
                case W_DR -> {
                    if (prev1 == W_TL) {
                        flags |= SIMPLE;
                    }
                }
                case W_JSON -> {
                    afterJson = true;
                    int before = prev1 == W_ARTICLE ? prev2 : prev1;
                    if (before == W_PREP && verbAt >= 0 && start - verbAt <= 100) {
                        flags |= JSON;
                    }
                }
                case W_TRACEBACK -> {
                    if (at(end, " (most recent call last)")) {
                        flags |= CODE;
                    }
                }
                case W_EXCEPTION -> {
                    if (at(end, " in thread \"")) {
                        flags |= CODE;
                    }
                }
                default -> {
                }
            }
            if (id == W_VERB) {
                verbAt = start;
            }
            prev2 = prev1;
            prev1 = id;
        }
    }
}
