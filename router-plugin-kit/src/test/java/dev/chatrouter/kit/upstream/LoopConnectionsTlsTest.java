package dev.chatrouter.kit.upstream;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.api.spi.Timeouts;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PfxOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An event loop's own connections to an HTTPS upstream check its certificate as Vert.x's pooled requests do: a
 * certificate the JVM trusts, for the host named in the URL, is accepted and its connection kept; the same
 * certificate reached by another name (the server's IP address) fails the host check; a certificate the JVM does
 * not trust fails. The certificate is made with the JDK's {@code keytool} for {@code localhost} only, and trusted
 * through {@code javax.net.ssl.trustStore} for this class's tests.
 */
class LoopConnectionsTlsTest {

    private static final String PASSWORD = "changeit";
    /** The JDK's words when a certificate does not name the host it was reached by. */
    private static final String HOST_CHECK_FAILED = "No subject alternative names matching IP address 127.0.0.1";
    @TempDir
    static Path dir;
    private static Path serverKeys;
    private static Path trusted;
    private static String trustStoreBefore;
    private static String trustStorePasswordBefore;

    private Vertx vertx;
    private HttpServer upstream;
    private final AtomicInteger accepted = new AtomicInteger();
    private Context loop;
    private UpstreamClient client;

    @BeforeAll
    static void certificates() throws Exception {
        serverKeys = dir.resolve("server.p12");
        trusted = dir.resolve("trusted.p12");
        keytool("-genkeypair", "-alias", "upstream", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                "-dname", "CN=localhost", "-ext", "san=dns:localhost", "-keystore", serverKeys.toString(),
                "-storetype", "PKCS12", "-storepass", PASSWORD);
        Path certificate = dir.resolve("upstream.crt");
        keytool("-exportcert", "-alias", "upstream", "-keystore", serverKeys.toString(), "-storepass", PASSWORD,
                "-file", certificate.toString());
        keytool("-importcert", "-noprompt", "-alias", "upstream", "-file", certificate.toString(),
                "-keystore", trusted.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
        trustStoreBefore = System.getProperty("javax.net.ssl.trustStore");
        trustStorePasswordBefore = System.getProperty("javax.net.ssl.trustStorePassword");
    }

    @AfterAll
    static void restoreTrust() {
        restore("javax.net.ssl.trustStore", trustStoreBefore);
        restore("javax.net.ssl.trustStorePassword", trustStorePasswordBefore);
    }

    private static void restore(String property, String value) {
        if (value == null) {
            System.clearProperty(property);
        } else {
            System.setProperty(property, value);
        }
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("keytool done within 60 s").isTrue();
        assertThat(process.exitValue()).as("keytool %s: %s", args[0], output).isZero();
    }

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        upstream = vertx.createHttpServer(new HttpServerOptions().setSsl(true)
                        .setKeyCertOptions(new PfxOptions().setPath(serverKeys.toString()).setPassword(PASSWORD)))
                .connectionHandler(connection -> accepted.incrementAndGet())
                .requestHandler(request -> request.body().onSuccess(body -> request.response().end("{}")));
        upstream.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        loop = vertx.getOrCreateContext();
    }

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        restoreTrust();
    }

    private void client(boolean trustTheUpstream) {
        if (trustTheUpstream) {
            System.setProperty("javax.net.ssl.trustStore", trusted.toString());
            System.setProperty("javax.net.ssl.trustStorePassword", PASSWORD);
        }
        ProviderSpec spec = ProviderSpec.builder("up", "openai").baseUrl(url("localhost", "")).apiKey("sk-test")
                .timeouts(new Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(10)))
                .maxConnections(4).model(ModelSpec.of("m")).build();
        client = UpstreamClient.create(spec, new VertxContext(vertx, Clock.systemUTC()), (status, header, body) ->
                new ProviderException(FailureKind.SERVER, "status " + status, null));
    }

    private String url(String host, String path) {
        return "https://" + host + ":" + upstream.actualPort() + path;
    }

    private CompletableFuture<UpstreamResponse> postOnLoop(String url) throws Exception {
        CompletableFuture<CompletableFuture<UpstreamResponse>> posted = new CompletableFuture<>();
        loop.runOnContext(v -> posted.complete(client.post(url, Map.of("content-type", "application/json"),
                "{}".getBytes(StandardCharsets.UTF_8), null)));
        return posted.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aTrustedCertificateForTheUrlsHostIsAcceptedAndItsConnectionKept() throws Exception {
        client(true);
        for (int i = 0; i < 3; i++) {
            UpstreamResponse answer = postOnLoop(url("localhost", "/ok")).get(10, TimeUnit.SECONDS);
            assertThat(new String(answer.body(), StandardCharsets.UTF_8)).isEqualTo("{}");
        }
        assertThat(accepted).as("one TLS connection, kept between calls").hasValue(1);
    }

    @Test
    void aFullyQualifiedHostNameIsCheckedWithoutItsFinalDot() throws Exception {
        client(true);
        UpstreamResponse answer = postOnLoop(url("localhost.", "/ok")).get(10, TimeUnit.SECONDS);
        assertThat(answer.status()).isEqualTo(200);
    }

    @Test
    void theSameCertificateReachedByAnotherNameFailsTheHostCheckOnTheLoopAsInThePool() throws Exception {
        client(true);
        String byAddress = url("127.0.0.1", "/ok");
        CompletableFuture<UpstreamResponse> fromLoop = postOnLoop(byAddress);
        assertThatThrownBy(() -> fromLoop.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasStackTraceContaining(HOST_CHECK_FAILED).cause().isInstanceOf(ProviderException.class);
        CompletableFuture<UpstreamResponse> fromPool = client.post(byAddress, Map.of(),
                "{}".getBytes(StandardCharsets.UTF_8), null);
        assertThatThrownBy(() -> fromPool.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasStackTraceContaining(HOST_CHECK_FAILED).cause().isInstanceOf(ProviderException.class);
        // both refused the certificate: the control call by its own name goes through
        assertThat(postOnLoop(url("localhost", "/ok")).get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
    }

    @Test
    void aCertificateTheJvmDoesNotTrustIsRefused() throws Exception {
        client(false);
        CompletableFuture<UpstreamResponse> call = postOnLoop(url("localhost", "/ok"));
        assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasStackTraceContaining("unable to find valid certification path")
                .cause().isInstanceOf(ProviderException.class);
    }
}
