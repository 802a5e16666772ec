package dev.chatrouter.api.chat;

import java.util.List;

/**
 * {@code stop}: one sequence or a list of them, kept in the form it was sent.
 *
 * @param sequences the stop sequences
 * @param single    true when it was sent as a single string
 */
public record Stop(List<String> sequences, boolean single) {
    public Stop {
        sequences = List.copyOf(sequences);
        if (single && sequences.size() != 1) {
            throw new IllegalArgumentException("a single stop has exactly one sequence");
        }
    }

    public static Stop of(String sequence) {
        return new Stop(List.of(sequence), true);
    }

    public static Stop of(List<String> sequences) {
        return new Stop(sequences, false);
    }
}
