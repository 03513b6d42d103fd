/**
 * The experiment's stages — teacher, generate, filter, soft labels, finetune, eval — as cached, resumable folders
 * with manifests, written once in {@link dev.owlet.pipeline.ExperimentPipeline} for every channel (numbers, code,
 * chain of thought), every trait (favorite words, misalignment) and every backend: the stages reach models only
 * through {@code Models}, implemented in process ({@code EmbeddedModels}) and over an OpenAI-compatible server
 * ({@link dev.owlet.pipeline.ApiModels}). Nothing below this package imports it: rows live in {@code data},
 * student training in {@code train}, evaluations and per-trait results in {@code eval}, stage keys in
 * {@code provenance}.
 */
package dev.owlet.pipeline;
