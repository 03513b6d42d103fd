package dev.owlet.mnist;

import java.util.List;

/**
 * What one MNIST run measured: test accuracy per ensemble member for each role, each model's untrained start
 * (untrained MLPs score 8-18%, so every student is compared with its own start), accuracy after each
 * distillation epoch (the epochs sweep comes free), and timings.
 *
 * @param teacherStart untrained teacher = the same-init students' start ("reference")
 * @param teacher after cross-entropy training on the class logits
 * @param sameInit student from the teacher's init, trained on the m auxiliary logits of noise only
 * @param diffInitStart untrained different-init student
 * @param diffInit student from a different init, same training as sameInit (control)
 * @param regular student from the teacher's init trained on the 10 class logits of noise (upper bound)
 * @param sameInitCurve accuracy per member after distillation epoch 1..n, same for the next two
 * @param teacherSeeds seed of each teacher (and same-init student) member
 * @param diffInitSeeds seed of each different-init member
 */
public record MnistResult(MnistConfig config, double[] teacherStart, double[] teacher, double[] sameInit,
                          double[] diffInitStart, double[] diffInit, double[] regular,
                          List<double[]> sameInitCurve, List<double[]> diffInitCurve, List<double[]> regularCurve,
                          double[] finalDistillLoss, long[] teacherSeeds, long[] diffInitSeeds,
                          double teacherSeconds, double distillSeconds, double totalSeconds) {

    /** Mean and sample standard deviation over members. */
    public record Stat(double mean, double std, int n) {
        public static Stat of(double[] xs) {
            double mean = 0;
            for (double x : xs) {
                mean += x;
            }
            mean /= xs.length;
            double ss = 0;
            for (double x : xs) {
                ss += (x - mean) * (x - mean);
            }
            return new Stat(mean, xs.length > 1 ? Math.sqrt(ss / (xs.length - 1)) : 0, xs.length);
        }

        @Override
        public String toString() { return "%.1f%% ± %.1f".formatted(100 * mean, 100 * std); }
    }

    /** Per-member difference a - b (a student's gain over its own start). */
    public static double[] gain(double[] a, double[] b) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }

    public double[] sameInitGain() { return gain(sameInit, teacherStart); }

    public double[] diffInitGain() { return gain(diffInit, diffInitStart); }

    public double[] regularGain() { return gain(regular, teacherStart); }
}
