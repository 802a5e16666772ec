package dev.chatrouter.http;

import dev.chatrouter.api.Attempt;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.DroppedTarget;
import dev.chatrouter.api.RoutingReport;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the dashboard shows of the traffic: requests and errors per second over the last {@link #SECONDS} seconds
 * (a ring of per-second counters), and the last {@link #DECISIONS} routing decisions. Fed when a routed request
 * (chat or embeddings) finishes; time comes from the injected clock. Holds no message text, key or prompt: only
 * ids, names, numbers and failure kinds. Thread-safe.
 */
final class Activity {

    /** How far back the per-second counters reach: 10 minutes. */
    static final int SECONDS = 600;
    /** How many routing decisions are kept. */
    static final int DECISIONS = 50;

    private final Clock clock;
    private final long[] stamps = new long[SECONDS];
    private final long[] requests = new long[SECONDS];
    private final long[] errors = new long[SECONDS];
    private final Decision[] decisions = new Decision[DECISIONS];
    private long recorded;

    Activity(Clock clock) {
        this.clock = clock;
    }

    /**
     * Records a finished request.
     *
     * @param intent the model the client sent
     * @param report how it was routed, or {@code null} when it failed before routing (then {@code error} says why)
     * @param error  why it failed, or {@code null}
     * @param status the HTTP status answered
     */
    void finished(String intent, RoutingReport report, ChatRouterException error, int status) {
        Instant now = clock.instant();
        boolean failed = status >= 400 || error != null || report != null && lastFailed(report);
        // kept as they are, and described only when the dashboard asks: most decisions are never looked at
        Decision decision = new Decision(now, intent, report, error, status);
        long second = now.getEpochSecond();
        int slot = (int) Math.floorMod(second, (long) SECONDS);
        synchronized (this) {
            if (stamps[slot] != second) {
                stamps[slot] = second;
                requests[slot] = 0;
                errors[slot] = 0;
            }
            requests[slot]++;
            if (failed) {
                errors[slot]++;
            }
            decisions[(int) (recorded++ % DECISIONS)] = decision;
        }
    }

    /** One finished request, as recorded. */
    private record Decision(Instant time, String intent, RoutingReport report, ChatRouterException error,
                            int status) {

        /** What the dashboard shows of it. */
        Map<String, Object> describe() {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("time", time.toString());
            d.put("request_id", report != null ? report.requestId()
                    : error != null ? error.requestId().orElse(null) : null);
            d.put("model", intent);
            d.put("route", report != null ? report.route() : null);
            d.put("type", report != null ? report.type().wireName()
                    : error != null ? error.requestType().map(t -> t.wireName()).orElse(null) : null);
            d.put("rule", report != null ? report.rule() : null);
            d.put("pool", report != null ? report.pool() : null);
            d.put("policy", report != null ? report.policy() : null);
            d.put("target", report != null ? report.target() : null);
            List<Attempt> attempts = report != null ? report.attempts() : error != null ? error.attempts() : List.of();
            d.put("attempts", attempts(attempts));
            d.put("dropped", report != null ? dropped(report.dropped()) : droppedOf(error));
            d.put("cost_usd", report != null ? report.costUsd() : 0.0);
            d.put("cache_hit", report != null && report.cacheHit());
            d.put("status", status);
            d.put("error", error != null ? error.code().wireName()
                    : report != null && lastFailed(report)
                    ? attempts.get(attempts.size() - 1).failure().wireName() : null);
            return d;
        }
    }

    /** A stream that ended with an error after its head was written: its last attempt failed. */
    private static boolean lastFailed(RoutingReport report) {
        List<Attempt> attempts = report.attempts();
        return report.target() == null && !report.cacheHit()
                || !attempts.isEmpty() && attempts.get(attempts.size() - 1).failure() != null;
    }

    private static List<Map<String, Object>> attempts(List<Attempt> attempts) {
        List<Map<String, Object>> list = new ArrayList<>(attempts.size());
        for (Attempt a : attempts) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("target", a.target());
            m.put("outcome", a.succeeded() ? "ok" : a.cancelled() ? "cancelled" : a.failure().wireName());
            m.put("status", a.status());
            m.put("latency_ms", a.latency() == null ? null : a.latency().toMillis());
            m.put("hedged", a.hedged());
            list.add(m);
        }
        return list;
    }

    private static List<Map<String, Object>> dropped(List<DroppedTarget> dropped) {
        List<Map<String, Object>> list = new ArrayList<>(dropped.size());
        for (DroppedTarget t : dropped) {
            list.add(Map.of("target", t.target(), "reason", t.reason()));
        }
        return list;
    }

    /** The targets a {@code no_target_available} error names, with why each was dropped. */
    private static List<Map<String, Object>> droppedOf(ChatRouterException error) {
        if (error == null || !(error.metadata().get("dropped") instanceof Map<?, ?> why)) {
            return List.of();
        }
        List<Map<String, Object>> list = new ArrayList<>();
        why.forEach((target, reason) -> list.add(Map.of("target", String.valueOf(target),
                "reason", String.valueOf(reason))));
        return list;
    }

    /** The last decisions, newest first. */
    List<Map<String, Object>> decisions() {
        List<Decision> last = new ArrayList<>(DECISIONS);
        synchronized (this) {
            for (long i = recorded - 1; i >= 0 && i >= recorded - DECISIONS; i--) {
                last.add(decisions[(int) (i % DECISIONS)]);
            }
        }
        List<Map<String, Object>> list = new ArrayList<>(last.size());
        last.forEach(d -> list.add(d.describe()));
        return list;
    }

    /**
     * Requests and errors per second for the last {@link #SECONDS} seconds, oldest first, ending with the current
     * second: {@code {"end": epoch second, "requests": [...], "errors": [...]}}.
     */
    Map<String, Object> traffic() {
        long end = clock.instant().getEpochSecond();
        long[] req = new long[SECONDS];
        long[] err = new long[SECONDS];
        synchronized (this) {
            for (int i = 0; i < SECONDS; i++) {
                long second = end - (SECONDS - 1) + i;
                int slot = (int) Math.floorMod(second, (long) SECONDS);
                if (stamps[slot] == second) {
                    req[i] = requests[slot];
                    err[i] = errors[slot];
                }
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("end", end);
        m.put("seconds", SECONDS);
        m.put("requests", req);
        m.put("errors", err);
        return m;
    }
}
