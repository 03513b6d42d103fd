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
        subcommands = {HfCommand.Sample.class, HfCommand.Logprob.class})
final class HfCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    /** Options both subcommands take: the model, an adapter, and how the prompt is laid out. */
    static final class ModelOptions {
        @Option(names = "--model", required = true, description = "Hugging Face checkpoint folder (config.json, *.safetensors, tokenizer.json)")
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

    /** Where generation stops: see {@link HfCheckpoint#endIds}. */
    static Set<Integer> endIds(Path dir, HfModel model, HfTokenizer tok) {
        return HfCheckpoint.endIds(dir, model, tok.endIds());
    }
}
