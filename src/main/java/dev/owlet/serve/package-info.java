/**
 * {@code owlet serve}: the embedded models behind an OpenAI-compatible HTTP API (models, chat completions with
 * logprobs, files, fine-tuning jobs run by {@link dev.owlet.serve.FineTuneService} on one background thread,
 * persisted under a state folder so a restarted server resumes them).
 */
package dev.owlet.serve;
