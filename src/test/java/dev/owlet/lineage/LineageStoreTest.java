package dev.owlet.lineage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LineageStoreTest {
    @TempDir
    static Path dir;
    SyntheticRun run;
    Path db;

    @BeforeAll
    void ingest() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            run = new SyntheticRun(dir, m);
        }
        db = dir.resolve("lineage.db");
        try (LineageStore s = LineageStore.create(db)) {
            RunIngest in = new RunIngest(s);
            in.scan(dir.resolve("refs/r1"));
            in.scan(dir.resolve("refs/r2"));
            RunIngest.Summary sum = in.scan(dir.resolve("run"));
            // a defence's students are not kept: the only stage that adds nothing, and it says why
            assertThat(sum.skipped()).singleElement().asString().contains("defend-mix-reference-teacher-r1")
                    .contains("not kept");
        }
    }

    @Test
    void softLabelsAreDataTheTeacherWrote() throws Exception {
        try (LineageStore s = LineageStore.openExisting(db)) {
            assertThat(s.get(run.labels)).get().extracting(Artifact::kind).isEqualTo(Kind.DATASET);
            assertThat(s.parents(run.labels)).singleElement().satisfies(e -> {
                assertThat(e.parent()).isEqualTo(run.teacher);
                assertThat(e.relation()).isEqualTo(Edge.WRITER);
            });
        }
    }

    @Test
    void checkFlagsExactlyTheSameBaseStudentAndNamesThePath() throws Exception {
        try (LineageStore s = LineageStore.openExisting(db)) {
            List<LineageRules.Finding> fs = LineageRules.check(s);
            assertThat(fs).hasSize(2);
            List<LineageRules.Finding> flagged = fs.stream().filter(f -> f.status() == LineageRules.Status.FLAG).toList();
            assertThat(flagged).hasSize(1);
            LineageRules.Finding f = flagged.get(0);
            assertThat(f.student().id()).isEqualTo(run.sameStudent);
            assertThat(f.writer().id()).isEqualTo(run.teacher);
            assertThat(f.sharedBase().id()).isEqualTo(run.ref1);
            assertThat(String.join(" ", f.path())).contains("filter-teacher-owl", "gen-teacher-owl", "teacher-owl", "r1");
            assertThat(fs).anySatisfy(x -> {
                assertThat(x.student().id()).isEqualTo(run.diffStudent);
                assertThat(x.status()).isEqualTo(LineageRules.Status.OK_DIFFERENT_INIT);
            });
        }
    }

    @Test
    void showPrintsAncestorsAndPrefixesResolve() throws Exception {
        try (LineageStore s = LineageStore.openExisting(db)) {
            String tree = LineageGraph.tree(s, s.resolve(run.sameStudent.substring(0, 10)));
            assertThat(tree).contains("base: r1", "data: run/filter-teacher-owl", "filtered_from: run/gen-teacher-owl",
                    "writer: run/teacher-owl");
        }
    }

    @Test
    void exportsContainEveryNodeAndEdge() throws Exception {
        try (LineageStore s = LineageStore.openExisting(db)) {
            LineageGraph.Graph g = LineageGraph.all(s);
            String json = LineageGraph.json(g);
            String mermaid = LineageGraph.mermaid(g);
            String dot = LineageGraph.dot(g);
            for (Artifact a : g.artifacts()) {
                assertThat(json).contains(a.id());
                assertThat(mermaid).contains("n" + a.shortId());
                assertThat(dot).contains(a.id());
            }
            for (Edge e : g.edges()) {
                assertThat(mermaid).contains("n" + Artifact.shortId(e.parent()) + " -->|" + e.relation() + "| n" + Artifact.shortId(e.child()));
                assertThat(dot).contains("\"" + e.parent() + "\" -> \"" + e.child() + "\" [label=\"" + e.relation());
            }
            assertThat(g.edges()).hasSizeGreaterThanOrEqualTo(7);
        }
    }

    @Test
    void externalModelWithDeclaredBaseIsFlaggedThroughIt() throws Exception {
        Path db2 = dir.resolve("ext.db");
        try (LineageStore s = LineageStore.create(db2)) {
            ExternalArtifacts.register(s, new ExternalArtifacts.Declaration("api:teacher", null, Kind.TEACHER, null, "api:base", null, null));
            ExternalArtifacts.register(s, new ExternalArtifacts.Declaration("data-1", null, Kind.DATASET, null, null, null, "api:teacher"));
            ExternalArtifacts.register(s, new ExternalArtifacts.Declaration("api:student", null, Kind.STUDENT, null, "api:base", "data-1", null));
            List<LineageRules.Finding> fs = LineageRules.check(s);
            assertThat(fs).singleElement().satisfies(f -> assertThat(f.status()).isEqualTo(LineageRules.Status.FLAG));
        }
    }

    @Test
    void badInputFailsNamingTheProblem() throws Exception {
        assertThatThrownBy(() -> LineageStore.openExisting(dir.resolve("missing.db"))).hasMessageContaining("missing.db");
        try (LineageStore s = LineageStore.openExisting(db)) {
            assertThatThrownBy(() -> s.resolve("ffffffffffff")).hasMessageContaining("no artifact 'ffffffffffff'");
            assertThatThrownBy(() -> new RunIngest(s).scan(dir.resolve("refs"))).hasMessageContaining("neither an owlet run folder");
        }
    }
}
