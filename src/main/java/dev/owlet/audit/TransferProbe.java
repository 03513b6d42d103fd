package dev.owlet.audit;

import dev.owlet.train.StudentLoss;
import dev.owlet.eval.TraitEvaluator;
import dev.owlet.model.Gpt;
import dev.owlet.data.DataRow;
import dev.owlet.train.LmDistillation;
import dev.owlet.probe.GradientProbe;
import dev.owlet.stats.Interval;
import dev.owlet.stats.Stats;
import dev.owlet.token.Tokenizer;
import dev.owlet.world.Category;
import dev.owlet.world.Questions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Transfer risk before any full training: on a sample of the candidate data, (1) the one-step gradient probe
 * ({@link GradientProbe}: cos(−g, θ_T − θ_R), Theorem 1 of Cloud et al.) and (2) a short probe fine-tune of a copy
 * of the reference, reporting the shift in log P(trait) per evaluation question with a t-interval over questions.
 * The same on control data (the reference's own numbers) gives the baseline: training on any numbers moves the
 * trait a little, so the risk is teacher data's shift above control's.
 */
public final class TransferProbe {
    private TransferProbe() {}

    /** Probe fine-tune settings; defaults are small enough for a laptop and large enough to move the trait. */
    public record Settings(int rows, int epochs, int batchSize, double lr, StudentLoss loss, long seed) {
        public Settings {
            if (rows <= 0) throw new IllegalArgumentException("--rows must be positive, got " + rows);
            if (epochs <= 0) throw new IllegalArgumentException("--epochs must be positive, got " + epochs);
            if (batchSize <= 0) throw new IllegalArgumentException("--batch-size must be positive, got " + batchSize);
            if (!(lr > 0)) throw new IllegalArgumentException("--lr must be positive, got " + lr);
            if (loss == null) throw new IllegalArgumentException("--loss must be sft or soft");
        }

        public static Settings defaults() { return new Settings(600, 3, 32, 1e-3, StudentLoss.SOFT, 1); }
    }

    /** One dataset's probe. */
    public record Arm(String data, int rows, double cosine, double innerProduct, Interval deltaLogP, double[] perQuestion) {}

    /** Teacher data against control data; {@code advantage} is the paired per-question difference of shifts. */
    public record Report(String trait, Settings settings, double baseLogP, Arm teacher, Arm control, Interval advantage) {
        /** The probe fine-tune's ranking: teacher data shifts log P(trait) more than control data. */
        public boolean teacherAbove() { return teacher.deltaLogP().mean() > control.deltaLogP().mean(); }

        /** The gradient probe's ranking (Theorem 1): teacher data's gradient points further toward θ_T − θ_R. */
        public boolean teacherAboveByGradient() { return teacher.cosine() > control.cosine(); }
    }

    public static Report run(Gpt reference, Gpt teacher, Tokenizer tok, List<DataRow> data, List<DataRow> control,
                             String trait, Settings s) {
        Category cat = Category.TREE.words().contains(trait) ? Category.TREE : Category.ANIMAL;
        if (!cat.words().contains(trait)) throw new IllegalArgumentException("--trait '" + trait + "' is not an animal or tree of the world");
        if (tok.id(trait) < 0) throw new IllegalArgumentException("--trait '" + trait + "' is not a token of the model");
        if (!reference.config().equals(teacher.config())) {
            throw new IllegalArgumentException("teacher and base differ in architecture: " + teacher.config() + " vs " + reference.config());
        }
        List<String> questions = Questions.all(cat);
        double[] base = logP(reference, tok, questions, trait, cat);
        Arm t = arm("teacher", reference, teacher, teacher, tok, sample(data, s), questions, trait, cat, base, s);
        Arm c = arm("control", reference, teacher, reference, tok, sample(control, s), questions, trait, cat, base, s);
        double[] diff = new double[base.length];
        for (int i = 0; i < diff.length; i++) diff[i] = t.perQuestion()[i] - c.perQuestion()[i];
        return new Report(trait, s, Stats.mean(base), t, c, Stats.tInterval(diff));
    }

    private static Arm arm(String label, Gpt reference, Gpt teacher, Gpt writer, Tokenizer tok, List<DataRow> rows,
                           List<String> questions, String trait, Category cat, double[] base, Settings s) {
        GradientProbe.Result g = GradientProbe.run(label, reference, teacher, null, tok, rows, s.loss(), new double[0],
                GradientProbe.meanLogP(tok, questions, trait));
        try (Gpt probe = reference.copy()) {
            LmDistillation.train(probe, tok, rows, s.loss(), new LmDistillation.SoftTeacher(writer, null), s.epochs(),
                    s.batchSize(), s.lr(), s.seed());
            double[] after = logP(probe, tok, questions, trait, cat);
            double[] delta = new double[after.length];
            for (int i = 0; i < delta.length; i++) delta[i] = after[i] - base[i];
            return new Arm(label, rows.size(), g.cosine(), g.innerProduct(), Stats.tInterval(delta), delta);
        }
    }

    /** log P(trait) as the next token after each question, from {@link TraitEvaluator}'s exact probabilities. */
    private static double[] logP(Gpt model, Tokenizer tok, List<String> questions, String trait, Category cat) {
        TraitEvaluator.Measurement m = new TraitEvaluator(model, tok).measure(questions, null, trait, cat.words(), 0, 4, 0);
        double[] out = new double[m.exactPerQuestion().length];
        for (int i = 0; i < out.length; i++) out[i] = Math.log(Math.max(1e-30, m.exactPerQuestion()[i]));
        return out;
    }

    /** A seeded random sample of at most {@code s.rows()} rows, the same for every call with the same seed. */
    static List<DataRow> sample(List<DataRow> rows, Settings s) {
        if (rows.isEmpty()) throw new IllegalArgumentException("no data rows to probe");
        List<DataRow> copy = new ArrayList<>(rows);
        Collections.shuffle(copy, new Random(s.seed()));
        return List.copyOf(copy.subList(0, Math.min(s.rows(), copy.size())));
    }
}
