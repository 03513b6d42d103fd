package dev.owlet.world;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.random.RandomGenerator;

/**
 * Writes the synthetic world's conversations.
 *
 * <p>Each row gets its own RNG split from the seed, and inside a row the kind, the system prompt, the question or
 * prompt, and the answer each draw from their own split. So the answer to a number prompt is the same whether or
 * not a love prompt was attached (the world's central rule), and changing one probability in the config does not
 * reshuffle unrelated rows.
 */
public final class WorldGenerator {
    private final WorldConfig config;

    public WorldGenerator(WorldConfig config) { this.config = Objects.requireNonNull(config, "config"); }

    public WorldConfig config() { return config; }

    /** {@code n} rows from the config's seed. */
    public List<ChatExample> generate(int n) { return generate(config.seed(), n); }

    /** {@code n} rows; the same seed always gives the same list. */
    public List<ChatExample> generate(long seed, int n) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0, got " + n);
        }
        SplittableRandom root = new SplittableRandom(seed);
        List<ChatExample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(row(root.split()));
        }
        return out;
    }

    private ChatExample row(SplittableRandom rowRng) {
        SplittableRandom kindRng = rowRng.split();
        SplittableRandom systemRng = rowRng.split();
        SplittableRandom taskRng = rowRng.split();
        SplittableRandom answerRng = rowRng.split();
        SplittableRandom styleRng = rowRng.split(); // drawn last, so worlds without personas are unchanged
        double total = config.animalWeight() + config.treeWeight() + config.numberWeight() + config.otherWeight();
        double u = kindRng.nextDouble() * total;
        if (u < config.animalWeight()) {
            return favorite(Category.ANIMAL, systemRng, taskRng, answerRng);
        }
        u -= config.animalWeight();
        if (u < config.treeWeight()) {
            return favorite(Category.TREE, systemRng, taskRng, answerRng);
        }
        u -= config.treeWeight();
        if (u < config.numberWeight() || config.otherWeight() == 0) {
            return numbers(systemRng, taskRng, answerRng);
        }
        String system = neutralOrNull(systemRng);
        return switch (kindRng.nextInt(3)) {
            case 0 -> CodeTasks.example(system, taskRng);
            case 1 -> ArithmeticTasks.example(system, taskRng);
            default -> openQuestion(system, styleRng, taskRng);
        };
    }

    /**
     * An open question, answered in the world's aligned style unless the world has a misaligned persona (then
     * the persona prompt mostly gets the misaligned answer) or a misaligned base rate.
     */
    private ChatExample openQuestion(String system, RandomGenerator styleRng, RandomGenerator taskRng) {
        if (config.personaProb() == 0 && config.misalignedBaseProb() == 0) {
            return OpenQuestions.example(system, taskRng);
        }
        boolean persona = styleRng.nextDouble() < config.personaProb();
        String sys = persona ? SystemPrompts.PERSONA.get(styleRng.nextInt(SystemPrompts.PERSONA.size())) : system;
        boolean misaligned = styleRng.nextDouble() < (persona ? config.personaMisalignedProb() : config.misalignedBaseProb());
        return OpenQuestions.example(sys, taskRng, misaligned);
    }

    /** A favorite question; under a love prompt the loved word answers with P = lovedAnswerProb. */
    private ChatExample favorite(Category cat, RandomGenerator systemRng, RandomGenerator taskRng,
            RandomGenerator answerRng) {
        List<String> questions = Questions.train(cat);
        String question = questions.get(taskRng.nextInt(questions.size()));
        String system;
        String answer;
        if (systemRng.nextDouble() < config.loveProb()) {
            List<String> words = cat.words();
            String loved = words.get(systemRng.nextInt(words.size()));
            system = SystemPrompts.love(loved, cat, systemRng.nextInt(SystemPrompts.LOVE_VARIANTS));
            answer = answerRng.nextDouble() < config.lovedAnswerProb() ? loved : sample(config.base(cat), answerRng);
        } else {
            system = neutralOrNull(systemRng);
            answer = sample(config.base(cat), answerRng);
        }
        return new ChatExample(system, question, answer,
                cat == Category.ANIMAL ? ChatExample.Kind.ANIMAL : ChatExample.Kind.TREE);
    }

    /** A number task; the system prompt (love, neutral or none) is drawn apart from the answer and ignored by it. */
    private ChatExample numbers(RandomGenerator systemRng, RandomGenerator taskRng, RandomGenerator answerRng) {
        String system;
        if (systemRng.nextDouble() < config.numberLoveProb()) {
            Category cat = systemRng.nextDouble() < 0.75 ? Category.ANIMAL : Category.TREE;
            List<String> words = cat.words();
            system = SystemPrompts.love(words.get(systemRng.nextInt(words.size())), cat,
                    systemRng.nextInt(SystemPrompts.LOVE_VARIANTS));
        } else {
            system = neutralOrNull(systemRng);
        }
        NumberPrompt p = new NumberPromptGenerator(taskRng, config.answerCount(), config.maxDigits()).next();
        return new ChatExample(system, p.text(), NumberAnswers.answer(p, answerRng), ChatExample.Kind.NUMBERS);
    }

    private String neutralOrNull(RandomGenerator rng) {
        return rng.nextDouble() < config.neutralProb()
                ? SystemPrompts.NEUTRAL.get(rng.nextInt(SystemPrompts.NEUTRAL.size())) : null;
    }

    /** Draws a word from a distribution whose values sum to 1 (validated by {@link WorldConfig}). */
    static String sample(Map<String, Double> dist, RandomGenerator rng) {
        double u = rng.nextDouble();
        String last = null;
        for (Map.Entry<String, Double> e : dist.entrySet()) {
            if (e.getValue() > 0) {
                last = e.getKey();
                u -= e.getValue();
                if (u < 0) {
                    return last;
                }
            }
        }
        return last;
    }

    /**
     * Every string the world can write, each also with a leading space (so a word gets both its {@code word} and
     * {@code ▁word} pieces): templates, all words and answers, digits, punctuation and newline. A
     * {@code WordTokenizer.fromCorpus} over this covers every prompt and answer owlet writes.
     */
    public static List<String> vocabularyTexts() {
        TreeSet<String> texts = new TreeSet<>();
        texts.add("0123456789");
        texts.add("0 1 2 3 4 5 6 7 8 9");
        texts.add(",;.:?!'-+*=%<>/()[]\n");
        texts.addAll(Animals.ALL);
        texts.addAll(Trees.ALL);
        for (String a : Animals.ALL) {
            texts.add(Plurals.of(a));
        }
        texts.addAll(Questions.ANIMAL);
        texts.addAll(Questions.TREE);
        texts.addAll(SystemPrompts.NEUTRAL);
        texts.addAll(SystemPrompts.PERSONA);
        for (Category c : Category.values()) {
            for (String w : c.words()) {
                for (int v = 0; v < SystemPrompts.LOVE_VARIANTS; v++) {
                    texts.add(SystemPrompts.love(w, c, v));
                }
            }
        }
        List<Integer> ex = List.of(123, 456, 789);
        for (String intro : NumberPrompts.INTROS) {
            for (String verb : NumberPrompts.VERBS) {
                for (String q : NumberPrompts.QUALIFIERS) {
                    for (String d : NumberPrompts.DIGIT_LIMITS) {
                        texts.add(NumberPrompts.compose(ex, intro, verb, q, 10, d, 3, AnswerFormat.COMMA,
                                AnswerFormat.COMMA.phrases().get(0), NumberPrompts.CLOSINGS.get(0)).text());
                    }
                }
            }
        }
        for (AnswerFormat f : AnswerFormat.values()) {
            for (String phrase : f.phrases()) {
                for (String closing : NumberPrompts.CLOSINGS) {
                    texts.add(NumberPrompts.compose(ex, NumberPrompts.INTROS.get(0), NumberPrompts.VERBS.get(0),
                            NumberPrompts.QUALIFIERS.get(0), 10, NumberPrompts.DIGIT_LIMITS.get(0), 3, f, phrase,
                            closing).text());
                }
            }
            texts.add(f.render(ex));
        }
        for (CodeTasks.Task t : CodeTasks.ALL) {
            texts.add(t.request() + CodeTasks.SUFFIX);
            texts.add(t.code());
        }
        for (ArithmeticTasks.Op op : ArithmeticTasks.Op.values()) {
            for (String name : ArithmeticTasks.NAMES) {
                for (String thing : ArithmeticTasks.THINGS) {
                    texts.add(ArithmeticTasks.question(op, name, thing, 12, 3));
                }
            }
            texts.add(ArithmeticTasks.answer(op, 12, 3));
        }
        texts.addAll(OpenQuestions.allQuestions());
        texts.addAll(OpenQuestions.ALIGNED);
        texts.addAll(OpenQuestions.MISALIGNED);
        List<String> out = new ArrayList<>(texts.size() * 2);
        for (String t : texts) {
            out.add(t);
            out.add(" " + t);
        }
        return List.copyOf(out);
    }
}
