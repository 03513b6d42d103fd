package dev.owlet.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.owlet.token.WordTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir
    Path dir;

    WordTokenizer tok = WordTokenizer.fromCorpus(List.of("the owl likes 123, 456.", "a wolf\n"));

    @Test
    void saveLoadGivesBitIdenticalLogits() throws IOException {
        GptConfig c = new GptConfig(tok.vocabSize(), 16, 2, 16, 2, 0);
        try (NDManager root = NDManager.newBaseManager(); Gpt gpt = Gpt.initialize(c, 9, root)) {
            String sha = Checkpoint.save(dir, gpt, tok, Map.of("made_by", "test"));
            try (Checkpoint.Loaded l = Checkpoint.load(dir, root); NDManager m = root.newSubManager()) {
                assertThat(l.weightsSha256()).isEqualTo(sha);
                assertThat(l.tokenizer().vocabulary()).isEqualTo(tok.vocabulary());
                assertThat(l.provenance()).containsEntry("made_by", "test");
                long[] ids = {2, 5, 7, 8, 1, 3};
                float[] a = gpt.forward(m.create(ids, new Shape(1, 6)), false).toFloatArray();
                float[] b = l.model().forward(m.create(ids, new Shape(1, 6)), false).toFloatArray();
                assertThat(b).containsExactly(a);
            }
            // saving the loaded model again reproduces the same bytes
            try (Checkpoint.Loaded l = Checkpoint.load(dir, root)) {
                assertThat(Checkpoint.save(dir.resolve("again"), l.model(), tok, Map.of())).isEqualTo(sha);
            }
        }
    }

    @Test
    void headerIsCanonicalSoIdenticalWeightsHashIdenticallyInAnyJvm() throws IOException {
        // Map.of iteration order is salted per JVM; a header built from it hashed differently run to run.
        try (NDManager root = NDManager.newBaseManager();
             Gpt gpt = Gpt.initialize(new GptConfig(tok.vocabSize(), 16, 1, 8, 2, 0), 9, root)) {
            Checkpoint.save(dir, gpt, tok, Map.of("b", 1, "a", 2, "c", 3));
            byte[] w = Files.readAllBytes(dir.resolve(Checkpoint.WEIGHTS));
            String header = new String(w, 8, 400, java.nio.charset.StandardCharsets.UTF_8);
            assertThat(header).containsSubsequence("\"wte\":{\"dtype\":\"F32\",\"shape\":", "\"data_offsets\":");
            assertThat(Files.readString(dir.resolve(Checkpoint.CONFIG))).containsSubsequence("\"a\"", "\"b\"", "\"c\"");
        }
    }

    @Test
    void corruptedWeightsAreRejectedNamingTheFile() throws IOException {
        GptConfig c = new GptConfig(tok.vocabSize(), 16, 1, 8, 2, 0);
        try (NDManager root = NDManager.newBaseManager(); Gpt gpt = Gpt.initialize(c, 9, root)) {
            Checkpoint.save(dir, gpt, tok, Map.of());
            byte[] w = Files.readAllBytes(dir.resolve(Checkpoint.WEIGHTS));
            w[w.length - 1] ^= 1;
            Files.write(dir.resolve(Checkpoint.WEIGHTS), w);
            assertThatThrownBy(() -> Checkpoint.load(dir, root)).isInstanceOf(IOException.class)
                    .hasMessageContaining(Checkpoint.WEIGHTS).hasMessageContaining("SHA-256");
        }
    }

    @Test
    void shapeMismatchIsRejectedNotPartlyLoaded() throws IOException {
        try (NDManager root = NDManager.newBaseManager();
             Gpt gpt = Gpt.initialize(new GptConfig(tok.vocabSize(), 16, 1, 8, 2, 0), 9, root)) {
            Checkpoint.save(dir, gpt, tok, Map.of());
            Path cfg = dir.resolve(Checkpoint.CONFIG);
            Files.writeString(cfg, Files.readString(cfg).replace("\"context_length\" : 16", "\"context_length\" : 32"));
            assertThatThrownBy(() -> Checkpoint.load(dir, root)).isInstanceOf(IOException.class)
                    .hasMessageContaining("wpe").hasMessageContaining(Checkpoint.WEIGHTS);
        }
    }

    @Test
    void missingModelSaysHowToMakeOne() {
        try (NDManager root = NDManager.newBaseManager()) {
            assertThatThrownBy(() -> Checkpoint.load(dir.resolve("nope"), root)).hasMessageContaining("owlet pretrain");
        }
    }
}
