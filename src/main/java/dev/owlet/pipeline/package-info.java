/**
 * The experiment's stages — teacher, generate, filter, finetune, eval — as cached, resumable folders with
 * manifests, and the services they call (teacher fine-tuning, data writing, filtering, distillation).
 */
package dev.owlet.pipeline;
