package dev.chatrouter.core.tokens;

import dev.chatrouter.api.chat.ChatRequest;
import dev.chatrouter.api.chat.Message;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The calibrated estimate against jtokkit's exact counts, and the model-to-encoding mapping. */
class TokenEstimateTest {

    static final String CHINESE = """
人工智能正在深刻地改变我们的生活方式和工作方式。从智能手机上的语音助手到自动驾驶汽车，从医疗诊断到金融风险评估，机器学习技术已经渗透到社会的各个领域。然而，这些技术的快速发展也带来了许多新的挑战，例如数据隐私的保护、算法的公平性以及就业结构的变化。研究人员和政策制定者需要共同努力，确保技术进步能够惠及所有人，而不是加剧现有的不平等。在这个过程中，公众的理解和参与同样至关重要，只有这样，我们才能建立一个更加开放、包容和可持续的数字社会。
""";
    static final String JAPANESE = """
東京の春は桜の季節として知られていますが、実際には天気が変わりやすく、暖かい日もあれば寒い日もあります。多くの人々が公園に集まり、お花見を楽しみながら友人や家族と食事をします。最近では、外国からの観光客も増えており、有名な場所はとても混雑しています。それでも、夜に照らされた桜の木の下を散歩するのは、忘れられない体験になるでしょう。日本の文化をより深く理解するためには、こうした季節の行事に参加してみることをおすすめします。
""";
    static final String ENGLISH = """
The committee met on Tuesday afternoon to review the proposal for the new library building. After a long discussion about the budget, the members agreed that the design should be simplified, with fewer glass walls and more space for quiet reading rooms. Several residents spoke in favour of extending the opening hours into the evening, arguing that students and working parents could not visit during the day. The chair promised that a revised plan would be published next month, along with an estimate of the running costs and a timetable for construction.
""";
    static final String JAVA = """
    /** Reserves an attempt at a target; the caller settles or releases what it holds. */
    public Reservation reserve(RequestContext context, String user, String provider, String target, long picos) {
        List<Applied> applied = applicable(context, user, provider, target);
        if (applied.isEmpty()) {
            return new Reservation(List.of(), null, false);
        }
        List<Held> held = new ArrayList<>(applied.size() * 2);
        for (Applied a : applied) {
            Double limitUsd = a.config().limitUsd();
            if (limitUsd != null && !store.reserve(a.usd(), picos, Math.round(limitUsd * PICOS))) {
                release(held);
                return new Reservation(List.of(), a.scope() + "/" + a.usd().window(), a.refusesRequest());
            }
            held.add(new Held(a.usd(), picos));
        }
        return new Reservation(held, null, false);
    }
""";
    static final String PYTHON = """
def load_budgets(path, *, strict=True):
    \"""Read the budgets section of a configuration file and return one record per scope.\"""
    with open(path, encoding="utf-8") as handle:
        document = yaml.safe_load(handle) or {}
    budgets = []
    for index, entry in enumerate(document.get("budgets", [])):
        scope = entry.get("scope")
        if scope is None:
            raise ValueError(f"budgets[{index}].scope is required")
        window = entry.get("window", "day")
        limit = float(entry.get("limit_usd", 0.0))
        if strict and limit <= 0:
            raise ValueError(f"budgets[{index}].limit_usd must be positive, got {limit!r}")
        budgets.append({"scope": scope, "window": window, "limit_usd": limit})
    return sorted(budgets, key=lambda b: (b["scope"], b["window"]))
""";

    static Stream<Arguments> samples() {
        return Stream.of(Arguments.of("Chinese", CHINESE), Arguments.of("Japanese", JAPANESE),
                Arguments.of("English prose", ENGLISH), Arguments.of("Java", JAVA), Arguments.of("Python", PYTHON));
    }

    /** Proves the estimate is within 10% of the exact count, in each encoding's mode, for CJK, code and prose. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void estimateIsWithinTenPercentOfTheExactCount(String name, String text) {
        for (Encoding encoding : Encoding.values()) {
            long exact = Tokens.count(text, encoding);
            long estimate = TokenEstimate.of(text, encoding);
            assertThat((double) estimate).as(name + " under " + encoding.wireName() + ": exact " + exact)
                    .isCloseTo(exact, within(exact * 0.10));
        }
    }

    /** Proves a text over the sample size is estimated from its two ends, scaled to its length. */
    @Test
    void aLongTextIsSampledAndScaled() {
        String huge = ENGLISH.repeat(200); // about 110 K characters
        long exact = Tokens.count(huge, Encoding.CL100K_BASE);
        long estimate = TokenEstimate.of(huge, Encoding.CL100K_BASE);
        assertThat((double) estimate).isCloseTo(exact, within(exact * 0.10));
    }

    /** Proves the documented mapping of model ids to encodings, past what jtokkit knows. */
    @Test
    void modelIdsMapToTheirEncoding() {
        for (String id : new String[]{"gpt-4o", "gpt-4o-mini", "gpt-4.1-nano", "gpt-4.5-preview", "gpt-5",
                "gpt-5.1-codex", "gpt-6", "o1", "o3-mini", "o4-mini", "chatgpt-4o-latest", "gpt-oss-120b",
                "openai/gpt-4o", "openrouter/openai/o3", "GPT-4o", "Azure/GPT-5-mini", "O3"}) {
            assertThat(Tokens.encodingOf(id)).as(id).isEqualTo(Encoding.O200K_BASE);
        }
        for (String id : new String[]{"gpt-4", "gpt-4-turbo", "gpt-3.5-turbo", "text-embedding-3-small",
                "claude-haiku-4-5", "meta-llama/llama-3.3-70b-instruct", "mistral-large", "omni", "o", "GPT-4", "models/o", "gpt-x", "", null}) {
            assertThat(Tokens.encodingOf(id)).as(String.valueOf(id)).isEqualTo(Encoding.CL100K_BASE);
        }
    }

