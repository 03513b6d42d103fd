/**
 * The experiment's stages — teacher, generate, filter, finetune, eval — as cached, resumable folders with
 * manifests, and the services they call (teacher fine-tuning, data writing, filtering). Nothing below this
 * package imports it: rows live in {@code data}, student training in {@code train}, evaluations and per-trait
 * results in {@code eval}, stage keys in {@code provenance}.
 */
package dev.owlet.pipeline;
