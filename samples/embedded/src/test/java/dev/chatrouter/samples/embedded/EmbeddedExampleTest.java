package dev.chatrouter.samples.embedded;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The sample runs as a user would run it, and prints answers and reports. */
class EmbeddedExampleTest {

    @Test
    void runsBothRoutersAndPrintsTheReports() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        EmbeddedExample.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(out).contains("== built in code", "== built from embedded.yaml");
        assertThat(out).contains("chat:   Mock reply to: Summarize: ChatRouter routes each request to a provider.");
        assertThat(out).contains("stream: Mock reply to: Summarize: ChatRouter routes each request to a provider.");
        assertThat(out).contains("target=local/small", "target=steady/small");
        assertThat(out).contains("attempt flaky/small: server");
        assertThat(out).doesNotContain("stream failed");
    }
}
