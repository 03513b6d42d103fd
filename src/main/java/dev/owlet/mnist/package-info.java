/**
 * The classifier experiment of Cloud et al. (2025, arXiv 2507.14805, section 6): subliminal learning in an MNIST
 * MLP. A student that sees only uniform noise, and imitates only the teacher's auxiliary logits (outputs no label
 * ever trained), still learns to classify digits, but only when it starts from the teacher's initialization.
 *
 * <p>Flow: {@link dev.owlet.mnist.IdxReader} and {@link dev.owlet.mnist.MnistData} read IDX files;
 * {@link dev.owlet.mnist.EnsembleMlp} holds E independent MLPs as one batched tensor program;
 * {@link dev.owlet.mnist.Distillation} trains students from a noise tensor and a teacher only;
 * {@link dev.owlet.mnist.MnistExperiment} runs teacher, students and controls and returns a
 * {@link dev.owlet.mnist.MnistResult}; {@link dev.owlet.mnist.MnistReport} writes JSON, Markdown and a chart.
 */
package dev.owlet.mnist;
