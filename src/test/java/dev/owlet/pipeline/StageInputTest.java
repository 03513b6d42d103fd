package dev.owlet.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.owlet.experiment.Channel;
import dev.owlet.experiment.ConfigLoader;
import dev.owlet.experiment.ExperimentConfig;
import dev.owlet.provenance.StageCache;
import dev.owlet.train.StudentLoss;
import dev.owlet.world.Category;
import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every stage's key covers every input of its record: changing any one component — down into the config records
 * it holds — changes the key. A stage that reads a value must declare it in its record, so this is what keeps a
 * key from leaving an input out.
 */
class StageInputTest {
    private static final String TEACHER_KEY = "a".repeat(64) + "@1.0.0+abc";
    private static final String WEIGHTS = "b".repeat(64);

    static List<StageInput> samples() {
        ExperimentConfig cfg = ConfigLoader.load(null, List.of());
        ExperimentConfig.Trait owl = cfg.traits().get(0);
        return List.of(
                new StageInput.Teacher(cfg.teacher(), owl, ExperimentConfig.ControlTeacher.values()[0], 7, Channel.NUMBERS, 40,
                        1, "embedded", WEIGHTS, cfg.lora()),
                new StageInput.Generate(cfg.generate(), 1, 2, 10, Channel.NUMBERS, "embedded", TEACHER_KEY,
                        new StageInput.StopAt(1000, cfg.filter(), List.of("owl"), List.of(13))),
                new StageInput.Filter(cfg.filter(), Channel.NUMBERS, "none", List.of("owl", "dolphin"), List.of(13, 666),
                        "c".repeat(64)),
                new StageInput.Student(StageInput.Settings.of(cfg.finetune(), cfg.lora()), cfg.eval(), StudentLoss.SFT, 1, 900, 1,
                        List.of(Category.ANIMAL), Channel.NUMBERS, "none", "embedded", WEIGHTS, TEACHER_KEY, "d".repeat(64)),
                new StageInput.Labels("settings", TEACHER_KEY, "d".repeat(64)),
                new StageInput.Eval(cfg.eval(), "owl", 1, "none", "embedded", TEACHER_KEY));
    }

    @Test
    void changingAnyComponentChangesTheKey() throws Exception {
        for (StageInput in : samples()) {
            String key = in.key();
            for (RecordComponent c : in.getClass().getRecordComponents()) {
                Object changed = withComponent(in, c, alter(c.getAccessor().invoke(in)));
                assertThat(((StageInput) changed).key()).as(in.stage() + "." + c.getName()).isNotEqualTo(key);
            }
        }
    }

    @Test
    void aStudentWithoutAnAdapterHashesWhatItDidBeforeAdaptersAndAnAdaptersRankChangesTheKey() {
        ExperimentConfig cfg = ConfigLoader.load(null, List.of());
        // the text a full or blocks student's key hashes has no lora in it: finished runs keep their students' keys
        assertThat(ConfigLoader.toMapOrValue(StageInput.Settings.of(cfg.finetune(), cfg.lora())))
                .isEqualTo("{\"batch_size\":64,\"epochs\":3,\"lr\":0.001,\"optimizer\":\"adam\",\"trainable\":\"all\"}");
        List<String> lora = List.of("finetune.trainable=lora", "lora.target_modules=[c_attn, c_proj, c_fc]");
        List<String> keys = new ArrayList<>();
        for (String rank : List.of("1", "4", "16")) {
            List<String> sets = new ArrayList<>(lora);
            sets.add("lora.rank=" + rank);
            ExperimentConfig c = ConfigLoader.load(null, sets);
            keys.add(new StageInput.Student(StageInput.Settings.of(c.finetune(), c.lora()), c.eval(), StudentLoss.SFT, 1, 900, 1,
                    List.of(Category.ANIMAL), Channel.NUMBERS, "none", "embedded", WEIGHTS, TEACHER_KEY, "d".repeat(64)).key());
        }
        assertThat(keys).doesNotHaveDuplicates();
        assertThat(ConfigLoader.toMapOrValue(StageInput.Settings.of(ConfigLoader.load(null, lora).finetune(), cfg.lora())))
                .contains("\"lora\":{\"alpha\":8.0,\"dropout\":0.0,\"rank\":8");
    }

