package dev.chatrouter.kit.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The things under way (requests, runs) that a close must still reach. Each one is added as it starts and removed
 * once as it ends, from the event loops, so those two must cost next to nothing: one shared concurrent set makes the
 * loops contend for its size counter and hashes every item. Here each thread adds to a stripe of its own, a linked
 * list under that stripe's lock (never contended but by a close), and {@link #add} returns the item's
 * {@link Entry}, which {@link #remove} takes: no hashing, no search. Not part of the API: it may change in any
 * release. Thread-safe.
 *
 * @param <T> the items
 */
public final class StripedSet<T> {

    private static final AtomicInteger NEXT_THREAD = new AtomicInteger();
    /** Each thread's stripe index before the mask: threads take the next one as they first add. */
    private static final ThreadLocal<Integer> THREAD_INDEX = ThreadLocal.withInitial(NEXT_THREAD::getAndIncrement);

    /** An item in the set, linked into its stripe until removed. */
    public static final class Entry<T> {
        private final T item;
        private final Stripe<T> stripe;
        private Entry<T> previous;
        private Entry<T> next;
        private boolean removed;

        private Entry(T item, Stripe<T> stripe) {
            this.item = item;
            this.stripe = stripe;
        }
    }

    /** One thread's items: a doubly linked list, guarded by the stripe itself. */
    private static final class Stripe<T> {
        private Entry<T> head;
        private int size;
    }

    private final Stripe<T>[] stripes;

    /** A set of {@code 2 * available processors} stripes, rounded up to a power of two. */
    public StripedSet() {
        this(Runtime.getRuntime().availableProcessors() * 2);
    }

    @SuppressWarnings("unchecked")
    StripedSet(int atLeast) {
        int count = Integer.highestOneBit(Math.max(1, atLeast - 1)) << 1;
        stripes = new Stripe[count];
        for (int i = 0; i < count; i++) {
            stripes[i] = new Stripe<>();
        }
    }

    /** Adds {@code item} to the current thread's stripe; the entry returned is what {@link #remove} takes. */
    public Entry<T> add(T item) {
        Stripe<T> stripe = stripes[THREAD_INDEX.get() & (stripes.length - 1)];
        Entry<T> entry = new Entry<>(item, stripe);
        synchronized (stripe) {
            entry.next = stripe.head;
            if (stripe.head != null) {
                stripe.head.previous = entry;
            }
            stripe.head = entry;
            stripe.size++;
        }
        return entry;
    }

    /** Removes the entry's item; from any thread, any number of times ({@code null}: nothing). */
    public void remove(Entry<T> entry) {
        if (entry == null) {
            return;
        }
        Stripe<T> stripe = entry.stripe;
        synchronized (stripe) {
            if (entry.removed) {
                return;
            }
            entry.removed = true;
            if (entry.previous != null) {
                entry.previous.next = entry.next;
            } else {
                stripe.head = entry.next;
            }
            if (entry.next != null) {
                entry.next.previous = entry.previous;
            }
            entry.previous = null;
            entry.next = null;
            stripe.size--;
        }
    }

    /** Whether no item is in the set. */
    public boolean isEmpty() {
        return size() == 0;
    }

    /** How many items are in the set. */
    public int size() {
        int size = 0;
        for (Stripe<T> stripe : stripes) {
            synchronized (stripe) {
                size += stripe.size;
            }
        }
        return size;
    }

    /** The items in the set now, in no order: a copy, so the caller may add and remove while it goes through them. */
    public List<T> snapshot() {
        List<T> all = new ArrayList<>();
        for (Stripe<T> stripe : stripes) {
            synchronized (stripe) {
                for (Entry<T> entry = stripe.head; entry != null; entry = entry.next) {
                    all.add(entry.item);
                }
            }
        }
        return all;
    }

    @Override
    public String toString() {
        return "StripedSet[" + size() + " items in " + stripes.length + " stripes]";
    }
}
