package dev.chatrouter.http;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Dashboard logins: a browser that posted an admin key to {@code /router/login} gets a random session token in an
 * {@code HttpOnly}, {@code SameSite=Strict} cookie, so the key itself is never stored in the browser. Only the
 * token's SHA-256 is kept, with the key's name and an expiry ({@link #TTL}); at most {@link #MAX} sessions live at
 * once (the one closest to expiry gives way). Time comes from the injected clock. Thread-safe.
 */
final class AdminSessions {

    static final String COOKIE = "chatrouter_admin";
    static final Duration TTL = Duration.ofHours(12);
    static final int MAX = 256;

    private record Session(String keyName, Instant expires) {
    }

    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();

    AdminSessions(Clock clock) {
        this.clock = clock;
    }

    /** Starts a session for the key; returns the token for the cookie. */
    String start(String keyName) {
        Instant now = clock.instant();
        sessions.values().removeIf(s -> !s.expires().isAfter(now));
        while (sessions.size() >= MAX) {
            sessions.entrySet().stream().min(Map.Entry.comparingByValue(
                            java.util.Comparator.comparing(Session::expires)))
                    .ifPresent(e -> sessions.remove(e.getKey()));
        }
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        sessions.put(digest(token), new Session(keyName, now.plus(TTL)));
        return token;
    }

    /** The key name of a live session, or {@code null}. */
    String keyName(String token) {
        if (token == null || token.isEmpty() || token.length() > 128) {
            return null;
        }
        String id = digest(token);
        Session s = sessions.get(id);
        if (s == null) {
            return null;
        }
        if (!s.expires().isAfter(clock.instant())) {
            sessions.remove(id);
            return null;
        }
        return s.keyName();
    }

    /** The session token in a {@code Cookie} header, or {@code null}. */
    static String token(String cookieHeader) {
        if (cookieHeader == null) {
            return null;
        }
        for (String part : cookieHeader.split(";")) {
            String p = part.trim();
            if (p.startsWith(COOKIE + "=")) {
                return p.substring(COOKIE.length() + 1);
            }
        }
        return null;
    }

    private static String digest(String token) {
        return HexFormat.of().formatHex(ServerSettings.sha256(token));
    }
}
