package dev.owlet.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.owlet.backend.EmbeddedBackend;
import dev.owlet.model.Checkpoint;
import dev.owlet.model.Gpt;
import dev.owlet.pipeline.DataRow;
import dev.owlet.pipeline.Distillation;
import dev.owlet.provenance.AtomicFiles;
import dev.owlet.token.ChatFormat;
import dev.owlet.token.WordTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Files and fine-tuning jobs for {@code owlet serve}, in OpenAI's wire shapes. Jobs run one at a time on a single
 * background thread with the embedded fine-tuner ({@link Distillation}: {@code supervised} is cross-entropy on the
 * assistant tokens, owlet's {@code owlet_soft} method is the restricted-alphabet soft-label distillation from a
 * served teacher). Everything lives under the state folder, each record written atomically:
 * {@code files/ID.json} + {@code files/ID.jsonl}, {@code jobs/ID.json} (the job object plus its events) and
 * {@code models/JOBID/} (the fine-tuned checkpoint). A server started on the same folder re-registers finished
 * models and re-queues jobs that were interrupted, under the same job id, so a client polling that id still
 * gets its model.
 */
final class FineTuneService implements AutoCloseable {
    /** The server's live model table. */
    interface Registry {
        EmbeddedBackend get(String id);

        void register(EmbeddedBackend backend);
    }

    /** A request the client must fix (HTTP 400/404). */
    static final class BadRequest extends RuntimeException {
        final int status;

        BadRequest(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** The learning rate at {@code learning_rate_multiplier} 1 (the flagship students' Adam rate). */
    static final double BASE_LR = 1e-3;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final SecureRandom IDS = new SecureRandom();

    private final Path state;
    private final Registry registry;
    private final int batchSize;
    private final Map<String, ObjectNode> files = new LinkedHashMap<>();
    private final Map<String, ObjectNode> jobs = new LinkedHashMap<>(); // id -> {"job": {...}, "events": [...]}
    private final List<EmbeddedBackend> owned = new ArrayList<>();
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "owlet-finetune");
        t.setDaemon(true);
        return t;
    });
    private final java.util.Set<String> cancelRequested = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile boolean closing;

    FineTuneService(Path state, Registry registry, int batchSize) throws IOException {
        this.state = state;
        this.registry = registry;
        this.batchSize = batchSize;
        Files.createDirectories(state.resolve("files"));
        Files.createDirectories(state.resolve("jobs"));
        Files.createDirectories(state.resolve("models"));
    }

    /** Loads files and jobs from the state folder, registers finished models and re-queues unfinished jobs. */
    synchronized void recover() throws IOException {
        try (var s = Files.list(state.resolve("files"))) {
            for (Path p : s.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                ObjectNode f = (ObjectNode) JSON.readTree(p.toFile());
                files.put(f.path("id").asText(), f);
            }
        }
        List<ObjectNode> docs = new ArrayList<>();
        try (var s = Files.list(state.resolve("jobs"))) {
            for (Path p : s.filter(f -> f.toString().endsWith(".json")).toList()) docs.add((ObjectNode) JSON.readTree(p.toFile()));
        }
        docs.sort(Comparator.comparingLong(d -> d.path("job").path("created_at").asLong()));
        for (ObjectNode d : docs) {
            ObjectNode job = (ObjectNode) d.get("job");
            String id = job.path("id").asText();
            jobs.put(id, d);
            String status = job.path("status").asText();
            if (status.equals("succeeded")) {
                Path dir = state.resolve("models").resolve(id);
                EmbeddedBackend b = EmbeddedBackend.load(dir.toString(), job.path("fine_tuned_model").asText(), batchSize);
                owned.add(b);
                registry.register(b);
            } else if (status.equals("validating_files") || status.equals("queued") || status.equals("running")) {
                boolean wasRunning = status.equals("running");
                job.put("status", "queued");
                event(d, wasRunning ? "Server restarted while the job was running; re-queued (training restarts from the base model)"
                        : "Server restarted; job re-queued");
                save(d);
                String jid = id;
                worker.submit(() -> run(jid));
            }
        }
    }

