package dev.chatrouter.core.testing;

import dev.chatrouter.api.FailureKind;
import dev.chatrouter.api.chat.ChatChunk;
import dev.chatrouter.api.chat.ChatResponse;
import dev.chatrouter.api.chat.Choice;
import dev.chatrouter.api.chat.ChunkChoice;
import dev.chatrouter.api.chat.Delta;
import dev.chatrouter.api.chat.Message;
import dev.chatrouter.api.chat.Role;
import dev.chatrouter.api.chat.Usage;
import dev.chatrouter.api.spi.Provider;
import dev.chatrouter.api.spi.ProviderCall;
import dev.chatrouter.api.spi.ProviderContext;
import dev.chatrouter.api.spi.ProviderException;
import dev.chatrouter.api.spi.ProviderFactory;
import dev.chatrouter.api.spi.ProviderSpec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A provider plugin for router tests, of type {@code scripted}: each provider answers from a script of outcomes
 * set per provider id (succeed with a text, or fail with a kind, or stream some chunks then fail), and records
 * the calls it got. Not a mock of the router: it is a real plugin, loaded through the SPI.
 */
public final class ScriptedProviderFactory implements ProviderFactory {

    /** What one call does. */
    public sealed interface Outcome {
        record Reply(String text, Usage usage) implements Outcome {
        }

        record Fail(FailureKind kind, int status, Duration retryAfter) implements Outcome {
        }

        /**
         * Streams the words of {@code text}, then fails with {@code kind}; when kind is null, completes without a
         * usage chunk (as upstreams that ignore stream_options do).
         */
        record StreamThenFail(String text, FailureKind kind) implements Outcome {
        }

        /** Waits {@code delay} (on a timer, blocking no thread), then does {@code then}; cancellable meanwhile. */
        record Delayed(Duration delay, Outcome then) implements Outcome {
        }
    }

    /** Waits {@code delay}, then does {@code then}: a slow upstream, for hedging and deadlines. */
    public static Outcome delayed(Duration delay, Outcome then) {
        return new Outcome.Delayed(delay, then);
    }

    public static Outcome reply(String text) {
        return new Outcome.Reply(text, Usage.of(10, 5));
    }

    public static Outcome fail(FailureKind kind) {
        return new Outcome.Fail(kind, statusOf(kind), null);
    }

    public static Outcome rateLimited(Duration retryAfter) {
        return new Outcome.Fail(FailureKind.RATE_LIMIT, 429, retryAfter);
    }

    public static Outcome streamThenFail(String text, FailureKind kind) {
        return new Outcome.StreamThenFail(text, kind);
    }

    private static int statusOf(FailureKind kind) {
        return switch (kind) {
            case RATE_LIMIT -> 429;
            case SERVER -> 500;
            case AUTH -> 401;
            case BAD_REQUEST, CONTEXT_LENGTH, CONTENT_FILTER -> 400;
            case TIMEOUT, CONNECTION -> 0;
        };
    }

    private final Map<String, ConcurrentLinkedQueue<Outcome>> scripts = new ConcurrentHashMap<>();
    private final Map<String, List<ProviderCall>> calls = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> cancellations = new ConcurrentHashMap<>();
    /** Per provider id: the count its countTokens answers (empty: no count API), or null to fail. */
    private final Map<String, java.util.Optional<java.util.OptionalLong>> counts = new ConcurrentHashMap<>();
    private final Map<String, List<ProviderCall>> countCalls = new ConcurrentHashMap<>();

    @Override
    public String type() {
        return "scripted";
    }

    /** Queues outcomes for a provider id; when the script runs out, calls reply "ok". */
    public ScriptedProviderFactory script(String providerId, Outcome... outcomes) {
        scripts.computeIfAbsent(providerId, k -> new ConcurrentLinkedQueue<>()).addAll(List.of(outcomes));
        return this;
    }

    /**
     * What a provider's {@code countTokens} answers: {@code tokens}, or a server failure when {@code tokens} is
     * negative. Without it, the provider has no count API (the default).
     */
    public ScriptedProviderFactory counts(String providerId, long tokens) {
        counts.put(providerId, tokens < 0 ? java.util.Optional.empty()
                : java.util.Optional.of(java.util.OptionalLong.of(tokens)));
        return this;
    }

