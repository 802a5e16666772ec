package dev.chatrouter.core.engine;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.Headroom;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.core.budget.Budgets;
import dev.chatrouter.core.budget.RateLimits;
import dev.chatrouter.core.dispatch.Costs;
import dev.chatrouter.core.route.RequestShape;
import dev.chatrouter.core.route.Target;
import dev.chatrouter.core.tokens.Encoding;
import dev.chatrouter.core.tokens.Tokens;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.ToLongFunction;

/**
 * One request's side of budgets and rate limits (docs/routing.md#budgets): before each attempt, reserve its worst
 * case on the budgets and take its estimate from its provider's caps; after it, settle both to the actual usage or
 * release them. The router's own rate limits were charged the request's estimate when it was prepared; they are
 * settled to the usage of all its attempts when it ends ({@link #finish()}). The attempt engine asks it for every
 * attempt, whatever the answer's shape; planning asks it which targets have no room.
 *
 * <p>The worst case of an attempt: the input estimate for the target's encoding plus a
 * {@value #WORST_INPUT_MARGIN_PERCENT}% margin, and the output bound by the request's {@code max_tokens} (or
 * {@code max_completion_tokens}), else the model's {@code max_output_tokens}, else {@code accounting.default_output_tokens}.
 * Not thread-safe: a request's attempts are run on one serial executor.
 */
public final class Accounting {

    /**
     * The margin on the input estimate in a worst case. The estimate's largest under-count on the calibration
     * corpus is 13% of the exact count (a 2 KB chunk of Markdown); the margin covers that and part of the difference
     * of tokenizers the router does not have (other families are counted with {@code cl100k_base}).
     */
    static final long WORST_INPUT_MARGIN_PERCENT = 25;

    /** The output a rate limit's estimate assumes when the request sets no limit: the cost policy's figure. */
    static final long EXPECTED_OUTPUT_TOKENS = 256;

    private final Budgets budgets;
    private final RateLimits rateLimits;
    private final RequestContext context;
    private final String user;
    private final RequestShape shape;
    private final long defaultOutputTokens;
    private final RateLimits.Charge charge;
    private final ToLongFunction<Encoding> countInput;
    private long used;
    private boolean finished;

    /**
     * @param defaultOutputTokens the output a worst case assumes when nothing bounds it
     * @param charge              what the router's rate limits took for this request ({@link #rateEstimate})
     * @param countInput          the exact prompt tokens under an encoding, for an answer that reports no usage
     */
    public Accounting(Budgets budgets, RateLimits rateLimits, RequestContext context, String user, RequestShape shape,
                      long defaultOutputTokens, RateLimits.Charge charge, ToLongFunction<Encoding> countInput) {
        this.budgets = budgets;
        this.rateLimits = rateLimits;
        this.context = context;
        this.user = user;
        this.shape = shape;
        this.defaultOutputTokens = defaultOutputTokens;
        this.charge = charge;
        this.countInput = countInput;
    }

    /**
     * What a request's rate limits are charged before its usage is known: the estimated input and the request's
     * output limit, or {@value #EXPECTED_OUTPUT_TOKENS} output tokens when it sets none.
     */
    public static long rateEstimate(RequestShape shape) {
        return shape.estimatedInputTokens()
                + (shape.requestedOutputTokens() > 0 ? shape.requestedOutputTokens() : EXPECTED_OUTPUT_TOKENS);
    }

    /** The rate-limit estimate of an attempt at {@code model}: its encoding's input estimate and the output. */
    long rateEstimate(ModelSpec model) {
        return input(model)
                + (shape.requestedOutputTokens() > 0 ? shape.requestedOutputTokens() : EXPECTED_OUTPUT_TOKENS);
    }

    /** What one attempt holds: its budget reservation and the tokens taken from its provider's cap. */
    record Hold(Budgets.Reservation reservation, String provider, long providerTokens) {
    }

    /** The outcome of asking to start an attempt. */
    sealed interface Start {
        /** Go ahead; settle or release the hold afterwards. */
        record Granted(Hold hold) implements Start {
        }

        /** Skip this target: its own budget or its provider's caps have no room. */
        record Skip(String reason) implements Start {
        }
    }

    /**
     * Reserves an attempt at a target: one store call for every budget that applies. The stage completes inline
     * when the store answers at once.
     *
     * @return the start, or a stage failed with a {@link ChatRouterException}: {@code spend_limit_exceeded} when a
     *         key, user, tag or global budget has no room for this target's worst case, {@code accounting_unavailable}
     *         when the store cannot be reached and failing closed
     */
    CompletionStage<Start> begin(Target target) {
        long providerTokens = rateEstimate(target.model());
        if (!rateLimits.takeProvider(target.providerId(), providerTokens)) {
            return CompletableFuture.completedFuture(new Start.Skip("provider_rate_limited"));
        }
        CompletionStage<Budgets.Reservation> reserved;
        try {
            reserved = budgets.reserve(context, user, target.providerId(), target.id(), worstPicos(target.model()),
                    worstTokens(target.model()));
        } catch (RuntimeException e) {
            reserved = CompletableFuture.failedFuture(e);
        }
        return reserved.handle((reservation, error) -> {
            if (error != null) {
                rateLimits.releaseProvider(target.providerId(), providerTokens);
                throw error instanceof CompletionException c ? c : new CompletionException(error);
            }
            if (reservation.granted()) {
                return new Start.Granted(new Hold(reservation, target.providerId(), providerTokens));
            }
            rateLimits.releaseProvider(target.providerId(), providerTokens);
            if (reservation.refusesRequest()) {
                throw Budgets.refused(reservation, reserving(target));
            }
            return new Start.Skip("budget_exhausted:" + reservation.refusedBy());
        });
    }

