package dev.chatrouter.api;

/**
 * A candidate target removed from a pool before ordering, and why.
 *
 * @param target {@code provider-id/model-id}
 * @param reason a short machine-readable reason such as {@code missing_capability:vision}, {@code context_window},
 *               {@code cooling_down}, {@code budget_exhausted} or {@code key_not_allowed}
 */
public record DroppedTarget(String target, String reason) {
}
