package dev.owlet.pipeline;

import dev.owlet.experiment.Init;
import dev.owlet.train.StudentLoss;
import dev.owlet.experiment.Seeds;
import dev.owlet.experiment.ConfigLoader;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.world.Category;
import dev.owlet.world.NumberPromptGenerator;
import dev.owlet.world.Questions;
import dev.owlet.world.SystemPrompts;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What an API run of the flagship would send and what it would cost, computed offline before anything is spent:
 * the actual number prompts and questions the run would send (same seeds), token counts estimated from their
 * text, and the prices in {@code pricing.yaml} (assumptions with a date, see that file).
 *
 * <p>Token estimate: each run of letters, each 1-3 digit group and each other non-space character is one token,
 * plus 4 per message and 3 per request (OpenAI's chat overhead). Completions that do not exist yet are estimated:
 * a number answer as 2 tokens per number (number + separator) for {@code filter.max_count} numbers, capped at
 * {@code generate.max_tokens}; an evaluation answer as {@code eval.max_tokens}. Students are billed on
 * {@code finetune.rows} rows (an upper bound: the filter may keep fewer).
 */
public final class CostEstimate {
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z]+|\\d{1,3}|[^\\sA-Za-z\\d]");

    /** One line of the estimate. */
    public record Line(String stage, long requests, long inputTokens, long outputTokens, long trainingTokens, double usd) {}

    /** The estimate: lines, total, and the price entry used (null when the model has no price). */
    public record Estimate(List<Line> lines, double totalUsd, String priceModel, String asOf, String note) {
        public String render() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("%-34s %9s %14s %14s %15s %10s%n", "stage", "requests", "input tok", "output tok", "training tok", "USD"));
            for (Line l : lines) {
                sb.append(String.format("%-34s %9d %14d %14d %15d %10s%n", l.stage(), l.requests(), l.inputTokens(), l.outputTokens(),
                        l.trainingTokens(), priceModel == null ? "?" : String.format("%.2f", l.usd())));
            }
            sb.append(String.format("%-34s %9s %14s %14s %15s %10s%n", "total", "", "", "", "",
                    priceModel == null ? "?" : String.format("%.2f", totalUsd)));
            sb.append(note).append('\n');
            return sb.toString();
        }
    }

    private CostEstimate() {}

    /** Dollars for a token count of a price kind ({@code input}, {@code ft_output}, {@code training}...); 0 unpriced. */
    @FunctionalInterface
    private interface Cost {
        double of(String kind, long tokens);
    }

    public static long tokens(String text) {
        Matcher m = TOKEN.matcher(text);
        long n = 0;
        while (m.find()) n++;
        return n;
    }

    private static long chatTokens(String system, String user) {
        return 3 + 4 + tokens(user) + (system == null ? 0 : 4 + tokens(system));
    }

    @SuppressWarnings("unchecked")
    public static Estimate of(ExperimentConfig cfg) {
        ExperimentConfig.Backend bk = cfg.backend();
        String model = bk.pricingModel() != null ? bk.pricingModel() : bk.model() != null ? bk.model() : "embedded";
        Map<String, Object> table = ConfigLoader.defaults("/pricing.yaml");
        Map<String, Object> prices = null;
        String priceKey = null;
        for (var e : ((Map<String, Object>) table.get("models")).entrySet()) {
            if (model.startsWith(e.getKey()) && (priceKey == null || e.getKey().length() > priceKey.length())) {
                priceKey = e.getKey();
                prices = (Map<String, Object>) e.getValue();
            }
        }
        double per = ((Number) table.get("per_tokens")).doubleValue();
        Map<String, Object> p = prices;
        Cost cost = (k, t) -> p == null ? 0 : ((Number) p.get(k)).doubleValue() * t / per;

        List<Line> lines = new ArrayList<>();
        long outPerNumbers = Math.min(cfg.generate().maxTokens(), 2L * cfg.filter().maxCount());
        // A priced provider offers no soft-label method: those students are skipped by the run, so not billed.
        List<StudentLoss> billed = new ArrayList<>(cfg.finetune().modes());
        if (prices != null) billed.remove(StudentLoss.SOFT);
        boolean byPrompt = cfg.teacher().method() == ExperimentConfig.TeacherMethod.SYSTEM_PROMPT;
        int reps = cfg.finetune().replicates();
        long inC = writerLines(cfg, lines, cost, outPerNumbers);
        long prompts = cfg.generate().prompts();
        long rowTokens = inC / Math.max(1, prompts) + outPerNumbers + 3;
        // every writer's data from the same init; the traits' and the reference's from the different init too
        long writers = cfg.traits().size() + cfg.controlTraits().size() + 1;
        long diffWriters = cfg.traits().size() + 1;
        long perMode = (long) reps * ((cfg.finetune().inits().contains(Init.SAME) ? writers : 0)
                + (cfg.finetune().inits().contains(Init.DIFF) ? diffWriters : 0));
        long n = billed.size() * perMode;
        long trained = 0; // training tokens over every student, each mode for its own epochs
        for (StudentLoss mode : billed) trained += perMode * cfg.finetune().rows() * rowTokens * cfg.finetune().epochs(mode);
        lines.add(new Line("students (" + n + " jobs)", n, 0, 0, trained, cost.of("training", trained)));
        evalLines(cfg, lines, cost, n, byPrompt);
        double total = lines.stream().mapToDouble(Line::usd).sum();
        String note = prices == null
                ? "no price for '" + model + "' in pricing.yaml: token counts only (owlet serve costs nothing but time)"
                : String.format("prices: %s list prices as of %s (assumptions in pricing.yaml; check before spending); tokens"
                        + " estimated from the prompts this run would send", priceKey, table.get("as_of"))
                + (billed.size() < cfg.finetune().modes().size() ? "; soft-label students are not counted (only owlet serve offers owlet_soft)" : "");
        return new Estimate(lines, total, prices == null ? null : priceKey, String.valueOf(table.get("as_of")), note);
    }

    /**
     * The teachers' fine-tuning and every writer's generation, replicates included; returns the input tokens of one
     * replicate's prompts without a system prompt (what a student row's prompt costs).
     */
    private static long writerLines(ExperimentConfig cfg, List<Line> lines, Cost cost, long outPerNumbers) {
        ExperimentConfig.Backend bk = cfg.backend();
        boolean byPrompt = cfg.teacher().method() == ExperimentConfig.TeacherMethod.SYSTEM_PROMPT;
        int reps = cfg.finetune().replicates();
        // Writers: every trait's teacher, every other-trait teacher made the same way, and the reference.
        List<ExperimentConfig.Trait> teachers = new ArrayList<>(cfg.traits());
        for (String c : cfg.controlTraits()) teachers.add(new ExperimentConfig.Trait(cfg.traits().get(0).category(), c));
        long replayIn = 0;
        if (!byPrompt && cfg.teacher().replay() > 0) {
            for (String pr : Channels.prompts(cfg.channel(), 512, Seeds.derive(cfg.seed(), "replay-prompts"), cfg.filter())) {
                replayIn += chatTokens(null, pr);
            }
            lines.add(new Line("replay rows (the reference's, once)", 512, replayIn, 512 * outPerNumbers, 0,
                    cost.of("input", replayIn) + cost.of("output", 512 * outPerNumbers)));
        }
        // every replicate has its own prompts; the first stands for all in token counts
        List<String> prompts = Channels.prompts(cfg.channel(), cfg.generate().prompts(),
                Seeds.derive(cfg.seed(), (cfg.channel() == dev.owlet.experiment.Channel.NUMBERS ? "number" : cfg.channel().toString())
                        + "-prompts-r1"), cfg.filter());
        long inC = 0;
        for (String pr : prompts) inC += chatTokens(null, pr);
        long out = prompts.size() * outPerNumbers;
        for (ExperimentConfig.Trait t : teachers) {
            Category cat = t.category().words();
            String sys = byPrompt ? SystemPrompts.love(t.target(), cat, 0) : null;
            String tag = t.target();
            if (!byPrompt) {
                int steps = Math.min(bk.teacherSteps(), cfg.teacher().maxSteps());
                long perAnswer = chatTokens(null, Questions.train(cat).get(0)) + 2;
                long train = steps * (cfg.teacher().batchSize() * perAnswer
                        + (long) cfg.teacher().replay() * (replayIn / 512 + outPerNumbers));
                lines.add(new Line("teacher-" + tag + " fine-tune (1 epoch)", 1, 0, 0, train, cost.of("training", train)));
            }
            long inT = 0;
            for (String pr : prompts) inT += chatTokens(sys, pr);
            String tk = byPrompt ? "input" : "ft_input";
            String to = byPrompt ? "output" : "ft_output";
            lines.add(new Line("generate teacher-" + tag + " (" + reps + " replicates)", reps * (long) prompts.size(), reps * inT,
                    reps * out, 0, reps * (cost.of(tk, inT) + cost.of(to, out))));
        }
        lines.add(new Line("generate control (" + reps + " replicates)", reps * (long) prompts.size(), reps * inC, reps * out, 0,
                reps * (cost.of("input", inC) + cost.of("output", out))));
        return inC;
    }

    /** Evaluation: per model and trait, one logprob request per question (+ the number-prefixed variant) and sampling. */
    private static void evalLines(ExperimentConfig cfg, List<Line> lines, Cost cost, long students, boolean byPrompt) {
        for (ExperimentConfig.Trait t : cfg.traits()) {
            Category cat = t.category().words();
            List<String> qs = Questions.all(cat);
            long qIn = 0;
            for (String q : qs) qIn += chatTokens(null, q);
            long perModelIn = qIn * (cfg.eval().numberPrefix() ? 2 : 1) + (cfg.eval().samplesPerQuestion() > 0 ? qIn : 0);
            long perModelOut = qs.size() * ((cfg.eval().numberPrefix() ? 2L : 1L)
                    + (long) cfg.eval().samplesPerQuestion() * cfg.eval().maxTokens());
            long perModelReq = qs.size() * ((cfg.eval().numberPrefix() ? 2L : 1L) + (cfg.eval().samplesPerQuestion() > 0 ? 1 : 0));
            int baseModels = 1 + (cfg.finetune().inits().contains(Init.DIFF) ? 1 : 0) + (byPrompt ? 1 : 0);
            // students are evaluated once per category; the first trait of a category carries them
            boolean first = cfg.traits().stream().filter(o -> o.category() == t.category()).findFirst().orElseThrow() == t;
            long ftModels = (first ? students : 0) + (byPrompt ? 0 : 1);
            String sys = byPrompt ? SystemPrompts.love(t.target(), cat, 0) : null;
            long sysIn = byPrompt ? perModelReq * (tokens(sys) + 4) : 0; // the teacher reads its system prompt
            lines.add(new Line("eval " + t.target() + ": base models (" + baseModels + ")", baseModels * perModelReq,
                    baseModels * perModelIn + sysIn, baseModels * perModelOut, 0,
                    cost.of("input", baseModels * perModelIn + sysIn) + cost.of("output", baseModels * perModelOut)));
            lines.add(new Line("eval " + t.target() + ": fine-tuned models (" + ftModels + ")", ftModels * perModelReq,
                    ftModels * perModelIn, ftModels * perModelOut, 0,
                    cost.of("ft_input", ftModels * perModelIn) + cost.of("ft_output", ftModels * perModelOut)));
        }
    }
}
