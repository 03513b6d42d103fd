package dev.owlet.scale;

import dev.owlet.experiment.InputError;
import java.util.Arrays;
import java.util.stream.Collectors;

/** What executes a run's independent stages: this process's worker threads, or Apache Spark. */
public enum Engine {
    /** Worker threads in this process ({@code --jobs}); no Spark anywhere. */
    IN_PROCESS("in-process"),
    /** A Spark job, one task per pending student stage ({@code --master}). */
    SPARK("spark");

    private final String flag;

    Engine(String flag) { this.flag = flag; }

    /** The engine named on the command line; anything else is bad input naming the value. */
    public static Engine of(String s) {
        for (Engine e : values()) if (e.flag.equalsIgnoreCase(s)) return e;
        throw new InputError("--engine " + s + ": expected one of "
                + Arrays.stream(values()).map(Engine::toString).collect(Collectors.joining(", ")));
    }

    @Override
    public String toString() { return flag; }
}
