package dev.chatrouter.bench;

import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.core.route.RequestShape;
import dev.chatrouter.core.tokens.Encoding;
import dev.chatrouter.core.tokens.Tokens;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/**
 * What a token count costs on the typical 2 KB request (docs/routing.md#token-counting): the decision path's
 * calibrated estimate (the whole request shape: both encodings' estimates, capabilities, the cacheable prefix)
 * against an exact count with jtokkit, in each encoding.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class TokenCountingBenchmark {

    private ChatRequest typical;

    @Setup
    public void setUp() {
        typical = Requests.typical2Kb();
        Tokens.preload();
    }

    /** The estimate the decision path uses. */
    @Benchmark
    public RequestShape estimate() {
        return RequestShape.of(typical);
    }

    /** An exact count with cl100k_base. */
    @Benchmark
    public long exactCl100k() {
        return Tokens.countInput(typical, Encoding.CL100K_BASE);
    }

    /** An exact count with o200k_base. */
    @Benchmark
    public long exactO200k() {
        return Tokens.countInput(typical, Encoding.O200K_BASE);
    }
}