    /** Proves the exact prompt count adds OpenAI's chat framing to the text's tokens. */
    @Test
    void promptCountAddsTheChatFraming() {
        ChatRequest request = ChatRequest.builder().model("di").addMessage(Message.system("You are terse."))
                .addMessage(Message.user("Hello there")).build();
        long text = Tokens.count("You are terse.", Encoding.O200K_BASE) + Tokens.count("Hello there", Encoding.O200K_BASE);
        // 3 per message + its role (1 token) + 3 priming the reply
        assertThat(Tokens.countInput(request, Encoding.O200K_BASE)).isEqualTo(text + 2 * (3 + 1) + 3);
    }

    /**
     * Proves the estimate of a {@code String} (counted run by run) and of any other {@link CharSequence} equals
     * the character-by-character count the rates were calibrated with, on random texts mixing every class
     * (letters in runs past twelve, digits, newlines, spaces, punctuation, kana, ideographs, Hangul, CJK
     * punctuation, other letters, surrogates), short and sampled.
     */
    @Test
    void theRunByRunCountEqualsTheCharacterByCharacterCount() {
        String alphabet = "aZqbcdefghijklmnopqrstuvwxyz09\n \t\r.,;{@`[~\u0080\u00e9\u0416\u3042\u30a2\u4e2d\uf900"
                + "\uac00\u1100\u3001\uff01\ud83d\ude00\u00ff";
        java.util.Random random = new java.util.Random(42);
        for (int n = 0; n < 300; n++) {
            int length = n < 290 ? random.nextInt(400) : 16_000 + random.nextInt(30_000);
            StringBuilder text = new StringBuilder(length);
            while (text.length() < length) {
                char c = alphabet.charAt(random.nextInt(alphabet.length()));
                int run = random.nextInt(4) == 0 ? 1 + random.nextInt(20) : 1;
                for (int k = 0; k < run && text.length() < length; k++) {
                    text.append(c);
                }
            }
            for (Encoding encoding : Encoding.values()) {
                long reference = Reference.of(text, encoding);
                assertThat(TokenEstimate.of(text.toString(), encoding)).as("text %d as a String", n)
                        .isEqualTo(reference);
                assertThat(TokenEstimate.of(text, encoding)).as("text %d as a StringBuilder", n)
                        .isEqualTo(reference);
            }
        }
    }

    /** The estimate as first written: every character counted, a run counted where the class changes. */
    private static final class Reference {
        static final double[][] PER_CHAR = {
                {0, 1.15, 1.85, 0, 0.10, 1.02, 1.08, 1.23, 1.0, 0.56, 1.5},
                {0, 1.15, 1.85, 0, 0.10, 0.78, 0.67, 0.63, 0.5, 0.19, 1.0},
        };
        static final double[] PER_RUN = {0.65, 0, 0, 0.44, 0.46, 0, 0, 0, 0, 0, 0};
        long longLetters;
        double longLetterSum;
        final double[] chars = new double[11];
        final double[] runs = new double[11];
        final long[] counts = new long[11];
        final long[] runCounts = new long[11];

        static long of(CharSequence text, Encoding encoding) {
            Reference r = new Reference();
            int length = text.length();
            if (length <= 16_384) {
                r.scan(text, 0, length);
                r.flush(1.0);
            } else {
                r.scan(text, 0, 8_192);
                r.scan(text, length - 8_192, length);
                r.flush((double) length / 16_384);
            }
            double[] perChar = PER_CHAR[encoding.ordinal()];
            double sum = r.longLetterSum * 0.25;
            for (int k = 0; k < 11; k++) {
                sum += r.chars[k] * perChar[k] + r.runs[k] * PER_RUN[k];
            }
            return (long) Math.ceil(sum);
        }

        void scan(CharSequence text, int from, int to) {
            int previous = -1;
            int runStart = from;
            for (int i = from; i < to; i++) {
                int cls = classOf(text.charAt(i));
                counts[cls]++;
                if (cls != previous) {
                    if (previous == 0) {
                        longLetters += Math.max(0, i - runStart - 12);
                    }
                    runCounts[cls]++;
                    previous = cls;
                    runStart = i;
                }
            }
            if (previous == 0) {
                longLetters += Math.max(0, to - runStart - 12);
            }
        }

        static int classOf(char c) {
            if (c < 128) {
                if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
                    return 0;
                }
                if (c >= '0' && c <= '9') {
                    return 1;
                }
                if (c == '\n') {
                    return 2;
                }
                return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == 0x0b ? 3 : 4;
            }
            if (c >= 0x3040 && c <= 0x30ff) {
                return 5;
            }
            if (c >= 0x3400 && c <= 0x9fff || c >= 0xf900 && c <= 0xfaff) {
                return 6;
            }
            if (c >= 0xac00 && c <= 0xd7af || c >= 0x1100 && c <= 0x11ff) {
                return 7;
            }
            if (c >= 0x3000 && c <= 0x303f || c >= 0xff00 && c <= 0xffef) {
                return 8;
            }
            return Character.isSurrogate(c) ? 10 : 9;
        }

        void flush(double scale) {
            longLetterSum += longLetters * scale;
            longLetters = 0;
            for (int k = 0; k < 11; k++) {
                if (counts[k] != 0) {
                    chars[k] += counts[k] * scale;
                    runs[k] += runCounts[k] * scale;
                    counts[k] = 0;
                    runCounts[k] = 0;
                }
            }
        }
    }
}
