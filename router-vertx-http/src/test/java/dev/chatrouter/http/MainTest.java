package dev.chatrouter.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import dev.chatrouter.api.ConfigurationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The command line: argument parsing, the three ways to get a configuration, overrides, and what it logs. */
class MainTest {

    @Nested
    class Parsing {

        /** Every option is read, in any order. */
        @Test
        void readsEveryOption() {
            Main.Options options = Main.parse(new String[] {"--port", "0", "--config", "my.yaml", "--host", "0.0.0.0"});

            assertThat(options).isEqualTo(new Main.Options(Path.of("my.yaml"), "0.0.0.0", 0));
            assertThat(Main.parse(new String[0])).isEqualTo(new Main.Options(null, null, null));
            assertThat(Main.parse(new String[] {"--help"})).isNull();
        }

        /** --version asks for the version and nothing else; --help lists it; the version is Maven's. */
        @Test
        void versionIsAnOption() {
            assertThat(Main.parse(new String[] {"--version"})).isEqualTo(new Main.Options(null, null, null, true));
            assertThat(Main.parse(new String[0]).version()).isFalse();
            assertThat(Main.USAGE).contains("--version").contains("--help");
            assertThat(Main.version()).matches("\\d+\\.\\d+\\.\\d+.*");
        }

        /** Each mistake is reported with what was wrong. */
        @Test
        void reportsMistakes() {
            assertThat(error("--port", "eighty")).contains("--port").contains("'eighty'");
            assertThat(error("--port", "65536")).contains("0 to 65535");
            assertThat(error("--port", "-1")).contains("0 to 65535");
            assertThat(error("--config")).isEqualTo("--config needs a value");
            assertThat(error("--host")).isEqualTo("--host needs a value");
            assertThat(error("--verbose")).isEqualTo("unknown argument '--verbose'");
        }

        private String error(String... args) {
            return catchThrowableOfType(IllegalArgumentException.class, () -> Main.parse(args)).getMessage();
        }
    }

    @Nested
    class Starting {

        @TempDir
        Path dir;
        final LogCapture log = new LogCapture("chatrouter");
        Main.Running running;

        @BeforeEach
        void captureLog() {
            log.start();
        }

        @AfterEach
        void stop() {
            log.stop();
            if (running != null) {
                running.stop();
            }
        }

        private String logText() {
            return String.join("\n", log.lines());
        }

        private String url(String path) {
            return "http://127.0.0.1:" + running.server().port() + path;
        }

        /** With no configuration and no provider key, the mock provider answers a first chat. */
        @Test
        void noConfigurationAndNoKeysUsesTheMockProvider() {
            running = Main.start(new Main.Options(null, null, 0), Map.of(), dir);

            HttpResponse<String> response = Http.post(url("/v1/chat/completions"),
                    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello there\"}]}");

            assertThat(response.statusCode()).isEqualTo(200);
            JsonNode body = Http.json(response);
            assertThat(body.path("model").asText()).isEqualTo("gpt-4o-mini");
            assertThat(body.at("/choices/0/message/content").asText()).isEqualTo("Mock reply to: Hello there");
            assertThat(response.headers().firstValue("x-di-provider")).hasValue("mock");
            assertThat(logText()).contains("mock").contains("provider mock (mock)")
                    .contains("routes: [default]")
                    .contains("listening on http://127.0.0.1:" + running.server().port())
                    .contains("no virtual keys configured");
        }

        /**
         * In the default mode GET /models/{id} answers for every id the catch-all route serves, echoing it, while
         * GET /models lists only the route intents.
         */
        @Test
        void defaultModeDescribesEveryModelItServes() {
            running = Main.start(new Main.Options(null, null, 0), Map.of(), dir);

            HttpResponse<String> one = Http.get(url("/v1/models/gpt-4o-mini"));
            assertThat(one.statusCode()).isEqualTo(200);
            assertThat(Http.json(one).path("id").asText()).isEqualTo("gpt-4o-mini");
            assertThat(Http.json(one).path("object").asText()).isEqualTo("model");
            assertThat(Http.json(one).path("owned_by").asText()).isEqualTo("chatrouter");
            List<String> listed = new ArrayList<>();
            Http.json(Http.get(url("/v1/models"))).path("data").forEach(m -> listed.add(m.path("id").asText()));
            assertThat(listed).contains("default").doesNotContain("*");
        }

        /** Provider keys in the environment give their providers, and the log names them without the keys. */
        @Test
        void environmentKeysGiveProvidersAndStayOutOfTheLog() {
            String openai = "sk-proj-environment-secret-1234";
            String groq = "gsk_environment_secret_5678";
            running = Main.start(new Main.Options(null, null, 0),
                    Map.of("OPENAI_API_KEY", openai, "GROQ_API_KEY", groq), dir);

            assertThat(logText()).contains("provider openai (openai)").contains("provider groq (openai)")
                    .doesNotContain(openai).doesNotContain(groq).doesNotContain("provider mock");
        }

