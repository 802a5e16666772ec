package dev.chatrouter.core.event;

import dev.chatrouter.api.event.AttemptFinished;
import dev.chatrouter.api.event.AttemptStarted;
import dev.chatrouter.api.event.BudgetLimitCrossed;
import dev.chatrouter.api.event.CooldownClosed;
import dev.chatrouter.api.event.CooldownOpened;
import dev.chatrouter.api.event.RequestFinished;
import dev.chatrouter.api.event.RequestStarted;
import dev.chatrouter.api.event.RouterListener;
import dev.chatrouter.api.event.Unaccounted;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The router's listeners as one: each event goes to every listener in order, and one that throws is logged and
 * skipped, never failing the request that made the event. Without listeners it is {@link RouterListener#NONE}, which
 * emitters compare against to skip building events at all.
 */
public final class Listeners implements RouterListener {

    private static final Logger LOG = LoggerFactory.getLogger("chatrouter");
    /** After the first failure of a listener, one in this many is logged. */
    static final long LOG_EVERY = 1_000;

    private final RouterListener[] listeners;
    private final AtomicLong[] failures;

    private Listeners(List<RouterListener> listeners) {
        this.listeners = listeners.toArray(RouterListener[]::new);
        this.failures = new AtomicLong[this.listeners.length];
        for (int i = 0; i < failures.length; i++) {
            failures[i] = new AtomicLong();
        }
    }

    /** The listeners as one, or {@link RouterListener#NONE} when there are none. */
    public static RouterListener of(List<RouterListener> listeners) {
        List<RouterListener> real = listeners.stream().filter(l -> l != RouterListener.NONE).toList();
        return real.isEmpty() ? RouterListener.NONE : new Listeners(real);
    }

    /** True when {@code listener} is not {@link RouterListener#NONE}: events are worth building. */
    public static boolean active(RouterListener listener) {
        return listener != RouterListener.NONE;
    }

    private <E> void each(String what, E event, Call<E> call) {
        for (int i = 0; i < listeners.length; i++) {
            try {
                call.tell(listeners[i], event);
            } catch (VirtualMachineError fatal) {
                throw fatal;
            } catch (Throwable e) {
                long n = failures[i].incrementAndGet();
                if (n == 1) {
                    LOG.warn("listener {} threw on {}; the request goes on", listeners[i], what, e);
                } else if (n % LOG_EVERY == 0) {
                    LOG.warn("listener {} has thrown {} times; last on {}: {}", listeners[i], n, what, e.toString());
                }
            }
        }
    }

    @FunctionalInterface
    private interface Call<E> {
        void tell(RouterListener listener, E event);
    }

    @Override
    public void onRequestStarted(RequestStarted event) {
        each("onRequestStarted", event, RouterListener::onRequestStarted);
    }

    @Override
    public void onAttemptStarted(AttemptStarted event) {
        each("onAttemptStarted", event, RouterListener::onAttemptStarted);
    }

    @Override
    public void onAttemptFinished(AttemptFinished event) {
        each("onAttemptFinished", event, RouterListener::onAttemptFinished);
    }

    @Override
    public void onRequestFinished(RequestFinished event) {
        each("onRequestFinished", event, RouterListener::onRequestFinished);
    }

    @Override
    public void onCooldownOpened(CooldownOpened event) {
        each("onCooldownOpened", event, RouterListener::onCooldownOpened);
    }

    @Override
    public void onCooldownClosed(CooldownClosed event) {
        each("onCooldownClosed", event, RouterListener::onCooldownClosed);
    }

    @Override
    public void onBudgetLimitCrossed(BudgetLimitCrossed event) {
        each("onBudgetLimitCrossed", event, RouterListener::onBudgetLimitCrossed);
    }

    @Override
    public void onUnaccounted(Unaccounted event) {
        each("onUnaccounted", event, RouterListener::onUnaccounted);
    }

    @Override
    public String toString() {
        return "Listeners" + List.of(listeners);
    }
}
