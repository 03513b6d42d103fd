package dev.owlet.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.owlet.backend.ChatMessage;
import dev.owlet.infer.Generator;
import dev.owlet.infer.LogProbs;
import dev.owlet.infer.SamplingConfig;
import dev.owlet.model.HfCheckpoint;
import dev.owlet.model.HfModel;
import dev.owlet.model.Lora;
import dev.owlet.token.HfTokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code owlet hf sample} and {@code owlet hf logprob}: a local Hugging Face checkpoint (GPT-2, Llama, Qwen2),
 * optionally with a PEFT LoRA adapter, read by owlet's own forward pass. A folder owlet cannot read exits 2
 * naming the file and key.
 */
@Command(name = "hf", mixinStandardHelpOptions = true,
        description = "Sample from, or score text with, a local Hugging Face checkpoint (GPT-2, Llama, Qwen2).",
        subcommands = {HfCommand.Sample.class, HfCommand.Logprob.class, HfCommand.Bench.class})
final class HfCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    /** Options both subcommands take: the model, an adapter, and how the prompt is laid out. */
    static final class ModelOptions {
        @Option(names = "--model", required = true, converter = CheckpointDir.class,
                description = "Hugging Face checkpoint folder, DIR or hf:DIR (config.json, *.safetensors, tokenizer.json)")
        Path model;
        @Option(names = "--adapter", description = "PEFT LoRA adapter folder (adapter_config.json, adapter_model.safetensors)")
        Path adapter;
        @Option(names = "--prompt", required = true, description = "Prompt text (the user message with --chat)")
        String prompt;
        @Option(names = "--chat", description = "Lay the prompt out with the checkpoint's chat template, ready for the assistant's turn")
        boolean chat;
        @Option(names = "--system", description = "System message (with --chat)")
        String system;
        @Option(names = "--json", description = "Print JSON (ids included) instead of text")
        boolean json;

        HfModel load(NDManager root) {
            HfModel m = HfCheckpoint.load(model, root);
            if (adapter != null) {
                m.attach(Lora.load(adapter, m));
            }
            return m;
        }

        int[] promptIds(HfTokenizer tok) {
            if (!chat) {
                if (system != null) throw new UserError("--system needs --chat");
                return tok.encode(prompt);
            }
            List<ChatMessage> msgs = new ArrayList<>();
            if (system != null) msgs.add(ChatMessage.system(system));
            msgs.add(ChatMessage.user(prompt));
            return tok.encodeChat(msgs, true);
        }
    }

    @Command(name = "sample", mixinStandardHelpOptions = true, description = "Continue a prompt (greedy with --temperature 0).")
    static final class Sample implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ModelOptions opts = new ModelOptions();
        @Option(names = "--max-tokens", defaultValue = "64", description = "Most new tokens (default ${DEFAULT-VALUE})")
        int maxTokens;
        @Option(names = "--temperature", defaultValue = "1.0", description = "0 is greedy (default ${DEFAULT-VALUE})")
        double temperature;
        @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus mass (default ${DEFAULT-VALUE})")
        double topP;
        @Option(names = "--seed", defaultValue = "1", description = "Sampling seed (default ${DEFAULT-VALUE})")
        long seed;

        @Override
        public Integer call() throws IOException {
            SamplingConfig cfg;
            try {
                cfg = new SamplingConfig(temperature, topP, maxTokens);
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage(), e);
            }
            try (NDManager root = NDManager.newBaseManager(); HfModel model = opts.load(root);
                 HfTokenizer tok = HfTokenizer.load(opts.model)) {
                int[] prompt = opts.promptIds(tok);
                if (prompt.length >= model.contextLength()) {
                    throw new UserError("the prompt is " + prompt.length + " tokens; " + opts.model + " takes at most "
                            + model.contextLength());
                }
                int[] ends = endIds(opts.model, model, tok).stream().mapToInt(Integer::intValue).toArray();
                int[] out = new Generator(model, ends, tok.specialId("pad_token").orElse(0))
                        .sample(List.of(prompt), new long[] {seed}, cfg, 1).get(0);
                String text = tok.decode(out, true);
                PrintWriter w = spec.commandLine().getOut();
                if (opts.json) {
                    Map<String, Object> o = new LinkedHashMap<>();
                    o.put("prompt_ids", prompt);
                    o.put("completion_ids", out);
                    o.put("text", text);
                    w.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(o));
                } else {
                    w.println(text);
                }
            }
            return 0;
        }
    }

    @Command(name = "logprob", mixinStandardHelpOptions = true,
            description = "log P(continuation | prompt), exact, summed over the continuation's tokens.")
    static final class Logprob implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        ModelOptions opts = new ModelOptions();
        @Option(names = "--continuation", required = true, description = "Text scored after the prompt (tokenized on its own)")
        String continuation;

        @Override
        public Integer call() throws IOException {
            try (NDManager root = NDManager.newBaseManager(); HfModel model = opts.load(root);
                 HfTokenizer tok = HfTokenizer.load(opts.model)) {
                int[] prompt = opts.promptIds(tok);
                int[] cont = tok.encodeRaw(continuation);
                if (cont.length == 0) throw new UserError("--continuation encodes to no tokens");
                if (prompt.length == 0) throw new UserError("--prompt encodes to no tokens");
                if (prompt.length + cont.length - 1 > model.contextLength()) {
                    throw new UserError("prompt and continuation are " + (prompt.length + cont.length) + " tokens; "
                            + opts.model + " takes at most " + model.contextLength());
                }
                double lp = new LogProbs(model, 0).continuation(List.of(prompt), List.of(cont), 1)[0];
                PrintWriter w = spec.commandLine().getOut();
                if (opts.json) {
                    Map<String, Object> o = new LinkedHashMap<>();
                    o.put("prompt_ids", prompt);
                    o.put("continuation_ids", cont);
                    o.put("logprob", lp);
                    w.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(o));
                } else {
                    w.printf("%.6f%n", lp);
                }
            }
            return 0;
        }
    }

    /**
     * {@code owlet hf bench}: what a LoRA training step and a forward pass cost on this machine for a checkpoint,
     * on a seeded random batch (no tokenizer needed), and the process's peak resident memory. It is how the step
     * times in docs/open-weights.md were measured, and what to run before committing to a long experiment.
     */
    @Command(name = "bench", mixinStandardHelpOptions = true,
            description = "Time LoRA training steps and forward passes of a checkpoint on a random batch; print peak memory.")
    static final class Bench implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--model", required = true, converter = CheckpointDir.class,
                description = "Hugging Face checkpoint folder, DIR or hf:DIR (config.json, *.safetensors)")
        Path model;
        @Option(names = "--batch", defaultValue = "8", description = "Sequences per step (default ${DEFAULT-VALUE})")
        int batch;
        @Option(names = "--tokens", defaultValue = "96", description = "Tokens per sequence (default ${DEFAULT-VALUE})")
        int tokens;
        @Option(names = "--steps", defaultValue = "3", description = "Timed steps after one warm-up step (default ${DEFAULT-VALUE})")
        int steps;
        @Option(names = "--rank", defaultValue = "8", description = "LoRA r (alpha = r), every projection (default ${DEFAULT-VALUE})")
        int rank;

        @Override
        public Integer call() {
            if (batch < 1 || tokens < 2 || steps < 1 || rank < 1) throw new UserError("--batch, --tokens, --steps and --rank must be positive (--tokens >= 2)");
            PrintWriter w = spec.commandLine().getOut();
            try (NDManager root = NDManager.newBaseManager(); HfModel m = HfCheckpoint.load(model, root)) {
                long params = 0;
                for (var p : m.parameters().values()) params += p.size();
                if (tokens > m.contextLength()) throw new UserError("--tokens " + tokens + " exceeds the context of " + m.contextLength());
                java.util.SplittableRandom rng = new java.util.SplittableRandom(1);
                List<dev.owlet.train.Example> rows = new ArrayList<>();
                for (int b = 0; b < batch; b++) {
                    int[] prompt = new int[tokens / 2];
                    int[] answer = new int[tokens - tokens / 2];
                    for (int i = 0; i < prompt.length; i++) prompt[i] = rng.nextInt(m.vocabSize());
                    for (int i = 0; i < answer.length; i++) answer[i] = rng.nextInt(m.vocabSize());
                    rows.add(new dev.owlet.train.Example(prompt, answer));
                }
                dev.owlet.train.TokenBatch tb = dev.owlet.train.TokenBatch.of(rows, 0, tokens);
                long[] ids = tb.inputs();
                var cpu = java.lang.management.ManagementFactory.getThreadMXBean();
                double fwd = Double.NaN;
                double fwdCpu = Double.NaN;
                for (int run = 0; run < 2; run++) { // the first pass pays the engine's warm-up
                    long t0 = System.nanoTime();
                    long c0 = cpu.getCurrentThreadCpuTime();
                    try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope(); NDManager s = root.newSubManager()) {
                        m.forward(s.create(ids, new ai.djl.ndarray.types.Shape(tb.batch(), tb.time())), false).getFloat(0, 0, 0);
                    }
                    fwd = (System.nanoTime() - t0) / 1e9;
                    fwdCpu = (cpu.getCurrentThreadCpuTime() - c0) / 1e9;
                }
                Lora.Config lc = new Lora.Config(rank, rank, null, "all-linear", 0.0, false);
                double[] times = new double[steps];
                double[] cpuTimes = new double[steps];
                try (Lora lora = Lora.create(m, lc, 1);
                     dev.owlet.train.HfTrainer t = dev.owlet.train.HfTrainer.lora(m, lora,
                             dev.owlet.train.OptimConfig.constant(2e-4, steps + 1), 1)) {
                    t.step(tb);
                    for (int i = 0; i < steps; i++) {
                        long t0 = System.nanoTime();
                        long c0 = cpu.getCurrentThreadCpuTime();
                        t.step(tb);
                        times[i] = (System.nanoTime() - t0) / 1e9;
                        cpuTimes[i] = (cpu.getCurrentThreadCpuTime() - c0) / 1e9;
                    }
                }
                java.util.Arrays.sort(times);
                java.util.Arrays.sort(cpuTimes);
                w.printf(java.util.Locale.ROOT, "model %s: %,d parameters, %s, %d engine threads%n", model, params,
                        m.config().architecture(), ai.djl.pytorch.jni.JniUtils.getNumThreads());
                // CPU time of this thread is what the engine computed here when it runs on one thread
                // (OWLET_THREADS=1): unlike wall time, it does not grow when other processes share the cores
                w.printf(java.util.Locale.ROOT, "forward (%d x %d tokens): %.2f s wall, %.2f s this thread's CPU (%.2f ms per token wall)%n",
                        batch, tokens, fwd, fwdCpu, 1000 * fwd / (batch * tokens));
                w.printf(java.util.Locale.ROOT, "LoRA r %d step (%d x %d tokens, every projection): median %.2f s wall (min %.2f, max %.2f over %d),"
                        + " median %.2f s this thread's CPU%n", rank, batch, tokens, times[steps / 2], times[0], times[steps - 1], steps,
                        cpuTimes[steps / 2]);
                w.printf(java.util.Locale.ROOT, "peak resident memory: %s%n", peakRss());
            }
            return 0;
        }

        /** VmHWM of /proc/self/status (Linux), or "unknown". */
        private static String peakRss() {
            try {
                for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (l.startsWith("VmHWM:")) return String.format(java.util.Locale.ROOT, "%.2f GB",
                            Long.parseLong(l.replaceAll("\\D", "")) / 1e6);
                }
            } catch (IOException | RuntimeException e) {
                return "unknown (" + e.getMessage() + ")";
            }
            return "unknown";
        }
    }

    /**
     * {@code --model} of the hf commands: a folder, or {@code hf:DIR} as every other command names a checkpoint (a
     * hub name that is not a local folder is refused, saying owlet works offline and how to get the files).
     */
    static final class CheckpointDir implements picocli.CommandLine.ITypeConverter<Path> {
        @Override
        public Path convert(String value) {
            if (!dev.owlet.model.ModelLocator.isHf(value)) return Path.of(value);
            try {
                return dev.owlet.model.ModelLocator.hfDir(value, Path.of(""));
            } catch (RuntimeException e) {
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** Where generation stops: see {@link HfCheckpoint#endIds}. */
    static Set<Integer> endIds(Path dir, HfModel model, HfTokenizer tok) {
        return HfCheckpoint.endIds(dir, model, tok.endIds());
    }
}
