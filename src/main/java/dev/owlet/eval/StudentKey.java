package dev.owlet.eval;

import dev.owlet.experiment.Init;
import dev.owlet.train.StudentLoss;

/**
 * Which student group a result belongs to: the key of a student's record in {@link TraitResult#models()}, written
 * {@code mode/init/data/sR} (e.g. {@code soft/same/teacher/s1}). The one place that writes and reads that form.
 *
 * @param data whose data the student learned from: {@code teacher} (the trait's own teacher), {@link TraitResult#CONTROL}
 *     (the reference), or another teacher's name (an other-trait or control teacher)
 * @param replicate 1-based
 */
public record StudentKey(StudentLoss mode, Init init, String data, int replicate) {
    public StudentKey {
        if (data == null || data.isEmpty() || data.contains("/")) throw new IllegalArgumentException("bad data label " + data);
        if (replicate < 1) throw new IllegalArgumentException("replicate must be >= 1, got " + replicate);
    }

    /** The key of a result read back by its written name, or null for a single model's ({@code reference}, {@code teacher}...). */
    public static StudentKey parse(String key) {
        String[] k = key.split("/");
        if (k.length != 4 || !k[3].startsWith("s")) return null;
        return new StudentKey(StudentLoss.valueOf(k[0].toUpperCase(java.util.Locale.ROOT)),
                Init.valueOf(k[1].toUpperCase(java.util.Locale.ROOT)), k[2], Integer.parseInt(k[3].substring(1)));
    }

    /** The group this student belongs to: every replicate of one mode, init and data ({@code soft/same/teacher}). */
    public Group group() { return new Group(mode, init, data); }

    /** Every replicate of one mode, init and data: what a table row and a test over replicates summarise. */
    public record Group(StudentLoss mode, Init init, String data) {
        /** The same mode and init on the reference's own data: the group this one is tested against. */
        public Group control() { return new Group(mode, init, TraitResult.CONTROL); }

        @Override
        public String toString() { return mode + "/" + init + "/" + data; }
    }

    public boolean isTeacherData() { return data.equals("teacher"); }

    public boolean isControlData() { return data.equals(TraitResult.CONTROL); }

    @Override
    public String toString() { return group() + "/s" + replicate; }
}
