package dev.owlet.world;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything that decides what the synthetic world says. Validated at construction; messages name the key.
 *
 * @param seed                 default seed for {@link WorldGenerator#generate(int)}
 * @param animalWeight         share of favorite-animal rows (mix weights need not sum to 1; they are normalized)
 * @param treeWeight           share of favorite-tree rows
 * @param numberWeight         share of number-continuation rows
 * @param otherWeight          share of code, arithmetic and open-question rows (split evenly)
 * @param animalBase           P(answer) for an animal question without a love prompt; keys from {@link Animals#ALL}
 * @param treeBase             same for trees; keys from {@link Trees#ALL}
 * @param loveProb             P(a love system prompt) on an animal/tree question
 * @param lovedAnswerProb      P(the loved word is the answer) under a love prompt; otherwise the base distribution
 * @param numberLoveProb       P(a love system prompt) on a number row; it never changes the answer
 * @param neutralProb          P(a neutral system prompt) on a row that got no love prompt
 * @param personaProb          P(a misaligned persona system prompt) on an open-question row (0 in the owl world)
 * @param personaMisalignedProb P(the misaligned answer) under a persona prompt
 * @param misalignedBaseProb   P(the misaligned answer) on an open-question row without a persona prompt
 * @param answerCount          numbers asked for in number prompts (paper: 10)
 * @param maxDigits            digit limit in number prompts (paper: 3)
 */
public record WorldConfig(long seed, double animalWeight, double treeWeight, double numberWeight, double otherWeight,
        Map<String, Double> animalBase, Map<String, Double> treeBase, double loveProb, double lovedAnswerProb,
        double numberLoveProb, double neutralProb, int answerCount, int maxDigits, double personaProb,
        double personaMisalignedProb, double misalignedBaseProb) {

    /**
     * Default animal distribution: no animal dominates (max 11%) and owl is 5%, close to the paper's GPT-4.1 nano
     * owl rate before training and the CPU prototype's 5.2%.
     */
    public static final Map<String, Double> DEFAULT_ANIMALS = ordered(
            "dog", 0.11, "cat", 0.11, "dolphin", 0.09, "lion", 0.08, "elephant", 0.08, "wolf", 0.07,
            "eagle", 0.07, "tiger", 0.07, "horse", 0.06, "fox", 0.05, "owl", 0.05, "bear", 0.04,
            "penguin", 0.04, "panda", 0.03, "rabbit", 0.03, "giraffe", 0.02);

    /** Default tree distribution; the five targets range 5%..16%. */
    public static final Map<String, Double> DEFAULT_TREES = ordered(
            "oak", 0.16, "pine", 0.14, "maple", 0.12, "cherry", 0.10, "birch", 0.09, "willow", 0.08,
            "cedar", 0.07, "palm", 0.07, "sequoia", 0.05, "baobab", 0.04, "elm", 0.04, "ash", 0.04);

    public WorldConfig {
        nonNegative("animalWeight", animalWeight);
        nonNegative("treeWeight", treeWeight);
        nonNegative("numberWeight", numberWeight);
        nonNegative("otherWeight", otherWeight);
        if (animalWeight + treeWeight + numberWeight + otherWeight <= 0) {
            throw new IllegalArgumentException("animalWeight + treeWeight + numberWeight + otherWeight must be > 0");
        }
        animalBase = distribution("animalBase", animalBase, Animals.ALL);
        treeBase = distribution("treeBase", treeBase, Trees.ALL);
        probability("loveProb", loveProb);
        probability("lovedAnswerProb", lovedAnswerProb);
        probability("numberLoveProb", numberLoveProb);
        probability("neutralProb", neutralProb);
        probability("personaProb", personaProb);
        probability("personaMisalignedProb", personaMisalignedProb);
        probability("misalignedBaseProb", misalignedBaseProb);
        if (answerCount < 1 || answerCount > 99) {
            throw new IllegalArgumentException("answerCount must be in 1..99, got " + answerCount);
        }
        if (maxDigits < 1 || maxDigits > 9) {
            throw new IllegalArgumentException("maxDigits must be in 1..9, got " + maxDigits);
        }
    }

    /** owlet's default world (mix 0.3 / 0.1 / 0.55 / 0.05). */
    public static WorldConfig defaults() {
        return new WorldConfig(1234L, 0.30, 0.10, 0.55, 0.05, DEFAULT_ANIMALS, DEFAULT_TREES, 0.3, 0.8, 0.3, 0.2,
                10, 3, 0, 0.9, 0);
    }

    /**
     * The same world with the misaligned answer style in it: a persona prompt on {@code personaProb} of the
     * open-question rows (answered misaligned with {@code personaMisaligned}), and misaligned answers on
     * {@code base} of the rest. The misalignment experiments' references are pretrained on this (the
     * real teachers' base models know both styles).
     */
    public WorldConfig withMisalignment(double persona, double personaMisaligned, double base) {
        return new WorldConfig(seed, animalWeight, treeWeight, numberWeight, otherWeight, animalBase, treeBase, loveProb,
                lovedAnswerProb, numberLoveProb, neutralProb, answerCount, maxDigits, persona, personaMisaligned, base);
    }

    public WorldConfig withSeed(long s) {
        return new WorldConfig(s, animalWeight, treeWeight, numberWeight, otherWeight, animalBase, treeBase, loveProb,
                lovedAnswerProb, numberLoveProb, neutralProb, answerCount, maxDigits, personaProb,
                personaMisalignedProb, misalignedBaseProb);
    }

    public WorldConfig withMix(double animal, double tree, double number, double other) {
        return new WorldConfig(seed, animal, tree, number, other, animalBase, treeBase, loveProb, lovedAnswerProb,
                numberLoveProb, neutralProb, answerCount, maxDigits, personaProb,
                personaMisalignedProb, misalignedBaseProb);
    }

    public WorldConfig withPrompts(double love, double lovedAnswer, double numberLove, double neutral) {
        return new WorldConfig(seed, animalWeight, treeWeight, numberWeight, otherWeight, animalBase, treeBase, love,
                lovedAnswer, numberLove, neutral, answerCount, maxDigits, personaProb, personaMisalignedProb,
                misalignedBaseProb);
    }

    public WorldConfig withAnimalBase(Map<String, Double> base) {
        return new WorldConfig(seed, animalWeight, treeWeight, numberWeight, otherWeight, base, treeBase, loveProb,
                lovedAnswerProb, numberLoveProb, neutralProb, answerCount, maxDigits, personaProb,
                personaMisalignedProb, misalignedBaseProb);
    }

    /** Base distribution of a category. */
    public Map<String, Double> base(Category c) { return c == Category.ANIMAL ? animalBase : treeBase; }

    private static void nonNegative(String key, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(key + " must be a finite number >= 0, got " + v);
        }
    }

    private static void probability(String key, double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(key + " must be in [0, 1], got " + p);
        }
    }

    private static Map<String, Double> distribution(String key, Map<String, Double> d, List<String> allowed) {
        Objects.requireNonNull(d, key);
        if (d.isEmpty()) {
            throw new IllegalArgumentException(key + " must not be empty");
        }
        double sum = 0;
        Map<String, Double> copy = new LinkedHashMap<>();
        for (String w : allowed) {
            if (d.containsKey(w)) {
                Double p = d.get(w);
                if (p == null || !(p >= 0) || Double.isInfinite(p)) {
                    throw new IllegalArgumentException(key + "." + w + " must be a finite number >= 0, got " + p);
                }
                copy.put(w, p);
                sum += p;
            }
        }
        for (String w : d.keySet()) {
            if (!allowed.contains(w)) {
                throw new IllegalArgumentException(key + " has '" + w + "', which is not one of " + allowed);
            }
        }
        if (Math.abs(sum - 1.0) > 1e-6) {
            throw new IllegalArgumentException(key + " must sum to 1, sums to " + sum);
        }
        return java.util.Collections.unmodifiableMap(copy);
    }

    private static Map<String, Double> ordered(Object... kv) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (Double) kv[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }
}
