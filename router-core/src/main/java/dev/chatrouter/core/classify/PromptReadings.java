package dev.chatrouter.core.classify;

import dev.chatrouter.api.chat.Tool;
import dev.chatrouter.core.tokens.TokenEstimate;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The readings of the parts of prompts that come again: the system and developer prompts and the tools an
 * application sends unchanged with every request, and the long texts of a conversation, which it resends with every
 * turn. For a text, what {@link RuleClassifier#scanCounting} found in it (its code, json and reason signals) and its
 * token counts; for a tool, its token counts; kept by content. A coding agent's prompt and tools come to tens of
 * kilobytes, and its conversation grows by its tool results with every turn; with this, each distinct one is read
 * once instead of once a request, and a request pays for each an equality check.
 *
 * <p>Three tables: {@value #TEXT_SLOTS} prompt texts of {@value #MIN_CHARS} to {@value #MAX_TEXT_CHARS} characters,
 * {@value #TOOL_SLOTS} tools of at most {@value #MAX_TOOL_CHARS} characters of name, description and schema, and
 * {@value #MESSAGE_SLOTS} conversation texts of {@value #MIN_MESSAGE_CHARS} to {@link TokenEstimate#SAMPLE_CHARS}
 * characters (in a table of their own, so that a long conversation does not push the prompts out). A reading takes
 * one of {@value #WAYS} slots found from a short text's own hash, and from a long text's length and
 * {@value #SAMPLES} of its characters (a tool's: its name's and its description's), so that a long text parsed anew,
 * whose hash is not known yet, is not read whole to find it; it answers only for a text (or a tool) equal to the one
 * read, and when the slots are taken a new reading replaces one. Shorter texts (little to save, and they would take
 * the places of texts worth keeping) and longer texts or tools are read every time. A prompt text longer than
 * {@link TokenEstimate#SAMPLE_CHARS} is estimated from its sampled windows and its signals are left to the
 * classifier, as when it is read. Safe for any number of threads: a reading is immutable once published, and two
 * threads reading the same new text at once both read it.
 */
public final class PromptReadings {

    static final int TEXT_SLOTS = 64;
    static final int TOOL_SLOTS = 64;
    static final int MESSAGE_SLOTS = 128;
    static final int MIN_MESSAGE_CHARS = 1_024;
    /** The slots a hash may take. */
    static final int WAYS = 4;
    static final int MIN_CHARS = 256;
    static final int MAX_TEXT_CHARS = 65_536;
    static final int MAX_TOOL_CHARS = 16_384;
    /**
     * Up to this many characters, a prompt text's slots are found from its own hash: the texts the sticky-prefix key
     * hashes whole (twice its window).
     */
    public static final int OWN_HASH_CHARS = 2_048;
    /** The characters of a longer text or a tool's description that find its slots, spread evenly over it. */
    static final int SAMPLES = 16;
    /** The signals a reading looks for: every signal a system or developer text can give. */
    static final int SIGNALS = TextSignals.CODE | TextSignals.JSON | TextSignals.REASON;

    /** A reading, and the text or tool it answers for. */
    private interface Keyed {
        boolean isFor(Object key);
    }

    /** One text's reading; {@code signals} is -1 for a sampled text; {@code counts} is never added to. */
    private record Reading(String text, int signals, TokenEstimate counts) implements Keyed {
        @Override
        public boolean isFor(Object key) {
            return text.equals(key);
        }
    }

    /**
     * One tool's reading: the counts of its name, description and schema, and what they were counted from (the
     * schema {@link #flatten flattened}, so that a caller changing the tool's maps afterwards cannot change it).
     */
    private record ToolReading(String name, String description, Object[] schema, TokenEstimate counts)
            implements Keyed {
        @Override
        public boolean isFor(Object key) {
            var function = ((Tool) key).function();
            return name.equals(function.name()) && Objects.equals(description, function.description())
                    && sameInOrder(schema, function.parameters());
        }
    }

    /**
     * Readings found by a hash in one of {@value #WAYS} neighbouring slots, so that a few texts whose hashes meet do
     * not take each other's place on every request; a new reading takes an empty slot of the hash's, or one in turn.
     */
    private static final class Table<R extends Keyed> {
        private final AtomicReferenceArray<R> slots;
        /** The next slot to give up, of the hash's; racy on purpose: any of them will do. */
        private int turn;

        Table(int size) {
            slots = new AtomicReferenceArray<>(size);
        }

        R find(int hash, Object key) {
            int first = first(hash);
            for (int way = 0; way < WAYS; way++) {
                R reading = slots.get(first + way);
                if (reading != null && reading.isFor(key)) {
                    return reading;
                }
            }
            return null;
        }

        void put(int hash, R reading) {
            int first = first(hash);
            for (int way = 0; way < WAYS; way++) {
                if (slots.get(first + way) == null) {
                    slots.set(first + way, reading);
                    return;
                }
            }
            slots.set(first + (turn++ & (WAYS - 1)), reading);
        }

        private int first(int hash) {
            return firstSlot(hash, slots.length());
        }
    }

    private final Table<Reading> texts = new Table<>(TEXT_SLOTS);
    private final Table<Reading> messages = new Table<>(MESSAGE_SLOTS);
    private final Table<ToolReading> tools = new Table<>(TOOL_SLOTS);

    /**
     * The {@code wanted} signals (some of the code, json and reason signals) that
     * {@link RuleClassifier#scanCounting(String, int, TokenEstimate)} finds in a system or developer text, counting
     * the text into {@code tally} as it does; from the reading kept when the text was read before. For a text longer
     * than {@link TokenEstimate#SAMPLE_CHARS}, -1: it is counted from its sampled windows, and its signals are the
     * classifier's to look for.
     */
    public int scanCounting(String text, int wanted, TokenEstimate tally) {
        return scanCounting(texts, MIN_CHARS, MAX_TEXT_CHARS, true, text, wanted, tally);
    }

    /**
     * {@link #scanCounting(String, int, TokenEstimate)} for a text of the conversation (a user, assistant or tool
     * message's text, or one of its blocks, but not the last user message's, whose simple words the classifier may
     * look for): {@code wanted} is 0 for a text whose signals are not looked for. Kept from
     * {@value #MIN_MESSAGE_CHARS} to {@link TokenEstimate#SAMPLE_CHARS} characters, in a table of their own, so that a
     * long conversation does not push the system prompts out.
     */
    public int scanCountingMessage(String text, int wanted, TokenEstimate tally) {
        return scanCounting(messages, MIN_MESSAGE_CHARS, TokenEstimate.SAMPLE_CHARS, false, text, wanted, tally);
    }

    /** {@code ownHash}: whether a text of up to {@value #OWN_HASH_CHARS} characters is found by its own hash. */
    private static int scanCounting(Table<Reading> table, int min, int max, boolean ownHash, String text, int wanted,
                                    TokenEstimate tally) {
        if ((wanted & ~SIGNALS) != 0) {
            throw new IllegalArgumentException("a text's reading holds no signal " + (wanted & ~SIGNALS));
        }
        int length = text.length();
        if (length < min || length > max) {
            return read(text, wanted, tally);
        }
        int hash = ownHash ? promptHash(text) : sampledHash(text);
        Reading reading = table.find(hash, text);
        if (reading == null) {
            TokenEstimate counts = new TokenEstimate();
            reading = new Reading(text, read(text, SIGNALS, counts), counts);
            table.put(hash, reading);
        }
        tally.addAll(reading.counts());
        return reading.signals() < 0 ? -1 : reading.signals() & wanted;
    }

    private static int read(String text, int wanted, TokenEstimate tally) {
        if (text.length() > TokenEstimate.SAMPLE_CHARS) {
            tally.add(text);
            return -1;
        }
        if (wanted == 0) {
            tally.add(text); // counting alone is cheaper
            return 0;
        }
        return TextSignals.scanCounting(text, wanted, tally) & wanted;
    }

    /**
     * Counts a function tool into {@code tally}: its name, its description and its parameters' schema (as the text
     * {@link java.util.Map#toString()} gives, a stand-in for the JSON the model is shown); from the reading kept when
     * an equal tool was read before.
     */
    public void count(Tool tool, TokenEstimate tally) {
        var function = tool.function();
        int hash = toolHash(tool);
        ToolReading reading = tools.find(hash, tool);
        if (reading != null) {
            tally.addAll(reading.counts());
            return;
        }
        TokenEstimate counts = new TokenEstimate();
        counts.add(function.name());
        int chars = 0;
        if (function.description() != null) {
            counts.add(function.description());
            chars += function.description().length();
        }
        if (function.parameters() != null) {
            String schema = function.parameters().toString();
            counts.add(schema);
            chars += schema.length();
        }
        if (function.name().length() + chars <= MAX_TOOL_CHARS) {
            tools.put(hash, new ToolReading(function.name(), function.description(), flatten(function.parameters()),
                    counts));
        }
        tally.addAll(counts);
    }

    /** Where a schema's map or list begins in its {@link #flatten flattened} form; its size follows. */
    private static final Object MAP = new Object();
    private static final Object LIST = new Object();

    /**
     * A schema as one array, in its maps' order: a map as {@code MAP, size, key, value, ...}, a list as
     * {@code LIST, size, value, ...}, anything else (strings, numbers, booleans, null) as it is. A copy the caller
     * cannot change, and compared in order ({@link #sameInOrder}), since a schema's text depends on its keys' order
     * where {@link Map#equals} does not.
     */
    private static Object[] flatten(Object schema) {
        List<Object> out = new ArrayList<>();
        flatten(schema, out);
        return out.toArray();
    }

    private static void flatten(Object value, List<Object> out) {
        if (value instanceof Map<?, ?> map) {
            out.add(MAP);
            out.add(map.size());
            map.forEach((key, v) -> {
                out.add(key);
                flatten(v, out);
            });
        } else if (value instanceof List<?> list) {
            out.add(LIST);
            out.add(list.size());
            for (Object v : list) {
                flatten(v, out);
            }
        } else {
            out.add(value);
        }
    }

    /** Whether {@code schema} is the one {@code flat} was flattened from. */
    private static boolean sameInOrder(Object[] flat, Object schema) {
        InOrder walk = new InOrder(flat);
        walk.visit(schema);
        return walk.same && walk.at == flat.length;
    }

    /** A walk of a schema against a flattened one; a map's entries are visited by its own {@code forEach}. */
    private static final class InOrder implements java.util.function.BiConsumer<Object, Object> {
        private final Object[] flat;
        private int at;
        private boolean same = true;

        InOrder(Object[] flat) {
            this.flat = flat;
        }

        void visit(Object value) {
            if (!same || at >= flat.length) {
                same = false;
            } else if (value instanceof Map<?, ?> map) {
                if (opens(MAP, map.size())) {
                    map.forEach(this);
                }
            } else if (value instanceof List<?> list) {
                if (opens(LIST, list.size())) {
                    for (Object v : list) {
                        visit(v);
                    }
                }
            } else {
                same = Objects.equals(flat[at++], value);
            }
        }

        private boolean opens(Object kind, int size) {
            same = at + 1 < flat.length && flat[at] == kind && flat[at + 1] instanceof Integer n && n == size;
            at += 2;
            return same;
        }

        @Override
        public void accept(Object key, Object value) {
            if (same && at < flat.length && Objects.equals(flat[at], key)) {
                at++;
                visit(value);
            } else {
                same = false;
            }
        }
    }

    /** The first of the {@value #WAYS} slots of a table of {@code size} that a reading of this hash may take. */
    private static int firstSlot(int hash, int size) {
        return (hash ^ (hash >>> 16)) & (size - 1) & -WAYS;
    }

    /** The slots a prompt text's reading may take, by the first of them. */
    static int textSlots(String text) {
        return firstSlot(promptHash(text), TEXT_SLOTS);
    }

    /**
     * A prompt text's hash: up to {@value #OWN_HASH_CHARS} characters, its own (which {@code String} caches, and which
     * the sticky-prefix key computes for the same text anyway), else {@link #sampledHash}. A conversation's texts,
     * which the key does not hash but for the first message's, take the sampled hash whatever their length.
     */
    private static int promptHash(String text) {
        return text.length() <= OWN_HASH_CHARS ? text.hashCode() : sampledHash(text);
    }

    /** A hash of {@code text}'s length and {@value #SAMPLES} of its characters, spread evenly over it. */
    static int sampledHash(String text) {
        int n = text.length();
        if (n == 0) {
            return 0;
        }
        int step = n / SAMPLES;
        int hash = n;
        for (int k = 0; k < SAMPLES - 1; k++) {
            hash = 31 * hash + text.charAt(k * step);
        }
        return 31 * hash + text.charAt(n - 1);
    }

    private static int toolHash(Tool tool) {
        var function = tool.function();
        return function.name().hashCode() * 31
                + (function.description() == null ? 0 : sampledHash(function.description()));
    }

    /** Whether a reading of {@code text} is kept, as a prompt's or as a message's. */
    boolean holds(String text) {
        return texts.find(promptHash(text), text) != null || messages.find(sampledHash(text), text) != null;
    }

    /** Whether a reading of {@code tool} is kept. */
    boolean holds(Tool tool) {
        return tools.find(toolHash(tool), tool) != null;
    }
}