    // ---------------------------------------------------------------- files

    synchronized ObjectNode upload(String filename, String purpose, byte[] content) throws IOException {
        if (!"fine-tune".equals(purpose)) {
            throw new BadRequest(400, "purpose: only 'fine-tune' is supported, got '" + purpose + "'");
        }
        String id = "file-" + hex(12);
        AtomicFiles.writeBytes(state.resolve("files").resolve(id + ".jsonl"), content);
        ObjectNode f = JSON.createObjectNode();
        f.put("id", id).put("object", "file").put("bytes", content.length).put("created_at", now())
                .put("filename", filename == null ? "upload.jsonl" : filename).put("purpose", purpose).put("status", "processed");
        f.putNull("status_details");
        AtomicFiles.writeBytes(state.resolve("files").resolve(id + ".json"), JSON.writeValueAsBytes(f));
        files.put(id, f);
        return f;
    }

    synchronized ObjectNode listFiles() {
        ObjectNode out = JSON.createObjectNode().put("object", "list");
        ArrayNode data = out.putArray("data");
        files.values().forEach(data::add);
        out.put("has_more", false);
        return out;
    }

    synchronized ObjectNode file(String id) {
        ObjectNode f = files.get(id);
        if (f == null) throw new BadRequest(404, "No such File object: " + id);
        return f;
    }

    byte[] content(String id) throws IOException {
        file(id);
        return Files.readAllBytes(state.resolve("files").resolve(id + ".jsonl"));
    }

    // ---------------------------------------------------------------- jobs

    /** Validates the request (models and file must exist) and queues the job; the file's content is checked later. */
    synchronized ObjectNode create(JsonNode body) throws IOException {
        if (body == null || !body.isObject()) throw new BadRequest(400, "request body must be a JSON object");
        String model = str(body, "model", true);
        if (registry.get(model) == null) throw new BadRequest(400, "model '" + model + "' is not available for fine-tuning");
        String fileId = str(body, "training_file", true);
        if (!files.containsKey(fileId)) throw new BadRequest(400, "training_file: no such file " + fileId);
        JsonNode method = body.path("method");
        String type = method.isObject() ? method.path("type").asText("supervised") : "supervised";
        if (!type.equals("supervised") && !type.equals("owlet_soft")) {
            throw new BadRequest(400, "method.type: '" + type + "' is not supported by owlet serve (supervised, owlet_soft)");
        }
        JsonNode hp = body.path("hyperparameters");
        JsonNode inMethod = method.path(type).path("hyperparameters");
        if (inMethod.isObject()) hp = inMethod;
        int epochs = intOrAuto(hp, "n_epochs", 3);
        int batch = intOrAuto(hp, "batch_size", 32);
        double mult = numOrAuto(hp, "learning_rate_multiplier", 1.0);
        if (epochs < 1 || epochs > 50) throw new BadRequest(400, "hyperparameters.n_epochs must be in [1, 50], got " + epochs);
        if (batch < 1 || batch > 1024) throw new BadRequest(400, "hyperparameters.batch_size must be in [1, 1024], got " + batch);
        if (!(mult > 0 && mult <= 100)) throw new BadRequest(400, "hyperparameters.learning_rate_multiplier must be in (0, 100], got " + mult);
        String teacher = null;
        String teacherSystem = null;
        if (type.equals("owlet_soft")) {
            teacher = method.path("owlet_soft").path("teacher").asText(null);
            if (teacher == null || registry.get(teacher) == null) {
                throw new BadRequest(400, "method.owlet_soft.teacher: a served model id is required, got " + teacher);
            }
            teacherSystem = method.path("owlet_soft").path("teacher_system").asText(null);
        }
        String suffix = body.hasNonNull("suffix") ? str(body, "suffix", false) : null;
        if (suffix != null && !suffix.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new BadRequest(400, "suffix: letters, digits, '.', '_' and '-' only (at most 64), got '" + suffix + "'");
        }
        long seed = body.hasNonNull("seed") ? body.get("seed").asLong() : IDS.nextInt(Integer.MAX_VALUE);
        String id = "ftjob-" + hex(12);
        ObjectNode job = JSON.createObjectNode();
        job.put("id", id).put("object", "fine_tuning.job").put("created_at", now()).putNull("finished_at");
        job.put("model", model).putNull("fine_tuned_model").put("organization_id", "org-owlet").put("status", "validating_files");
        ObjectNode h = JSON.createObjectNode().put("n_epochs", epochs).put("batch_size", batch).put("learning_rate_multiplier", mult);
        job.set("hyperparameters", h);
        job.put("training_file", fileId).putNull("validation_file").putArray("result_files");
        job.putNull("trained_tokens").putNull("error").put("seed", seed);
        if (suffix == null) job.putNull("user_provided_suffix"); else job.put("user_provided_suffix", suffix);
        job.putNull("estimated_finish").putArray("integrations");
        ObjectNode m = job.putObject("method").put("type", type);
        ObjectNode mm = m.putObject(type);
        mm.set("hyperparameters", h.deepCopy());
        if (teacher != null) {
            mm.put("teacher", teacher);
            if (teacherSystem != null) mm.put("teacher_system", teacherSystem);
        }
        ObjectNode doc = JSON.createObjectNode();
        doc.set("job", job);
        doc.putArray("events");
        jobs.put(id, doc);
        event(doc, "Created fine-tuning job: " + id);
        save(doc);
        worker.submit(() -> run(id));
        return job.deepCopy();
    }

