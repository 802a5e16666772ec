package dev.chatrouter.api.event;

/** Splits {@code provider-id/model-id}; model ids may hold {@code /}, provider ids don't. */
final class Targets {

    private Targets() {
    }

    static String provider(String target) {
        int slash = target.indexOf('/');
        return slash < 0 ? target : target.substring(0, slash);
    }

    static String model(String target) {
        int slash = target.indexOf('/');
        return slash < 0 ? target : target.substring(slash + 1);
    }
}
