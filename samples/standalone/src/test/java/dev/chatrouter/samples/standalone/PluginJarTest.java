package dev.chatrouter.samples.standalone;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a plugin author's user does: put the plugin's jar beside the server jar, name its type in the config, and
 * run. A separate JVM whose class path is only {@code chatrouter-server.jar} and the TGI sample plugin's jar finds
 * the plugin with ServiceLoader and routes a chat through it.
 */
class PluginJarTest {

    private static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");

    @Test
    void serverJarFindsThePluginJarByItsType(@TempDir Path dir) throws Exception {
        Path serverJar = Path.of("../../router-vertx-http/target/chatrouter-server.jar").toAbsolutePath().normalize();
        Path pluginJar;
        try (var jars = Files.list(Path.of("../custom-plugin/target"))) {
            pluginJar = jars.filter(p -> p.getFileName().toString().matches("sample-custom-plugin-.*\\.jar")
                    && !p.getFileName().toString().contains("tests")).findFirst().orElseThrow(
                    () -> new AssertionError("build the samples with `mvn verify`: no plugin jar yet"));
        }
        assertThat(serverJar).exists();

        HttpServer tgi = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        tgi.createContext("/generate", exchange -> {
            byte[] answer = ("{\"generated_text\":\"Hello from TGI\",\"details\":{\"finish_reason\":\"eos_token\","
                    + "\"generated_tokens\":4}}").getBytes(StandardCharsets.UTF_8);
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().add("content-type", "application/json");
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        tgi.start();
        Path config = dir.resolve("chatrouter.yaml");
        Files.writeString(config, """
                providers:
                  local-tgi:
                    type: tgi
                    base_url: http://127.0.0.1:%d
                    models:
                      mistral-7b: {}
                routes:
                  chat:
                    pools:
                      "*": { targets: [local-tgi/mistral-7b] }
                """.formatted(tgi.getAddress().getPort()));
        Process server = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", serverJar + java.io.File.pathSeparator + pluginJar.toAbsolutePath(),
                "dev.chatrouter.http.Main", "--config", config.toString(), "--port", "0")
                .redirectErrorStream(true).start();
        try {
            int port = port(server);
            HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                    .header("content-type", "application/json").timeout(Duration.ofSeconds(10))
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.body()).contains("Hello from TGI").contains("\"model\":\"chat\"");
            assertThat(answer.headers().firstValue("x-di-provider")).hasValue("local-tgi");
        } finally {
            server.destroy();
            server.waitFor(10, TimeUnit.SECONDS);
            tgi.stop(0);
        }
    }

    /** The port from the server's startup log, within 30 seconds. */
    private static int port(Process server) throws Exception {
        CompletableFuture<Integer> port = new CompletableFuture<>();
        StringBuilder log = new StringBuilder();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(server.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    log.append(line).append('\n');
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
                port.completeExceptionally(new AssertionError("the server exited:\n" + log));
            } catch (Exception e) {
                port.completeExceptionally(e);
            }
        });
        reader.setDaemon(true);
        reader.start();
        return port.get(30, TimeUnit.SECONDS);
    }
}
