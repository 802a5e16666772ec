package dev.chatrouter.api.config;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/** A calendar window in UTC over which a budget counts spend. */
public enum Window {
    MINUTE, HOUR, DAY, MONTH;

    private static final long SECONDS_PER_DAY = 86_400;

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
            case MONTH -> {
                // the first of the month, from the epoch day: no ZonedDateTime (whose UTC rules are built per call)
                long day = Math.floorDiv(instant.getEpochSecond(), SECONDS_PER_DAY);
                long first = day - (LocalDate.ofEpochDay(day).getDayOfMonth() - 1);
                yield Instant.ofEpochSecond(first * SECONDS_PER_DAY);
            }
        };
    }

    /** The start of the window after the one that starts at {@code start}. */
    public Instant next(Instant start) {
        return switch (this) {
            case MINUTE -> start.plus(1, ChronoUnit.MINUTES);
            case HOUR -> start.plus(1, ChronoUnit.HOURS);
            case DAY -> start.plus(1, ChronoUnit.DAYS);
            case MONTH -> LocalDateTime.ofEpochSecond(start.getEpochSecond(), start.getNano(), ZoneOffset.UTC)
                    .plusMonths(1).toInstant(ZoneOffset.UTC);
        };
    }
}