    /** The count calls a provider got, in order. */
    public List<ProviderCall> countCalls(String providerId) {
        return countCalls.getOrDefault(providerId, List.of());
    }

    /** How many of a provider's calls were cancelled while delayed (chat futures and stream subscriptions). */
    public int cancellations(String providerId) {
        AtomicInteger count = cancellations.get(providerId);
        return count == null ? 0 : count.get();
    }

    /** The calls a provider got, in order. */
    public List<ProviderCall> calls(String providerId) {
        return calls.getOrDefault(providerId, List.of());
    }

    @Override
    public Provider create(ProviderSpec spec, ProviderContext context) {
        return new Provider() {
            private Outcome next(ProviderCall call) {
                calls.computeIfAbsent(spec.id(), k -> java.util.Collections.synchronizedList(new ArrayList<>()))
                        .add(call);
                Outcome outcome = scripts.getOrDefault(spec.id(), new ConcurrentLinkedQueue<>()).poll();
                return outcome == null ? reply("ok from " + spec.id()) : outcome;
            }

            @Override
            public CompletionStage<ChatResponse> chat(ProviderCall call) {
                return chat(call, next(call));
            }

            private CompletableFuture<ChatResponse> chat(ProviderCall call, Outcome outcome) {
                if (outcome instanceof Outcome.Delayed d) {
                    CompletableFuture<ChatResponse> later = new CompletableFuture<>();
                    later.whenComplete((r, e) -> {
                        if (later.isCancelled()) {
                            cancelled(spec.id());
                        }
                    });
                    CompletableFuture.delayedExecutor(d.delay().toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
                        if (!later.isDone()) {
                            chat(call, d.then()).whenComplete((r, e) -> {
                                if (e == null) {
                                    later.complete(r);
                                } else {
                                    later.completeExceptionally(e);
                                }
                            });
                        }
                    });
                    return later;
                }
                if (outcome instanceof Outcome.Fail f) {
                    return CompletableFuture.failedFuture(failure(f.kind(), f.status(), f.retryAfter()));
                }
                String text = outcome instanceof Outcome.Reply r ? r.text() : ((Outcome.StreamThenFail) outcome).text();
                Usage usage = outcome instanceof Outcome.Reply r ? r.usage() : Usage.of(10, 5);
                return CompletableFuture.completedFuture(new ChatResponse("cmpl-1", "chat.completion", 1,
                        call.request().model(), List.of(new Choice(0, Message.assistant(text), "stop", null, Map.of())),
                        usage, null, null, Map.of()));
            }

            @Override
            public Flow.Publisher<ChatChunk> stream(ProviderCall call) {
                return stream(call, next(call));
            }

            private Flow.Publisher<ChatChunk> stream(ProviderCall call, Outcome outcome) {
                if (outcome instanceof Outcome.Delayed d) {
                    return new DelayedPublisher<>(d.delay(), () -> stream(call, d.then()),
                            () -> cancelled(spec.id()));
                }
                if (outcome instanceof Outcome.Fail f) {
                    return new ListPublisher<>(List.of(), failure(f.kind(), f.status(), f.retryAfter()));
                }
                String text = outcome instanceof Outcome.Reply r ? r.text() : ((Outcome.StreamThenFail) outcome).text();
                List<ChatChunk> chunks = new ArrayList<>();
                chunks.add(chunk(call, new Delta(Role.ASSISTANT, "", null, null, Map.of()), null, null));
                for (String word : text.split("(?<= )")) {
                    chunks.add(chunk(call, new Delta(null, word, null, null, Map.of()), null, null));
                }
                if (outcome instanceof Outcome.StreamThenFail s && s.kind() != null) {
                    return new ListPublisher<>(chunks, failure(s.kind(), statusOf(s.kind()), null));
                }
                chunks.add(chunk(call, new Delta(null, null, null, null, Map.of()), "stop", null));
                if (outcome instanceof Outcome.StreamThenFail) {
                    return new ListPublisher<>(chunks, null); // completes without a usage chunk
                }
                chunks.add(new ChatChunk("chunk-1", "chat.completion.chunk", 1, call.request().model(), List.of(),
                        Usage.of(10, 5), null, Map.of()));
                return new ListPublisher<>(chunks, null);
            }

            @Override
            public CompletionStage<java.util.OptionalLong> countTokens(ProviderCall call) {
                java.util.Optional<java.util.OptionalLong> count = counts.get(spec.id());
                if (count == null) {
                    return CompletableFuture.completedFuture(java.util.OptionalLong.empty());
                }
                countCalls.computeIfAbsent(spec.id(), k -> java.util.Collections.synchronizedList(new ArrayList<>()))
                        .add(call);
                return count.<CompletionStage<java.util.OptionalLong>>map(CompletableFuture::completedFuture)
                        .orElseGet(() -> CompletableFuture.failedFuture(failure(FailureKind.SERVER, 500, null)));
            }

            @Override
            public void close() {
            }
        };
    }

    private void cancelled(String providerId) {
        cancellations.computeIfAbsent(providerId, k -> new AtomicInteger()).incrementAndGet();
    }

    /** Subscribes to a publisher only after a delay; demand and cancellation before then are kept. */
    private static final class DelayedPublisher<T> implements Flow.Publisher<T> {
        private final Duration delay;
        private final java.util.function.Supplier<Flow.Publisher<T>> source;
        private final Runnable onCancelWhileDelayed;

        DelayedPublisher(Duration delay, java.util.function.Supplier<Flow.Publisher<T>> source,
                         Runnable onCancelWhileDelayed) {
            this.delay = delay;
            this.source = source;
            this.onCancelWhileDelayed = onCancelWhileDelayed;
        }

        @Override
        public void subscribe(Flow.Subscriber<? super T> subscriber) {
            Object lock = new Object();
            long[] demand = new long[1];
            boolean[] cancelled = new boolean[1];
            Flow.Subscription[] inner = new Flow.Subscription[1];
            subscriber.onSubscribe(new Flow.Subscription() {
                @Override
                public void request(long n) {
                    Flow.Subscription target;
                    synchronized (lock) {
                        target = inner[0];
                        if (target == null) {
                            demand[0] += n;
                            return;
                        }
                    }
                    target.request(n);
                }

                @Override
                public void cancel() {
                    Flow.Subscription target;
                    synchronized (lock) {
                        if (cancelled[0]) {
                            return;
                        }
                        cancelled[0] = true;
                        target = inner[0];
                    }
                    if (target == null) {
                        onCancelWhileDelayed.run();
                    } else {
                        target.cancel();
                    }
                }
            });
            CompletableFuture.delayedExecutor(delay.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
                synchronized (lock) {
                    if (cancelled[0]) {
                        return;
                    }
                }
                source.get().subscribe(new Flow.Subscriber<T>() {
                    @Override
                    public void onSubscribe(Flow.Subscription s) {
                        long initial;
                        synchronized (lock) {
                            inner[0] = s;
                            initial = demand[0];
                            demand[0] = 0;
                        }
                        if (initial > 0) {
                            s.request(initial);
                        }
                    }

                    @Override
                    public void onNext(T item) {
                        subscriber.onNext(item);
                    }

                    @Override
                    public void onError(Throwable throwable) {
                        subscriber.onError(throwable);
                    }

                    @Override
                    public void onComplete() {
                        subscriber.onComplete();
                    }
                });
            });
        }
    }

    private static ChatChunk chunk(ProviderCall call, Delta delta, String finish, Usage usage) {
        return new ChatChunk("chunk-1", "chat.completion.chunk", 1, call.request().model(),
                List.of(new ChunkChoice(0, delta, finish, null, Map.of())), usage, null, Map.of());
    }

    private static ProviderException failure(FailureKind kind, int status, Duration retryAfter) {
        return new ProviderException(kind, status, "scripted " + kind.wireName(), null, null, retryAfter, null);
    }
}
