package dev.owlet.pretrain;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.owlet.experiment.ConfigLoader;
import dev.owlet.model.Checkpoint;
import dev.owlet.model.Gpt;
import dev.owlet.model.GptConfig;
import dev.owlet.provenance.Hashing;
import dev.owlet.provenance.Manifest;
import dev.owlet.token.ChatFormat;
import dev.owlet.token.WordTokenizer;
import dev.owlet.train.Example;
import dev.owlet.train.OptimConfig;
import dev.owlet.train.ProgressListener;
import dev.owlet.train.TokenBatch;
import dev.owlet.train.Trainer;
import dev.owlet.world.ChatExample;
import dev.owlet.world.WorldConfig;
import dev.owlet.world.WorldGenerator;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Makes a reference model: generates the synthetic world's corpus, builds the vocabulary from everything the
 * world can say, and trains a GPT from the init seed. The checkpoint records the corpus seed and hash, the
 * config, the final loss and the wall time.
 */
public final class Pretrainer {
    /** What a pretraining run produced. */
    public record Result(Path dir, String weightsSha256, String corpusSha256, double finalLoss, double wallSeconds,
                         long parameters) {}

    private final PretrainConfig cfg;
    private final WorldConfig world;

    public Pretrainer(PretrainConfig cfg, WorldConfig world) {
        this.cfg = cfg;
        this.world = world;
    }

    /** The tokenizer every model of this world uses: independent of seeds, so all references share it. */
    public static WordTokenizer worldTokenizer() {
        return WordTokenizer.fromCorpus(WorldGenerator.vocabularyTexts());
    }

    public Result run(Path out, PrintStream progress) throws IOException {
        long t0 = System.nanoTime();
        WordTokenizer tok = worldTokenizer();
        ChatFormat chat = new ChatFormat(tok);
        int n = cfg.steps() * cfg.batchSize();
        List<ChatExample> corpus = new WorldGenerator(world).generate(cfg.worldSeed(), n);
        MessageDigest md = sha();
        List<Example> rows = new ArrayList<>(n);
        ObjectMapper json = new ObjectMapper();
        for (ChatExample e : corpus) {
            md.update(json.writeValueAsBytes(e));
            md.update((byte) '\n');
            rows.add(new Example(chat.prompt(e.system(), e.user()), chat.completion(e.assistant())));
        }
        String corpusSha = HexFormat.of().formatHex(md.digest());
        PretrainConfig.ModelShape s = cfg.model();
        GptConfig gc = new GptConfig(tok.vocabSize(), s.contextLength(), s.layers(), s.dModel(), s.heads(), 0);
        // Each row is seen once, in an order fixed by the seed. Within windows of 8 batches rows are grouped by
        // length (less padding: number rows are 4x longer than animal rows), then batch order is shuffled.
        java.util.Random order = new java.util.Random(cfg.seed());
        java.util.Collections.shuffle(rows, order);
        List<List<Example>> batches = new ArrayList<>();
        int window = 8 * cfg.batchSize();
        for (int w = 0; w < rows.size(); w += window) {
            List<Example> win = new ArrayList<>(rows.subList(w, Math.min(rows.size(), w + window)));
            win.sort(java.util.Comparator.comparingInt(Example::length));
            for (int b = 0; b + cfg.batchSize() <= win.size(); b += cfg.batchSize()) {
                batches.add(win.subList(b, b + cfg.batchSize()));
            }
        }
        java.util.Collections.shuffle(batches, order);
        double loss = Double.NaN;
        double smoothed;
        try (NDManager root = NDManager.newBaseManager(); Gpt gpt = Gpt.initialize(gc, cfg.seed(), root)) {
            OptimConfig oc = new OptimConfig(cfg.lr(), 0.01, 0.9, 0.95, 1e-8, cfg.warmupSteps(), cfg.steps(), 0.1, 1.0);
            ProgressListener bar = new ProgressListener("pretrain seed " + cfg.seed(), progress, 10);
            try (Trainer trainer = new Trainer(gpt, oc)) {
                trainer.addListener(bar);
                for (int step = 0; step < cfg.steps(); step++) {
                    List<Example> b = batches.get(step);
                    loss = trainer.step(TokenBatch.of(b, tok.pad(), gc.contextLength()), Trainer.crossEntropy());
                }
                trainer.finish(loss);
            }
            smoothed = bar.smoothedLoss();
            double wall = (System.nanoTime() - t0) / 1e9;
            Map<String, Object> prov = new LinkedHashMap<>();
            prov.put("made_by", "owlet pretrain");
            prov.put("pretrain_config", ConfigLoader.toMap(cfg));
            prov.put("world_config", ConfigLoader.toMap(world));
            prov.put("corpus_seed", cfg.worldSeed());
            prov.put("corpus_rows", n);
            prov.put("corpus_sha256", corpusSha);
            prov.put("final_loss", smoothed);
            prov.put("last_batch_loss", loss);
            prov.put("wall_seconds", wall);
            prov.put("threads", System.getProperty("ai.djl.pytorch.num_threads", "default"));
            String sha = Checkpoint.save(out, gpt, tok, prov);
            new Manifest("pretrain", sha, ConfigLoader.toMap(cfg), cfg.seed())
                    .input("corpus", corpusSha).output("model.safetensors", out.resolve(Checkpoint.WEIGHTS))
                    .count("parameters", gc.parameterCount()).count("corpus_rows", n).count("final_loss", smoothed)
                    .write(out, System.nanoTime() - t0);
            return new Result(out, sha, corpusSha, smoothed, wall, gc.parameterCount());
        }
    }

    private static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hash(String s) { return Hashing.sha256(s.getBytes(StandardCharsets.UTF_8)); }
}
