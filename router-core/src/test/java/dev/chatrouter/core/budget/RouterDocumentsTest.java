package dev.chatrouter.core.budget;

import dev.chatrouter.api.ChatRouter;
import dev.chatrouter.api.config.AccountingConfig;
import dev.chatrouter.api.config.BudgetConfig;
import dev.chatrouter.api.config.PoolConfig;
import dev.chatrouter.api.config.RouteConfig;
import dev.chatrouter.api.config.Window;
import dev.chatrouter.api.spi.AccountingStore;
import dev.chatrouter.api.spi.Capability;
import dev.chatrouter.api.spi.DocumentStore;
import dev.chatrouter.api.spi.ModelSpec;
import dev.chatrouter.api.spi.Price;
import dev.chatrouter.api.spi.ProviderSpec;
import dev.chatrouter.core.store.AccountingStores;
import dev.chatrouter.core.testing.ForwardingAccountingStore;
import dev.chatrouter.core.testing.MutableClock;
import dev.chatrouter.core.testing.ScriptedProviderFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link ChatRouter#documents()}: the documents of the router's configured store, opened at the first call when
 * budgets did not open it, kept by a router that continues from it, closed with the last router that owns it.
 */
class RouterDocumentsTest {

    private static final Duration TTL = Duration.ofDays(1);

    private final ScriptedProviderFactory scripted = new ScriptedProviderFactory();
    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-31T12:00:00Z"));
    private final List<ChatRouter> routers = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void close() {
        routers.forEach(ChatRouter::close);
    }

    private ChatRouter.Builder builder() {
        ModelSpec model = new ModelSpec("m", null, new Price(1.0, 2.0, 1.0, 1.0), 100_000, 1_000,
                EnumSet.allOf(Capability.class));
        return ChatRouter.builder().clock(clock).providerFactory(scripted)
                .provider(ProviderSpec.builder("a", "scripted").model(model).build())
                .route(RouteConfig.builder("di").pool("*", PoolConfig.of("priority", "a/m")).build());
    }

    private ChatRouter build(ChatRouter.Builder builder) {
        ChatRouter router = builder.build();
        routers.add(router);
        return router;
    }

    private <T> T join(CompletionStage<T> stage) throws Exception {
        try {
            return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception c ? c : e;
        }
    }

    /**
     * Proves a router without budgets opens its durable file only at the first documents() call, and the
     * documents are in that file: a new router on it after a close reads them.
     */
    @Test
    void documentsOpenTheConfiguredFileAtTheFirstCallAndSurviveARestart() throws Exception {
        Path file = dir.resolve("store.db");
        ChatRouter first = build(builder().accounting(AccountingConfig.durable(file)));
        assertThat(Files.exists(file)).isFalse();

        join(first.documents().thenCompose(d -> d.put("resp_1", "{\"turns\":1}", TTL)));
        assertThat(Files.exists(file)).isTrue();
        first.close();

        ChatRouter second = build(builder().accounting(AccountingConfig.durable(file)));
        assertThat(this.<java.util.Optional<String>>join(second.documents().thenCompose(d -> d.get("resp_1")))).contains("{\"turns\":1}");
    }

    /**
     * Proves documents and budgets share the one store: with budgets, documents() is the store opened at start
     * (the file is not opened a second time), and its counters and documents are in the same file.
     */
    @Test
    void withBudgetsTheDocumentsAreThoseOfTheAccountingStore() throws Exception {
        Path file = dir.resolve("shared.db");
        ChatRouter router = build(builder().accounting(AccountingConfig.durable(file))
                .budget(BudgetConfig.usd("global", Window.DAY, 1.0)));
        join(router.documents().thenCompose(d -> d.put("resp_1", "x", TTL)));
        router.close();

        try (AccountingStore reopened = AccountingStores.durable(file, clock)) {
            assertThat(join(reopened.documents().orElseThrow().get("resp_1"))).contains("x");
        }
    }

    /**
     * Proves a router built with continueFrom keeps the same documents (no second opening of the file), and
     * closing the replaced router leaves them open.
     */
    @Test
    void aContinuingRouterKeepsTheSameDocuments() throws Exception {
        Path file = dir.resolve("reload.db");
        ChatRouter old = build(builder().accounting(AccountingConfig.durable(file)));
        DocumentStore before = join(old.documents());
        join(before.put("resp_1", "x", TTL));

        ChatRouter next = build(builder().accounting(AccountingConfig.durable(file)).continueFrom(old)
                .budget(BudgetConfig.usd("global", Window.DAY, 1.0)));
        old.close();

        DocumentStore after = join(next.documents());
        assertThat(after).isSameAs(before);
        assertThat(join(after.get("resp_1"))).contains("x");
        next.close();
        assertThatThrownBy(() -> join(after.get("resp_1"))).isInstanceOf(IllegalStateException.class);
    }

    /** Proves the builder's default (memory) keeps documents in memory and writes no file. */
    @Test
    void theDefaultKeepsDocumentsInMemory() throws Exception {
        Path defaultFile = Path.of(AccountingConfig.DEFAULT_PATH).toAbsolutePath();
        boolean existed = Files.exists(defaultFile);
        ChatRouter router = build(builder());
        join(router.documents().thenCompose(d -> d.put("resp_1", "x", TTL)));
        assertThat(this.<java.util.Optional<String>>join(router.documents().thenCompose(d -> d.get("resp_1")))).contains("x");
        assertThat(Files.exists(defaultFile)).isEqualTo(existed);
    }

    /** Proves a handed store that keeps no documents leaves them in the router's memory, and is not closed. */
    @Test
    void aHandedStoreWithoutDocumentsLeavesThemInMemory() throws Exception {
        AccountingStore inner = AccountingStores.inMemory(clock);
        AccountingStore countersOnly = new ForwardingAccountingStore(inner) {
            @Override
            public java.util.Optional<DocumentStore> documents() {
                return java.util.Optional.empty();
            }
        };
        ChatRouter router = build(builder().accountingStore(countersOnly)
                .budget(BudgetConfig.usd("global", Window.DAY, 1.0)));
        join(router.documents().thenCompose(d -> d.put("resp_1", "x", TTL)));
        assertThat(this.<java.util.Optional<String>>join(router.documents().thenCompose(d -> d.get("resp_1")))).contains("x");
        router.close();
        assertThat(join(inner.counters())).isEmpty(); // still open: handed stores are the caller's to close
        inner.close();
    }

    /** Proves documents() of a closed router fails instead of opening anything. */
    @Test
    void aClosedRouterHasNoDocuments() {
        ChatRouter router = build(builder().accounting(AccountingConfig.durable(dir.resolve("closed.db"))));
        router.close();
        assertThatThrownBy(() -> join(router.documents())).hasMessageContaining("closed");
        assertThat(Files.exists(dir.resolve("closed.db"))).isFalse();
    }
}
