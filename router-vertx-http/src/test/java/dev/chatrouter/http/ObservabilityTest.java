package dev.chatrouter.http;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server as operators watch it, started as the command line starts it: the access log line of each request and
 * the warning of each failed attempt (through the real Logback backend), and the Prometheus metrics at
 * {@code GET /metrics}, guarded by {@code server.admin_keys}.
 */
class ObservabilityTest {

    private static final String TEAM_KEY = "sk-team-a-0123456789";
    private static final String OPS_KEY = "sk-ops-9876543210";
    private static final String PROMPT = "tell me about the lighthouse keeper";
    /** A metric sample: {@code name{label="value",...} value [timestamp]}. */
    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)"
            + "(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\")(?:,[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\")*,?\\})?"
            + " (-?[0-9][0-9.eE+-]*|NaN|\\+Inf|-Inf)( -?[0-9]+)?");
    private static final Pattern HELP = Pattern.compile("# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*");
    private static final Pattern TYPE = Pattern.compile(
            "# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped)");
    private static final Pattern ACCESS_LINE = Pattern.compile("req_[0-9a-f]+ key=team-a route=di type=[a-z]+"
            + " target=mock/m attempts=2 status=200 tokens=[0-9]+/[0-9]+ cost=[0-9]+\\.[0-9]{6}"
            + " total_ms=[0-9]+\\.[0-9] overhead_ms=[0-9]+\\.[0-9]{3}");

    @TempDir
    Path dir;
    private final LogCapture access = new LogCapture(AccessLog.LOGGER);
    private final LogCapture log = new LogCapture("chatrouter");
    private Main.Running running;

    @BeforeEach
    void start() throws Exception {
        Path file = dir.resolve("chatrouter.yaml");
        Files.writeString(file, """
                providers:
                  flaky: { type: mock, fail: server, models: { m: { price: { input: 1.0, output: 2.0 } } } }
                  mock: { type: mock, models: { m: { price: { input: 1.0, output: 2.0 } } } }
                routes:
                  di: { pools: { "*": { policy: priority, targets: [flaky/m, mock/m] } },
                        fallback: { max_attempts: 2, retries_per_target: 0 } }
                cache: { sticky_prefix: { enabled: false } }
                server:
                  keys:
                    team-a: { key: "%s" }
                    ops: { key: "%s" }
                  admin_keys: [ops]
                """.formatted(TEAM_KEY, OPS_KEY));
        access.start();
        log.start();
        running = Main.start(new Main.Options(file, null, 0), Map.of(), dir);
    }

    @AfterEach
    void stop() {
        access.stop();
        log.stop();
        if (running != null) {
            running.stop();
        }
    }

    private String url(String path) {
        return "http://127.0.0.1:" + running.server().port() + path;
    }

    private HttpResponse<String> chat() {
        return Http.post(url("/v1/chat/completions"), "{\"model\":\"di\",\"messages\":[{\"role\":\"user\",\"content\":\""
                + PROMPT + "\"}]}", "authorization", "Bearer " + TEAM_KEY);
    }

    /** Proves a request that fell back is one access line with every field, and its failed attempt one warning. */
    @Test
    void aRequestIsOneAccessLineAndItsFailedAttemptAWarning() {
        // when a request falls back from the failing target to the good one
        HttpResponse<String> response = chat();
        assertThat(response.statusCode()).isEqualTo(200);
        String requestId = response.headers().firstValue("x-request-id").orElseThrow();
        // then the access log holds one line for it, with its id, key name, route, target, attempts, status...
        List<String> lines = access.messages();
        assertThat(lines).hasSize(1);
        String line = lines.get(0);
        assertThat(line).matches(ACCESS_LINE).startsWith(requestId + " ")
                .contains(" cost=" + AccessLog.fixed(Double.parseDouble(
                        response.headers().firstValue("x-di-cost-usd").orElseThrow()), 6) + " ");
        assertThat(line).doesNotContain("E-").doesNotContain("e-");
        // and the failed attempt was warned of with its kind and target
        assertThat(log.lines()).anySatisfy(warning -> assertThat(warning)
                .startsWith("WARN " + requestId + " attempt 0 at flaky/m failed: server"));
        // and neither holds a key or the prompt
        assertThat(String.join("\n", lines) + String.join("\n", log.lines()))
                .doesNotContain(TEAM_KEY).doesNotContain(OPS_KEY).doesNotContain("lighthouse");
    }

    /** Proves /metrics is Prometheus text, line by line, and that its counters move as requests are sent. */
    @Test
    void metricsAreOfferedAsPrometheusTextAndMoveWithRequests() {
        chat();
        HttpResponse<String> before = Http.get(url("/metrics"), "authorization", "Bearer " + OPS_KEY);
        assertThat(before.statusCode()).isEqualTo(200);
        assertThat(before.headers().firstValue("content-type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("text/plain; version=0.0.4"));
        assertPrometheusText(before.body());
        String served = "chatrouter_attempts_total{outcome=\"success\",provider=\"mock\",target=\"mock/m\"}";
        String failed = "chatrouter_attempts_total{outcome=\"server\",provider=\"flaky\",target=\"flaky/m\"}";
        assertThat(sample(before.body(), served)).isEqualTo(1);
        assertThat(sample(before.body(), failed)).isEqualTo(1);

        // when two more requests are sent
        chat();
        chat();
        String after = Http.get(url("/metrics"), "authorization", "Bearer " + OPS_KEY).body();
        assertPrometheusText(after);
        // then the counters moved by two
        assertThat(sample(after, served)).isEqualTo(3);
        assertThat(sample(after, failed)).isEqualTo(3);
        assertThat(sample(after, "chatrouter_fallbacks_total{route=\"di\",target=\"mock/m\"}")).isEqualTo(3);
        assertThat(sample(after, "gen_ai_server_request_duration_seconds_count{error_type=\"none\","
                + "gen_ai_operation_name=\"chat\",gen_ai_provider_name=\"mock\",gen_ai_request_model=\"di\","
                + "gen_ai_response_model=\"m\"}")).isEqualTo(3);
        assertThat(sample(after, "chatrouter_spend_usd_total{scope=\"key:team-a\"}"))
                .isGreaterThan(sample(before.body(), "chatrouter_spend_usd_total{scope=\"key:team-a\"}"));
        assertThat(after).contains("gen_ai_client_token_usage_count{").contains("chatrouter_overhead_seconds_count{")
                .contains("chatrouter_cooldown_state{target=\"flaky/m\"}");
        assertThat(after).doesNotContain(TEAM_KEY).doesNotContain(OPS_KEY).doesNotContain("lighthouse");
    }

    /** Proves /metrics needs a key named in server.admin_keys: none is 401, a key that is not an admin's 403. */
    @Test
    void metricsNeedAnAdminKey() {
        assertThat(Http.get(url("/metrics")).statusCode()).isEqualTo(401);
        assertThat(Http.get(url("/metrics"), "authorization", "Bearer wrong").statusCode()).isEqualTo(401);
        HttpResponse<String> teamA = Http.get(url("/metrics"), "authorization", "Bearer " + TEAM_KEY);
        assertThat(teamA.statusCode()).isEqualTo(403);
        assertThat(Http.error(teamA).path("code").asText()).isEqualTo("admin_required");
    }

    /** Every line is a HELP, a TYPE or a sample line of the Prometheus text format. */
    private static void assertPrometheusText(String text) {
        assertThat(text).isNotBlank().endsWith("\n");
        for (String line : text.split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            assertThat(HELP.matcher(line).matches() || TYPE.matcher(line).matches()
                    || SAMPLE.matcher(line).matches()).as("a Prometheus text line: %s", line).isTrue();
        }
    }

    /** The value of the sample named exactly {@code series} (name and labels). */
    private static double sample(String text, String series) {
        for (String line : text.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (m.matches() && line.startsWith(series + " ")) {
                return Double.parseDouble(m.group(3));
            }
        }
        throw new AssertionError("no sample " + series + " in\n" + text);
    }
}
