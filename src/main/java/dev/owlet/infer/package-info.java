/** Inference: batched KV-cache sampling and exact log-probabilities. */
package dev.owlet.infer;
