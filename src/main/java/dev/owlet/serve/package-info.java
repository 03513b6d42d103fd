/**
 * {@code owlet serve}: the embedded models behind an OpenAI-compatible HTTP API (models, chat completions with
 * logprobs and streaming, files, fine-tuning jobs run by {@link dev.owlet.serve.FineTuneService} on one background
 * thread, persisted under a state folder so a restarted server resumes them and quarantines records it cannot
 * read). {@link dev.owlet.serve.OwletServer} runs on Jetty's core server so slow clients hold no worker thread;
 * {@link dev.owlet.serve.Exchange} reads bodies without blocking and answers every refusal as
 * {@link dev.owlet.serve.ApiError}'s OpenAI-shaped JSON.
 */
package dev.owlet.serve;
