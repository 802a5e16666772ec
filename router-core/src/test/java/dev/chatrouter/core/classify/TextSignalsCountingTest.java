package dev.chatrouter.core.classify;

import dev.chatrouter.core.tokens.Encoding;
import dev.chatrouter.core.tokens.TokenEstimate;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The one-pass reading of an instruction text ({@link TextSignals#scanCounting}) must find exactly the signals of
 * {@link TextSignals#scan} and count exactly the tokens of {@link TokenEstimate#add}: over texts that exercise every
 * signal and every place where the signal scan jumps (indentation, the rest of a path, the end once all is found),
 * and over random texts built from the same pieces.
 */
class TextSignalsCountingTest {

    private static final int ALL = TextSignals.CODE | TextSignals.JSON | TextSignals.REASON | TextSignals.SIMPLE;
    private static final int[] WANTED = {
        TextSignals.CODE | TextSignals.JSON | TextSignals.REASON, TextSignals.SIMPLE, TextSignals.CODE,
        TextSignals.JSON | TextSignals.REASON, TextSignals.REASON, ALL,
    };

    private static final List<String> PIECES = List.of(
            "```java\n", "```", "~~~\n", "diff --git a/x b/x\n", "--- a/App.java\n", "+++ b/App.java\n",
            "@@ -1,2 +1,3 @@\n", "@@ -1 +1 @@", "Traceback (most recent call last)", "Exception in thread \"main\" ",
            "    at com.example.Foo.bar(Foo.java:12)\n", "  File \"app.py\", line 3\n", "panic: ", "goroutine 1 [",
            "ValueError: bad\n", "java.lang.IllegalStateException: no\n", "src/main/App.java", "see src/App.java). ",
            "a/b-).", "http://example.com/a/b.py", "/abs/path.py", "x//y.py", "lib/util.tar", "12/3", "4 + 5",
            "7 × 8", "\\frac{1}{2}", "\\int", "\\sumx", "(a) ", "b) ", "1. ", "(2) ", "3)", "extract", "parse",
            "the", "names", "as", "valid", "JSON", "json", "object", "format", "output", "only", "in", "an",
            "step", "by", "show", "that", "think", "it", "through", "reason", "out", "chain", "of", "thought",
            "prove", "derivation", "solve", "for", "integral", "summarize", "tl", "dr", "tldr", "fix", "grammar",
            "translate", "label", "antidisestablishmentarianism", "x1y2_z", "Hello", "WORLD", " ", "  ", "\t", "\n",
            "\n\n", "\r\n", "    ", ".", "?", "!", ",", ";", "...", "--", "_", "$", "<>", "é", "naïve", "Привет",
            "日本語", "かな", "한국어", "、", "。", "！", "😀", "𝔸", "0", "42", "2024-01-01", "v1.2.3");

    @Test
    void findsTheSameSignalsAndCountsTheSameTokensAsTheTwoPasses() {
        List<String> texts = new ArrayList<>(List.of("", "a", "\n", "/", "1", "json", "  indented\n\tline",
                "Please extract the names as JSON.\n(a) 1 + 2 = 3\n(b) 4 * 5\n",
                "Look at src/main/App.java and fix it.", "```\ncode\n```\nthen summarize.", "x".repeat(13),
                "word ".repeat(4_000).substring(0, TokenEstimate.SAMPLE_CHARS)));
        Random random = new Random(20261204);
        for (int n = 0; n < 3_000; n++) {
            StringBuilder text = new StringBuilder();
            int pieces = 1 + random.nextInt(60);
            for (int p = 0; p < pieces; p++) {
                text.append(PIECES.get(random.nextInt(PIECES.size())));
                if (random.nextInt(3) > 0) {
                    text.append(' ');
                }
            }
            texts.add(text.toString());
        }
        int found = 0;
        for (String text : texts) {
            for (int wanted : WANTED) {
                TokenEstimate counted = new TokenEstimate();
                int fused = TextSignals.scanCounting(text, wanted, counted);

                assertThat(fused).as("signals %s of %s", wanted, text).isEqualTo(TextSignals.scan(text, wanted));
                for (Encoding encoding : Encoding.values()) {
                    assertThat(counted.tokens(encoding)).as("%s tokens of %s", encoding, text)
                            .isEqualTo(TokenEstimate.of(text, encoding));
                }
                found |= fused;
            }
        }
        // the random texts reach every signal, so the comparison covered each
        assertThat(found & ALL).isEqualTo(ALL);
    }

    /**
     * A system prompt's reading is kept once and answers for any of the signals a system text gives: what a second
     * request with an equal prompt gets from it (for any signals wanted, added to a tally already holding other texts)
     * must be what reading the text again gives.
     */
    @Test
    void aKeptReadingAnswersAsReadingTheTextAgain() {
        int[] wantedSets = new int[8];
        for (int w = 0; w < 8; w++) {
            wantedSets[w] = (w & 1) * TextSignals.CODE | (w & 2) / 2 * TextSignals.JSON
                    | (w & 4) / 4 * TextSignals.REASON;
        }
        PromptReadings readings = new PromptReadings();
        Random random = new Random(20261207);
        int found = 0;
        int kept = 0;
        for (int n = 0; n < 1_500; n++) {
            StringBuilder text = new StringBuilder();
            int length = PromptReadings.MIN_CHARS - 40 + random.nextInt(900);
            while (text.length() < length) {
                text.append(PIECES.get(random.nextInt(PIECES.size())));
                if (random.nextInt(3) > 0) {
                    text.append(' ');
                }
            }
            String prompt = text.toString();
            String before = PIECES.get(random.nextInt(PIECES.size()));
            for (int wanted : wantedSets) {
                // an equal text parsed from another request: another object
                String equal = new String(prompt.toCharArray());
                TokenEstimate fromReading = new TokenEstimate().add(before);
                TokenEstimate reread = new TokenEstimate().add(before);

                int signals = readings.scanCounting(equal, wanted, fromReading);

                assertThat(signals).as("signals %s of %s", wanted, prompt)
                        .isEqualTo(TextSignals.scanCounting(prompt, wanted, reread) & wanted);
                for (Encoding encoding : Encoding.values()) {
                    assertThat(fromReading.tokens(encoding)).as("%s tokens of %s", encoding, prompt)
                            .isEqualTo(reread.tokens(encoding));
                }
                found |= signals;
            }
            kept += readings.holds(prompt) ? 1 : 0;
        }
        assertThat(found).isEqualTo(PromptReadings.SIGNALS);
        // every text of at least MIN_CHARS is kept after its first reading
        assertThat(kept).isGreaterThan(1_300);
    }

    @Test
    void aSystemPromptReadingKeepsOnlyTextsWorthKeeping() {
        PromptReadings readings = new PromptReadings();
        String small = "x".repeat(PromptReadings.MIN_CHARS - 1);
        String kept = "word ".repeat(PromptReadings.MIN_CHARS / 5 + 1);
        String sampled = "word ".repeat(TokenEstimate.SAMPLE_CHARS / 5 + 1);
        String tooLong = "word ".repeat(PromptReadings.MAX_TEXT_CHARS / 5 + 1);

        for (String text : List.of(small, kept, sampled, tooLong)) {
            readings.scanCounting(text, TextSignals.CODE, new TokenEstimate());
        }

        assertThat(readings.holds(small)).isFalse();
        assertThat(readings.holds(kept)).isTrue();
        assertThat(readings.holds(sampled)).isTrue();
        assertThat(readings.holds(tooLong)).isFalse();
        assertThatThrownBy(() -> readings.scanCounting(kept, TextSignals.SIMPLE, new TokenEstimate()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no signal 8");
    }

    /**
     * A prompt text too long to be read whole is kept as its sampled windows' counts: sent again, it is estimated as
     * reading it again estimates it, and its signals are still left to the classifier.
     */
    @Test
    void aLongSystemPromptIsKeptAsItsSampledEstimate() {
        PromptReadings readings = new PromptReadings();
        String prompt = ("You are a coding agent. Run `mvn test` before you commit.\n"
                + "Never print secrets; quote the file and line you change. ").repeat(300);
        assertThat(prompt.length()).isBetween(TokenEstimate.SAMPLE_CHARS + 1, PromptReadings.MAX_TEXT_CHARS);

        for (int round = 0; round < 2; round++) {
            TokenEstimate tally = new TokenEstimate().add("before");
            int signals = readings.scanCounting(new String(prompt.toCharArray()), TextSignals.CODE, tally);

            assertThat(signals).as("round %s", round).isEqualTo(-1);
            for (Encoding encoding : Encoding.values()) {
                assertThat(tally.tokens(encoding)).as("%s, round %s", encoding, round)
                        .isEqualTo(new TokenEstimate().add("before").add(prompt).tokens(encoding));
            }
        }
        assertThat(readings.holds(prompt)).isTrue();
    }

    @Test
    void aTallyAccumulatesTextsReadEitherWay() {
        String first = "Summarize the thread below.\n";
        String second = "```\nprint('x')\n```";
        TokenEstimate both = new TokenEstimate();
        TextSignals.scanCounting(first, TextSignals.SIMPLE, both);
        both.add(second);

        assertThat(both.tokens(Encoding.CL100K_BASE))
                .isEqualTo(new TokenEstimate().add(first).add(second).tokens(Encoding.CL100K_BASE));
    }

    @Test
    void refusesATextTheEstimateWouldSample() {
        String text = "a".repeat(TokenEstimate.SAMPLE_CHARS + 1);

        assertThatThrownBy(() -> TextSignals.scanCounting(text, TextSignals.CODE, new TokenEstimate()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("16385 characters");
    }
}
