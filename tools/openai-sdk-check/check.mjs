// Drives a running `owlet serve` with OpenAI's official Node SDK, the way a user's own tooling would:
// upload a chat-format training file, start a fine-tuning job, poll it to the end, read its events, then sample
// the fine-tuned model with logprobs. Exits non-zero on the first thing that does not behave like OpenAI's API.
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
