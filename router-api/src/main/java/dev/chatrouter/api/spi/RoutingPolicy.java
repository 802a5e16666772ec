package dev.chatrouter.api.spi;

import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.function.DoubleSupplier;
import java.util.function.Function;

/**
 * Orders the targets of a pool for one request; a pool's {@code policy:} names one. The router has four built in:
 * {@code priority} (the listed order), {@code cost} (cheapest estimate first), {@code latency} (lowest observed
 * latency first, unmeasured targets early) and {@code weighted} (random in proportion to {@code weight:}). A plugin
 * adds one by listing a {@link Factory} in {@code META-INF/services/dev.chatrouter.api.spi.RoutingPolicy$Factory},
 * or by passing it to {@link dev.chatrouter.api.ChatRouter.Builder#routingPolicy}; the name is then accepted in
 * configuration (docs/plugins.md, "Writing a routing policy").
 *
 * <p>A policy only orders: the router has already dropped the targets that cannot serve the request (a missing
 * capability, a too-small context window, a cooldown, an exhausted budget or limit) and it tries the order given,
 * with fallback and retries as the route's {@code fallback} says. It runs on the request path for every request:
 * it must be fast, thread-safe and non-blocking, and must not call a model.
 */
public interface RoutingPolicy {

    /** The name a pool's {@code policy:} uses for this policy, such as {@code cost}. */
    String name();

    /**
     * Orders the candidates, the first to be tried first. Called only when there are two or more.
     *
     * @param candidates the eligible targets in the pool's listed order; unmodifiable
     * @param shape      what is known of the request's size
     * @return the same candidates, each exactly once, in the order to try them. Anything else makes
     *         {@code ChatRouter.chat} or {@code stream} throw an {@link IllegalStateException} naming the policy,
     *         before any target is tried; an exception {@code order} throws reaches the caller the same way
     */
    List<Candidate> order(List<Candidate> candidates, Shape shape);

    /**
     * One eligible target, as a policy sees it.
     *
     * @param target        the target's id, {@code provider-id/model-id}
     * @param providerId    the provider's id
     * @param model         the model: prices, context window and capabilities
     * @param weight        its {@code weight:} in the pool (default 1); positive
     * @param latencyMillis the decaying average of its observed latency in milliseconds (time to first token for
     *                      streams, total time otherwise), or empty when it has not been measured yet
     */
    record Candidate(String target, String providerId, ModelSpec model, double weight, OptionalDouble latencyMillis) {
        /**
         * @throws NullPointerException     if any reference is null
         * @throws IllegalArgumentException if the weight is not positive
         */
        public Candidate {
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(providerId, "providerId");
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(latencyMillis, "latencyMillis");
            if (!(weight > 0)) {
                throw new IllegalArgumentException("weight of " + target + " must be positive but was " + weight);
            }
        }
    }

    /**
     * What is known of a request's size before it is sent.
     *
     * @param estimatedInputTokens  the estimated prompt size in tokens
     * @param requestedOutputTokens the caller's output limit, or 0 when it set none
     * @param cacheableInputTokens  the estimated size of the prompt up to its last {@code cache_control} breakpoint
     *                              (0 without one): what a model with {@link Capability#PROMPT_CACHE} may read at
     *                              its cached-input price
     * @param stream                whether the answer is streamed (latency is then time to first token)
     */
    record Shape(long estimatedInputTokens, long requestedOutputTokens, long cacheableInputTokens, boolean stream) {
    }

    /**
     * What the router gives a policy it creates.
     *
     * @param clock  the router's clock ({@link dev.chatrouter.api.ChatRouter.Builder#clock}); use it rather than
     *               the system clock, so tests can move time
     * @param random uniform draws in [0, 1); use it rather than a random generator of the policy's own
     */
    record Context(Clock clock, DoubleSupplier random) {
        /** @throws NullPointerException if either is null */
        public Context {
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(random, "random");
        }
    }

    /**
     * Creates a routing policy when a router is built; found with {@link java.util.ServiceLoader} (list the class in
     * {@code META-INF/services/dev.chatrouter.api.spi.RoutingPolicy$Factory}; it needs a public no-argument
     * constructor) or passed to {@link dev.chatrouter.api.ChatRouter.Builder#routingPolicy}. A factory that cannot
     * be loaded, a name claimed twice (a built-in name included), or a policy whose {@link RoutingPolicy#name()}
     * differs from its factory's stops the router at startup with the factory named.
     */
    interface Factory {

        /** The name a pool's {@code policy:} uses; must equal the created policy's {@link RoutingPolicy#name()}. */
        String name();

        /**
         * Creates the policy, once per router.
         *
         * @throws IllegalArgumentException if the policy cannot be created; it becomes a startup error naming the
         *                                  factory
         */
        RoutingPolicy create(Context context);

        /** A factory that hands out {@code policy} itself, whatever the context; named after the policy. */
        static Factory of(RoutingPolicy policy) {
            Objects.requireNonNull(policy, "policy");
            String name = Objects.requireNonNull(policy.name(), "policy.name()");
            return new Factory() {
                @Override
                public String name() {
                    return name;
                }

                @Override
                public RoutingPolicy create(Context context) {
                    return policy;
                }

                @Override
                public String toString() {
                    return "RoutingPolicy.Factory.of(" + policy.getClass().getName() + ")";
                }
            };
        }

        /**
         * A factory of the given name that creates its policy with {@code create}.
         *
         * @throws NullPointerException if either is null
         */
        static Factory of(String name, Function<Context, RoutingPolicy> create) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(create, "create");
            return new Factory() {
                @Override
                public String name() {
                    return name;
                }

                @Override
                public RoutingPolicy create(Context context) {
                    return create.apply(context);
                }

                @Override
                public String toString() {
                    return "RoutingPolicy.Factory.of(\"" + name + "\", ...)";
                }
            };
        }
    }
}
