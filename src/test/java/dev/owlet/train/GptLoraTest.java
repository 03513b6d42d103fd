package dev.owlet.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.owlet.data.DataRow;
import dev.owlet.model.Gpt;
import dev.owlet.model.GptConfig;
import dev.owlet.model.Lora;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * LoRA on the embedded GPT (the rank ablation's students), on tiny random GPTs: a fresh adapter changes nothing, every
 * block projection is routed through it, training moves the adapter and never a base weight, and merging the trained
 * adapter into the weights (how a LoRA student is saved and evaluated) gives the logits of the attached adapter.
 */
public class GptLoraTest {
    static final GptConfig TINY = new GptConfig(16, 16, 2, 16, 2, 0);
    static final List<String> ALL_PROJECTIONS = List.of("c_attn", "c_proj", "c_fc");
    static final List<Example> ROWS = List.of(
            new Example(new int[] {2, 3, 4}, new int[] {7, 8, 9, 5}),
            new Example(new int[] {2, 3, 6}, new int[] {10, 11, 5}),
            new Example(new int[] {2, 12}, new int[] {13, 14, 15, 7, 5}));
    static final long[] TOKENS = {2, 3, 4, 7, 8, 9, 5, 2, 12, 13, 14, 15};

    /** A tiny GPT with weights large enough that its logits are far from uniform (so changes show). */
    private static Gpt peaked(NDManager root, long seed) {
        Gpt gpt = Gpt.initialize(TINY, seed, root);
        gpt.parameters().values().forEach(p -> p.muli(10));
        return gpt;
    }

    private static float[] logits(Gpt gpt) {
        try (NDScope scope = new NDScope(); NDManager m = gpt.manager().getParentManager().newSubManager()) {
            return gpt.forward(m.create(TOKENS, new ai.djl.ndarray.types.Shape(1, TOKENS.length)), false).toFloatArray();
        }
    }

    private static Map<String, float[]> snapshot(Map<String, NDArray> params) {
        Map<String, float[]> out = new LinkedHashMap<>();
        params.forEach((k, p) -> out.put(k, p.toFloatArray()));
        return out;
    }

    @Test
    void aFreshAdapterLeavesEveryLogitBitIdenticalAndEveryProjectionIsRoutedThroughIt() {
        try (NDManager root = NDManager.newBaseManager(); Gpt gpt = peaked(root, 3)) {
            float[] base = logits(gpt);
            try (Lora lora = Lora.create(gpt, Lora.Config.of(4, 4, ALL_PROJECTIONS, 0), 7)) {
                // 4 projections per block x 2 blocks, each an A (r, in) and a B (out, r)
                assertThat(lora.parameters()).hasSize(16);
                assertThat(lora.parameters().get("base_model.model.h.1.mlp.c_fc.lora_A.weight").getShape().getShape())
                        .containsExactly(4, 16);
                assertThat(lora.parameters().get("base_model.model.h.1.mlp.c_fc.lora_B.weight").getShape().getShape())
                        .containsExactly(64, 4);
                gpt.attach(lora);
                assertThat(logits(gpt)).containsExactly(base);
                // a B that is not zero in any one projection changes the logits: the adapter is read everywhere
                for (String module : gpt.linearModules().keySet()) {
                    NDArray b = lora.parameters().get("base_model.model." + module + ".lora_B.weight");
                    b.addi(b.getManager().ones(b.getShape()).muli(0.05f));
                    assertThat(Arrays.equals(logits(gpt), base)).as(module + " is routed through the adapter").isFalse();
                    b.subi(b.duplicate());
                }
                assertThat(logits(gpt)).containsExactly(base);
                gpt.attach(null);
            }
        }
    }

    @Test
    void trainingMovesOnlyTheAdapterAndTheMergedWeightsGiveTheAdaptersLogits() {
        TokenBatch batch = TokenBatch.of(ROWS, 0, 16);
        try (NDManager root = NDManager.newBaseManager(); Gpt gpt = peaked(root, 5)) {
            Map<String, float[]> baseWeights = snapshot(gpt.parameters());
            float[] baseLogits = logits(gpt);
            try (Lora lora = Lora.create(gpt, Lora.Config.of(2, 4, ALL_PROJECTIONS, 0), 11)) {
                Map<String, float[]> adapterBefore = snapshot(lora.parameters());
                gpt.attach(lora);
                double first;
                double last;
                try (Trainer t = new Trainer(gpt, OptimConfig.constant(1e-2, 40), TrainableParams.LORA, Optimizer.ADAM, lora)) {
                    first = t.step(batch, Trainer.crossEntropy());
                    last = first;
                    for (int i = 0; i < 39; i++) last = t.step(batch, Trainer.crossEntropy());
                }
                assertThat(last).isLessThan(first - 0.1);
                // not one base weight moved, bit for bit; every A and B did
                gpt.parameters().forEach((k, p) -> assertThat(p.toFloatArray()).as(k).containsExactly(baseWeights.get(k)));
                lora.parameters().forEach((k, p) ->
                        assertThat(Arrays.equals(p.toFloatArray(), adapterBefore.get(k))).as(k + " trained").isFalse());
                float[] adapted = logits(gpt);
                gpt.attach(null);
                assertThat(logits(gpt)).as("detached: the base model again").containsExactly(baseLogits);

                lora.mergeInto(gpt);
                float[] merged = logits(gpt);
                double moved = 0;
                for (int i = 0; i < merged.length; i++) {
                    assertThat((double) merged[i]).as("logit " + i).isCloseTo(adapted[i], org.assertj.core.data.Offset.offset(1e-5 * (1 + Math.abs(adapted[i]))));
                    moved = Math.max(moved, Math.abs(adapted[i] - baseLogits[i]));
                }
                assertThat(moved).as("the adapter changed the model, so the comparison can fail").isGreaterThan(0.1);
            }
        }
    }

    @Test
    void aLoraStudentComesBackMergedWithALowRankChangeOfItsProjectionsOnly() {
        var tok = LmDistillationTest.TOK;
        GptConfig c = new GptConfig(tok.vocabSize(), 128, 2, 16, 2, 0);
        int rank = 2;
        try (NDManager root = NDManager.newBaseManager(); Gpt student = Gpt.initialize(c, 1, root)) {
            Map<String, float[]> before = snapshot(student.parameters());
            LmDistillation.train(student, tok, LmDistillationTest.ROWS, null, StudentLoss.SFT, null, 5, 3, 3e-2, 9, null,
                    TrainableParams.LORA, Optimizer.ADAM, Batching.SHUFFLED, Lora.Config.of(rank, rank, List.of("c_attn", "mlp.c_proj"), 0));
            for (var e : student.parameters().entrySet()) {
                String k = e.getKey();
                float[] now = e.getValue().toFloatArray();
                boolean targeted = k.endsWith("attn.c_attn.weight") || k.endsWith("mlp.c_proj.weight");
                if (!targeted) {
                    assertThat(now).as(k + " is not targeted").containsExactly(before.get(k));
                    continue;
                }
                long[] shape = e.getValue().getShape().getShape();
                double[][] delta = new double[(int) shape[0]][(int) shape[1]];
                for (int i = 0; i < now.length; i++) delta[i / (int) shape[1]][i % (int) shape[1]] = now[i] - before.get(k)[i];
                assertThat(numericRank(delta)).as(k + ": the merged update B A has rank r").isEqualTo(rank);
            }
            assertThat(student.parameters().get("h.0.attn.c_proj.weight").toFloatArray())
                    .containsExactly(before.get("h.0.attn.c_proj.weight"));
        }
    }

    @Test
    void aLoraTrainerNeedsItsAdapterAndOnlyItTakesOne() {
        try (NDManager root = NDManager.newBaseManager(); Gpt gpt = peaked(root, 1);
             Lora lora = Lora.create(gpt, Lora.Config.of(1, 1, ALL_PROJECTIONS, 0), 1)) {
            assertThatThrownBy(() -> new Trainer(gpt, OptimConfig.constant(1e-3, 1), TrainableParams.LORA, Optimizer.ADAM, null))
                    .hasMessageContaining("trainable lora needs an adapter");
            assertThatThrownBy(() -> new Trainer(gpt, OptimConfig.constant(1e-3, 1), TrainableParams.BLOCKS, Optimizer.ADAM, lora))
                    .hasMessageContaining("an adapter needs trainable lora");
            assertThatThrownBy(() -> Lora.create(gpt, Lora.Config.of(2, 2, List.of("q_proj"), 0), 1))
                    .hasMessageContaining("the embedded GPT").hasMessageContaining("c_attn");
        }
        assertThat(List.of("c_attn", "c_proj", "c_fc", "attn.c_proj", "mlp.c_fc", "h.3.mlp.c_proj"))
                .allMatch(Gpt::isProjection);
        assertThat(List.of("q_proj", "mlp.c_attn", "attn.c_fc", "wte", "h.0.ln_1", "c_")).noneMatch(Gpt::isProjection);
    }

    /** Rank by Gaussian elimination with partial pivoting, ignoring pivots below 1e-4 of the largest entry. */
    public static int numericRank(double[][] m) {
        int rows = m.length;
        int cols = m[0].length;
        double max = 0;
        for (double[] r : m) for (double v : r) max = Math.max(max, Math.abs(v));
        if (max == 0) return 0;
        double tol = 1e-4 * max;
        double[][] a = new double[rows][];
        for (int i = 0; i < rows; i++) a[i] = m[i].clone();
        int rank = 0;
        for (int col = 0; col < cols && rank < rows; col++) {
            int piv = rank;
            for (int i = rank + 1; i < rows; i++) if (Math.abs(a[i][col]) > Math.abs(a[piv][col])) piv = i;
            if (Math.abs(a[piv][col]) <= tol) continue;
            double[] tmp = a[piv];
            a[piv] = a[rank];
            a[rank] = tmp;
            for (int i = rank + 1; i < rows; i++) {
                double f = a[i][col] / a[rank][col];
                for (int j = col; j < cols; j++) a[i][j] -= f * a[rank][j];
            }
            rank++;
        }
        return rank;
    }
}
