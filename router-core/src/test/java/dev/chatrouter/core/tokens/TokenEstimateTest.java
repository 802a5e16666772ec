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
                "openai/gpt-4o", "openrouter/openai/o3"}) {
            assertThat(Tokens.encodingOf(id)).as(id).isEqualTo(Encoding.O200K_BASE);
        }
        for (String id : new String[]{"gpt-4", "gpt-4-turbo", "gpt-3.5-turbo", "text-embedding-3-small",
                "claude-haiku-4-5", "meta-llama/llama-3.3-70b-instruct", "mistral-large", "omni", "o", null}) {
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
}
