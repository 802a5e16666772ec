package dev.chatrouter.core.engine;

import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.core.budget.Budgets;
import dev.chatrouter.core.budget.RateLimits;
import dev.chatrouter.core.dispatch.Costs;
import dev.chatrouter.core.route.RequestShape;
import dev.chatrouter.core.route.Target;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One request's side of budgets and provider caps: before each attempt, reserve its worst case; after it, settle
 * to the actual usage or release. The attempt engine asks it for every attempt, whatever the answer's shape;
 * planning asks it which targets have no room.
 */
public final class Accounting {

    /** The output assumed for the worst case when neither the request nor the model bounds it. */
    static final long DEFAULT_WORST_OUTPUT = 4_096;

    /**
     * The input reserved is this many times the estimate: the four-characters-per-token estimate can be short by
     * up to about half on code, numbers and non-English text, and a reservation must not be below the usage.
     */
    static final long WORST_INPUT_FACTOR = 2;

    private final Budgets budgets;
    private final RateLimits rateLimits;
    private final RequestContext context;
    private final String user;
    private final RequestShape shape;

    public Accounting(Budgets budgets, RateLimits rateLimits, RequestContext context, String user, RequestShape shape) {
        this.budgets = budgets;
        this.rateLimits = rateLimits;
        this.context = context;
        this.user = user;
        this.shape = shape;
    }

    /** The outcome of asking to start an attempt. */
    sealed interface Start {
        /** Go ahead; settle or release the reservation afterwards. */
        record Granted(Budgets.Reservation reservation) implements Start {
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
     *         key, user, tag or global budget would be exceeded, {@code accounting_unavailable} when the store
     *         cannot be reached and failing closed
     */
    CompletionStage<Start> begin(Target target) {
        if (!rateLimits.takeProvider(target.providerId(), worstTokens(target.model()))) {
            return CompletableFuture.completedFuture(new Start.Skip("provider_rate_limited"));
        }
        return budgets.reserve(context, user, target.providerId(), target.id(),
                worstPicos(target.model()), worstTokens(target.model())).thenApply(reservation -> {
                    if (reservation.granted()) {
                        return new Start.Granted(reservation);
                    }
                    if (reservation.refusesRequest()) {
                        throw Budgets.refused(reservation);
                    }
                    return new Start.Skip("budget_exhausted:" + reservation.refusedBy());
                });
    }

    /** Why a target's own budget or caps rule it out now (for planning), or null. */
    public String unavailable(Target target) {
        if (!rateLimits.providerHasRoom(target.providerId(), worstTokens(target.model()))) {
            return "provider_rate_limited";
        }
        if (budgets.isEmpty()) {
            return null;
        }
        return budgets.exhausted(context, target.providerId(), target.id(), worstPicos(target.model()),
                worstTokens(target.model()));
    }

    /** Settles an attempt to what it used (fired, not awaited); returns its cost in dollars. */
    double settle(Budgets.Reservation reservation, ModelSpec model, Usage usage) {
        long picos = Costs.picos(model.price(), usage);
        budgets.settle(reservation, picos, usage.promptTokens() + usage.completionTokens());
        return picos / Budgets.PICOS;
    }

    void release(Budgets.Reservation reservation) {
        budgets.release(reservation);
    }

    long worstTokens(ModelSpec model) {
        return worstInput() + worstOutput(model);
    }

    private long worstInput() {
        return shape.estimatedInputTokens() * WORST_INPUT_FACTOR;
    }

    private long worstOutput(ModelSpec model) {
        if (shape.requestedOutputTokens() > 0) {
            return shape.requestedOutputTokens();
        }
        if (model.maxOutputTokens() > 0) {
            return model.maxOutputTokens();
        }
        if (model.contextWindow() > 0) {
            return Math.max(0, model.contextWindow() - shape.estimatedInputTokens());
        }
        return DEFAULT_WORST_OUTPUT;
    }

    long worstPicos(ModelSpec model) {
        return Costs.picos(model.price(), Usage.of(worstInput(), worstOutput(model)));
    }
}
