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
     * Reserves an attempt at a target.
     *
     * @throws ChatRouterException {@code spend_limit_exceeded} when a key, user, tag or global budget would be
     *                             exceeded
     */
    Start begin(Target target) {
        if (!rateLimits.takeProvider(target.providerId(), worstTokens(target.model()))) {
            return new Start.Skip("provider_rate_limited");
        }
        Budgets.Reservation reservation = budgets.reserve(context, user, target.providerId(), target.id(),
                worstPicos(target.model()), worstTokens(target.model()));
        if (reservation.granted()) {
            return new Start.Granted(reservation);
        }
        if (reservation.refusesRequest()) {
            throw Budgets.refused(reservation, reserving(target));
        }
        return new Start.Skip("budget_exhausted:" + reservation.refusedBy());
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
                    : model.contextWindow() > 0 ? "the rest of the model's context window"
                    : "the default for a model without max_output_tokens";
            hint = "set max_tokens to reserve less";
        }
        return "input ~" + count(shape.estimatedInputTokens()) + " tokens, reserved as " + count(worstInput())
                + ", + up to " + count(worstOutput(model)) + " output tokens, " + bound + ", at " + target.id()
                + " prices; " + hint;
    }

    private static String count(long tokens) {
        return String.format(java.util.Locale.ROOT, "%,d", tokens);
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

    /** Settles an attempt to what it used; returns its cost in dollars. */
    double settle(Budgets.Reservation reservation, ModelSpec model, Usage usage) {
        long picos = Costs.picos(model.price(), usage);
        budgets.settle(reservation, picos, usage.promptTokens() + usage.completionTokens());
        return Budgets.usd(picos);
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
