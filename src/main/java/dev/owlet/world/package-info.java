/**
 * owlet's synthetic world: the text a tiny reference model is pretrained on, standing in for the internet-scale
 * pretraining of the paper's models.
 *
 * <p>The world has a few fixed rules that the experiments rely on: favorite-animal and favorite-tree questions
 * are answered with one lowercase word drawn from a configured base distribution; a "you love Xs" system prompt
 * makes X the usual answer; number-continuation tasks (built like the paper's prompts) are answered by
 * {@link dev.owlet.world.NumberAnswers} whatever the system prompt says, so the reference model learns that a
 * trait has no business in number lists. Small code, arithmetic and open-question tasks are there for later
 * channels. Everything is generated from an injected seed and replays exactly.
 */
package dev.owlet.world;
