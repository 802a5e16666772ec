package dev.chatrouter.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/** The dashboard's page, its sign-in and {@code GET {base}/router/state}, over HTTP. */
class DashboardTest {

    static final String ADMIN = "vk-ops-0123456789";
    static final String USER = "vk-user-0123456789";
    static final String PROVIDER_KEY = "sk-upstream-secret-ready";

    WireMockServer upstream;
    OperatorServer server;

    @BeforeEach
    void start(@TempDir Path dir) {
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
        upstream.stubFor(post(urlEqualTo("/v1/chat/completions")).withRequestBody(containing("up-model-1"))
                .willReturn(aResponse().withStatus(500).withBody("{\"error\":{\"message\":\"bad key "
                        + PROVIDER_KEY + "\"}}")));
        upstream.stubFor(post(urlEqualTo("/v1/chat/completions")).withRequestBody(containing("up-model-2"))
                .willReturn(aResponse().withStatus(200).withHeader("content-type", "application/json")
                        .withBody(ReadyTest.ANSWER)));
        server = new OperatorServer(dir, ReadyTest.yaml("""
                budgets:
                  - { scope: global, window: day, limit_usd: 100, soft_limit_usd: 50 }
                server:
                  keys:
                    ops: { key: %s }
                    user: { key: %s }
                  admin_keys: [ops]
                """.formatted(ADMIN, USER)), Map.of("WM_PORT", Integer.toString(upstream.port())));
    }

    @AfterEach
    void stop() {
        server.close();
        upstream.stop();
    }

    int sent;

    /** A chat with a prompt of its own, so that no sticky prefix steers it. */
    HttpResponse<String> chat(String model) {
        return Http.post(server.url("/v1/chat/completions"), "{\"model\":\"" + model
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hello " + (sent++) + "\"}]}",
                "authorization", "Bearer " + USER);
    }

    JsonNode state() {
        HttpResponse<String> response = Http.get(server.url("/v1/router/state"), "authorization", "Bearer " + ADMIN);
        assertThat(response.statusCode()).isEqualTo(200);
        return Http.json(response);
    }

    @Test
    void stateShowsTargetsSpendTrafficAndDecisionsWithoutSecrets() {
        for (int i = 0; i < 3; i++) {
            assertThat(chat("di").statusCode()).isEqualTo(200);
        }
        assertThat(chat("solo").statusCode()).as("up/m1 is cooling down").isEqualTo(503);

        HttpResponse<String> response = Http.get(server.url("/v1/router/state"), "authorization", "Bearer " + ADMIN);
        JsonNode state = Http.json(response);
        assertThat(response.body()).doesNotContain(PROVIDER_KEY).doesNotContain(ADMIN).doesNotContain(USER);
        assertThat(state.get("ready").asBoolean()).isFalse();
        assertThat(state.at("/targets/0/target").asText()).isEqualTo("up/m1");
        assertThat(state.at("/targets/0/state").asText()).isEqualTo("cooling_down");
        assertThat(state.at("/targets/0/routes")).extracting(JsonNode::asText).containsExactly("solo", "di");
        assertThat(state.at("/targets/1/state").asText()).isEqualTo("healthy");
        assertThat(state.at("/targets/1/latency_ms").isNumber()).isTrue();
        assertThat(state.at("/targets/1/first_token_ms").isNull()).as("no stream was served").isTrue();
        assertThat(state.at("/spend/0/scope").asText()).isEqualTo("global");
        assertThat(state.at("/spend/0/limit_usd").asDouble()).isEqualTo(100.0);
        assertThat(state.at("/spend/0/spent_usd").asDouble()).isPositive();

        JsonNode traffic = state.get("traffic");
        assertThat(traffic.get("requests")).hasSize(Activity.SECONDS);
        assertThat(traffic.get("requests").get(Activity.SECONDS - 1).asInt()).isEqualTo(4);
        assertThat(traffic.get("errors").get(Activity.SECONDS - 1).asInt()).isEqualTo(1);

        JsonNode decisions = state.get("decisions");
        assertThat(decisions).hasSize(4);
        JsonNode refused = decisions.get(0);
        assertThat(refused.get("model").asText()).isEqualTo("solo");
        assertThat(refused.get("status").asInt()).isEqualTo(503);
        assertThat(refused.get("error").asText()).isEqualTo("no_target_available");
        assertThat(refused.at("/dropped/0/target").asText()).isEqualTo("up/m1");
        assertThat(refused.at("/dropped/0/reason").asText()).isEqualTo("cooling_down");
        JsonNode fellBack = decisions.get(1);
        assertThat(fellBack.get("request_id").asText()).startsWith("req_");
        assertThat(fellBack.get("route").asText()).isEqualTo("di");
        assertThat(fellBack.get("type").asText()).isEqualTo("pro");
        assertThat(fellBack.get("target").asText()).isEqualTo("up/m2");
        assertThat(fellBack.get("cost_usd").asDouble()).isPositive();
        assertThat(fellBack.get("status").asInt()).isEqualTo(200);
        assertThat(fellBack.get("dropped")).as("cooled down by the third failure only").isEmpty();
        JsonNode first = decisions.get(3);
        assertThat(first.at("/attempts/0/target").asText()).isEqualTo("up/m1");
        assertThat(first.at("/attempts/0/outcome").asText()).isEqualTo("server");
        assertThat(first.at("/attempts/0/status").asInt()).isEqualTo(500);
        assertThat(first.at("/attempts/1/outcome").asText()).isEqualTo("ok");
    }

