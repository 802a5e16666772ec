package dev.chatrouter.core.route;

import dev.chatrouter.api.DroppedTarget;

import java.util.List;

/**
 * The targets to try for one request, in order, and those dropped before ordering.
 *
 * @param pool       the pool used: a request type's wire name or {@code *}
 * @param policy     the policy that ordered it
 * @param candidates the eligible targets in the order to try them
 * @param dropped    the targets dropped, with reasons
 */
public record Plan(String pool, String policy, List<Target> candidates, List<DroppedTarget> dropped) {
}
