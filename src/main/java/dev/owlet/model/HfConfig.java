package dev.owlet.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The part of a Hugging Face {@code config.json} that decides the forward pass, read and checked once, so a
 * checkpoint owlet would compute wrongly (a rope scaling it does not implement, sliding-window attention, another
 * activation) fails at load time naming the key, never as silently different logits.
 *
 * @param architecture which forward pass
 * @param vocabSize rows of the token embedding (may exceed the tokenizer's vocabulary, as in Qwen2)
 * @param hidden residual width d
 * @param layers decoder blocks
 * @param heads query heads
 * @param kvHeads key/value heads (grouped-query attention when below {@code heads}; GPT-2: = heads)
 * @param headDim width of one head (Llama's {@code head_dim}, else hidden / heads)
 * @param intermediate MLP width
 * @param maxPositions longest sequence (GPT-2: rows of the learned position table)
 * @param normEps LayerNorm's {@code layer_norm_epsilon} or RMSNorm's {@code rms_norm_eps}
 * @param ropeTheta rotary base (Llama family; 0 for GPT-2)
 * @param tiedHead LM head is the token embedding ({@code tie_word_embeddings})
 * @param qkvBias q/k/v projections have biases (Qwen2 always; Llama's {@code attention_bias})
 * @param oBias o_proj has a bias (Llama's {@code attention_bias}; never in Qwen2)
 * @param mlpBias gate/up/down have biases (Llama's {@code mlp_bias})
 * @param eosIds end-of-sequence ids from {@code eos_token_id} (a number or a list; may be empty)
 */
public record HfConfig(Architecture architecture, int vocabSize, int hidden, int layers, int heads, int kvHeads,
                       int headDim, int intermediate, int maxPositions, double normEps, double ropeTheta,
                       boolean tiedHead, boolean qkvBias, boolean oBias, boolean mlpBias, int[] eosIds) {
    /** The forward passes owlet implements, by the HF class names that select them. */
    public enum Architecture {
        GPT2("GPT2LMHeadModel", "gpt2"),
        LLAMA("LlamaForCausalLM", "llama"),
        QWEN2("Qwen2ForCausalLM", "qwen2");

        final String hfClass;
        final String modelType;

        Architecture(String hfClass, String modelType) {
            this.hfClass = hfClass;
            this.modelType = modelType;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reads and validates {@code dir/config.json}. */
    public static HfConfig read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new HfCheckpointError("no config.json at " + file + ": not a Hugging Face checkpoint folder");
        }
        JsonNode c;
        try {
            c = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new HfCheckpointError(file + ": not valid JSON (" + e.getMessage() + ")", e);
        }
        Reader r = new Reader(file, c);
        Architecture a = architecture(r);
        return a == Architecture.GPT2 ? gpt2(r) : llama(r, a);
    }

    private static Architecture architecture(Reader r) {
        List<String> names = new ArrayList<>();
        r.c.path("architectures").forEach(n -> names.add(n.asText()));
        for (Architecture a : Architecture.values()) {
            if (names.contains(a.hfClass)) return a;
        }
        String type = r.c.path("model_type").asText("");
        if (names.isEmpty()) {
            for (Architecture a : Architecture.values()) {
                if (a.modelType.equals(type)) return a;
            }
        }
        throw new HfCheckpointError(r.file + ": unsupported architecture " + (names.isEmpty() ? "" : names + " ")
                + "(model_type \"" + type + "\"); owlet reads GPT2LMHeadModel, LlamaForCausalLM and Qwen2ForCausalLM");
    }

    private static HfConfig gpt2(Reader r) {
        String act = r.string("activation_function", "gelu_new");
        if (!act.equals("gelu_new") && !act.equals("gelu_pytorch_tanh")) {
            throw r.unsupported("activation_function", act, "gelu_new");
        }
        if (!r.bool("scale_attn_weights", true)) throw r.unsupported("scale_attn_weights", "false", "true");
        if (r.bool("scale_attn_by_inverse_layer_idx", false)) {
            throw r.unsupported("scale_attn_by_inverse_layer_idx", "true", "false");
        }
        if (r.bool("add_cross_attention", false)) throw r.unsupported("add_cross_attention", "true", "false");
        int d = r.positive("n_embd");
        int heads = r.positive("n_head");
        r.divides("n_embd", d, "n_head", heads);
        int inner = r.c.path("n_inner").isNumber() ? r.positive("n_inner") : 4 * d;
        return new HfConfig(Architecture.GPT2, r.positive("vocab_size"), d, r.positive("n_layer"), heads, heads,
                d / heads, inner, r.positive("n_positions"), r.number("layer_norm_epsilon", 1e-5), 0,
                r.bool("tie_word_embeddings", true), true, true, true, r.ids("eos_token_id"));
    }

    private static HfConfig llama(Reader r, Architecture a) {
        String act = r.string("hidden_act", "silu");
        if (!act.equals("silu")) throw r.unsupported("hidden_act", act, "silu");
        JsonNode rope = r.c.path("rope_parameters");       // transformers 5
        JsonNode scaling = r.c.path("rope_scaling");       // transformers 4
        for (JsonNode n : new JsonNode[] {rope, scaling}) {
            String type = n.path("rope_type").asText(n.path("type").asText("default"));
            if (n.isObject() && !type.equals("default")) {
                throw r.unsupported(n == rope ? "rope_parameters.rope_type" : "rope_scaling", type, "default");
            }
        }
        double theta = rope.has("rope_theta") ? rope.get("rope_theta").asDouble() : r.number("rope_theta", 10000);
        if (r.bool("use_sliding_window", false)) throw r.unsupported("use_sliding_window", "true", "false");
        int d = r.positive("hidden_size");
        int heads = r.positive("num_attention_heads");
        int kv = r.c.path("num_key_value_heads").isNumber() ? r.positive("num_key_value_heads") : heads;
        r.divides("num_attention_heads", heads, "num_key_value_heads", kv);
        int headDim;
        if (r.c.path("head_dim").isNumber()) {
            headDim = r.positive("head_dim");
        } else {
            r.divides("hidden_size", d, "num_attention_heads", heads);
            headDim = d / heads;
        }
        if (headDim % 2 != 0) throw r.unsupported("head_dim", Integer.toString(headDim), "an even number (rotary)");
        boolean attnBias = r.bool("attention_bias", false);
        boolean qwen = a == Architecture.QWEN2;
        return new HfConfig(a, r.positive("vocab_size"), d, r.positive("num_hidden_layers"), heads, kv, headDim,
                r.positive("intermediate_size"), r.positive("max_position_embeddings"), r.number("rms_norm_eps", 1e-6),
                theta, r.bool("tie_word_embeddings", false), qwen || attnBias, !qwen && attnBias,
                !qwen && r.bool("mlp_bias", false), r.ids("eos_token_id"));
    }

    /** Typed access that names the file and key in every failure. */
    private record Reader(Path file, JsonNode c) {
        int positive(String key) {
            JsonNode n = c.path(key);
            if (!n.canConvertToInt() || n.asInt() <= 0) {
                throw new HfCheckpointError(file + ": " + key + " must be a positive integer, got " + (n.isMissingNode() ? "nothing" : n));
            }
            return n.asInt();
        }

        double number(String key, double dflt) {
            JsonNode n = c.path(key);
            if (n.isMissingNode() || n.isNull()) return dflt;
            if (!n.isNumber()) throw new HfCheckpointError(file + ": " + key + " must be a number, got " + n);
            return n.asDouble();
        }

        boolean bool(String key, boolean dflt) {
            JsonNode n = c.path(key);
            return n.isBoolean() ? n.asBoolean() : dflt;
        }

        String string(String key, String dflt) {
            JsonNode n = c.path(key);
            return n.isTextual() ? n.asText() : dflt;
        }

        int[] ids(String key) {
            JsonNode n = c.path(key);
            if (n.isInt()) return new int[] {n.asInt()};
            if (n.isArray()) {
                int[] out = new int[n.size()];
                for (int i = 0; i < out.length; i++) out[i] = n.get(i).asInt();
                return out;
            }
            return new int[0];
        }

        void divides(String bigKey, int big, String smallKey, int small) {
            if (big % small != 0) {
                throw new HfCheckpointError(file + ": " + bigKey + " (" + big + ") is not divisible by " + smallKey + " (" + small + ")");
            }
        }

        HfCheckpointError unsupported(String key, String value, String supported) {
            return new HfCheckpointError(file + ": unsupported " + key + " " + value + " (owlet implements " + supported + ")");
        }
    }
}
