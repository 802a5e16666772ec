package dev.chatrouter.e2e.dashboard;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.http.ChatRouterServer;
import dev.chatrouter.http.ServerSettings;
import dev.chatrouter.kit.config.ConfigFiles;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The operator dashboard in a real browser: Debian's chromium driven by the pinned playwright-core. The server
 * runs in-process against a WireMock upstream whose first model answers 500; the browser signs in with the admin
 * key, sees that target healthy, and, once this test has sent requests that fail on it, sees its row turn to
 * "cooling down". The screenshot is left in {@code target/dashboard.png}.
 *
 * <p>Without node, npm or {@code /usr/bin/chromium} the test is skipped with a message, unless {@code CI} is set:
 * then it fails.
 */
class DashboardBrowserTest {

    static final String ADMIN_KEY = "vk-ops-dashboard-0123456789";
    static final String PROVIDER_KEY = "sk-upstream-secret-dashboard";
    static final Duration BROWSER_TIMEOUT = Duration.ofSeconds(30);
    static final String ANSWER = """
            {"id":"c1","object":"chat.completion","created":1,"model":"x","choices":[{"index":0,
             "message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500}}""";

    WireMockServer upstream;
    Vertx vertx;
    ChatRouter router;
    ChatRouterServer server;

    @BeforeEach
    void start(@TempDir Path dir) throws Exception {
        requireBrowser();
        upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        upstream.start();
        upstream.stubFor(post(urlEqualTo("/v1/chat/completions")).withRequestBody(containing("up-model-1"))
                .willReturn(aResponse().withStatus(500).withHeader("content-type", "application/json")
                        .withBody("{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}")));
        upstream.stubFor(post(urlEqualTo("/v1/chat/completions")).withRequestBody(containing("up-model-2"))
                .willReturn(aResponse().withStatus(200).withHeader("content-type", "application/json")
                        .withBody(ANSWER)));
        Path file = dir.resolve("chatrouter.yaml");
        Files.writeString(file, """
                providers:
                  up:
                    type: openai
                    base_url: http://127.0.0.1:${WM_PORT}/v1
                    api_key: ${UP_KEY}
                    models:
                      m1: { upstream: up-model-1, price: { input: 3.0, output: 15.0 }, context_window: 128000 }
                      m2: { upstream: up-model-2, price: { input: 1.0, output: 4.0 }, context_window: 128000 }
                routes:
                  di:
                    pools: { "*": { policy: priority, targets: [up/m1, up/m2] } }
                    fallback: { max_attempts: 2, retries_per_target: 0 }
                budgets:
                  - { scope: global, window: day, limit_usd: 5, soft_limit_usd: 2.5 }
                  - { scope: "key:*", window: month, limit_tokens: 5000000 }
                server:
                  keys:
                    ops: { key: "${ADMIN_KEY}" }
                  admin_keys: [ops]
                """);
        Map<String, String> env = Map.of("WM_PORT", Integer.toString(upstream.port()), "UP_KEY", PROVIDER_KEY,
                "ADMIN_KEY", ADMIN_KEY);
        vertx = Vertx.vertx();
        router = ChatRouter.builder().configFile(file).environment(env).service(Vertx.class, vertx).build();
        ServerSettings settings = ServerSettings.read(ConfigFiles.section(file, "server", env)).withPort(0);
        server = ChatRouterServer.start(vertx, router, settings, List.of(PROVIDER_KEY), 1)
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.shutdown().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        if (router != null) {
            router.close();
        }
        if (vertx != null) {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
        if (upstream != null) {
            upstream.stop();
        }
    }

    @Test
    void theDashboardShowsATargetCoolingDownAfterUpstreamFailures() throws Exception {
        Path work = Path.of("target", "e2e").toAbsolutePath();
        Files.createDirectories(work);
        Path script = work.resolve("dashboard-check.cjs");
        try (InputStream in = DashboardBrowserTest.class.getResourceAsStream("/dashboard-check.cjs")) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        Path readyFile = work.resolve("page-ready");
        Files.deleteIfExists(readyFile);
        Path screenshot = Path.of("target", "dashboard.png").toAbsolutePath();
        Files.deleteIfExists(screenshot);
        Path playwright = NpmPackage.install("playwright-core",
                System.getProperty("chatrouter.e2e.playwright-core.version", "1.65.1"), work);
        String base = "http://127.0.0.1:" + server.port();

        ProcessBuilder pb = new ProcessBuilder("node", script.toString()).directory(work.toFile());
        pb.environment().putAll(Map.of(
                "PLAYWRIGHT_CORE", playwright.resolve("node_modules/playwright-core").toString(),
                "DASHBOARD_URL", base + "/v1/router/ui",
                "ADMIN_KEY", ADMIN_KEY,
                "TARGET", "up/m1",
                "READY_FILE", readyFile.toString(),
                "SCREENSHOT", screenshot.toString(),
                "TIMEOUT_MS", Long.toString(BROWSER_TIMEOUT.toMillis())));
        Path out = work.resolve("node.stdout");
        Path err = work.resolve("node.stderr");
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process node = pb.start();
        try {
            long deadline = System.nanoTime() + BROWSER_TIMEOUT.plusSeconds(30).toNanos();
            while (!Files.exists(readyFile) && node.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(readyFile).as("the page showed up/m1 healthy; node said:\n%s%s", read(out), read(err))
                    .exists();

            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                        .timeout(Duration.ofSeconds(10)).header("authorization", "Bearer " + ADMIN_KEY)
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"di\",\"messages\":[{\"role\":"
                                + "\"user\",\"content\":\"hello " + i + "\"}]}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as("up/m1 fails, up/m2 answers: %s", r.body()).isEqualTo(200);
            }
            HttpResponse<String> skipped = client.send(HttpRequest.newBuilder(URI.create(base
                            + "/v1/chat/completions")).timeout(Duration.ofSeconds(10))
                    .header("authorization", "Bearer " + ADMIN_KEY).header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"di\",\"messages\":[{\"role\":"
                            + "\"user\",\"content\":\"after the cooldown started\"}]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(skipped.statusCode()).isEqualTo(200);

            boolean finished = node.waitFor(BROWSER_TIMEOUT.toSeconds() + 30, TimeUnit.SECONDS);
            assertThat(finished).as("node finished in time; it said:\n%s%s", read(out), read(err)).isTrue();
            assertThat(node.exitValue()).as("node said:\n%s%s", read(out), read(err)).isZero();
        } finally {
            node.descendants().forEach(ProcessHandle::destroyForcibly);
            node.destroyForcibly();
        }
        assertThat(read(out)).contains("seen cooling down: up/m1");
        byte[] png = Files.readAllBytes(screenshot);
        assertThat(png.length).isGreaterThan(10_000);
        assertThat(new String(png, 1, 3, StandardCharsets.US_ASCII)).isEqualTo("PNG");
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** Skips without node, npm or chromium, or fails when {@code CI} is set. */
    static void requireBrowser() {
        String missing = null;
        if (!Files.isExecutable(Path.of("/usr/bin/chromium"))) {
            missing = "/usr/bin/chromium is missing (apt-get install chromium)";
        } else {
            for (String tool : List.of("node", "npm")) {
                if (!NpmPackage.runs(tool)) {
                    missing = tool + " is not on the PATH";
                    break;
                }
            }
        }
        if (missing != null) {
            String message = "the dashboard browser test needs node, npm and Debian's chromium: " + missing;
            if (System.getenv("CI") != null) {
                Assertions.fail(message + " (CI is set, so this is a failure, not a skip)");
            }
            Assumptions.abort(message + "; skipping");
        }
    }
}
