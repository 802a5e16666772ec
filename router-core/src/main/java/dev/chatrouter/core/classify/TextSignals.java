package dev.chatrouter.core.classify;

/**
 * The text signals of the classification rules, found in one pass over a bounded window of each message: its
 * first {@link #WINDOW} and last {@link #WINDOW} characters (so classifying a 10 MB prompt reads no more than a
 * 32 KB one). Hand-written scanning rather than regular expressions: the whole decision path has a budget of a
 * few microseconds (SPEC section 13). Words are matched case-insensitively and whole.
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

    // word ids
    private static final int W_OTHER = 0;
    private static final int W_STEP = 1;
    private static final int W_BY = 2;
    private static final int W_SHOW = 3;
    private static final int W_THAT = 4;
    private static final int W_THINK = 5;
    private static final int W_IT = 6;
    private static final int W_THROUGH = 7;
    private static final int W_REASON = 8;
    private static final int W_OUT = 9;
    private static final int W_CHAIN = 10;
    private static final int W_OF = 11;
    private static final int W_THOUGHT = 12;
    private static final int W_JSON = 13;
    private static final int W_VERB = 14;        // extract, parse, convert, output, return, respond, format, give
    private static final int W_PREP = 15;        // as, in, into, with
    private static final int W_ARTICLE = 16;     // valid, a, an
    private static final int W_JSON_NOUN = 17;   // object, format, output, only (after json)
    private static final int W_SOLVE = 18;
    private static final int W_FOR = 19;
    private static final int W_FIX = 20;
    private static final int W_THE = 21;
    private static final int W_GRAMMAR = 22;
    private static final int W_TL = 23;
    private static final int W_DR = 24;
    private static final int W_REASONING_WORD = 25; // prove, proof, derive, derivation
    private static final int W_MATH_WORD = 26;      // integral, derivative, equation
    private static final int W_SIMPLE_WORD = 27;    // summarize ... proofread
    private static final int W_TRACEBACK = 28;
    private static final int W_EXCEPTION = 29;

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
                    int end = i + 1;
                    while (end < to && isLetter(s.charAt(end))) {
                        end++;
                    }
                    word(i, end);
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

        private void sentenceEnd() {
            verbAt = -1;
            prev1 = W_OTHER;
            prev2 = W_OTHER;
            afterJson = false;
        }

        private static boolean isLetter(char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
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

        private void word(int start, int end) {
            int id = wordId(start, end - start);
            if (afterJson) {
                afterJson = false;
                if (id == W_JSON_NOUN || (id == W_VERB && isFormatOrOutput(start, end))) {
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

        private boolean isFormatOrOutput(int start, int end) {
            return is(start, end - start, "format") || is(start, end - start, "output");
        }

        private boolean is(int start, int length, String lower) {
            return length == lower.length() && s.regionMatches(true, start, lower, 0, length);
        }

        /** The id of a word, matched case-insensitively. */
        private int wordId(int start, int length) {
            char first = Character.toLowerCase(s.charAt(start));
            switch (first) {
                case 'a':
                    if (is(start, length, "as")) {
                        return W_PREP;
                    }
                    return is(start, length, "a") || is(start, length, "an") ? W_ARTICLE : W_OTHER;
                case 'b':
                    return is(start, length, "by") ? W_BY : W_OTHER;
                case 'c':
                    if (is(start, length, "chain")) {
                        return W_CHAIN;
                    }
                    if (is(start, length, "convert")) {
                        return W_VERB;
                    }
                    return is(start, length, "classify") || is(start, length, "categorize")
                            || is(start, length, "categorise") ? W_SIMPLE_WORD : W_OTHER;
                case 'd':
                    if (is(start, length, "derive") || is(start, length, "derivation")) {
                        return W_REASONING_WORD;
                    }
                    if (is(start, length, "derivative")) {
                        return W_MATH_WORD;
                    }
                    return is(start, length, "dr") ? W_DR : W_OTHER;
                case 'e':
                    if (is(start, length, "extract")) {
                        return W_VERB;
                    }
                    if (is(start, length, "equation")) {
                        return W_MATH_WORD;
                    }
                    return is(start, length, "exception") ? W_EXCEPTION : W_OTHER;
                case 'f':
                    if (is(start, length, "format")) {
                        return W_VERB;
                    }
                    if (is(start, length, "for")) {
                        return W_FOR;
                    }
                    return is(start, length, "fix") ? W_FIX : W_OTHER;
                case 'g':
                    if (is(start, length, "give")) {
                        return W_VERB;
                    }
                    return is(start, length, "grammar") ? W_GRAMMAR : W_OTHER;
                case 'i':
                    if (is(start, length, "in") || is(start, length, "into")) {
                        return W_PREP;
                    }
                    if (is(start, length, "it")) {
                        return W_IT;
                    }
                    return is(start, length, "integral") ? W_MATH_WORD : W_OTHER;
                case 'j':
                    return is(start, length, "json") ? W_JSON : W_OTHER;
                case 'l':
                    return is(start, length, "label") ? W_SIMPLE_WORD : W_OTHER;
                case 'o':
                    if (is(start, length, "of")) {
                        return W_OF;
                    }
                    if (is(start, length, "out")) {
                        return W_OUT;
                    }
                    if (is(start, length, "output")) {
                        return W_VERB;
                    }
                    return is(start, length, "object") || is(start, length, "only") ? W_JSON_NOUN : W_OTHER;
                case 'p':
                    if (is(start, length, "parse")) {
                        return W_VERB;
                    }
                    if (is(start, length, "prove") || is(start, length, "proof")) {
                        return W_REASONING_WORD;
                    }
                    return is(start, length, "paraphrase") || is(start, length, "proofread")
                            ? W_SIMPLE_WORD : W_OTHER;
                case 'r':
                    if (is(start, length, "return") || is(start, length, "respond")) {
                        return W_VERB;
                    }
                    if (is(start, length, "reason")) {
                        return W_REASON;
                    }
                    return is(start, length, "rewrite") || is(start, length, "rephrase") ? W_SIMPLE_WORD : W_OTHER;
                case 's':
                    if (is(start, length, "step")) {
                        return W_STEP;
                    }
                    if (is(start, length, "show")) {
                        return W_SHOW;
                    }
                    if (is(start, length, "solve")) {
                        return W_SOLVE;
                    }
                    return is(start, length, "summarize") || is(start, length, "summarise")
                            || is(start, length, "summary") ? W_SIMPLE_WORD : W_OTHER;
                case 't':
                    if (is(start, length, "that")) {
                        return W_THAT;
                    }
                    if (is(start, length, "the")) {
                        return W_THE;
                    }
                    if (is(start, length, "think")) {
                        return W_THINK;
                    }
                    if (is(start, length, "through")) {
                        return W_THROUGH;
                    }
                    if (is(start, length, "thought")) {
                        return W_THOUGHT;
                    }
                    if (is(start, length, "tl")) {
                        return W_TL;
                    }
                    if (is(start, length, "traceback")) {
                        return W_TRACEBACK;
                    }
                    return is(start, length, "tldr") || is(start, length, "translate")
                            || is(start, length, "translation") ? W_SIMPLE_WORD : W_OTHER;
                case 'v':
                    return is(start, length, "valid") ? W_ARTICLE : W_OTHER;
                case 'w':
                    return is(start, length, "with") ? W_PREP : W_OTHER;
                default:
                    return W_OTHER;
            }
        }
    }
}
