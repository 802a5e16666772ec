package dev.chatrouter.core.route;

import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.DroppedTarget;
import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.RequestType;
import dev.chatrouter.api.RoutingReport;
import dev.chatrouter.api.chat.CacheControl;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Content;
import dev.chatrouter.api.chat.ContentPart;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.Role;
import dev.chatrouter.api.config.CacheConfig;
import dev.chatrouter.api.config.FallbackConfig;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.StickyPrefixConfig;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.core.classify.PromptReadings;
import dev.chatrouter.core.testing.MutableClock;
import dev.chatrouter.core.testing.ScriptedProviderFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.chatrouter.core.testing.ScriptedProviderFactory.fail;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sticky prefixes (docs/routing.md#routing): a request whose prefix (up to the last cache_control breakpoint, else the
 * system prompt and first message) was served within the TTL goes back to the target that served it, while that
 * target stays eligible, even when the pool's policy would put another target first.
 */
class StickyPrefixesTest {

    private static final Duration TTL = Duration.ofMinutes(5);
    private static final String SYSTEM = "You are the support assistant of Acme. Answer from the manual.";

    private final MutableClock clock = MutableClock.atEpochOf2026();
    private final ScriptedProviderFactory scripted = new ScriptedProviderFactory();
    private ChatRouter router;

    @AfterEach
    void close() {
        if (router != null) {
            router.close();
        }
    }

    /**
     * Two targets under the cost policy: cheap/m is always first by policy; dear/m can only win by stickiness.
     * dear/m has no vision. Every request type has the same two targets, in pools of its own for flash and code.
     */
    private ChatRouter router(boolean sticky) {
        ModelSpec cheap = new ModelSpec("m", null, Price.of(0.1, 0.2), 0, 0, EnumSet.allOf(Capability.class));
        ModelSpec dear = new ModelSpec("m", null, Price.of(5.0, 15.0), 0, 0,
                EnumSet.complementOf(EnumSet.of(Capability.VISION)));
        PoolConfig pool = PoolConfig.of("cost", "dear/m", "cheap/m");
        router = ChatRouter.builder().clock(clock).providerFactory(scripted)
                .provider(ProviderSpec.builder("cheap", "scripted").model(cheap).build())
                .provider(ProviderSpec.builder("dear", "scripted").model(dear).build())
                .route(RouteConfig.builder("di").pool("flash", pool).pool("code", pool).pool("*", pool)
                        .fallback(new FallbackConfig(3, 0, FallbackConfig.DEFAULTS.on())).build())
                .cache(new CacheConfig(dev.chatrouter.api.config.ResponseCacheConfig.DEFAULTS, new StickyPrefixConfig(sticky, TTL, 1_000)))
                .build();
        return router;
    }

    private RoutingReport chat(ChatRequest request) throws Exception {
        return router.chat(request).toCompletableFuture().get(5, TimeUnit.SECONDS).report();
    }

    private static ChatRequest conversation(Message... messages) {
        return ChatRequest.builder().model("di").messages(List.of(messages)).build();
    }

    /** Has dear/m serve a request: cheap/m, first by cost, fails once and the request falls back. */
    private RoutingReport servedByDear(ChatRequest request) throws Exception {
        scripted.script("cheap", fail(FailureKind.SERVER));
        RoutingReport report = chat(request);
        assertThat(report.candidates()).as("cost order").containsExactly("cheap/m", "dear/m");
        assertThat(report.target()).isEqualTo("dear/m");
        return report;
    }

    private static Message cachedSystem(String text) {
        return new Message(Role.SYSTEM, Content.of(List.<ContentPart>of(
                new ContentPart.Text(text, CacheControl.ephemeral(), Map.of()))), null, null, null, null, Map.of());
    }

    // ---- through the router -----------------------------------------------------------------------------------------

    @Test
    void theSamePrefixGoesBackToItsTargetWhileItStaysEligible() throws Exception {
        router(true);
        servedByDear(conversation(Message.system(SYSTEM), Message.user("My order #1 never arrived.")));

        // same system prompt and first message, the conversation goes on: back to dear/m, against the policy
        RoutingReport again = chat(conversation(Message.system(SYSTEM), Message.user("My order #1 never arrived."),
                Message.assistant("Sorry to hear that. When did you order?"), Message.user("Last Monday.")));
        assertThat(again.candidates()).containsExactly("dear/m", "cheap/m");
        assertThat(again.target()).isEqualTo("dear/m");

        // another first message is another prefix: the policy decides
        RoutingReport other = chat(conversation(Message.system(SYSTEM), Message.user("How do I reset my router?")));
        assertThat(other.target()).isEqualTo("cheap/m");

        // the same prefix with an image later on: dear/m is no longer eligible, so it is not forced
        RoutingReport image = chat(conversation(Message.system(SYSTEM), Message.user("My order #1 never arrived."),
                Message.assistant("Can you show me the parcel?"), Message.user(List.of(
                        ContentPart.text("Here."), ContentPart.imageUrl("https://example.com/parcel.jpg")))));
        assertThat(image.type()).isEqualTo(RequestType.VISION);
        assertThat(image.dropped()).containsExactly(new DroppedTarget("dear/m", "missing_capability:vision"));
        assertThat(image.target()).isEqualTo("cheap/m");

        assertThat(scripted.calls("dear")).hasSize(2);
        assertThat(scripted.calls("cheap")).hasSize(3);
    }

