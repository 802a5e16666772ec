package dev.chatrouter.samples.standalone;

import dev.chatrouter.http.Main;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The sample deployment's configuration starts the real server; the keys and routes it declares work. */
class StandaloneConfigTest {

    @Test
    void serverStartsFromTheSampleConfiguration(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        // the budgets' file goes to a temporary directory, not the sample's
        Map<String, String> env = Map.of("OPENAI_API_KEY", "sk-dummy", "ANTHROPIC_API_KEY", "sk-ant-dummy",
                "GROQ_API_KEY", "gsk-dummy", "TEAM_WEB_KEY", "web-secret", "TEAM_DATA_KEY", "data-secret",
                "CHATROUTER_ACCOUNTING_DB", dir.resolve("accounting.db").toString());
        Main.Running running = Main.start(new Main.Options(Path.of("chatrouter.yaml"), "127.0.0.1", 0), env,
                Path.of("").toAbsolutePath());
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            String base = "http://127.0.0.1:" + running.server().port();
            HttpResponse<String> models = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/models"))
                    .header("authorization", "Bearer web-secret").timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(models.statusCode()).isEqualTo(200);
            assertThat(models.body()).contains("\"auto\"");
            HttpResponse<String> spend = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/router/spend"))
                    .header("authorization", "Bearer data-secret").timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(spend.statusCode()).isEqualTo(200);
            assertThat(spend.body()).contains("\"key:data\"").doesNotContain("key:web");
            HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/models"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(anonymous.statusCode()).isEqualTo(401);
        } finally {
            running.stop();
        }
    }
}
