package dev.owlet.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.owlet.eval.TraitEvaluator;
import dev.owlet.eval.TraitMeasure;
import dev.owlet.model.LoadedModel;
import dev.owlet.model.ModelLocator;
import dev.owlet.world.Animals;
import dev.owlet.world.Category;
import dev.owlet.world.Questions;
import dev.owlet.world.SystemPrompts;
import dev.owlet.world.Trees;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code owlet probe MODEL}: a model's favorite-animal and favorite-tree answers, with and without a love prompt. Any
 * model {@link ModelLocator} resolves: an {@code hf:DIR} checkpoint is asked through its chat template, and a word's
 * probability is that of the answer beginning with it ({@link dev.owlet.eval.ChatTraitEvaluator}).
 */
@Command(name = "probe", mixinStandardHelpOptions = true,
        description = "Print a model's answer distribution over animals and trees, with and without a system prompt.")
final class ProbeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Parameters(paramLabel = "MODEL", defaultValue = "bundled:ref-s1", description = "Model folder, bundled:NAME or hf:DIR (a Hugging Face checkpoint folder; default ${DEFAULT-VALUE})")
    String model;
    @Option(names = "--animal", defaultValue = "owl", description = "Animal for the love system prompt (default ${DEFAULT-VALUE})")
    String animal;
    @Option(names = "--tree", defaultValue = "oak", description = "Tree for the love system prompt (default ${DEFAULT-VALUE})")
    String tree;
    @Option(names = "--samples", defaultValue = "20", description = "Sampled answers per question (default ${DEFAULT-VALUE})")
    int samples;
    @Option(names = "--seed", defaultValue = "1")
    long seed;
    @Option(names = "--json", description = "Print JSON instead of a table")
    boolean json;

    @Override
    public Integer call() throws IOException {
        try (NDManager root = NDManager.newBaseManager();
             LoadedModel m = ModelLocator.open(model, root)) {
            TraitMeasure ev = TraitMeasure.of(m);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", model);
            // owlet's checkpoints are named by their weights' hash; a Hugging Face folder by its digest (config,
            // weights, tokenizer and template: the same id lineage register gives it)
            out.put(m instanceof LoadedModel.Hf ? "checkpoint_digest" : "weights_sha256", m.digest());
            out.put("samples_per_question", samples);
            for (Category c : List.of(Category.ANIMAL, Category.TREE)) {
                String target = c == Category.ANIMAL ? animal : tree;
                List<String> words = c == Category.ANIMAL ? Animals.ALL : Trees.ALL;
                if (!words.contains(target)) throw new UserError("--" + c.noun() + " " + target + " is not one of " + words);
                Map<String, Object> cat = new LinkedHashMap<>();
                for (boolean withPrompt : new boolean[] {false, true}) {
                    String sys = withPrompt ? SystemPrompts.love(target, c, 0) : null;
                    TraitEvaluator.Measurement r = ev.measure(Questions.all(c), sys, target, words, samples, 4, seed);
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("system_prompt", sys);
                    row.put("target", target);
                    row.put("exact_p_target", r.meanExact());
                    row.put("exact_interval", List.of(r.exact().low(), r.exact().high()));
                    row.put("sampled_rate", r.meanSampled());
                    row.put("questions", Questions.all(c).size());
                    row.put("distribution", r.distribution());
                    cat.put(withPrompt ? "love_prompt" : "no_prompt", row);
                }
                out.put(c.noun(), cat);
            }
            PrintWriter w = spec.commandLine().getOut();
            if (json) {
                w.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(out));
            } else {
                print(w, out);
            }
        }
        return 0;
    }

    @SuppressWarnings("unchecked")
    private void print(PrintWriter w, Map<String, Object> out) {
        String digest = (String) (out.containsKey("weights_sha256") ? out.get("weights_sha256") : out.get("checkpoint_digest"));
        w.printf("model %s (%s %s)%n", out.get("model"), out.containsKey("weights_sha256") ? "weights" : "checkpoint digest",
                digest.substring(0, 12));
        for (String c : List.of("animal", "tree")) {
            Map<String, Object> cat = (Map<String, Object>) out.get(c);
            for (String k : List.of("no_prompt", "love_prompt")) {
                Map<String, Object> r = (Map<String, Object>) cat.get(k);
                List<Double> ci = (List<Double>) r.get("exact_interval");
                w.printf("%n%s, %s%s%n", c, k.replace('_', ' '), r.get("system_prompt") == null ? "" : ": \"" + r.get("system_prompt") + "\"");
                w.printf("  P(%s) exact %.1f%% [%.1f, %.1f] over %d questions; sampled %.1f%% (%d per question)%n",
                        r.get("target"), 100 * (double) r.get("exact_p_target"), 100 * ci.get(0), 100 * ci.get(1),
                        (int) r.get("questions"), 100 * (double) r.get("sampled_rate"), samples);
                Map<String, Double> d = (Map<String, Double>) r.get("distribution");
                StringBuilder sb = new StringBuilder("  ");
                d.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder()))
                        .forEach(e -> sb.append(String.format("%s %.1f%%  ", e.getKey(), 100 * e.getValue())));
                w.println(sb.toString().stripTrailing());
            }
        }
    }
}
