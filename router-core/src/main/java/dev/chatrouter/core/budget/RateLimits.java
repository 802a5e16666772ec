package dev.chatrouter.core.budget;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.Headroom;
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
 * The router's rate limits (requests and tokens per minute per scope, docs/routing.md#budgets) and the providers'
 * own caps, as token buckets on the router's clock. A request over a router limit is refused with
 * {@link ErrorCode#RATE_LIMIT_EXCEEDED} and the time until it would fit; a provider at its cap is skipped.
 *
 * <p>Tokens per minute are charged an estimate when a request (or, for a provider's cap, an attempt) starts, and
 * settled to the usage when it ends: what the estimate held beyond the usage goes back to the bucket at once, and
 * usage beyond the estimate is taken (the bucket may go below zero, and then admits nothing until it refills).
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

    /** The tokens a request holds on the router's tpm limits, to settle when it ends. */
    public static final class Charge {
        public static final Charge NONE = new Charge(List.of(), 0);

        private final List<TokenBucket> buckets;
        private long held;

        private Charge(List<TokenBucket> buckets, long held) {
            this.buckets = buckets;
            this.held = held;
        }
    }

    /**
     * Takes one request and {@code tokens} (the request's estimate) from every limit that applies to the caller;
     * {@link #settle(Charge, long)} turns the tokens into the usage.
     *
     * @throws ChatRouterException {@link ErrorCode#RATE_LIMIT_EXCEEDED} naming the scope, with the wait
     */
    public Charge acquire(RequestContext context, String user, long tokens) {
        if (limits.isEmpty()) {
            return Charge.NONE;
        }
        long now = now();
        List<Taken> taken = new ArrayList<>();
        List<TokenBucket> tpm = new ArrayList<>(1);
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
                if (tokenBucket != null) {
                    tpm.add(tokenBucket);
                }
            }
        }
        return tpm.isEmpty() ? Charge.NONE : new Charge(tpm, tokens);
    }

    /**
     * Settles a request's tokens to what it used so far: what the charge holds beyond {@code usedTokens} is given
     * back, usage beyond it is taken. May be called again with a larger figure (an attempt that settled later).
     */
    public void settle(Charge charge, long usedTokens) {
        if (charge.buckets.isEmpty() || charge.held == usedTokens) {
            return;
        }
        long now = now();
        for (TokenBucket bucket : charge.buckets) {
            bucket.adjust(charge.held - usedTokens, now);
        }
        charge.held = usedTokens;
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

    /**
     * The router's rate limits that apply to the caller, as they stand: the requests limit and the tokens limit with
     * the fewest left, each {@code null} when none applies. {@code headroom[0]} gets requests, {@code [1]} tokens.
     */
    public Headroom.Limit[] headroom(RequestContext context, String user) {
        Headroom.Limit[] tightest = new Headroom.Limit[2];
        if (limits.isEmpty()) {
            return tightest;
        }
        long now = now();
        for (RateLimitConfig limit : limits) {
            for (String scope : scopes(limit, context, user)) {
                if (limit.rpm() > 0) {
                    tightest[0] = tighter(tightest[0], state(scope, bucket(scope + "#rpm", limit.rpm(), now), now));
                }
                if (limit.tpm() > 0) {
                    tightest[1] = tighter(tightest[1], state(scope, bucket(scope + "#tpm", limit.tpm(), now), now));
                }
            }
        }
        return tightest;
    }

    private static Headroom.Limit state(String scope, TokenBucket bucket, long now) {
        return new Headroom.Limit(scope, bucket.capacity(), Math.max(0, (long) Math.floor(bucket.available(now))),
                Duration.ofNanos(bucket.nanosUntilFull(now)));
    }

    private static Headroom.Limit tighter(Headroom.Limit a, Headroom.Limit b) {
        return a == null || b.remaining() < a.remaining() ? b : a;
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

    /**
     * Settles an attempt's tokens on its provider's cap: {@code charged} (what {@link #takeProvider} took) becomes
     * {@code usedTokens}.
     */
    public void settleProvider(String provider, long charged, long usedTokens) {
        ProviderLimits caps = providerLimits.get(provider);
        if (caps == null || caps.tpm() == 0 || charged == usedTokens) {
            return;
        }
        long now = now();
        bucket("provider:" + provider + "#tpm", caps.tpm(), now).adjust(charged - usedTokens, now);
    }

    /**
     * An attempt that failed gives its tokens back to its provider's cap (the request it made still counts
     * against {@code rpm}).
     */
    public void releaseProvider(String provider, long charged) {
        settleProvider(provider, charged, 0);
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
