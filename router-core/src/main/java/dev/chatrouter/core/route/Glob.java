package dev.chatrouter.core.route;

/** Matches model ids against {@code match} entries where {@code *} stands for any run of characters. */
final class Glob {
    private Glob() {
    }

    static boolean isGlob(String pattern) {
        return pattern.indexOf('*') >= 0;
    }

    /** Iterative wildcard match: linear in practice, no regex compilation, no backtracking blow-up. */
    static boolean matches(String pattern, String text) {
        int p = 0;
        int t = 0;
        int star = -1;
        int mark = 0;
        while (t < text.length()) {
            if (p < pattern.length() && pattern.charAt(p) != '*' && pattern.charAt(p) == text.charAt(t)) {
                p++;
                t++;
            } else if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                mark = t;
            } else if (star >= 0) {
                p = star + 1;
                t = ++mark;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }
}
