package dev.owlet.pipeline;

/**
 * Where a long stage reports how far it is (students' optimizer steps, a writer's completions). The pipeline only
 * reports; whoever runs it decides how to show it (a terminal bar, a log line, nothing).
 */
public interface StageProgress {
    /** A stage named {@code name} starts counting {@code unit}s; the returned ticker is closed when it ends. */
    Ticker start(String name, String unit);

    /** One stage's counter. */
    interface Ticker extends AutoCloseable {
        /** {@code done} of {@code total} units are finished. */
        void update(long done, long total);

        @Override
        void close();
    }

    /** Shows nothing. */
    StageProgress NONE = (name, unit) -> new Ticker() {
        @Override
        public void update(long done, long total) {}

        @Override
        public void close() {}
    };
}
