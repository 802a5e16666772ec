package dev.chatrouter.api.chat;

import java.util.Locale;

/** The author of a message. */
public enum Role {
    SYSTEM, DEVELOPER, USER, ASSISTANT, TOOL, FUNCTION;

    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
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
