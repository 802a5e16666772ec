package dev.chatrouter.kit.upstream;

import io.vertx.core.http.RequestOptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** The upstream URL's parts, parsed once per URL, are what Vert.x makes of the absolute URL on every call. */
class UpstreamAddressTest {

    @ParameterizedTest
    @ValueSource(strings = {
            "http://127.0.0.1:9999/v1/chat/completions",
            "https://api.openai.com/v1/chat/completions",
            "http://localhost/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
            "https://example.com:8443",
            "http://[::1]:8080/v1/messages"})
    void theCachedPartsAreWhatVertxParses(String url) {
        RequestOptions expected = new RequestOptions().setAbsoluteURI(url);
        UpstreamClient.Address address = UpstreamClient.Address.of(url);
        RequestOptions cached = new RequestOptions().setHost(address.host()).setPort(address.port())
                .setSsl(address.ssl()).setURI(address.uri());
        assertThat(cached.getHost()).isEqualTo(expected.getHost());
        assertThat(cached.getPort()).isEqualTo(expected.getPort());
        assertThat(cached.isSsl()).isEqualTo(expected.isSsl());
        assertThat(cached.getURI()).isEqualTo(expected.getURI());
        assertThat(cached.toJson()).isEqualTo(expected.toJson());
    }
}
