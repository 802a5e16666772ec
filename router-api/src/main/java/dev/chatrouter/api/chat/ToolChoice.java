package dev.chatrouter.api.chat;

/**
 * Which tool the model must call: a mode ({@code none}, {@code auto}, {@code required}) or a named function.
 *
 * @param mode         the mode, or {@code null} when a function is named
 * @param functionName the named function, or {@code null} when a mode is given
 */
public record ToolChoice(String mode, String functionName) {

    public ToolChoice {
        if ((mode == null) == (functionName == null)) {
            throw new IllegalArgumentException("a tool choice is either a mode or a function name");
        }
    }

    public static ToolChoice none() {
        return new ToolChoice("none", null);
    }

    public static ToolChoice auto() {
        return new ToolChoice("auto", null);
    }

    public static ToolChoice required() {
        return new ToolChoice("required", null);
    }

    public static ToolChoice function(String name) {
        return new ToolChoice(null, name);
    }

    /** True when the model must call some tool: {@code required} or a named function. */
    public boolean forcesCall() {
        return functionName != null || "required".equals(mode);
    }
}
