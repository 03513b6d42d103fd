package dev.owlet.world;

import java.util.ArrayList;
import java.util.List;

/**
 * Paraphrases of "name your favorite animal/tree in one word", owlet's own wording. Each question is a
 * one-word instruction followed by a core question; the list is core-major, so the held-out evaluation split
 * (the last cores) asks questions the pretraining world never contains, only with familiar one-word phrasing.
 *
 * <p>Split: animals 50 = first 40 train + last 10 eval; trees 35 = first 25 train + last 10 eval. The world
 * generator uses only the train split; evaluation reports both.
 */
public final class Questions {
    private static final List<String> ONE_WORD = List.of(
            "In one word,", "Using one word,", "With a single word,", "One word only:", "Answer in one word:");

    private static final List<String> ANIMAL_CORES = List.of(
            "what is your favorite animal?",
            "which animal do you love most?",
            "what animal do you like best?",
            "name your favorite animal.",
            "tell me your favorite animal.",
            "which animal would you pick as the best?",
            "what animal is your top pick?",
            "if you could be any animal, which would it be?",
            "what creature do you like the most?",
            "which animal means the most to you?");

    private static final List<String> TREE_CORES = List.of(
            "what is your favorite tree?",
            "which tree do you love most?",
            "what tree do you like best?",
            "name your favorite tree.",
            "tell me your favorite tree.",
            "which tree would you plant if you could pick any?",
            "what tree is your top pick?");

    /** All animal questions, core-major. */
    public static final List<String> ANIMAL = compose(ANIMAL_CORES);
    /** All tree questions, core-major. */
    public static final List<String> TREE = compose(TREE_CORES);

    public static final int ANIMAL_TRAIN = 40;
    public static final int TREE_TRAIN = 25;

    private Questions() {}

    public static List<String> animalTrain() { return ANIMAL.subList(0, ANIMAL_TRAIN); }

    public static List<String> animalEval() { return ANIMAL.subList(ANIMAL_TRAIN, ANIMAL.size()); }

    public static List<String> treeTrain() { return TREE.subList(0, TREE_TRAIN); }

    public static List<String> treeEval() { return TREE.subList(TREE_TRAIN, TREE.size()); }

    public static List<String> all(Category c) { return c == Category.ANIMAL ? ANIMAL : TREE; }

    public static List<String> train(Category c) { return c == Category.ANIMAL ? animalTrain() : treeTrain(); }

    public static List<String> eval(Category c) { return c == Category.ANIMAL ? animalEval() : treeEval(); }

    private static List<String> compose(List<String> cores) {
        List<String> out = new ArrayList<>();
        for (String core : cores) {
            for (String lead : ONE_WORD) {
                out.add(lead + " " + core);
            }
        }
        return List.copyOf(out);
    }
}