    synchronized ObjectNode listJobs() {
        ObjectNode out = JSON.createObjectNode().put("object", "list");
        ArrayNode data = out.putArray("data");
        List<ObjectNode> all = new ArrayList<>(jobs.values());
        for (int i = all.size() - 1; i >= 0; i--) data.add(all.get(i).get("job").deepCopy()); // newest first
        out.put("has_more", false);
        return out;
    }

    synchronized ObjectNode job(String id) {
        return doc(id).get("job").deepCopy();
    }

    synchronized ObjectNode events(String id) {
        ArrayNode ev = (ArrayNode) doc(id).get("events");
        ObjectNode out = JSON.createObjectNode().put("object", "list");
        ArrayNode data = out.putArray("data");
        for (int i = ev.size() - 1; i >= 0; i--) data.add(ev.get(i).deepCopy()); // newest first, as OpenAI lists them
        out.put("has_more", false);
        return out;
    }

    synchronized ObjectNode cancel(String id) throws IOException {
        ObjectNode d = doc(id);
        ObjectNode job = (ObjectNode) d.get("job");
        String s = job.path("status").asText();
        if (s.equals("succeeded") || s.equals("failed") || s.equals("cancelled")) {
            throw new BadRequest(400, "job " + id + " is already " + s);
        }
        cancelRequested.add(id);
        if (!s.equals("running")) finish(d, "cancelled", null); // not started: the worker skips it
        else event(d, "Cancellation requested");
        save(d);
        return job.deepCopy();
    }

    private ObjectNode doc(String id) {
        ObjectNode d = jobs.get(id);
        if (d == null) throw new BadRequest(404, "No such fine-tuning job: " + id);
        return d;
    }

    // ---------------------------------------------------------------- the worker

