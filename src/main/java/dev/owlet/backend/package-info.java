/**
 * The language-model backend seam: the embedded tiny GPTs, or any OpenAI-compatible server (OpenAI, vLLM,
 * {@code owlet serve}). {@link dev.owlet.backend.LanguageModelBackend} samples chats and, where the backend offers
 * them, reads first-token log-probabilities and runs fine-tuning jobs (upload, create, poll, events).
 * {@link dev.owlet.backend.OpenAiHttpBackend} is the HTTP client: concurrency limit, retries with backoff and
 * jitter or the server's Retry-After, creations (files, jobs) looked up by a client marker instead of re-sent after
 * a timeout, and an API key that never leaves the Authorization header.
 */
package dev.owlet.backend;
