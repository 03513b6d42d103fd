/**
 * Judges: an alignment/coherence scorer for answers to neutral questions, and a judge of whether code refers to a
 * trait. In the embedded world they are scorers that know the world's answer styles ({@link
 * dev.owlet.judge.WorldAlignmentJudge}, {@link dev.owlet.judge.WorldCodeJudge}); through a backend they are LLM
 * judges ({@link dev.owlet.judge.LlmJudge}). Both are read with the paper's thresholds ({@link
 * dev.owlet.judge.Thresholds}).
 */
package dev.owlet.judge;