    private void run(String id) {
        // Autograd's grad mode is per thread and on by default in a new one; PyTorch's engine turns it off only
        // on the thread that started it. The optimizer's in-place updates need it off outside the collector.
        if ("PyTorch".equals(ai.djl.engine.Engine.getInstance().getEngineName())) ai.djl.pytorch.jni.JniUtils.setGradMode(false);
        ObjectNode d;
        ObjectNode job;
        TrainingFile data;
        EmbeddedBackend base;
        EmbeddedBackend teacher = null;
        synchronized (this) {
            d = jobs.get(id);
            job = (ObjectNode) d.get("job");
            if (closing || !List.of("validating_files", "queued").contains(job.path("status").asText())) return;
            try {
                String fileId = job.path("training_file").asText();
                try {
                    data = TrainingFile.parse(fileId, content(fileId));
                } catch (TrainingFile.Invalid e) {
                    ObjectNode err = JSON.createObjectNode().put("code", "invalid_training_file").put("message", e.getMessage())
                            .put("param", "training_file");
                    finish(d, "failed", err);
                    save(d);
                    return;
                }
                event(d, "Validated training file: " + data.rows().size() + " examples");
                job.put("status", "queued");
                event(d, "Job entered queue");
                base = registry.get(job.path("model").asText());
                if (job.path("method").path("type").asText().equals("owlet_soft")) {
                    teacher = registry.get(job.path("method").path("owlet_soft").path("teacher").asText());
                }
                if (base == null || (job.path("method").path("type").asText().equals("owlet_soft") && teacher == null)) {
                    finish(d, "failed", JSON.createObjectNode().put("code", "model_not_found")
                            .put("message", "base or teacher model is no longer served").putNull("param"));
                    save(d);
                    return;
                }
                job.put("status", "running");
                event(d, "Fine-tuning job started");
                save(d);
            } catch (IOException e) {
                failQuietly(d, e);
                return;
            }
        }
        try {
            train(id, d, job, data, base, teacher);
        } catch (CancellationException e) {
            synchronized (this) {
                if (cancelRequested.contains(id)) {
                    finish(d, "cancelled", null);
                    saveQuietly(d);
                }
                // otherwise the server is closing: the record stays 'running' and the next start re-queues it
            }
        } catch (IOException | RuntimeException e) {
            synchronized (this) {
                failQuietly(d, e);
            }
        }
    }

    private void train(String id, ObjectNode d, ObjectNode job, TrainingFile data, EmbeddedBackend base,
                       EmbeddedBackend teacher) throws IOException {
        JsonNode h = job.get("hyperparameters");
        int epochs = h.get("n_epochs").asInt();
        int batch = h.get("batch_size").asInt();
        double lr = BASE_LR * h.get("learning_rate_multiplier").asDouble();
        long seed = job.get("seed").asLong();
        String type = job.path("method").path("type").asText();
        WordTokenizer tok = base.checkpoint().tokenizer();
        if (teacher != null && !teacher.checkpoint().tokenizer().vocabulary().equals(tok.vocabulary())) {
            throw new IllegalArgumentException("owlet_soft teacher " + teacher.id() + " has another vocabulary than " + base.id());
        }
        List<DataRow> rows = new ArrayList<>();
        List<String> systems = new ArrayList<>();
        long tokens = 0;
        ChatFormat chat = new ChatFormat(tok);
        for (TrainingFile.Row r : data.rows()) {
            rows.add(new DataRow(r.user(), r.assistant()));
            systems.add(r.system());
            tokens += chat.prompt(r.system(), r.user()).length + chat.completion(r.assistant()).length;
        }
        Gpt student;
        synchronized (base) {
            student = base.checkpoint().model().copy();
        }
        Gpt teacherCopy = null;
        try {
            Distillation.SoftTeacher soft = null;
            if (teacher != null) {
                synchronized (teacher) {
                    teacherCopy = teacher.checkpoint().model().copy();
                }
                soft = new Distillation.SoftTeacher(teacherCopy, job.path("method").path("owlet_soft").path("teacher_system").asText(null));
            }
            int every = Math.max(1, (epochs * ((rows.size() + batch - 1) / batch)) / 10);
            double loss = Distillation.train(student, tok, rows, systems, type.equals("owlet_soft") ? "soft" : "sft", soft,
                    epochs, batch, lr, seed, (step, total, l) -> {
                        if (closing || cancelRequested.contains(id)) throw new CancellationException("stopped");
                        if (step % every == 0 || step == total) {
                            synchronized (this) {
                                event(d, String.format("Step %d/%d: training loss=%.4f", step, total, l));
                                saveQuietly(d);
                            }
                        }
                    }, Distillation.alphabet(tok), dev.owlet.train.TrainableParams.ALL);
            if (closing) throw new CancellationException("closing");
            String suffix = job.path("user_provided_suffix").asText(null);
            String name = "ft:" + base.id() + ":" + (suffix == null ? "" : suffix + ":") + id;
            Path dir = state.resolve("models").resolve(id);
            Map<String, Object> prov = new LinkedHashMap<>();
            prov.put("made_by", "owlet serve fine-tuning job " + id);
            prov.put("parent", base.weightsSha256());
            prov.put("method", type);
            prov.put("training_file", job.path("training_file").asText());
            prov.put("final_loss", loss);
            Checkpoint.save(dir, student, tok, prov);
            EmbeddedBackend served = EmbeddedBackend.load(dir.toString(), name, batchSize);
            synchronized (this) {
                owned.add(served);
                registry.register(served);
                job.put("fine_tuned_model", name);
                job.put("trained_tokens", tokens * epochs);
                event(d, "New fine-tuned model created: " + name);
                finish(d, "succeeded", null);
                save(d);
            }
        } finally {
            student.close();
            if (teacherCopy != null) teacherCopy.close();
        }
    }