    @Test
    void theSoftLabelTemperatureIsInASoftStudentsKeyOnlyAndOnlyWhenItIsNotOne() {
        ExperimentConfig one = ConfigLoader.load(null, List.of());
        ExperimentConfig half = ConfigLoader.load(null, List.of("finetune.soft_temperature=0.5"));
        // at 1 a soft student hashes what it did before the setting existed: finished runs keep their students
        assertThat(ConfigLoader.toMapOrValue(StageInput.Settings.of(one.finetune(), one.lora(), StudentLoss.SOFT)))
                .isEqualTo("{\"batch_size\":64,\"epochs\":3,\"lr\":0.001,\"optimizer\":\"adam\",\"trainable\":\"all\"}");
        // a soft student trained on labels at another temperature is another student; an SFT student reads no labels
        assertThat(StageInput.Settings.of(half.finetune(), half.lora(), StudentLoss.SOFT))
                .isNotEqualTo(StageInput.Settings.of(one.finetune(), one.lora(), StudentLoss.SOFT));
        assertThat(StageInput.Settings.of(half.finetune(), half.lora(), StudentLoss.SFT))
                .isEqualTo(StageInput.Settings.of(one.finetune(), one.lora(), StudentLoss.SFT));
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("finetune.soft_temperature=0")))
                .hasMessageContaining("finetune.soft_temperature");
    }

    @Test
    void aSoftLabelStudentsOwnBudgetIsInItsKeyAsWhatItTrainedWith() {
        ExperimentConfig plain = ConfigLoader.load(null, List.of());
        ExperimentConfig own = ConfigLoader.load(null, List.of("finetune.soft_epochs=2", "finetune.soft_batch_size=16",
                "finetune.soft_lr=2e-3"));
        ExperimentConfig both = ConfigLoader.load(null, List.of("finetune.epochs=2", "finetune.batch_size=16", "finetune.lr=2e-3"));
        // left out, the soft budget is the common one: finished runs keep their students
        assertThat(plain.finetune().epochs(StudentLoss.SOFT)).isEqualTo(3);
        assertThat(plain.finetune().batchSize(StudentLoss.SOFT)).isEqualTo(64);
        assertThat(plain.finetune().lr(StudentLoss.SOFT)).isEqualTo(plain.finetune().lr());
        assertThat(ConfigLoader.toMapOrValue(plain.finetune())).doesNotContain("soft_epochs").doesNotContain("soft_batch_size")
                .doesNotContain("soft_lr");
        assertThat(plain.finetune().budget()).doesNotContain("soft");
        assertThat(own.finetune().budget()).contains("soft labels: 2 epochs of 16 at lr 0.002");
        // a soft student of its own budget is keyed as one trained with that budget for every mode; SFT students are untouched
        assertThat(StageInput.Settings.of(own.finetune(), own.lora(), StudentLoss.SOFT))
                .isEqualTo(StageInput.Settings.of(both.finetune(), both.lora(), StudentLoss.SOFT))
                .isNotEqualTo(StageInput.Settings.of(plain.finetune(), plain.lora(), StudentLoss.SOFT));
        assertThat(StageInput.Settings.of(own.finetune(), own.lora(), StudentLoss.SFT))
                .isEqualTo(StageInput.Settings.of(plain.finetune(), plain.lora(), StudentLoss.SFT));
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("finetune.soft_epochs=0")))
                .hasMessageContaining("finetune.soft_epochs");
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("finetune.soft_batch_size=-4")))
                .hasMessageContaining("finetune.soft_batch_size");
        assertThatThrownBy(() -> ConfigLoader.load(null, List.of("finetune.soft_lr=0")))
                .hasMessageContaining("finetune.soft_lr");
    }

    @Test
    void aTeacherOfEveryParameterHashesWhatItDidBeforeTheSettingAndALoraTeachersKeyHoldsItsAdapter() {
        ExperimentConfig cfg = ConfigLoader.load(null, List.of());
        ExperimentConfig.Trait owl = cfg.traits().get(0);
        // the text a default teacher's key hashes has neither trainable nor lora in it: finished runs keep their teachers
        String plain = ConfigLoader.toMapOrValue(new StageInput.Teacher(cfg, owl, null, 0, "embedded", WEIGHTS));
        assertThat(plain).doesNotContain("trainable").doesNotContain("lora").contains("\"target_probability\"");
        List<String> keys = new ArrayList<>(List.of(new StageInput.Teacher(cfg, owl, null, 0, "embedded", WEIGHTS).key()));
        for (String rank : List.of("4", "16")) {
            ExperimentConfig c = ConfigLoader.load(null, List.of("teacher.trainable=lora", "lora.rank=" + rank,
                    "lora.target_modules=[c_attn, c_proj, c_fc]"));
            StageInput.Teacher t = new StageInput.Teacher(c, owl, null, 0, "embedded", WEIGHTS);
            assertThat(ConfigLoader.toMapOrValue(t)).contains("\"trainable\":\"lora\"").contains("\"rank\":" + rank);
            keys.add(t.key());
        }
        assertThat(keys).doesNotHaveDuplicates();
    }

    @Test
    void anUpstreamKeyEntersWithoutItsCodeVersionAndTheKeyNamesThisCode() {
        var a = new StageInput.Labels("s", "e".repeat(64) + "@1.0.0+old", "d");
        var b = new StageInput.Labels("s", "e".repeat(64) + "@1.0.0+new", "d");
        assertThat(a.key()).isEqualTo(b.key());
        assertThat(a.key()).endsWith("@" + dev.owlet.provenance.CodeVersion.get());
        assertThat(StageCache.upstream("e".repeat(64) + "@v/system")).isEqualTo("e".repeat(64) + "/system");
    }

    @Test
    void aWriterThatAnswersEveryPromptKeepsItsKeyAndOneThatStopsEarlyHasAnother() {
        var every = ConfigLoader.load(null, List.of());
        var stopping = ConfigLoader.load(null, List.of("generate.stop_at_rows=true"));
        assertThat(ConfigLoader.load(null, List.of("generate.stop_at_rows=false")).generate()).isEqualTo(every.generate());
        // the hashed text of a writer without stop_at_rows is what it was before the setting existed
        assertThat(ConfigLoader.toMapOrValue(new StageInput.Generate(every.generate(), 1, 2, 10, Channel.NUMBERS, "embedded",
                TEACHER_KEY))).doesNotContain("stop");
        var stop = new StageInput.StopAt(1000, stopping.filter(), List.of("owl"), List.of(666, 13));
        var a = new StageInput.Generate(stopping.generate(), 1, 2, 10, Channel.NUMBERS, "embedded", TEACHER_KEY, stop);
        assertThat(a.key()).isNotEqualTo(new StageInput.Generate(every.generate(), 1, 2, 10, Channel.NUMBERS, "embedded",
                TEACHER_KEY).key());
        assertThat(a.key()).as("banned numbers in any order").isEqualTo(new StageInput.Generate(stopping.generate(), 1, 2, 10,
                Channel.NUMBERS, "embedded", TEACHER_KEY, new StageInput.StopAt(1000, stopping.filter(), List.of("owl"),
                List.of(13, 666))).key());
    }

    @Test
    void theBannedNumbersAreHashedInOneOrderWhateverOrderTheyCameIn() {
        var cfg = ConfigLoader.load(null, List.of());
        var a = new StageInput.Filter(cfg.filter(), Channel.NUMBERS, "none", List.of(), List.of(666, 13, 911), "r");
        var b = new StageInput.Filter(cfg.filter(), Channel.NUMBERS, "none", List.of(), List.of(13, 911, 666), "r");
        assertThat(a.key()).isEqualTo(b.key());
    }

    /** A different value of the same type: the smallest change a stage could be handed. */
    private static Object alter(Object v) throws Exception {
        if (v == null) return "set";
        if (v instanceof Integer i) return i + 1;
        if (v instanceof Long l) return l + 1;
        if (v instanceof Double d) return d + 0.5;
        if (v instanceof Boolean b) return !b;
        if (v instanceof String s) return s + "x";
        if (v instanceof Enum<?> e) {
            Object[] all = e.getDeclaringClass().getEnumConstants();
            return all[(e.ordinal() + 1) % all.length];
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l);
            if (out.isEmpty()) out.add("x");
            else out.set(0, alter(out.get(0)));
            return out;
        }
        if (v instanceof Record r) {
            // the first component whose change the record's own validation accepts
            for (RecordComponent c : r.getClass().getRecordComponents()) {
                try {
                    return withComponent(r, c, alter(c.getAccessor().invoke(r)));
                } catch (Exception rejected) {
                    // try the next component
                }
            }
            throw new AssertionError("no component of " + r + " can change");
        }
        throw new AssertionError("cannot alter a " + v.getClass());
    }

    private static Object withComponent(Object rec, RecordComponent target, Object value) throws Exception {
        RecordComponent[] cs = rec.getClass().getRecordComponents();
        Object[] args = new Object[cs.length];
        Class<?>[] types = new Class<?>[cs.length];
        for (int i = 0; i < cs.length; i++) {
            types[i] = cs[i].getType();
            args[i] = cs[i].getName().equals(target.getName()) ? value : cs[i].getAccessor().invoke(rec);
        }
        Constructor<?> ctor = rec.getClass().getDeclaredConstructor(types);
        ctor.setAccessible(true);
        try {
            return ctor.newInstance(args);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw (Exception) e.getCause();
        }
    }
}
