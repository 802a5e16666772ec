package dev.chatrouter.http;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The warm-up's access logger formats lines as the server's access log does, and leaves the real log alone. */
class WarmUpAccessLoggerTest {

    /** Proves a line goes through the server's pattern and appender to the logger's own target, not the real log. */
    @Test
    void formatsLikeTheServersAccessLogIntoItsOwnTarget() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LogCapture real = new LogCapture(AccessLog.LOGGER);
        real.start();
        try {
            try (WarmUpAccessLogger logger = new WarmUpAccessLogger(() -> out)) {
                logger.access().info("req_1 key=- route=warm-up status=200");
            } // closing writes what is queued
            String written = out.toString(StandardCharsets.UTF_8);
            assertThat(written).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  chatrouter\\.access: "
                    + "req_1 key=- route=warm-up status=200\\R");
            assertThat(real.lines()).isEmpty();
        } finally {
            real.stop();
        }
    }

    /** Proves the pattern is the access appender's in the server's logback.xml, so the two do not drift apart. */
    @Test
    void usesThePatternOfTheServersAccessAppender() throws java.io.IOException {
        try (java.io.InputStream xml = getClass().getResourceAsStream("/logback.xml")) {
            assertThat(xml).isNotNull();
            String config = new String(xml.readAllBytes(), StandardCharsets.UTF_8);
            String access = config.substring(config.indexOf("<appender name=\"ACCESS\""));
            assertThat(access.substring(0, access.indexOf("</appender>")))
                    .contains("<pattern>" + WarmUpAccessLogger.PATTERN + "</pattern>");
        }
    }
}
