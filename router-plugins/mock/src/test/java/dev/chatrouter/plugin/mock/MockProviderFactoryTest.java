package dev.chatrouter.plugin.mock;

import dev.chatrouter.api.spi.ProviderFactory;
import dev.chatrouter.api.spi.ProviderSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ServiceLoader;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class MockProviderFactoryTest {

    @Test
    void serviceLoaderFindsTheFactoryByTypeMock() {
        ProviderFactory factory = ServiceLoader.load(ProviderFactory.class).stream()
                .map(ServiceLoader.Provider::get).filter(f -> f.type().equals("mock")).findFirst().orElseThrow();

        assertThat(factory).isInstanceOf(MockProviderFactory.class);
        assertThat(factory.optionKeys()).containsExactlyInAnyOrder("fail", "fail_first", "latency_ms", "reply");
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource
    void acceptedOptionValues(String key, Object value) {
        assertThat(Fixtures.provider(key, value)).isNotNull();
    }

    static Stream<Arguments> acceptedOptionValues() {
        return Stream.of(arguments("fail", "timeout"), arguments("fail_first", 0), arguments("fail_first", 3L),
                arguments("fail_first", "3"), arguments("fail_first", 2.0), arguments("latency_ms", " 25 "),
                arguments("reply", ""));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource
    void unusableOptionValuesAreRejectedNamingTheOption(String key, Object value, String message) {
        ProviderSpec spec = ProviderSpec.builder("mock", "mock").option(key, value).build();

        assertThatIllegalArgumentException().isThrownBy(() -> new MockProviderFactory().create(spec, Fixtures.CONTEXT))
                .withMessage(message);
    }

    static Stream<Arguments> unusableOptionValuesAreRejectedNamingTheOption() {
        String kinds = "rate_limit, server, timeout, connection, context_length, content_filter, auth, bad_request";
        return Stream.of(
                arguments("fail", "boom", "fail: expected one of " + kinds + " but was 'boom'"),
                arguments("fail", 500, "fail: expected one of " + kinds + " but was 500"),
                arguments("fail", null, "fail: expected one of " + kinds + " but was null"),
                arguments("fail_first", -1, "fail_first: expected a non-negative integer but was -1"),
                arguments("fail_first", "two", "fail_first: expected a non-negative integer but was 'two'"),
                arguments("fail_first", 1.5, "fail_first: expected a non-negative integer but was 1.5"),
                arguments("fail_first", 1L << 40,
                        "fail_first: expected a non-negative integer but was " + (1L << 40)),
                arguments("latency_ms", true, "latency_ms: expected a non-negative integer but was true"),
                arguments("latency_ms", Double.NaN, "latency_ms: expected a non-negative integer but was NaN"),
                arguments("reply", 42, "reply: expected a string but was 42"),
                arguments("replies", "x", "unknown option 'replies': expected one of fail, fail_first, latency_ms, reply"));
    }
}
