package dev.chatrouter.api.config;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/** A calendar window in UTC over which a budget counts spend. */
public enum Window {
    MINUTE, HOUR, DAY, MONTH;

    private final String wireName = name().toLowerCase(Locale.ROOT);

    public String wireName() {
        return wireName;
    }

    /**
     * Parses a wire name.
     *
     * @throws IllegalArgumentException if {@code name} is not a window
     */
    public static Window fromWireName(String name) {
        for (Window w : values()) {
            if (w.wireName().equals(name)) {
                return w;
            }
        }
        throw new IllegalArgumentException("unknown window '" + name + "'; windows are minute, hour, day, month");
    }

    /** The start of the window that holds {@code instant}. */
    public Instant start(Instant instant) {
        return switch (this) {
            case MINUTE -> instant.truncatedTo(ChronoUnit.MINUTES);
            case HOUR -> instant.truncatedTo(ChronoUnit.HOURS);
            case DAY -> instant.truncatedTo(ChronoUnit.DAYS);
            case MONTH -> ZonedDateTime.ofInstant(instant, ZoneOffset.UTC).truncatedTo(ChronoUnit.DAYS)
                    .withDayOfMonth(1).toInstant();
        };
    }

    /** The start of the window after the one that starts at {@code start}. */
    public Instant next(Instant start) {
        return switch (this) {
            case MINUTE -> start.plus(1, ChronoUnit.MINUTES);
            case HOUR -> start.plus(1, ChronoUnit.HOURS);
            case DAY -> start.plus(1, ChronoUnit.DAYS);
            case MONTH -> ZonedDateTime.ofInstant(start, ZoneOffset.UTC).plusMonths(1).toInstant();
        };
    }
}
