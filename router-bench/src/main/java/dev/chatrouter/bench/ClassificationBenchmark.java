package dev.chatrouter.bench;

import dev.chatrouter.api.RequestType;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.config.ClassificationConfig;
import dev.chatrouter.api.spi.RequestClassifier;
import dev.chatrouter.core.classify.EffortResolver;
import dev.chatrouter.core.classify.RuleClassifier;
import dev.chatrouter.core.route.RequestShape;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Classification as the router does it: resolve the effort, estimate the size, run the rules. For a typical 2 KB
 * request, and for a 100 KB against a 10 MB prompt (docs/routing.md#classification: text signals read bounded windows, so the two should
 * cost about the same).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class ClassificationBenchmark {

    private final RuleClassifier defaults = new RuleClassifier(ClassificationConfig.DEFAULTS);
    private ChatRequest typical;

    @Setup
    public void setUp() {
        typical = Requests.typical2Kb();
    }

    /** A large single-message prompt, under the default rules or with the {@code long} rule disabled. */
    @State(Scope.Benchmark)
    public static class LargePrompt {
        /** The prompt's size. */
        @Param({"100KB", "10MB"})
        public String size;

        /**
         * {@code default}: a 10 MB prompt is decided by rule 3 ({@code long}) before any text rule runs;
         * {@code long-disabled}: every text rule reads the prompt's windows, the like-for-like comparison.
         */
        @Param({"default", "long-disabled"})
        public String rules;

        RuleClassifier classifier;
        ChatRequest request;

        @Setup
        public void setUp() {
            int chars = size.equals("10MB") ? 10 * 1024 * 1024 : 100 * 1024;
            request = Requests.prompt(chars);
            classifier = new RuleClassifier(rules.equals("default") ? ClassificationConfig.DEFAULTS
                    : new ClassificationConfig(100_000, List.of("document", "vision", "tools", "code", "json",
                    "reason", "simple", "base")));
        }
    }

    @Benchmark
    public RequestClassifier.Classification typical2Kb() {
        return classify(defaults, typical);
    }

    @Benchmark
    public RequestClassifier.Classification largePrompt(LargePrompt prompt) {
        return classify(prompt.classifier, prompt.request);
    }

    private static RequestClassifier.Classification classify(RuleClassifier classifier, ChatRequest request) {
        EffortResolver.Resolved effort = EffortResolver.resolve(request.model(), null, request);
        // as the router does it: the shape's pass over the texts also finds the signals the rules read
        RequestShape shape = RequestShape.of(request, classifier.instructionSignalsWanted());
        return classifier.classify(request, new RequestClassifier.Input(RequestType.PRO, effort.effort(),
                shape.estimatedInputTokens()), shape.instructionSignals());
    }
}