        /** chatrouter.yaml in the working directory is used; the log names it, its providers, routes and keys. */
        @Test
        void configurationInTheWorkingDirectoryIsUsed() throws Exception {
            String providerSecret = "sk-file-provider-secret-9999";
            String virtualKey = "vk-file-virtual-key-0000";
            Files.writeString(dir.resolve("chatrouter.yaml"), """
                    providers:
                      local:
                        type: mock
                        api_key: ${PROVIDER_SECRET}
                        reply: "from the yaml file"
                        models:
                          echo: { capabilities: [streaming] }
                    routes:
                      yaml-route:
                        pools:
                          "*": { targets: [local/echo] }
                    server:
                      port: 0
                      keys:
                        ops: { key: "${OPS_KEY}" }
                    """);

            running = Main.start(new Main.Options(null, null, null),
                    Map.of("PROVIDER_SECRET", providerSecret, "OPS_KEY", virtualKey), dir);

            HttpResponse<String> response = Http.post(url("/v1/chat/completions"),
                    "{\"model\":\"yaml-route\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                    "authorization", "Bearer " + virtualKey);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(Http.json(response).at("/choices/0/message/content").asText()).isEqualTo("from the yaml file");
            assertThat(Http.post(url("/v1/chat/completions"), "{}").statusCode()).isEqualTo(401);
            assertThat(logText()).contains("chatrouter.yaml").contains("provider local (mock)")
                    .contains("routes: [yaml-route]").contains("virtual keys: [ops]")
                    .contains("listening on http://127.0.0.1:" + running.server().port())
                    .doesNotContain(providerSecret).doesNotContain(virtualKey);
        }

        /**
         * {@code server.transport} names the event loops' transport: the server answers on it, its calls to an
         * upstream (a WireMock server speaking the Chat Completions format) go over it, and the start-up line says
         * which it is. io_uring needs Linux 5.x and a seccomp profile that lets its calls through.
         */
        @ParameterizedTest
        @ValueSource(strings = {"io_uring", "epoll", "nio"})
        void theConfiguredTransportServesAndIsNamedAtStart(String transport) throws Exception {
            assumeTrue(!transport.equals("io_uring") || io.vertx.core.transport.Transport.IO_URING.available(),
                    "io_uring is not available on this machine");
            WireMockServer upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
            upstream.start();
            try {
                upstream.stubFor(WireMock.post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse()
                        .withHeader("content-type", "application/json").withBody("""
                                {"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini",
                                 "choices":[{"index":0,"message":{"role":"assistant","content":"over the wire"},
                                 "finish_reason":"stop"}],
                                 "usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}""")));
                Path file = dir.resolve("transport.yaml");
                Files.writeString(file, """
                        providers:
                          up:
                            type: openai
                            base_url: http://127.0.0.1:%d/v1
                            api_key: sk-test
                            models: { gpt-4o-mini: { price: { input: 0.15, output: 0.60 } } }
                        routes:
                          di: { pools: { "*": { targets: [up/gpt-4o-mini] } } }
                        server: { port: 0, transport: %s }
                        """.formatted(upstream.port(), transport));

                running = Main.start(new Main.Options(file, null, null), Map.of(), dir);

                for (int i = 0; i < 3; i++) {
                    HttpResponse<String> response = Http.post(url("/v1/chat/completions"),
                            "{\"model\":\"di\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
                    assertThat(response.statusCode()).isEqualTo(200);
                    assertThat(Http.json(response).at("/choices/0/message/content").asText())
                            .isEqualTo("over the wire");
                }
                assertThat(logText()).contains("listening on http://127.0.0.1:" + running.server().port())
                        .contains(switch (transport) {
                            case "io_uring" -> "on Linux's io_uring transport";
                            case "epoll" -> "on Linux's epoll transport";
                            default -> "on Java NIO";
                        });
            } finally {
                upstream.stop();
            }
        }

        /** An unknown transport stops the start with the file, the path and the names it takes. */
        @Test
        void anUnknownTransportIsReported() throws Exception {
            Path file = dir.resolve("transport.yaml");
            Files.writeString(file, """
                    providers:
                      mock: { type: mock, models: { m: {} } }
                    routes:
                      di: { pools: { "*": { targets: [mock/m] } } }
                    server: { port: 0, transport: uring }
                    """);

            ConfigurationException e = catchThrowableOfType(ConfigurationException.class,
                    () -> running = Main.start(new Main.Options(file, null, 0), Map.of(), dir));

            assertThat(e.getMessage()).contains("transport.yaml").contains("server.transport")
                    .contains("expected auto, epoll, io_uring or nio but was 'uring'");
        }

        /** --host and --port override the file's server section. */
        @Test
        void hostAndPortOverrideTheFile() throws Exception {
            Path file = dir.resolve("custom.yaml");
            Files.writeString(file, """
                    providers:
                      mock: { type: mock, models: { m: {} } }
                    routes:
                      di: { pools: { "*": { targets: [mock/m] } } }
                    server: { host: 192.0.2.1, port: 1 }
                    """);

            running = Main.start(new Main.Options(file, "127.0.0.1", 0), Map.of(), dir);

            assertThat(running.server().settings().host()).isEqualTo("127.0.0.1");
            assertThat(running.server().port()).isNotIn(0, 1);
            assertThat(Http.get(url("/health")).statusCode()).isEqualTo(200);
            assertThat(logText()).contains("listening on http://127.0.0.1:" + running.server().port());
        }

        /** A port another socket holds stops the start with the host and port in the message. */
        @Test
        void portInUseNamesHostAndPort() throws Exception {
            try (ServerSocket held = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                int port = held.getLocalPort();

                UncheckedIOException e = catchThrowableOfType(UncheckedIOException.class,
                        () -> running = Main.start(new Main.Options(null, "127.0.0.1", port), Map.of(), dir));

                assertThat(e).hasMessage("cannot listen on 127.0.0.1:" + port + ": address already in use");
            }
        }

        /** A configuration file with a mistake stops the start with an error naming the file and the path. */
        @Test
        void badConfigurationIsReported() throws Exception {
            Path file = dir.resolve("broken.yaml");
            Files.writeString(file, """
                    providers:
                      mock: { type: mock, models: { m: {} } }
                    routes:
                      di: { pools: { "*": { targets: [mock/nope] } } }
                    """);

            ConfigurationException e = catchThrowableOfType(ConfigurationException.class,
                    () -> running = Main.start(new Main.Options(file, null, 0), Map.of(), dir));

            assertThat(e.getMessage()).contains("broken.yaml").contains("routes.di");
        }

        /** A virtual key's routes must name routes of the file: the error names the file and the path. */
        @Test
        void aKeyNamingNoRouteIsReported() throws Exception {
            Path file = dir.resolve("keys.yaml");
            Files.writeString(file, """
                    providers:
                      mock: { type: mock, models: { m: {} } }
                    routes:
                      di: { pools: { "*": { targets: [mock/m] } } }
                    server:
                      keys:
                        team-a: { key: "a-secret" }
                        team-b: { key: "b-secret", routes: [dii] }
                    """);

            ConfigurationException e = catchThrowableOfType(ConfigurationException.class,
                    () -> running = Main.start(new Main.Options(file, null, 0), Map.of(), dir));

            assertThat(e.getMessage()).contains("keys.yaml").contains("server.keys.team-b.routes[0]")
                    .contains("names route 'dii', which is not defined; defined routes: di");
        }

        /** With server keys configured, a key:NAME budget must name one of them; key:* is always fine. */
        @Test
        void aBudgetNamingNoKeyIsReported() throws Exception {
            Path file = dir.resolve("budgets.yaml");
            Files.writeString(file, """
                    providers:
                      mock: { type: mock, models: { m: {} } }
                    routes:
                      di: { pools: { "*": { targets: [mock/m] } } }
                    budgets:
                      - { scope: "key:*", window: day, limit_usd: 5 }
                      - { scope: "key:team-c", window: day, limit_usd: 5 }
                    server:
                      keys:
                        team-a: { key: "a-secret" }
                    """);

            ConfigurationException e = catchThrowableOfType(ConfigurationException.class,
                    () -> running = Main.start(new Main.Options(file, null, 0), Map.of(), dir));

            assertThat(e.getMessage()).contains("budgets.yaml").contains("budgets[1].scope")
                    .contains("names key 'team-c', which is not in server.keys; defined keys: team-a");
        }

        /** Without server keys (key names come from elsewhere), a key:NAME budget is not checked. */
        @Test
        void withoutKeysAKeyBudgetIsNotChecked() throws Exception {
            Path file = dir.resolve("open.yaml");
            Files.writeString(file, """
                    providers:
                      mock: { type: mock, models: { m: {} } }
                    routes:
                      di: { pools: { "*": { targets: [mock/m] } } }
                    budgets:
                      - { scope: "key:team-c", window: day, limit_usd: 5 }
                    """);

            running = Main.start(new Main.Options(file, null, 0), Map.of(), dir);

            assertThat(Http.get(url("/health")).statusCode()).isEqualTo(200);
        }
    }
}