    /**
     * What a reservation at a target is made of, for a refusal: {@code input ~6 tokens, reserved as 12, + up to 1,000
     * output tokens, the model's max_output_tokens, at a/m prices; set max_tokens to reserve less}.
     */
    String reserving(Target target) {
        ModelSpec model = target.model();
        String bound;
        String hint;
        if (shape.requestedOutputTokens() > 0) {
            bound = "its max_tokens";
            hint = "lower max_tokens to reserve less";
        } else {
            bound = model.maxOutputTokens() > 0 ? "the model's max_output_tokens"
                    : "accounting.default_output_tokens, for a model without max_output_tokens";
            hint = "set max_tokens to reserve less";
        }
        return "input ~" + count(shape.estimatedInputTokens()) + " tokens, reserved as " + count(worstInput(model))
                + ", + up to " + count(worstOutput(model)) + " output tokens, " + bound + ", at " + target.id()
                + " prices; " + hint;
    }

    private static String count(long tokens) {
        return String.format(java.util.Locale.ROOT, "%,d", tokens);
    }

    /** Why a target's own budget or caps rule it out now (for planning), or null. */
    public String unavailable(Target target) {
        if (!rateLimits.providerHasRoom(target.providerId(), rateEstimate(target.model()))) {
            return "provider_rate_limited";
        }
        if (budgets.isEmpty()) {
            return null;
        }
        return budgets.exhausted(context, target.providerId(), target.id(), worstPicos(target.model()),
                worstTokens(target.model()));
    }

    /** Settles an attempt to what it used (the store's settlement fired, not awaited); returns its cost in dollars. */
    Settled settle(Hold hold, ModelSpec model, Usage usage) {
        long picos = Costs.picos(model.price(), usage);
        long tokens = usage.promptTokens() + usage.completionTokens();
        CompletionStage<Void> recorded = budgets.settle(hold.reservation(), picos, tokens);
        rateLimits.settleProvider(hold.provider(), hold.providerTokens(), tokens);
        used += tokens;
        if (finished) {
            // an attempt settled after the request's end: its tokens still count
            rateLimits.settle(charge, used);
        }
        return new Settled(Budgets.usd(picos), recorded);
    }

    /**
     * An attempt settled.
     *
     * @param cost     what it cost, in US dollars
     * @param recorded completes (never exceptionally) once the budgets' store took the spend or queued it for retries
     */
    record Settled(double cost, CompletionStage<Void> recorded) {
    }

    void release(Hold hold) {
        budgets.release(hold.reservation());
        rateLimits.releaseProvider(hold.provider(), hold.providerTokens());
    }

    /** The request is over: its router rate limits are settled to the tokens its attempts used. Idempotent. */
    void finish() {
        if (!finished) {
            finished = true;
            rateLimits.settle(charge, used);
        }
    }

    /** The exact prompt tokens of the request for {@code target}'s tokenizer: for answers without usage. */
    long countedInput(Target target) {
        return countInput.applyAsLong(Tokens.encodingOf(target.model().upstream()));
    }

    /** The caller's tightest rate limits and budget now. */
    Headroom headroom() {
        Headroom.Limit[] limits = rateLimits.headroom(context, user);
        Headroom.Budget budget = budgets.isEmpty() ? null : budgets.headroom(context, user);
        if (limits[0] == null && limits[1] == null && budget == null) {
            return Headroom.NONE;
        }
        return new Headroom(limits[0], limits[1], budget);
    }

    long worstTokens(ModelSpec model) {
        return worstInput(model) + worstOutput(model);
    }

    private long input(ModelSpec model) {
        return shape.estimatedInputTokens(Tokens.encodingOf(model.upstream()));
    }

    private long worstInput(ModelSpec model) {
        long input = input(model);
        return input + (input * WORST_INPUT_MARGIN_PERCENT + 99) / 100;
    }

    /**
     * The most output an attempt at {@code model} may produce: the request's limit, else the model's, else the
     * configured default. Never the context window less the input: that is what the model could hold, not what a
     * request asks, and it would reserve a whole window for every request without a limit.
     */
    long worstOutput(ModelSpec model) {
        if (shape.requestedOutputTokens() > 0) {
            return shape.requestedOutputTokens();
        }
        if (model.maxOutputTokens() > 0) {
            return model.maxOutputTokens();
        }
        return defaultOutputTokens;
    }

    long worstPicos(ModelSpec model) {
        return Costs.picos(model.price(), Usage.of(worstInput(model), worstOutput(model)));
    }
}
