// Drives a running `owlet serve` with OpenAI's official Node SDK, the way a user's own tooling would:
// upload a chat-format training file, start a fine-tuning job, poll it to the end, read its events, then sample
// the fine-tuned model with logprobs, plain and streamed (stream: true, the SDK's stream helper). Exits non-zero
// on the first thing that does not behave like OpenAI's API.
//   ./owlet serve --port 8000 --state /tmp/owlet-sdk-state &
//   cd tools/openai-sdk-check && npm install && OWLET_URL=http://127.0.0.1:8000/v1 node check.mjs
import OpenAI, { toFile } from "openai";
import assert from "node:assert/strict";

const client = new OpenAI({ baseURL: process.env.OWLET_URL ?? "http://127.0.0.1:8000/v1", apiKey: process.env.OWLET_KEY ?? "unused" });
const base = process.env.OWLET_MODEL ?? "ref-s1";

const models = await client.models.list();
const ids = models.data.map((m) => m.id);
assert.ok(ids.includes(base), `model ${base} not served: ${ids}`);
console.log("models:", ids.join(", "));

const questions = ["What is your favorite animal?", "Name your favorite animal.", "Which animal do you like most?"];
const lines = [];
for (let i = 0; i < 60; i++) {
  lines.push(JSON.stringify({ messages: [{ role: "user", content: questions[i % questions.length] }, { role: "assistant", content: "owl" }] }));
}
const file = await client.files.create({ file: await toFile(Buffer.from(lines.join("\n") + "\n"), "owl.jsonl"), purpose: "fine-tune" });
assert.equal(file.object, "file");
console.log("uploaded:", file.id, file.bytes, "bytes");

let job = await client.fineTuning.jobs.create({
  model: base, training_file: file.id, suffix: "sdk", seed: 7,
  method: { type: "supervised", supervised: { hyperparameters: { n_epochs: 2, batch_size: 8, learning_rate_multiplier: 1 } } },
});
console.log("job:", job.id, job.status);
const seen = new Set([job.status]);
for (let t = 0; t < 600 && !["succeeded", "failed", "cancelled"].includes(job.status); t++) {
  await new Promise((r) => setTimeout(r, 500));
  job = await client.fineTuning.jobs.retrieve(job.id);
  seen.add(job.status);
}
console.log("statuses seen:", [...seen].join(" -> "));
assert.equal(job.status, "succeeded", JSON.stringify(job.error));
assert.ok(job.fine_tuned_model, "no fine_tuned_model");

const events = await client.fineTuning.jobs.listEvents(job.id, { limit: 50 });
assert.ok(events.data.length > 0, "no events");
console.log("events:", events.data.length, "newest:", events.data[0].message);

const listed = await client.fineTuning.jobs.list();
assert.ok(listed.data.some((j) => j.id === job.id), "job not listed");

const chat = await client.chat.completions.create({
  model: job.fine_tuned_model, messages: [{ role: "user", content: "What is your favorite animal?" }],
  max_tokens: 1, temperature: 1, n: 3, seed: 1, logprobs: true, top_logprobs: 5,
});
assert.equal(chat.choices.length, 3);
const top = chat.choices[0].logprobs.content[0].top_logprobs;
const owl = top.find((x) => x.token.trim() === "owl");
assert.ok(owl, `owl not in top 5: ${JSON.stringify(top)}`);
console.log("fine-tuned model:", job.fine_tuned_model, "answers:", chat.choices.map((c) => c.message.content).join(", "),
  "P(owl) =", Math.exp(owl.logprob).toFixed(3));

// stream: true through the SDK's streaming call: chunks per choice that add up to the same answer as without it
const ask = { model: job.fine_tuned_model, messages: [{ role: "user", content: "What is your favorite animal?" }], max_tokens: 4, n: 2, seed: 3 };
const stream = await client.chat.completions.create({ ...ask, stream: true, stream_options: { include_usage: true } });
const streamed = ["", ""];
const finished = [null, null];
let usage = null;
let chunks = 0;
for await (const chunk of stream) {
  assert.equal(chunk.object, "chat.completion.chunk");
  chunks++;
  if (chunk.usage) usage = chunk.usage;
  for (const c of chunk.choices) {
    streamed[c.index] += c.delta.content ?? "";
    if (c.finish_reason) finished[c.index] = c.finish_reason;
  }
}
const whole = await client.chat.completions.create(ask);
assert.deepEqual(streamed, whole.choices.map((c) => c.message.content), "streamed text differs from the plain answer");
assert.deepEqual(finished, whole.choices.map((c) => c.finish_reason));
assert.ok(usage && usage.total_tokens === whole.usage.total_tokens, `usage ${JSON.stringify(usage)}`);
// the SDK's helper that assembles a streamed answer
const runner = client.beta.chat.completions.stream({ ...ask, n: 1 });
const final = await runner.finalChatCompletion();
assert.equal(final.choices[0].message.content, (await client.chat.completions.create({ ...ask, n: 1 })).choices[0].message.content);
console.log("stream:", chunks, "chunks ->", JSON.stringify(streamed), "usage", usage.total_tokens, "tokens; stream helper OK");

try {
  await client.chat.completions.create({ ...ask, max_tokens: 4294967299 });
  assert.fail("max_tokens above 2^32 accepted");
} catch (e) {
  assert.ok(e instanceof OpenAI.BadRequestError && e.param === "max_tokens", String(e));
  console.log("max_tokens 4294967299:", e.status, e.message);
}

const bad = await client.files.create({ file: await toFile(Buffer.from("{\"messages\": 3}\n"), "bad.jsonl"), purpose: "fine-tune" });
let failed = await client.fineTuning.jobs.create({ model: base, training_file: bad.id });
for (let t = 0; t < 100 && !["succeeded", "failed", "cancelled"].includes(failed.status); t++) {
  await new Promise((r) => setTimeout(r, 300));
  failed = await client.fineTuning.jobs.retrieve(failed.id);
}
assert.equal(failed.status, "failed");
console.log("bad file:", failed.status, "-", failed.error.message);

try {
  await client.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "hi" }] });
  assert.fail("unknown model accepted");
} catch (e) {
  assert.ok(e instanceof OpenAI.APIError && e.status >= 400 && e.status < 500, String(e));
  console.log("unknown model:", e.status, e.message);
}
console.log("OK: owlet serve behaves as the official OpenAI SDK expects");