    @Test
    void aConversationWhoseTypeChangesKeepsItsTargetWhenTheNewPoolHasIt() throws Exception {
        router(true);
        RoutingReport first = servedByDear(conversation(Message.system(SYSTEM),
                Message.user("Summarize our refund policy in one sentence.")));
        assertThat(first.pool()).isEqualTo("flash");

        RoutingReport code = chat(conversation(Message.system(SYSTEM),
                Message.user("Summarize our refund policy in one sentence."),
                Message.assistant("Refunds within 30 days."),
                Message.user("Why does this fail?\n```python\nrefund(order)\n```")));

        assertThat(code.pool()).isEqualTo("code");
        assertThat(code.target()).as("the prefix's prompt cache is at dear/m, which the code pool has too")
                .isEqualTo("dear/m");
    }

    @Test
    void aBreakpointMakesThePrefixEverythingUpToItWhateverFollows() throws Exception {
        router(true);
        String manual = "Acme manual. " + "Section text. ".repeat(500);
        servedByDear(conversation(cachedSystem(manual), Message.user("How do I return a kettle?")));

        // a different first message, but the same prefix up to the last breakpoint: same target
        RoutingReport sameUpToBreakpoint = chat(conversation(cachedSystem(manual),
                Message.user("Which warranty covers a toaster?")));
        assertThat(sameUpToBreakpoint.target()).isEqualTo("dear/m");

        // a different text before the breakpoint: another prefix
        RoutingReport otherManual = chat(conversation(cachedSystem(manual + " Appendix."),
                Message.user("How do I return a kettle?")));
        assertThat(otherManual.target()).isEqualTo("cheap/m");
    }

    @Test
    void aPrefixExpiresTtlAfterItWasLastServed() throws Exception {
        router(true);
        ChatRequest request = conversation(Message.system(SYSTEM), Message.user("My order #2 is late."));
        servedByDear(request);

        clock.advance(Duration.ofMinutes(4));
        assertThat(chat(request).target()).as("within the TTL").isEqualTo("dear/m");

        // served again at minute 4: it now lives until minute 9
        clock.advance(Duration.ofMinutes(4).plusSeconds(59));
        assertThat(chat(request).target()).as("the TTL counts from the last serve").isEqualTo("dear/m");

        clock.advance(TTL.plusSeconds(1));
        assertThat(chat(request).target()).as("expired: the policy decides again").isEqualTo("cheap/m");
    }

    @Test
    void withStickyPrefixesOffThePolicyAlwaysDecides() throws Exception {
        router(false);
        ChatRequest request = conversation(Message.system(SYSTEM), Message.user("My order #3 is late."));
        servedByDear(request);

        assertThat(chat(request).target()).isEqualTo("cheap/m");
    }

    // ---- the key ----------------------------------------------------------------------------------------------------

    /** The prompt readings find a text the key hashes whole by its own hash, which the key computes anyway. */
    @Test
    void thePromptReadingsKnowWhichTextsTheKeyHashesWhole() {
        assertThat(PromptReadings.OWN_HASH_CHARS).isEqualTo(2 * StickyPrefixes.HASHED_WINDOW);
    }

    /** A long text is keyed by its length and its first and last {@value StickyPrefixes#HASHED_WINDOW} characters. */
    @Test
    void aLongTextIsKeyedByItsLengthAndItsEnds() {
        String body = "Section text. ".repeat(800);
        String text = "Acme manual. " + body + "End.";
        long key = StickyPrefixes.key("di", conversation(Message.system(text), Message.user("Q1")));
        int middle = text.length() / 2;
        String otherMiddle = text.substring(0, middle) + "X" + text.substring(middle + 1);
        int nearEnd = text.length() - StickyPrefixes.HASHED_WINDOW + 1;
        String otherEnd = text.substring(0, nearEnd) + "X" + text.substring(nearEnd + 1);

        assertThat(StickyPrefixes.key("di", conversation(Message.system(otherMiddle), Message.user("Q1"))))
                .as("a change in the middle").isEqualTo(key);
        assertThat(StickyPrefixes.key("di", conversation(Message.system(otherEnd), Message.user("Q1"))))
                .as("a change in the last window").isNotEqualTo(key);
        assertThat(StickyPrefixes.key("di", conversation(Message.system(text + "!"), Message.user("Q1"))))
                .as("another length").isNotEqualTo(key);
    }

