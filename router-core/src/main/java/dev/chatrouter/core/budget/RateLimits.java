package dev.chatrouter.core.budget;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.config.BudgetConfig;
import dev.chatrouter.api.config.RateLimitConfig;
import dev.chatrouter.api.spi.ProviderLimits;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The router's rate limits (requests and tokens per minute per scope, SPEC section 8) and the providers' own
 * caps, as token buckets on the router's clock. A request over a router limit is refused with
 * {@link ErrorCode#RATE_LIMIT_EXCEEDED} and the time until it would fit; a provider at its cap is skipped.
 */
public final class RateLimits {

    private final List<RateLimitConfig> limits;
    private final Map<String, ProviderLimits> providerLimits;
    private final Clock clock;
    private final ConcurrentHashMap<String, TokenBucket> buckets = new ConcurrentHashMap<>();

    public RateLimits(List<RateLimitConfig> limits, Map<String, ProviderLimits> providerLimits, Clock clock) {
        this.limits = List.copyOf(limits);
        this.providerLimits = Map.copyOf(providerLimits);
        this.clock = clock;
    }

    private long now() {
        Instant i = clock.instant();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    private TokenBucket bucket(String name, long perMinute, long now) {
        TokenBucket bucket = buckets.get(name);
        if (bucket != null && bucket.perMinute() == perMinute) {
            return bucket;
        }
        // new, or taken over from a previous router whose limit for this scope differed: start full
        return buckets.compute(name, (k, old) -> old != null && old.perMinute() == perMinute ? old
                : new TokenBucket(perMinute, now));
    }

    /**
     * Takes over the buckets of {@code previous} (a router being replaced by a reload), shared, so that what was
     * taken in the current minute still counts; a bucket whose limit changed starts full at its first use. Call
     * before the router that owns these limits takes requests.
     */
    public void continueFrom(RateLimits previous) {
        buckets.putAll(previous.buckets);
    }

    private record Taken(TokenBucket bucket, double amount) {
    }

    /**
     * Takes one request and {@code tokens} from every limit that applies to the caller.
     *
     * @throws ChatRouterException {@link ErrorCode#RATE_LIMIT_EXCEEDED} naming the scope, with the wait
     */
    public void acquire(RequestContext context, String user, long tokens) {
        if (limits.isEmpty()) {
            return;
        }
        long now = now();
        List<Taken> taken = new ArrayList<>();
        for (RateLimitConfig limit : limits) {
            for (String scope : scopes(limit, context, user)) {
                TokenBucket requests = limit.rpm() > 0 ? bucket(scope + "#rpm", limit.rpm(), now) : null;
                TokenBucket tokenBucket = limit.tpm() > 0 ? bucket(scope + "#tpm", limit.tpm(), now) : null;
                if (requests != null && !take(requests, 1, now, taken)
                        || tokenBucket != null && !take(tokenBucket, tokens, now, taken)) {
                    long wait = Math.max(requests == null ? 0 : requests.nanosUntil(1, now),
                            tokenBucket == null ? 0 : tokenBucket.nanosUntil(tokens, now));
                    taken.forEach(t -> t.bucket().adjust(t.amount(), now));
                    throw ChatRouterException.builder(ErrorCode.RATE_LIMIT_EXCEEDED, "rate limit of " + scope
                                    + " exceeded (" + describe(limit) + ")")
                            .retryAfter(Duration.ofNanos(wait)).metadata("scope", scope).build();
                }
            }
        }
    }

    private static boolean take(TokenBucket bucket, double amount, long now, List<Taken> taken) {
        if (!bucket.tryTake(amount, now)) {
            return false;
        }
        taken.add(new Taken(bucket, amount));
        return true;
    }

    private static String describe(RateLimitConfig limit) {
        return (limit.rpm() > 0 ? limit.rpm() + " requests" : "")
                + (limit.rpm() > 0 && limit.tpm() > 0 ? " and " : "")
                + (limit.tpm() > 0 ? limit.tpm() + " tokens" : "") + " per minute";
    }

    private static List<String> scopes(RateLimitConfig limit, RequestContext context, String user) {
        BudgetConfig.Scope scope = BudgetConfig.Scope.parse(limit.scope());
        List<String> values = switch (scope.kind()) {
            case "global" -> List.of("global");
            case "key" -> context.key() == null ? List.of() : List.of(context.key());
            case "user" -> user == null ? List.of() : List.of(user);
            case "tag" -> context.tags();
            default -> List.of();
        };
        List<String> out = new ArrayList<>();
        for (String v : values) {
            if (v.equals("global")) {
                out.add("global");
            } else if (scope.value().equals("*") || scope.value().equals(v)) {
                out.add(scope.kind() + ":" + v);
            }
        }
        return out;
    }

    /** Whether a provider's own caps have room for a request of {@code tokens}, without taking it. */
    public boolean providerHasRoom(String provider, long tokens) {
        ProviderLimits caps = providerLimits.get(provider);
        if (caps == null || (caps.rpm() == 0 && caps.tpm() == 0)) {
            return true;
        }
        long now = now();
        return (caps.rpm() == 0 || bucket("provider:" + provider + "#rpm", caps.rpm(), now).has(1, now))
                && (caps.tpm() == 0 || bucket("provider:" + provider + "#tpm", caps.tpm(), now).has(tokens, now));
    }

    /** Takes a request of {@code tokens} from a provider's caps; false when it has no room (skip the target). */
    public boolean takeProvider(String provider, long tokens) {
        ProviderLimits caps = providerLimits.get(provider);
        if (caps == null || (caps.rpm() == 0 && caps.tpm() == 0)) {
            return true;
        }
        long now = now();
        List<Taken> taken = new ArrayList<>();
        if (caps.rpm() > 0 && !take(bucket("provider:" + provider + "#rpm", caps.rpm(), now), 1, now, taken)) {
            return false;
        }
        if (caps.tpm() > 0 && !take(bucket("provider:" + provider + "#tpm", caps.tpm(), now), tokens, now, taken)) {
            taken.forEach(t -> t.bucket().adjust(t.amount(), now));
            return false;
        }
        return true;
    }
}
