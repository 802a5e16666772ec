package dev.chatrouter.http;

import dev.chatrouter.api.BudgetStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Over HTTP: X-DI-User, X-DI-Tags and the body's user and metadata feed the user and tag scopes, and every routed
 * answer carries the caller's tightest rate limits (OpenAI's X-RateLimit-* names) and budget.
 */
class CallerScopesTest {

    private static final String YAML = """
            providers:
              mock:
                type: mock
                reply: "ok"
                models:
                  m: { price: { input: 1.0, output: 1.0 }, capabilities: [streaming] }
            routes:
              di: { pools: { "*": { targets: [mock/m] } } }
            budgets:
              - { scope: global, window: month, limit_usd: 100 }
              - { scope: "user:*", window: day, limit_usd: 2 }
              - { scope: "tag:*", window: day, limit_usd: 50 }
            rate_limits:
              - { scope: global, rpm: 6000, tpm: 600000 }
              - { scope: "user:*", rpm: 6, tpm: 6000 }
            """;

    private static TestServer server;

    @BeforeAll
    static void start(@TempDir Path dir) {
        server = TestServer.start(dir, YAML, Map.of());
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static HttpResponse<String> chat(String body, String... headers) throws Exception {
        return Http.post(server.baseUrl() + "/v1/chat/completions", body, headers);
    }

    private static BudgetStatus spend(String scope) {
        return server.router.spend().stream().filter(s -> s.scope().equals(scope)).findFirst().orElse(null);
    }

    /** Proves the headers' user and tags, and the body's metadata as key=value tags, get budgets of their own. */
    @Test
    void headersAndMetadataFeedTheUserAndTagScopes() throws Exception {
        HttpResponse<String> response = chat("{\"model\":\"di\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                        + "\"user\":\"ignored-for-the-header\",\"metadata\":{\"project\":\"apollo\"}}",
                "x-di-user", "carol", "x-di-tags", "team-x, beta,,team-x");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(spend("user:carol")).isNotNull();
        assertThat(spend("user:carol").spentUsd()).isPositive();
        assertThat(spend("user:ignored-for-the-header")).isNull();
        assertThat(spend("tag:team-x")).isNotNull();
        assertThat(spend("tag:beta")).isNotNull();
        assertThat(spend("tag:project=apollo")).isNotNull();
    }

    /** Proves the body's user is the user when no X-DI-User is sent. */
    @Test
    void theBodyUserIsTheUserWithoutTheHeader() throws Exception {
        HttpResponse<String> response = chat("{\"model\":\"di\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                + "\"user\":\"dave\"}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(spend("user:dave")).isNotNull();
    }

    /** Proves the tightest rate limits and budget are on the answer: the user's, not the global ones. */
    @Test
    void theAnswerCarriesTheTightestLimitsAndBudget() throws Exception {
        HttpResponse<String> response = chat("{\"model\":\"di\",\"max_tokens\":10,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}", "x-di-user", "erin");

        assertThat(response.statusCode()).isEqualTo(200);
        Map<String, String> h = new java.util.HashMap<>();
        response.headers().map().forEach((k, v) -> h.put(k.toLowerCase(java.util.Locale.ROOT), v.get(0)));
        assertThat(h).containsEntry("x-ratelimit-limit-requests", "6").containsEntry("x-ratelimit-limit-tokens", "6000");
        // one request of 6 a minute taken; the bucket refills one every 10 s
        assertThat(h.get("x-ratelimit-remaining-requests")).isEqualTo("5");
        long tokensLeft = Long.parseLong(h.get("x-ratelimit-remaining-tokens"));
        assertThat(tokensLeft).isBetween(6000L - 100, 5999L);
        assertThat(h.get("x-ratelimit-reset-requests")).matches("\\d+(\\.\\d+)?m?s|\\d+m\\d+s");
        assertThat(h.get("x-ratelimit-reset-tokens")).matches("\\d+(\\.\\d+)?m?s|\\d+m\\d+s");
        // the user's $2 a day is tighter than the global $100 a month and the tag budgets (none apply)
        String budget = h.get("x-di-budget-remaining-usd");
        assertThat(budget).matches("\\d+\\.\\d{6}");
        assertThat(Double.parseDouble(budget)).isLessThan(2.0).isGreaterThan(1.99);
    }

    /** Proves a malformed X-DI-User is a 400 naming the header. */
    @Test
    void anEmptyUserHeaderIsRefused() throws Exception {
        HttpResponse<String> response = chat("{\"model\":\"di\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                "x-di-user", " ");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(Http.json(response).at("/error/param").asText()).isEqualTo("X-DI-User");
    }
}
