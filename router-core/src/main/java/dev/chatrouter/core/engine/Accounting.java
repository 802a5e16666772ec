package dev.chatrouter.core.engine;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.Headroom;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.core.budget.Budgets;
import dev.chatrouter.core.budget.RateLimits;
import dev.chatrouter.core.dispatch.Costs;
import dev.chatrouter.core.route.RequestShape;
import dev.chatrouter.core.route.Target;
import dev.chatrouter.core.tokens.Encoding;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.ToLongFunction;

/**
 * One request's side of budgets and rate limits (docs/routing.md#budgets, docs/routing.md#rate-limits): before each
 * attempt, one reservation of its worst case on the budgets, its estimate on its provider's caps and, for the first
 * attempt admitted, the request on the router's rate limits; after it, one settlement of all of them to the actual
 * usage (or a release). So a request of one attempt costs the store one reserve and one settle, whatever applies.
 * The router's rate limits count a request once: its first admitted attempt holds its estimate, and every attempt's
 * settlement adds the tokens it used. The attempt engine asks it for every attempt, whatever the answer's shape;
 * planning asks it which targets' own budgets have no room.
 *
 * <p>The worst case of an attempt: the input estimate for the target's encoding plus a
 * {@value #WORST_INPUT_MARGIN_PERCENT}% margin, and the output bound by the request's {@code max_tokens} (or
 * {@code max_completion_tokens}), else the model's {@code max_output_tokens}, else {@code accounting.default_output_tokens}.
 * Not thread-safe: a request's attempts are run on one serial executor, and each admission is asked only once the
 * one before it has answered.
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
    /** How many choices the request asks for ({@code n}): each may produce the whole output limit. */
    private final int choices;
    private final ToLongFunction<Encoding> countInput;
    /** Whether the router's rate limits admitted the request (an attempt's reservation carried them). */
    private boolean rated;
    /** The router's rate-limit charges the request holds, and their counters' states; NONE when unaccounted. */
    private RateLimits.Charges rates = RateLimits.Charges.NONE;
    private List<AccountingStore.State> rateStates = List.of();
    /** The router rate limit that refused the request, if one did. */
    private RateLimits.Refusal rateRefusal;
    /** Whether the request's one request has been settled on the router's requests-per-minute counters. */
    private boolean requestCounted;
    /** The tokens the request's settled attempts used. */
    private long used;
    /** The last attempt granted with dollar budgets, for the headroom, and what it spent (-1 while it runs). */
    private Hold budgeted;
    private long budgetedPicos = -1;

    /**
     * @param defaultOutputTokens the output a worst case assumes when nothing bounds it
     * @param choices             the choices the request asks for ({@code n}, 1 when it sets none)
     * @param countInput          the exact prompt tokens under an encoding, for an answer that reports no usage
     */
    public Accounting(Budgets budgets, RateLimits rateLimits, RequestContext context, String user, RequestShape shape,
                      long defaultOutputTokens, int choices, ToLongFunction<Encoding> countInput) {
        this.budgets = budgets;
        this.rateLimits = rateLimits;
        this.context = context;
        this.user = user;
        this.shape = shape;
        this.defaultOutputTokens = defaultOutputTokens;
        this.choices = Math.max(1, choices);
        this.countInput = countInput;
    }

    /**
     * What a request's rate limits are charged before its usage is known: the estimated input and the request's
     * output limit, or {@value #EXPECTED_OUTPUT_TOKENS} output tokens when it sets none.
     */
    static long rateEstimate(RequestShape shape) {
        return shape.estimatedInputTokens()
                + (shape.requestedOutputTokens() > 0 ? shape.requestedOutputTokens() : EXPECTED_OUTPUT_TOKENS);
    }

    /** The rate-limit estimate of an attempt at {@code model}: its encoding's input estimate and the output. */
    long rateEstimate(Target target) {
        return input(target)
                + (shape.requestedOutputTokens() > 0 ? shape.requestedOutputTokens() : EXPECTED_OUTPUT_TOKENS);
    }

    /**
     * What one attempt holds: its reservation, and the provider caps' charges in it (none when unaccounted), whose
     * use it settles.
     */
    record Hold(Budgets.Reservation reservation, RateLimits.Charges provider) {
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
     * Reserves an attempt at a target: one store call for every budget, provider cap and (for the request's first
     * admitted attempt) router rate limit that applies. The stage completes inline when the store answers at once.
     *
     * @return the start, or a stage failed with a {@link ChatRouterException}: {@code rate_limit_exceeded} when a
     *         router rate limit has no room for the request, {@code spend_limit_exceeded} when a key, user, tag or
     *         global budget has no room for this target's worst case, {@code accounting_unavailable} when the store
     *         cannot be reached and a limit that applies fails closed
     */
    CompletionStage<Start> begin(Target target) {
        boolean carries = !rated;
        RateLimits.Charges request = carries ? rateLimits.request(context, user, rateEstimate(shape))
                : RateLimits.Charges.NONE;
        RateLimits.Charges provider = rateLimits.provider(target.providerId(), rateEstimate(target));
        CompletionStage<Budgets.Reservation> reserved;
        try {
            reserved = budgets.reserve(context, user, target.providerId(), target.id(), worstPicos(target),
                    worstTokens(target), request.plus(provider));
        } catch (RuntimeException e) {
            reserved = CompletableFuture.failedFuture(e);
        }
        return reserved.thenApply(reservation -> {
            if (reservation.granted()) {
                if (carries) {
                    rated = true;
                    int n = request.charges().size();
                    if (!reservation.unaccounted() && n > 0) {
                        rates = request;
                        rateStates = reservation.rateStates().subList(0, Math.min(n,
                                reservation.rateStates().size()));
                    }
                }
                Hold hold = new Hold(reservation, reservation.unaccounted() ? RateLimits.Charges.NONE : provider);
                if (!reservation.dollars().isEmpty() && !reservation.states().isEmpty()) {
                    budgeted = hold;
                    budgetedPicos = -1;
                }
                return new Start.Granted(hold);
            }
            RateLimits.Refusal byRate = reservation.rateRefusal();
            if (byRate != null) {
                if (byRate.limit().provider()) {
                    return new Start.Skip("provider_rate_limited");
                }
                rateRefusal = byRate;
                throw new CompletionException(rateLimits.refused(byRate));
            }
            if (reservation.refusesRequest()) {
                throw new CompletionException(Budgets.refused(reservation, reserving(target)));
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
        if (choices > 1) {
            bound += " for each of " + choices + " choices";
        }
        return "input ~" + count(shape.estimatedInputTokens()) + " tokens, reserved as " + count(worstInput(target))
                + ", + up to " + count(worstOutput(model)) + " output tokens, " + bound + ", at " + target.id()
                + " prices; " + hint;
    }

    private static String count(long tokens) {
        return String.format(java.util.Locale.ROOT, "%,d", tokens);
    }

    /** Why a target's own budget rules it out now (for planning), or null; its provider's caps are the reservation's. */
    public String unavailable(Target target) {
        if (!budgets.limitsTargets()) {
            return null;
        }
        return budgets.exhausted(context, target.providerId(), target.id(), worstPicos(target),
                worstTokens(target));
    }

    /**
     * Settles an attempt to what it used, in one store call for its budgets, its provider's caps and the router's
     * rate limits (the store's settlement fired, not awaited); returns its cost in dollars.
     */
    Settled settle(Hold hold, ModelSpec model, Usage usage) {
        long picos = Costs.picos(model.price(), usage);
        long tokens = usage.promptTokens() + usage.completionTokens();
        used += tokens;
        if (hold == budgeted) {
            budgetedPicos = picos;
        }
        CompletionStage<Void> recorded = budgets.settle(hold.reservation(), picos, tokens, rateUse(hold, tokens));
        return new Settled(Budgets.usd(picos), recorded);
    }

    /**
     * What an attempt that used {@code tokens} spent on rate limits: one request and its tokens on its provider's
     * caps, its tokens on the router's tokens limits, and the request (once per request) on its requests limits.
     */
    private List<AccountingStore.Charge> rateUse(Hold hold, long tokens) {
        List<AccountingStore.Charge> provider = hold.provider().used(true, tokens);
        if (rates.isEmpty()) {
            return provider;
        }
        List<AccountingStore.Charge> request = rates.used(!requestCounted, tokens);
        requestCounted = true;
        if (provider.isEmpty()) {
            return request;
        }
        List<AccountingStore.Charge> all = new ArrayList<>(request);
        all.addAll(provider);
        return all;
    }

    /**
     * An attempt settled.
     *
     * @param cost     what it cost, in US dollars
     * @param recorded completes (never exceptionally) once the budgets' store took the spend or queued it for retries
     */
    record Settled(double cost, CompletionStage<Void> recorded) {
    }

    /**
     * Gives an attempt's claims back: it spent nothing, but the request it made still counts on its provider's
     * {@code rpm} and, once per request, on the router's.
     */
    void release(Hold hold) {
        if (hold == budgeted) {
            budgetedPicos = 0;
        }
        budgets.release(hold.reservation(), rateUse(hold, 0));
    }

    /** The exact prompt tokens of the request for {@code target}'s tokenizer: for answers without usage. */
    long countedInput(Target target) {
        return countInput.applyAsLong(target.encoding());
    }

    /**
     * The caller's tightest rate limits and dollar budget, from the counter states the request's reservations
     * reported (settled to its usage), or the rate limit that refused it; a request no reservation granted a dollar
     * budget to asks the budgets how they stand now.
     */
    Headroom headroom() {
        Headroom.Limit[] limits = rateRefusal != null ? rateLimits.headroom(rateRefusal)
                : rates.isEmpty() ? NO_LIMITS : rateLimits.headroom(rates, rateStates, used);
        Headroom.Budget budget = budgets.isEmpty() ? null : budgeted != null
                ? Budgets.headroom(budgeted.reservation(), budgetedPicos < 0 ? heldPicos(budgeted) : budgetedPicos)
                : budgets.headroom(context, user);
        if (limits[0] == null && limits[1] == null && budget == null) {
            return Headroom.NONE;
        }
        return new Headroom(limits[0], limits[1], budget);
    }

    private static final Headroom.Limit[] NO_LIMITS = new Headroom.Limit[2];

    /** The worst case a running attempt holds on its dollar counters: it still counts as held. */
    private static long heldPicos(Hold hold) {
        Budgets.Dollars first = hold.reservation().dollars().get(0);
        for (AccountingStore.Charge c : hold.reservation().held()) {
            if (c.key().equals(first.key())) {
                return c.amount();
            }
        }
        return 0;
    }

    long worstTokens(Target target) {
        return worstInput(target) + worstOutput(target.model());
    }

    private long input(Target target) {
        return shape.estimatedInputTokens(target.encoding());
    }

    private long worstInput(Target target) {
        long input = input(target);
        return input + (input * WORST_INPUT_MARGIN_PERCENT + 99) / 100;
    }

    /**
     * The most output an attempt at {@code model} may produce: the request's limit, else the model's, else the
     * configured default, for each choice. Never the context window less the input: that is what the model could
     * hold, not what a request asks, and it would reserve a whole window for every request without a limit.
     */
    long worstOutput(ModelSpec model) {
        long each;
        if (shape.requestedOutputTokens() > 0) {
            each = shape.requestedOutputTokens();
        } else if (model.maxOutputTokens() > 0) {
            each = model.maxOutputTokens();
        } else {
            each = defaultOutputTokens;
        }
        return each * choices;
    }

    long worstPicos(Target target) {
        return Costs.picos(target.model().price(), Usage.of(worstInput(target), worstOutput(target.model())));
    }
}