    @Test
    void withoutABreakpointTheKeyIsTheLeadingInstructionsAndTheFirstMessage() {
        Message developer = new Message(Role.DEVELOPER, Content.of("Be brief."), null, null, null, null, Map.of());
        long key = StickyPrefixes.key("di", conversation(Message.system(SYSTEM), developer, Message.user("Q1")));

        assertThat(StickyPrefixes.key("di", conversation(Message.system(SYSTEM), developer, Message.user("Q1"),
                Message.assistant("A1"), Message.user("Q2")))).isEqualTo(key);
        assertThat(StickyPrefixes.key("di", conversation(Message.system(SYSTEM), developer, Message.user("Q2"))))
                .isNotEqualTo(key);
        assertThat(StickyPrefixes.key("di", conversation(Message.system(SYSTEM), Message.user("Q1"))))
                .as("the developer message is part of the prefix").isNotEqualTo(key);
        assertThat(StickyPrefixes.key("di", conversation(Message.system(SYSTEM + "!"), developer,
                Message.user("Q1")))).isNotEqualTo(key);
        assertThat(StickyPrefixes.key("other", conversation(Message.system(SYSTEM), developer, Message.user("Q1"))))
                .as("another route").isNotEqualTo(key);
    }

    @Test
    void withBreakpointsTheKeyIsEverythingUpToAndIncludingTheLastBreakpointPart() {
        ContentPart tail = ContentPart.text("What changed in version 2?");
        ContentPart otherTail = ContentPart.text("Who wrote it?");
        ContentPart doc = new ContentPart.Text("The changelog. " + "Entry. ".repeat(200), CacheControl.ephemeral(),
                Map.of());
        long key = StickyPrefixes.key("di", conversation(cachedSystem(SYSTEM), Message.user(List.of(doc, tail))));

        // the part after the last breakpoint, in the same message or later ones, does not count
        assertThat(StickyPrefixes.key("di", conversation(cachedSystem(SYSTEM), Message.user(List.of(doc,
                otherTail))))).isEqualTo(key);
        assertThat(StickyPrefixes.key("di", conversation(cachedSystem(SYSTEM), Message.user(List.of(doc, tail)),
                Message.assistant("Faster start-up."), Message.user("And in version 3?")))).isEqualTo(key);
        // everything up to it does: the earlier breakpoint's message, the breakpoint part itself
        assertThat(StickyPrefixes.key("di", conversation(cachedSystem(SYSTEM + " v2"),
                Message.user(List.of(doc, tail))))).isNotEqualTo(key);
        ContentPart otherDoc = new ContentPart.Text("The changelog. " + "Entry! ".repeat(200),
                CacheControl.ephemeral(), Map.of());
        assertThat(StickyPrefixes.key("di", conversation(cachedSystem(SYSTEM),
                Message.user(List.of(otherDoc, tail))))).isNotEqualTo(key);
        // without the second breakpoint, the prefix ends at the system message's one
        assertThat(StickyPrefixes.key("di", conversation(cachedSystem(SYSTEM), Message.user("Anything else"))))
                .isEqualTo(StickyPrefixes.key("di", conversation(cachedSystem(SYSTEM), Message.user("Q"))))
                .isNotEqualTo(key);
    }

    @Test
    void entriesExpireAfterTheTtlOnTheInjectedClock() {
        StickyPrefixes sticky = new StickyPrefixes(new StickyPrefixConfig(true, TTL, 100), clock);
        long key = StickyPrefixes.key("di", conversation(Message.user("Q")));
        assertThat(sticky.lookup(key)).isNull();

        sticky.record(key, "dear/m");
        clock.advance(TTL.minusSeconds(1));
        assertThat(sticky.lookup(key)).isEqualTo("dear/m");

        sticky.record(key, "cheap/m");
        clock.advance(TTL.minusSeconds(1));
        assertThat(sticky.lookup(key)).as("the last serve wins and restarts the TTL").isEqualTo("cheap/m");

        clock.advance(Duration.ofSeconds(2));
        assertThat(sticky.lookup(key)).isNull();
        assertThat(sticky.lookup(0)).as("no prefix, never sticky").isNull();
    }

    @Test
    void theSameTargetServingAgainRestartsTheTtlWhichEndsOnItsLastMillisecond() {
        StickyPrefixes sticky = new StickyPrefixes(new StickyPrefixConfig(true, TTL, 100), clock);
        long key = StickyPrefixes.key("di", conversation(Message.user("Q")));
        sticky.record(key, "dear/m");
        clock.advance(TTL.minusSeconds(1));
        sticky.record(key, "dear/m");

        clock.advance(TTL.minusMillis(1));
        assertThat(sticky.lookup(key)).as("one millisecond before the TTL from the second serve").isEqualTo("dear/m");
        clock.advance(Duration.ofMillis(1));
        assertThat(sticky.lookup(key)).as("the TTL after the last serve").isNull();

        sticky.record(key, "dear/m");
        assertThat(sticky.lookup(key)).as("an expired entry served again lives again").isEqualTo("dear/m");
    }
}
