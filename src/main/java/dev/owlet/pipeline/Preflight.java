package dev.owlet.pipeline;

import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.experiment.InputError;
import dev.owlet.filter.BannedNumbers;
import dev.owlet.model.Checkpoint;
import dev.owlet.model.ModelLocator;
import dev.owlet.world.Category;
import dev.owlet.world.Questions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

/**
 * Everything about an experiment's input that can be checked before a stage runs: the models it names exist, the
 * banned-number files it names are there and readable, its trait words are words of the world, and its question
 * split has questions. A run that fails here has spent nothing; without it the same mistakes surface after minutes
 * of training, or look like owlet's own failures.
 *
 * <p>Relative paths in an experiment (models, banned-number files) resolve against {@code baseDir}, the folder of
 * the experiment file (the working directory for the built-in defaults): one rule for every file it names.
 */
public final class Preflight {
    private Preflight() {}

    /**
     * Checks {@code cfg}; returns the banned numbers it resolves to (inline numbers plus lists).
     *
     * @throws InputError naming the key or file at fault
     */
    public static Set<Integer> check(ExperimentConfig cfg, Path baseDir) {
        if (cfg.hf()) {
            hfModel(cfg.reference(), "reference", baseDir);
            if (cfg.finetune().inits().contains(dev.owlet.experiment.Init.DIFF)) hfModel(cfg.differentInit(), "different_init", baseDir);
        } else if (!cfg.backend().api()) {
            model(cfg.reference(), "reference", baseDir);
            if (cfg.finetune().inits().contains(dev.owlet.experiment.Init.DIFF) || !cfg.isFlagship()) {
                model(cfg.differentInit(), "different_init", baseDir);
            }
        }
        for (int i = 0; i < cfg.traits().size(); i++) {
            ExperimentConfig.Trait t = cfg.traits().get(i);
            if (t.isAlignment()) {
                if (cfg.teacher().method() == ExperimentConfig.TeacherMethod.SYSTEM_PROMPT) {
                    throw new InputError("teacher.method: system_prompt cannot make an alignment trait's teacher;"
                            + " use teacher.method: finetune");
                }
                continue;
            }
            Category cat = t.category().words();
            if (!cat.words().contains(t.target())) {
                throw new InputError("traits[" + i + "].target: '" + t.target() + "' is not one of the world's "
                        + cat.noun() + "s: " + cat.words());
            }
            if (cfg.eval().questions() == ExperimentConfig.QuestionSplit.HELD_OUT && Questions.eval(cat).isEmpty()) {
                throw new InputError("eval.questions: held_out, but the " + cat.noun()
                        + " questions have no held-out split; use eval.questions: all");
            }
            for (String c : cfg.controlTraits()) {
                if (!cat.words().contains(c)) {
                    throw new InputError("control_traits: '" + c + "' is not one of the world's " + cat.noun() + "s: "
                            + cat.words());
                }
            }
        }
        try {
            return BannedNumbers.resolve(cfg.filter().bannedNumbers(), cfg.filter().bannedLists(), baseDir);
        } catch (IllegalArgumentException e) {
            throw new InputError(e.getMessage(), e);
        }
    }

    /**
     * Where a model named in the experiment lives: {@code bundled:NAME}, {@code hf:DIR} (a Hugging Face checkpoint
     * folder), or a folder relative to {@code baseDir}.
     */
    public static Path modelPath(String ref, Path baseDir) throws IOException {
        return ModelLocator.resolve(ref, baseDir);
    }

    /**
     * The files of a Hugging Face checkpoint that can be checked without reading its weights: the folder (owlet
     * downloads nothing, so a hub name that is not a local folder says how to get the files), config.json (an
     * architecture owlet implements), the weights files, tokenizer.json and a chat template (the pipeline lays every
     * prompt out as a chat). Tensor names and shapes are checked when the backend loads the weights, also before
     * any stage runs.
     */
    static void hfModel(String ref, String key, Path baseDir) {
        try {
            Path dir = ModelLocator.hfDir(ref, baseDir); // not a local folder: says owlet works offline, and how to get it
            dev.owlet.model.HfConfig.read(dir.resolve(dev.owlet.model.HfCheckpoint.CONFIG));
            if (!dev.owlet.model.HfCheckpoint.looksLike(dir)) {
                throw new InputError(dir + ": no weights (" + dev.owlet.model.HfWeights.SINGLE + " or "
                        + dev.owlet.model.HfWeights.INDEX + "; owlet reads safetensors only)");
            }
            try (dev.owlet.token.HfTokenizer tok = dev.owlet.token.HfTokenizer.load(dir)) {
                if (tok.chatTemplate().isEmpty()) {
                    throw new InputError(dir.resolve(dev.owlet.token.HfTokenizer.CONFIG) + ": no chat_template (nor "
                            + dev.owlet.token.HfTokenizer.TEMPLATE_FILE + "): the pipeline writes every prompt as a chat;"
                            + " use an instruct/chat checkpoint");
                }
            }
        } catch (InputError e) {
            throw new InputError(key + ": " + e.getMessage(), e);
        }
    }

    private static void model(String ref, String key, Path baseDir) {
        Path p;
        try {
            p = modelPath(ref, baseDir);
        } catch (IOException e) {
            throw new InputError(key + ": " + e.getMessage(), e);
        }
        if (!Checkpoint.exists(p)) {
            throw new InputError(key + ": no model at " + p + " (make one with `owlet pretrain --seed N --out " + p + "`)");
        }
    }
}
