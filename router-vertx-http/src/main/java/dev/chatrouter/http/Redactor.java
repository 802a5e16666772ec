package dev.chatrouter.http;

import java.util.List;

/**
 * Removes secrets (provider API keys) from text that goes to a client or a log: upstream error messages may
 * quote the key a request was made with.
 */
final class Redactor {

    private final List<String> secrets;

    Redactor(List<String> secrets) {
        this.secrets = secrets.stream().filter(s -> s != null && s.length() >= 6).distinct().toList();
    }

    String redact(String text) {
        if (text == null) {
            return null;
        }
        String result = text;
        for (String secret : secrets) {
            if (result.contains(secret)) {
                result = result.replace(secret, "[redacted]");
            }
        }
        return result;
    }
}
