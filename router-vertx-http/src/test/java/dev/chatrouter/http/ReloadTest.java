package dev.chatrouter.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ConfigurationException;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/** {@code POST {base}/router/reload} and the file watch, against a WireMock upstream. */
class ReloadTest {

    static final String ADMIN = "vk-ops-0123456789";
    static final String USER = "vk-user-0123456789";

    static final String SERVER = """
            server:
              keys:
                ops: { key: %s }
                user: { key: %s }
              admin_keys: [ops]
            budgets:
              - { scope: global, window: day, limit_usd: 100 }
            """.formatted(ADMIN, USER);

    @TempDir
    Path dir;
    WireMockServer upstream;
    OperatorServer server;

    @BeforeEach
    void start() {
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
        upstream.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "application/json").withBody(ReadyTest.ANSWER)));
    }

    void serve(String yaml) {
        server = new OperatorServer(dir, yaml, Map.of("WM_PORT", Integer.toString(upstream.port())));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        upstream.stop();
    }

    HttpResponse<String> chat(String model, String key) {
        return Http.post(server.url("/v1/chat/completions"), "{\"model\":\"" + model
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}", "authorization", "Bearer " + key);
    }

    HttpResponse<String> reload(String... headers) {
        return Http.send("POST", server.url("/v1/router/reload"), null, headers);
    }

    HttpResponse<String> reloadAsAdmin() {
        return reload("authorization", "Bearer " + ADMIN);
    }

    List<String> models() {
        List<String> ids = new ArrayList<>();
        Http.json(Http.get(server.url("/v1/models"), "authorization", "Bearer " + USER)).get("data")
                .forEach(m -> ids.add(m.get("id").asText()));
        return ids;
    }

    @Test
    void aFileWithAnErrorIsRefusedWithTheStartupMessageAndTheOldConfigurationKeepsServing() {
        serve(ReadyTest.yaml(SERVER));
        server.write(ReadyTest.yaml(SERVER).replace("targets: [up/m1]", "targets: [up/nope]"));
        Vertx vertx = Vertx.vertx();
        Throwable atStartup = org.assertj.core.api.Assertions.catchThrowable(() -> ChatRouter.builder()
                .configFile(server.file).environment(server.env).service(Vertx.class, vertx).build());
        vertx.close();
        assertThat(atStartup).isInstanceOf(ConfigurationException.class);
        String startupMessage = atStartup.getMessage();

        HttpResponse<String> refused = reloadAsAdmin();

        assertThat(refused.statusCode()).isEqualTo(400);
        JsonNode error = Http.json(refused).get("error");
        assertThat(error.get("code").asText()).isEqualTo("invalid_configuration");
        assertThat(error.get("message").asText()).isEqualTo(startupMessage).contains("up/nope");
        assertThat(chat("solo", USER).statusCode()).as("the old configuration serves on").isEqualTo(200);
        JsonNode state = Http.json(Http.get(server.url("/v1/router/state"), "authorization", "Bearer " + ADMIN));
        assertThat(state.at("/config/generation").asInt()).isEqualTo(1);
        assertThat(state.at("/config/last_reload_error").asText()).isEqualTo(startupMessage);

        server.write(ReadyTest.yaml(SERVER));
        assertThat(reloadAsAdmin().statusCode()).as("fixed").isEqualTo(200);
        state = Http.json(Http.get(server.url("/v1/router/state"), "authorization", "Bearer " + ADMIN));
        assertThat(state.at("/config/generation").asInt()).isEqualTo(2);
        assertThat(state.at("/config/last_reload_error").isNull()).isTrue();
    }

    /** A key naming a route the file lacks, or a budget naming a key it lacks, is refused on reload as at startup. */
    @Test
    void aReloadChecksTheKeysReferencesAsTheStartDoes() {
        serve(ReadyTest.yaml(SERVER));
        for (String broken : List.of(SERVER.replace("user: { key: %s }".formatted(USER),
                        "user: { key: %s, routes: [sollo] }".formatted(USER)),
                SERVER.replace("scope: global", "scope: key:nobody"))) {
            server.write(ReadyTest.yaml(broken));

            HttpResponse<String> refused = reloadAsAdmin();

            assertThat(refused.statusCode()).as(broken).isEqualTo(400);
            assertThat(Http.json(refused).at("/error/code").asText()).isEqualTo("invalid_configuration");
            assertThat(Http.json(refused).at("/error/message").asText()).containsAnyOf("'sollo'", "'nobody'");
        }
        assertThat(chat("solo", USER).statusCode()).as("the old configuration serves on").isEqualTo(200);
    }

    /** Proves a reloaded shutdown_grace is the one a shutdown waits for. */
    @Test
    void aShutdownWaitsTheReloadedGrace() throws Exception {
        serve(ReadyTest.yaml(SERVER.replace("  admin_keys:", "  shutdown_grace: 30s\n  admin_keys:")));
        server.write(ReadyTest.yaml(SERVER.replace("  admin_keys:", "  shutdown_grace: 200ms\n  admin_keys:")));
        assertThat(reloadAsAdmin().statusCode()).isEqualTo(200);
        upstream.stubFor(post(urlEqualTo("/v1/chat/completions")).willReturn(aResponse().withStatus(200)
                .withHeader("content-type", "application/json").withBody(ReadyTest.ANSWER).withFixedDelay(8_000)));
        CompletableFuture<HttpResponse<String>> slow = CompletableFuture.supplyAsync(() -> chat("solo", USER));
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (upstream.findAll(postRequestedFor(urlEqualTo("/v1/chat/completions"))).isEmpty()) {
            assertThat(System.nanoTime()).as("the request reached the upstream").isLessThan(until);
            Thread.sleep(20);
        }

        // the old grace (30 s) would wait for the upstream's answer, 8 s away; the reloaded one does not
        server.server.shutdown().toCompletableFuture().get(4, TimeUnit.SECONDS);

        assertThat(slow.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(503);
    }

    /** The transport is chosen as the server starts: a reload that changes it says so and applies the rest. */
    @Test
    void aChangedTransportIsListedAsNeedingARestart() {
        serve(ReadyTest.yaml(SERVER));
        server.write(ReadyTest.yaml(SERVER.replace("  admin_keys:", "  transport: nio\n  admin_keys:"))
                .replace("routes:\n", "routes:\n  extra:\n    pools: { \"*\": { policy: priority, targets: [up/m2] } }\n"));

        HttpResponse<String> reloaded = reloadAsAdmin();

        assertThat(reloaded.statusCode()).as(reloaded.body()).isEqualTo(200);
        assertThat(Http.json(reloaded).get("restart_required")).extracting(JsonNode::asText)
                .containsExactly("server.transport");
        assertThat(models()).containsExactly("extra", "solo", "di");
    }

    @Test
    void aNewRouteAndANewKeyAppearAfterAReload() {
        serve(ReadyTest.yaml(SERVER));
        assertThat(models()).containsExactly("solo", "di");
        assertThat(chat("extra", USER).statusCode()).isEqualTo(404);
        server.write(ReadyTest.yaml(SERVER.replace("  admin_keys:", "    late: { key: vk-late-0123456789 }\n  admin_keys:"))
                .replace("routes:\n", "routes:\n  extra:\n    pools: { \"*\": { policy: priority, targets: [up/m2] } }\n"));

        HttpResponse<String> reloaded = reloadAsAdmin();

        assertThat(reloaded.statusCode()).as(reloaded.body()).isEqualTo(200);
        JsonNode body = Http.json(reloaded);
        assertThat(body.get("status").asText()).isEqualTo("reloaded");
        assertThat(body.get("routes")).extracting(JsonNode::asText).containsExactly("extra", "solo", "di");
        assertThat(body.get("restart_required")).isEmpty();
        assertThat(models()).containsExactly("extra", "solo", "di");
        assertThat(chat("extra", USER).statusCode()).isEqualTo(200);
        assertThat(chat("extra", "vk-late-0123456789").statusCode()).as("keys reload too").isEqualTo(200);
    }

    @Test
    void spendCarriesOverAReload() {
        serve(ReadyTest.yaml(SERVER));
        assertThat(chat("solo", USER).statusCode()).isEqualTo(200);
        assertThat(chat("di", USER).statusCode()).isEqualTo(200);
        JsonNode before = Http.json(Http.get(server.url("/v1/router/spend"), "authorization", "Bearer " + ADMIN));
        assertThat(before.at("/data/0/spent_usd").asDouble()).isPositive();

        server.write(ReadyTest.yaml(SERVER).replace("limit_usd: 100", "limit_usd: 100, soft_limit_usd: 50"));
        assertThat(reloadAsAdmin().statusCode()).isEqualTo(200);

        JsonNode after = Http.json(Http.get(server.url("/v1/router/spend"), "authorization", "Bearer " + ADMIN));
        assertThat(after.at("/data/0/spent_usd")).isEqualTo(before.at("/data/0/spent_usd"));
        assertThat(after.at("/data/0/spent_tokens")).isEqualTo(before.at("/data/0/spent_tokens"));
        assertThat(after.at("/data/0/soft_limit_usd").asDouble()).as("the new limits apply").isEqualTo(50.0);
    }

    @Test
    void aReloadDuringAStreamLetsTheStreamFinishOnTheConfigurationItStartedWith() throws Exception {
        serve(ReadyTest.yaml(SERVER));
        upstream.stubFor(post(urlEqualTo("/v1/chat/completions")).withRequestBody(containing("\"stream\":true"))
                .willReturn(aResponse().withStatus(200).withHeader("content-type", "text/event-stream")
                        .withBody(TestServer.fixture("sse/di-stream-haiku.sse"))
                        .withChunkedDribbleDelay(12, 2400)));
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(server.url("/v1/chat/completions")))
                .timeout(Duration.ofSeconds(20)).header("authorization", "Bearer " + USER)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"solo\",\"stream\":true,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"a haiku\"}]}")).build();
        CompletableFuture<HttpResponse<InputStream>> pending = client.sendAsync(request,
                HttpResponse.BodyHandlers.ofInputStream());
        HttpResponse<InputStream> response = pending.get(10, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
        StringBuilder received = new StringBuilder(reader.readLine()).append('\n');
        assertThat(received.toString()).startsWith("data: {");

        // the route the stream is on goes away
        server.write(ReadyTest.yaml(SERVER).replace("  solo:\n    pools: { \"*\": { policy: priority, targets: [up/m1] } }\n"
                + "    fallback: { max_attempts: 1, retries_per_target: 0 }\n", ""));
        HttpResponse<String> reloaded = reloadAsAdmin();
        assertThat(reloaded.statusCode()).as(reloaded.body()).isEqualTo(200);
        assertThat(chat("solo", USER).statusCode()).as("new requests see the new configuration").isEqualTo(404);
        assertThat(received.toString()).as("the reload came before the stream ended").doesNotContain("[DONE]");
        assertThat(oldRouterAnswers()).as("the replaced router stays open while its stream runs").isTrue();

        String line;
        while ((line = reader.readLine()) != null) {
            received.append(line).append('\n');
        }
        assertThat(received.toString()).contains("Packets").endsWith("data: [DONE]\n\n");
        assertThat(received.toString()).doesNotContain("\"error\"");
        upstream.verify(1, postRequestedFor(urlEqualTo("/v1/chat/completions"))
                .withRequestBody(containing("\"stream\":true")));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (oldRouterAnswers() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(oldRouterAnswers()).as("closed once its last request finished").isFalse();
    }

    /** Whether the router the server started with still takes requests (false once closed). */
    boolean oldRouterAnswers() {
        try {
            server.router.chat(dev.chatrouter.api.chat.ChatRequest.builder().model("di")
                    .addMessage(dev.chatrouter.api.chat.Message.user("ping")).build())
                    .toCompletableFuture().get(5, TimeUnit.SECONDS);
            return true;
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof dev.chatrouter.api.ChatRouterException cre
                    && cre.code() == dev.chatrouter.api.ErrorCode.ROUTER_CLOSED) {
                return false;
            }
            throw new AssertionError(e);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void reloadAndStateAreForAdminKeysOnly() {
        serve(ReadyTest.yaml(SERVER));
        HttpResponse<String> anonymous = reload();
        assertThat(anonymous.statusCode()).isEqualTo(401);
        HttpResponse<String> user = reload("authorization", "Bearer " + USER);
        assertThat(user.statusCode()).isEqualTo(403);
        assertThat(Http.json(user).at("/error/code").asText()).isEqualTo("admin_required");
        assertThat(Http.get(server.url("/v1/router/state"), "authorization", "Bearer " + USER).statusCode())
                .isEqualTo(403);
        assertThat(Http.get(server.url("/di/v1/router/ui"), "authorization", "Bearer " + USER).statusCode())
                .isEqualTo(403);
        assertThat(Http.get(server.url("/v1/router/reload"), "authorization", "Bearer " + ADMIN).statusCode())
                .isEqualTo(405);
        assertThat(reloadAsAdmin().statusCode()).isEqualTo(200);
    }

    @Test
    void anAdminKeyThatIsNotAVirtualKeyIsAConfigurationError() {
        serve(ReadyTest.yaml(SERVER));
        server.write(ReadyTest.yaml(SERVER.replace("admin_keys: [ops]", "admin_keys: [ops, nobody]")));
        HttpResponse<String> refused = reloadAsAdmin();
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(Http.json(refused).at("/error/message").asText())
                .contains("server.admin_keys").contains("no virtual key 'nobody'");
    }

    @Test
    void theWatchReloadsAChangedFileAndRefusesABrokenOne() throws Exception {
        serve(ReadyTest.yaml(SERVER.replace("  admin_keys: [ops]\n", "  admin_keys: [ops]\n  reload: { watch: true, interval: 100ms }\n")));
        String base = ReadyTest.yaml(SERVER.replace("  admin_keys: [ops]\n", "  admin_keys: [ops]\n  reload: { watch: true, interval: 100ms }\n"));
        server.write(base.replace("providers:", "providers:\n  broken: { type: nope }"));
        awaitState(s -> s.at("/config/last_reload_error").asText().contains("broken"), "the broken file refused");
        assertThat(chat("solo", USER).statusCode()).isEqualTo(200);

        server.write(base.replace("routes:\n", "routes:\n  extra:\n    pools: { \"*\": { policy: priority, targets: [up/m2] } }\n"));
        awaitState(s -> s.at("/config/generation").asInt() == 2, "the fixed file loaded");
        assertThat(models()).contains("extra");
        assertThat(server.server.reload().toCompletableFuture().get(10, TimeUnit.SECONDS)).isEmpty();
    }

    @Test
    void aServerWithoutAFileHasNothingToReload() throws Exception {
        serve(ReadyTest.yaml(SERVER));
        try (TestServer plain = TestServer.start(dir, ReadyTest.yaml(""),
                Map.of("WM_PORT", Integer.toString(upstream.port())))) {
            HttpResponse<String> response = Http.send("POST", plain.baseUrl() + "/v1/router/reload", null);
            assertThat(response.statusCode()).isEqualTo(409);
            assertThat(Http.json(response).at("/error/code").asText()).isEqualTo("reload_unavailable");
            assertThatThrownBy(() -> plain.server.reload().toCompletableFuture().get(5, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(IllegalStateException.class);
        }
    }

    void awaitState(java.util.function.Predicate<JsonNode> condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        JsonNode state = null;
        while (System.nanoTime() < deadline) {
            state = Http.json(Http.get(server.url("/v1/router/state"), "authorization", "Bearer " + ADMIN));
            if (condition.test(state)) {
                return;
            }
            Thread.sleep(50);
        }
        fail("waited 10 s for " + what + "; last state: " + state);
    }
}
