package dev.chatrouter.api;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RoutingReportTest {

    /** The text of a report writes type and effort as the headers do (pro, high) and the cost without exponent. */
    @Test
    void toStringUsesWireNamesAndPlainCost() {
        RoutingReport report = new RoutingReport("req-1", "di", "di", RequestType.PRO, "base", Effort.HIGH, "*",
                "priority", List.of("up/m1"), List.of(), "up/m1", List.of(), 2.2000000000000006e-5, false);

        assertThat(report.toString())
                .contains("type=pro,").contains("effort=high,").contains("costUsd=0.000022,")
                .doesNotContain("PRO").doesNotContain("HIGH").doesNotContain("E-");
    }
}
