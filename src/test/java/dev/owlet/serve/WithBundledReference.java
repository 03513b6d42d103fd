package dev.owlet.serve;

import dev.owlet.backend.EmbeddedBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Server tests that serve the bundled {@code ref-s1}: loaded once per test class, closed after it. */
abstract class WithBundledReference {
    static EmbeddedBackend ref;

    @BeforeAll
    static void loadReference() throws Exception {
        ref = EmbeddedBackend.load("bundled:ref-s1", 16);
    }

    @AfterAll
    static void freeReference() {
        if (ref != null) ref.close();
        ref = null;
    }
}
