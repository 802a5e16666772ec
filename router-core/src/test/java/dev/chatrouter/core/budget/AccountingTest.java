package dev.chatrouter.core.budget;

import dev.chatrouter.api.ChatResult;
import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.ChatRouterException;
import dev.chatrouter.api.ErrorCode;
import dev.chatrouter.api.Headroom;
import dev.chatrouter.api.RequestContext;
import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.config.AccountingConfig;
import dev.chatrouter.api.config.BudgetConfig;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.RateLimitConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.Window;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderLimits;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.core.testing.MutableClock;
import dev.chatrouter.core.testing.ScriptedProviderFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.EnumSet;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Worst cases, fall-through on a budget refusal, and tokens per minute settled to usage (docs/routing.md#budgets).
 * The scripted upstream reports 10 input and 5 output tokens for every call.
 */
class AccountingTest {

    private static final Instant START = Instant.parse("2026-03-10T12:00:00Z");
    private static final EnumSet<Capability> ALL = EnumSet.allOf(Capability.class);

    private final ScriptedProviderFactory scripted = new ScriptedProviderFactory();
    private final MutableClock clock = new MutableClock(START);
    private ChatRouter router;

    @AfterEach
    void close() {
        if (router != null) {
            router.close();
        }
    }

    /** Two providers: {@code a/big} (dear, a 200k window, no output limit), {@code b/small} (cheap). */
    private ChatRouter.Builder builder(ProviderLimits aLimits) {
        return ChatRouter.builder().clock(clock).providerFactory(scripted)
                .provider(ProviderSpec.builder("a", "scripted").limits(aLimits)
                        .model(new ModelSpec("big", null, Price.of(10.0, 40.0), 200_000, 0, ALL)).build())
                .provider(ProviderSpec.builder("b", "scripted")
                        .model(new ModelSpec("small", null, Price.of(0.1, 0.4), 128_000, 0, ALL)).build())
                .route(RouteConfig.builder("di").pool("*", PoolConfig.of("priority", "a/big", "b/small")).build());
    }

    private static ChatRequest hello(Integer maxTokens) {
        ChatRequest.Builder b = ChatRequest.builder().model("di").addMessage(Message.user("Hello"));
        return (maxTokens == null ? b : b.maxTokens(maxTokens)).build();
    }

    private ChatResult chat(ChatRequest request, RequestContext context) {
        return router.chat(request, context).toCompletableFuture().join();
    }

    /**
     * The budgets example of docs/configuration.md: {@code user:*} with 200,000 tokens a day and a 200k-window model
     * with no max_output_tokens. A request without max_tokens reserves its input and the default output (4,096),
     * not the window less the input, so it is admitted, and so are the next ones.
     */
    @Test
    void aRequestWithoutALimitReservesTheDefaultOutputNotTheWindow() {
        router = builder(ProviderLimits.NONE).budget(BudgetConfig.tokens("user:*", Window.DAY, 200_000)).build();
        RequestContext alice = RequestContext.empty().withUser("alice");

        for (int i = 0; i < 40; i++) {
            assertThat(chat(hello(null), alice).report().target()).isEqualTo("a/big");
        }
        assertThat(router.spend()).singleElement().satisfies(s -> {
            assertThat(s.spentTokens()).isEqualTo(40 * 15);
            assertThat(s.reservedTokens()).isZero();
        });
    }

    /** The default output is {@code accounting.default_output_tokens}: past the budget, the request is refused. */
    @Test
    void theDefaultOutputIsConfigurable() {
        router = builder(ProviderLimits.NONE).accounting(new AccountingConfig(250_000))
                .budget(BudgetConfig.tokens("user:*", Window.DAY, 200_000)).build();

        assertThatThrownBy(() -> chat(hello(null), RequestContext.empty().withUser("alice")))
                .isInstanceOf(CompletionException.class)
                .satisfies(t -> assertThat(((ChatRouterException) t.getCause()).code())
                        .isEqualTo(ErrorCode.SPEND_LIMIT_EXCEEDED));
    }

    /**
     * key:alice has room for the cheap target's worst case but not the dear one's: the dear target is skipped with
     * the budget's name, and the cheap one serves.
     */
    @Test
    void aBudgetRefusalOnTheFirstTargetFallsThroughToACheaperOne() {
        // the worst case of 1,000 output tokens: a/big about 0.04 USD, b/small about 0.0004 USD
        router = builder(ProviderLimits.NONE).budget(BudgetConfig.usd("key:alice", Window.DAY, 0.01)).build();

        ChatResult result = chat(hello(1_000), RequestContext.empty().withKey("alice"));

        assertThat(result.report().target()).isEqualTo("b/small");
        assertThat(result.report().attempts()).singleElement()
                .satisfies(a -> assertThat(a.target()).isEqualTo("b/small"));
        assertThat(result.report().dropped()).anySatisfy(d -> {
            assertThat(d.target()).isEqualTo("a/big");
            assertThat(d.reason()).isEqualTo("budget_exhausted:key:alice/day");
        });
    }

    /** When no candidate's worst case fits, the request is refused with 402 as the budget words it. */
    @Test
    void aRequestIsRefusedOnlyWhenNoCandidateFits() {
        router = builder(ProviderLimits.NONE).budget(BudgetConfig.usd("key:alice", Window.DAY, 0.0001)).build();

        assertThatThrownBy(() -> chat(hello(1_000), RequestContext.empty().withKey("alice")))
                .isInstanceOf(CompletionException.class)
                .satisfies(t -> {
                    ChatRouterException e = (ChatRouterException) t.getCause();
                    assertThat(e.code()).isEqualTo(ErrorCode.SPEND_LIMIT_EXCEEDED);
                    assertThat(e.metadata()).containsEntry("scope", "key:alice").containsEntry("window", "day");
                });
        assertThat(scripted.calls("a")).isEmpty();
        assertThat(scripted.calls("b")).isEmpty();
    }

    /**
     * A provider's tpm of 10,000 and requests of max_tokens 4,000: each attempt takes its estimate (about 4,000)
     * and is settled to its usage (15), so the clock standing still, 20 requests in the same minute all go to that
     * provider; with the estimate kept, the third would have been skipped.
     */
    @Test
    void providerTpmIsSettledToTheUsage() {
        router = builder(new ProviderLimits(0, 10_000)).build();

        for (int i = 0; i < 20; i++) {
            assertThat(chat(hello(4_000), RequestContext.empty()).report().target()).as("request " + i)
                    .isEqualTo("a/big");
        }
    }

    /**
     * The router's tpm of 10,000 per key and requests of max_tokens 4,000: each request takes its estimate and is
     * settled to its usage, so 20 requests pass in the same minute, and what is left is the limit less the usage.
     */
    @Test
    void routerTpmIsSettledToTheUsage() {
        router = builder(ProviderLimits.NONE).rateLimit(new RateLimitConfig("key:*", 0, 10_000)).build();
        RequestContext team = RequestContext.empty().withKey("team");

        ChatResult last = null;
        for (int i = 0; i < 20; i++) {
            last = chat(hello(4_000), team);
        }
        Headroom.Limit tokens = last.report().headroom().tokens();
        assertThat(tokens.scope()).isEqualTo("key:team");
        assertThat(tokens.limit()).isEqualTo(10_000);
        assertThat(tokens.remaining()).isEqualTo(10_000 - 20 * 15);
    }

    /** Without max_tokens, the router's tpm is charged the expected output too, not the input alone. */
    @Test
    void routerTpmChargesTheExpectedOutputWithoutALimit() {
        router = builder(ProviderLimits.NONE).rateLimit(new RateLimitConfig("key:*", 0, 300)).build();
        RequestContext team = RequestContext.empty().withKey("team");
        // the estimate: 8 input + 256 expected output = 264; it fits the 300 of a full bucket; settled to 15
        chat(hello(null), team);
        // 285 left: the next estimate fits, and after it 270 are left
        chat(hello(null), team);
        // 8 input + 272 output = 280 does not fit (charged the input alone, 284 would have been left)
        assertThatThrownBy(() -> chat(hello(272), team)).isInstanceOf(CompletionException.class)
                .satisfies(t -> assertThat(((ChatRouterException) t.getCause()).code())
                        .isEqualTo(ErrorCode.RATE_LIMIT_EXCEEDED));
    }

    /** The tightest budget is on the report: the one with the least left. */
    @Test
    void theReportCarriesTheTightestBudget() {
        router = builder(ProviderLimits.NONE).budget(BudgetConfig.usd("global", Window.MONTH, 100))
                .budget(BudgetConfig.usd("key:alice", Window.DAY, 1)).build();

        ChatResult result = chat(hello(10), RequestContext.empty().withKey("alice"));

        Headroom.Budget budget = result.report().headroom().budget();
        assertThat(budget.scope()).isEqualTo("key:alice");
        assertThat(budget.window()).isEqualTo("day");
        // 10 input at $10/M + 5 output at $40/M = 0.0003
        assertThat(budget.remainingUsd()).isEqualTo(1 - 0.0003, org.assertj.core.data.Offset.offset(1e-9));
    }
}
