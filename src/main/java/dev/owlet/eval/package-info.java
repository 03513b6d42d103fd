/** Evaluation: how strongly a model expresses a trait, with per-question rates for honest intervals. */
package dev.owlet.eval;