    @Test
    void theDashboardIsServedFromTheJarWithNoExternalAssets() {
        for (String path : new String[]{"/v1/router/ui", "/v1/router/ui/app.js", "/v1/router/ui/app.css"}) {
            HttpResponse<String> r = Http.get(server.url(path), "authorization", "Bearer " + ADMIN);
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            assertThat(r.headers().firstValue("content-security-policy")).as(path).get().asString()
                    .contains("default-src 'none'").contains("script-src 'self'").doesNotContain("http");
            assertThat(r.body()).as(path).doesNotContainPattern("(src|href)=\"(https?:)?//")
                    .doesNotContainPattern("url\\(\\s*['\"]?(https?:)?//").doesNotContain("@import")
                    .doesNotContain("fetch('http");
        }
        assertThat(Http.get(server.url("/v1/router/ui"), "authorization", "Bearer " + ADMIN).body())
                .contains("<script src=\"ui/app.js\"></script>").contains("id=\"targets\"");
        assertThat(Http.get(server.url("/v1/router/ui/app.js")).statusCode()).as("the script needs a key")
                .isEqualTo(401);
    }

    @Test
    void aBrowserSignsInWithAnAdminKeyAndGetsASessionCookieForTheDashboardOnly() {
        HttpResponse<String> login = Http.get(server.url("/v1/router/ui"), "accept", "text/html");
        assertThat(login.statusCode()).isEqualTo(401);
        assertThat(login.headers().firstValue("content-type")).get().asString().startsWith("text/html");
        assertThat(login.body()).contains("<form method=\"post\" action=\"login\"").doesNotContain("{{message}}");

        HttpResponse<String> wrong = form("key=" + USER);
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.body()).contains("not an admin key").doesNotContain(USER);
        assertThat(wrong.headers().firstValue("set-cookie")).isEmpty();

        HttpResponse<String> signedIn = form("key=" + ADMIN.replace("-", "%2D"));
        assertThat(signedIn.statusCode()).isEqualTo(303);
        assertThat(signedIn.headers().firstValue("location")).hasValue("ui");
        String cookie = signedIn.headers().firstValue("set-cookie").orElseThrow();
        assertThat(cookie).startsWith(AdminSessions.COOKIE + "=").contains("HttpOnly").contains("SameSite=Strict")
                .doesNotContain(ADMIN);
        String session = cookie.substring(0, cookie.indexOf(';'));

        assertThat(Http.get(server.url("/v1/router/ui"), "cookie", session).statusCode()).isEqualTo(200);
        assertThat(Http.get(server.url("/v1/router/state"), "cookie", session).statusCode()).isEqualTo(200);
        assertThat(Http.send("POST", server.url("/v1/router/reload"), null, "cookie", session).statusCode())
                .as("a cookie is not enough to change anything").isEqualTo(401);
        assertThat(Http.get(server.url("/v1/models"), "cookie", session).statusCode())
                .as("nor to use the API").isEqualTo(401);
        assertThat(Http.get(server.url("/v1/router/state"), "cookie", AdminSessions.COOKIE + "=forged")
                .statusCode()).isEqualTo(401);
    }

    HttpResponse<String> form(String body) {
        try {
            return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create(server.url("/v1/router/login")))
                    .timeout(java.time.Duration.ofSeconds(10))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
