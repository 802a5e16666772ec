package dev.chatrouter.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A plain JDK HTTP client for what SDKs hide: status, headers and exact bodies. Every call is bounded. */
final class Http {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** The longest a test waits for a whole answer, body included. */
    private static final long ANSWER_WAIT_SECONDS = 30;

    private Http() {
    }

    /** Sends a request; {@code headers} are name, value pairs. */
    static HttpResponse<String> send(String method, String url, String body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("content-type", "application/json");
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        // the request's timeout bounds the wait for the head; this one bounds the whole answer, body included
        java.util.concurrent.CompletableFuture<HttpResponse<String>> answer =
                CLIENT.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
        try {
            return answer.get(ANSWER_WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? new UncheckedIOException(io)
                    : new IllegalStateException(e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            answer.cancel(true);
            throw new AssertionError(method + " " + url + ": no whole answer within " + ANSWER_WAIT_SECONDS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static HttpResponse<String> post(String url, String body, String... headers) {
        return send("POST", url, body, headers);
    }

    static HttpResponse<String> get(String url, String... headers) {
        return send("GET", url, null, headers);
    }

    static JsonNode json(HttpResponse<String> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + response.body(), e);
        }
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }

    /** The error object of an OpenAI error envelope, after checking the envelope's shape. */
    static JsonNode error(HttpResponse<String> response) {
        JsonNode body = json(response);
        JsonNode error = body.get("error");
        if (error == null || !error.has("message") || !error.has("type") || !error.has("code")
                || !error.has("param")) {
            throw new AssertionError("not an OpenAI error envelope: " + response.body());
        }
        return error;
    }
}
