package dev.chatrouter.core.route;

import dev.chatrouter.api.DroppedTarget;

import java.util.ArrayList;
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

    /** This plan with the given target moved to the front, when it is a candidate (else this plan). */
    public Plan preferring(String targetId) {
        if (targetId == null || candidates.isEmpty() || candidates.get(0).id().equals(targetId)) {
            return this;
        }
        for (int i = 1; i < candidates.size(); i++) {
            if (candidates.get(i).id().equals(targetId)) {
                List<Target> reordered = new ArrayList<>(candidates);
                reordered.add(0, reordered.remove(i));
                return new Plan(pool, policy, reordered, dropped);
            }
        }
        return this;
    }

    /** The candidates' ids, in order (an immutable list). */
    public List<String> candidateIds() {
        int n = candidates.size();
        if (n == 0) {
            return List.of();
        }
        if (n == 1) {
            return List.of(candidates.get(0).id());
        }
        if (n == 2) {
            return List.of(candidates.get(0).id(), candidates.get(1).id());
        }
        String[] ids = new String[n];
        for (int i = 0; i < n; i++) {
            ids[i] = candidates.get(i).id();
        }
        return List.of(ids);
    }
}
