package dev.chatrouter.http;

import dev.chatrouter.api.ChatRouter;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The router the server currently serves with, replaceable by a reload. Each request {@linkplain #acquire acquires}
 * the current router and releases it when its answer is finished, so a request runs to its end on the router it
 * started with; a replaced router is closed once the last of its requests has finished.
 */
final class LiveRouter {

    private static final Logger LOG = LoggerFactory.getLogger("chatrouter");

    private final AtomicReference<Generation> current;

    LiveRouter(ChatRouter router) {
        this.current = new AtomicReference<>(new Generation(router, 1));
    }

    /** The router serving now, for calls that finish at once (models, spend, health). */
    ChatRouter current() {
        return current.get().router;
    }

    /** How many routers have served so far: 1 until the first reload. */
    int generation() {
        return current.get().number;
    }

    /** The current router, held until the lease is released (exactly once; later releases are ignored). */
    Lease acquire() {
        while (true) {
            Generation g = current.get();
            g.inFlight.incrementAndGet();
            if (!g.retired) {
                return new Lease(g);
            }
            g.release(); // replaced meanwhile: take the new one
        }
    }

    /**
     * Serves with {@code next} from now on; the replaced router is closed once its requests in flight have
     * finished.
     */
    void replace(ChatRouter next) {
        Generation old = current.getAndUpdate(g -> new Generation(next, g.number + 1));
        old.retire();
    }

    /** A request's hold on the router it started with. */
    static final class Lease {
        private final Generation generation;
        private final AtomicBoolean released = new AtomicBoolean();

        private Lease(Generation generation) {
            this.generation = generation;
        }

        ChatRouter router() {
            return generation.router;
        }

        void release() {
            if (released.compareAndSet(false, true)) {
                generation.release();
            }
        }
    }

    private static final class Generation {
        final ChatRouter router;
        final int number;
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicBoolean closed = new AtomicBoolean();
        volatile boolean retired;

        Generation(ChatRouter router, int number) {
            this.router = router;
            this.number = number;
        }

        void release() {
            if (inFlight.decrementAndGet() == 0 && retired) {
                close();
            }
        }

        void retire() {
            retired = true;
            if (inFlight.get() == 0) {
                close();
            }
        }

        private void close() {
            if (closed.compareAndSet(false, true)) {
                try {
                    router.close();
                } catch (RuntimeException e) {
                    LOG.warn("closing the replaced router failed", e);
                }
            }
        }
    }
}
