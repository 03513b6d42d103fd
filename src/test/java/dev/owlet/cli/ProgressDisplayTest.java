package dev.owlet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.owlet.pipeline.StageProgress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressDisplayTest {
    @Test
    void withoutATerminalAStageLogsEachQuarterWithItsEta() {
        var buf = new ByteArrayOutputStream();
        AtomicLong now = new AtomicLong();
        var d = new ProgressDisplay(new PrintStream(buf, true, StandardCharsets.UTF_8), false, now::get);
        try (StageProgress.Ticker t = d.start("student-owl-sft-same-r1", "steps")) {
            for (int step = 1; step <= 400; step++) {
                now.addAndGet(100_000_000L); // 0.1 s a step
                t.update(step, 400);
            }
        }
        String[] lines = buf.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).containsExactly(
                "student-owl-sft-same-r1: 25% (100/400 steps), 10 s, about 30 s left",
                "student-owl-sft-same-r1: 50% (200/400 steps), 20 s, about 20 s left",
                "student-owl-sft-same-r1: 75% (300/400 steps), 30 s, about 10 s left");
    }

    @Test
    void withoutATerminalAShortStageSaysNothing() {
        var buf = new ByteArrayOutputStream();
        AtomicLong now = new AtomicLong();
        var d = new ProgressDisplay(new PrintStream(buf, true, StandardCharsets.UTF_8), false, now::get);
        try (StageProgress.Ticker t = d.start("gen-owl-r1", "rows")) {
            for (int done = 256; done <= 3000; done += 256) {
                now.addAndGet(10_000_000L);
                t.update(Math.min(done, 3000), 3000);
            }
        }
        assertThat(buf.size()).isZero();
    }

    @Test
    void onATerminalAStageDrawsABarWithItsName() {
        var buf = new ByteArrayOutputStream();
        var d = new ProgressDisplay(new PrintStream(buf, true, StandardCharsets.UTF_8), true, System::nanoTime);
        try (StageProgress.Ticker t = d.start("gen-owl-r1", "rows")) {
            t.update(1500, 3000);
        }
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("gen-owl-r1").contains("1500/3000").contains("50%");
    }
}
