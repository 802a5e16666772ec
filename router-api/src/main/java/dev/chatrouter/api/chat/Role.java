package dev.chatrouter.api.chat;

import java.util.Locale;

/** The author of a message. */
public enum Role {
    SYSTEM, DEVELOPER, USER, ASSISTANT, TOOL, FUNCTION;

    private final String wireName = name().toLowerCase(Locale.ROOT);

    public String wireName() {
        return wireName;
    }

    /**
     * Parses a wire name.
     *
     * @throws IllegalArgumentException if {@code name} is not a role
     */
    public static Role fromWireName(String name) {
        for (Role role : values()) {
            if (role.wireName().equals(name)) {
                return role;
            }
        }
        throw new IllegalArgumentException("unknown role '" + name + "'");
    }
}