    private void finish(ObjectNode d, String status, ObjectNode error) {
        ObjectNode job = (ObjectNode) d.get("job");
        job.put("status", status);
        job.put("finished_at", now());
        if (error != null) job.set("error", error);
        event(d, switch (status) {
            case "succeeded" -> "The job has successfully completed";
            case "cancelled" -> "The job was cancelled";
            default -> "The job failed: " + (error == null ? "" : error.path("message").asText());
        }, status.equals("failed") ? "error" : "info");
    }

    private void failQuietly(ObjectNode d, Exception e) {
        String msg = e.getMessage() == null ? e.toString() : e.getMessage();
        finish(d, "failed", JSON.createObjectNode().put("code", "training_error").put("message", msg).putNull("param"));
        saveQuietly(d);
    }

    private void event(ObjectNode d, String message) { event(d, message, "info"); }

    private void event(ObjectNode d, String message, String level) {
        ArrayNode ev = (ArrayNode) d.get("events");
        ev.addObject().put("object", "fine_tuning.job.event").put("id", "ftevent-" + hex(8)).put("created_at", now())
                .put("level", level).put("message", message).put("type", "message").putNull("data");
    }

    private void save(ObjectNode d) throws IOException {
        String id = d.get("job").get("id").asText();
        AtomicFiles.writeBytes(state.resolve("jobs").resolve(id + ".json"), JSON.writeValueAsBytes(d));
    }

    private void saveQuietly(ObjectNode d) {
        try {
            save(d);
        } catch (IOException ignored) {
            // the in-memory record is still right; the next save writes it
        }
    }

    /** Stops the worker (an interrupted job stays 'running' on disk and is re-queued by the next start). */
    @Override
    public void close() {
        closing = true;
        worker.shutdownNow();
        try {
            worker.awaitTermination(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            owned.forEach(EmbeddedBackend::close);
            owned.clear();
        }
    }

    private static long now() { return System.currentTimeMillis() / 1000; }

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        IDS.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static String str(JsonNode body, String key, boolean required) {
        JsonNode v = body.get(key);
        if (v == null || v.isNull()) {
            if (required) throw new BadRequest(400, key + ": required");
            return null;
        }
        if (!v.isTextual()) throw new BadRequest(400, key + ": a string is required");
        return v.asText();
    }

    private static int intOrAuto(JsonNode hp, String key, int auto) {
        JsonNode v = hp.get(key);
        if (v == null || v.isNull() || (v.isTextual() && v.asText().equals("auto"))) return auto;
        if (!v.isIntegralNumber()) throw new BadRequest(400, "hyperparameters." + key + ": an integer or \"auto\" is required");
        return v.asInt();
    }

    private static double numOrAuto(JsonNode hp, String key, double auto) {
        JsonNode v = hp.get(key);
        if (v == null || v.isNull() || (v.isTextual() && v.asText().equals("auto"))) return auto;
        if (!v.isNumber()) throw new BadRequest(400, "hyperparameters." + key + ": a number or \"auto\" is required");
        return v.asDouble();
    }
}
