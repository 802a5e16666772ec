package dev.chatrouter.api;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Reports, attempts and logs print request types, efforts and failure kinds by their wire names, as headers do. */
class WireNamesTest {

    @Test
    void enumsPrintTheirWireNames() {
        for (RequestType type : RequestType.values()) {
            assertThat(type).hasToString(type.wireName());
        }
        for (Effort effort : Effort.values()) {
            assertThat(effort).hasToString(effort.wireName());
        }
        for (FailureKind kind : FailureKind.values()) {
            assertThat(kind).hasToString(kind.wireName());
        }
    }

    @Test
    void reportAndAttemptPrintWireNames() {
        Attempt attempt = new Attempt("a/m", FailureKind.RATE_LIMIT, 429, "slow down", Duration.ZERO, null,
                Duration.ofMillis(3), false);
        RoutingReport report = new RoutingReport("req_1", "di", "di", RequestType.PRO, "default", Effort.AUTO, "*",
                "priority", List.of("a/m"), List.of(), null, List.of(attempt), 0, false);

        assertThat(report.toString()).contains("type=pro", "effort=auto", "failure=rate_limit")
                .doesNotContain("PRO", "AUTO", "RATE_LIMIT");
    }
}
