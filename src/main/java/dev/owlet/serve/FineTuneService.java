package dev.owlet.serve;

import dev.owlet.train.StudentLoss;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.owlet.backend.ChatModel;
import dev.owlet.backend.EmbeddedBackend;
import dev.owlet.model.Checkpoint;
import dev.owlet.model.Gpt;
import dev.owlet.data.DataRow;
import dev.owlet.train.LmDistillation;
import dev.owlet.provenance.AtomicFiles;
import dev.owlet.token.ChatFormat;
import dev.owlet.token.WordTokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
 * background thread with the embedded fine-tuner ({@link LmDistillation}: {@code supervised} is cross-entropy on the
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
        ChatModel get(String id);

        void register(EmbeddedBackend backend);
    }

    /** The learning rate at {@code learning_rate_multiplier} 1 (the flagship students' Adam rate). */
    static final double BASE_LR = 1e-3;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final SecureRandom IDS = new SecureRandom();

    private final Path state;
    private final PrintStream log;
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

    FineTuneService(Path state, Registry registry, int batchSize, PrintStream log) throws IOException {
        this.state = state;
        this.log = log;
        this.registry = registry;
        this.batchSize = batchSize;
        Files.createDirectories(state.resolve("files"));
        Files.createDirectories(state.resolve("jobs"));
        Files.createDirectories(state.resolve("models"));
        Files.createDirectories(uploadDir());
        try (var s = Files.list(uploadDir())) { // uploads cut off by the last stop
            for (Path p : s.toList()) Files.deleteIfExists(p);
        }
    }

    /** A state record that cannot be used as it is. */
    private static final class Corrupt extends Exception {
        Corrupt(String message) { super(message); }
    }

    /**
     * Loads files and jobs from the state folder, registers finished models and re-queues unfinished jobs. A
     * record that cannot be used (unreadable JSON, missing fields, content or model folder gone) never stops the
     * start: it is moved to {@code STATE/quarantine/} with a log line naming it and why, and a job it belonged to
     * is reported {@code failed} with that reason.
     */
    synchronized void recover() throws IOException {
        for (Path p : records(state.resolve("files"))) {
            String name = p.getFileName().toString();
            try {
                ObjectNode f = readRecord(p);
                String id = f.path("id").asText("");
                if (!name.equals(id + ".json")) throw new Corrupt("its id '" + id + "' does not match the file name");
                Path content = state.resolve("files").resolve(id + ".jsonl");
                if (!Files.isRegularFile(content)) throw new Corrupt("its content " + id + ".jsonl is missing");
                long bytes = Files.size(content);
                if (bytes != f.path("bytes").asLong(-1)) {
                    throw new Corrupt("its content is " + bytes + " bytes, the record says " + f.path("bytes").asText());
                }
                files.put(id, f);
            } catch (Corrupt e) {
                quarantine(p, "file record", e.getMessage());
                Path content = p.resolveSibling(name.substring(0, name.length() - 5) + ".jsonl");
                if (Files.exists(content)) quarantine(content, "file content", "its record was quarantined");
            }
        }
        List<ObjectNode> docs = new ArrayList<>();
        for (Path p : records(state.resolve("jobs"))) {
            String name = p.getFileName().toString();
            String id = name.substring(0, name.length() - 5);
            try {
                ObjectNode d = readRecord(p);
                JsonNode job = d.get("job");
                if (job == null || !job.isObject()) throw new Corrupt("it has no 'job' object");
                if (!id.equals(job.path("id").asText())) throw new Corrupt("its job id '" + job.path("id").asText() + "' does not match the file name");
                if (!job.path("status").isTextual()) throw new Corrupt("it has no status");
                if (!d.path("events").isArray()) throw new Corrupt("it has no events list");
                docs.add(d);
            } catch (Corrupt e) {
                long mtime = Files.getLastModifiedTime(p).toMillis() / 1000;
                Path moved = quarantine(p, "job record", e.getMessage());
                ObjectNode d = failedStub(id, mtime, "state_corrupt", "The job's record could not be read at server start ("
                        + e.getMessage() + "); it was moved to " + state.relativize(moved));
                save(d);
                docs.add(d);
            }
        }
        docs.sort(Comparator.comparingLong(d -> d.path("job").path("created_at").asLong()));
        for (ObjectNode d : docs) {
            ObjectNode job = (ObjectNode) d.get("job");
            String id = job.path("id").asText();
            jobs.put(id, d);
            String status = job.path("status").asText();
            if (status.equals("succeeded")) {
                Path dir = state.resolve("models").resolve(id);
                String name = job.path("fine_tuned_model").asText();
                try {
                    if (!Files.isDirectory(dir)) throw new IOException("the folder is missing");
                    EmbeddedBackend b = EmbeddedBackend.load(dir.toString(), name, batchSize);
                    owned.add(b);
                    registry.register(b);
                } catch (IOException | RuntimeException e) {
                    String why = e.getMessage() == null ? "it could not be loaded" : e.getMessage();
                    String where = "models/" + id;
                    if (Files.exists(dir)) where = state.relativize(quarantine(dir, "model folder", why)).toString();
                    else log.printf("owlet serve: model folder models/%s of job %s: %s%n", id, id, why);
                    job.putNull("fine_tuned_model");
                    finish(d, "failed", JSON.createObjectNode().put("code", "model_unavailable")
                            .put("message", "Fine-tuned model " + name + " could not be loaded at server start (" + why
                                    + "; " + where + ")").putNull("param"));
                    save(d);
                }
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

    private static List<Path> records(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.filter(f -> f.getFileName().toString().endsWith(".json")).sorted().toList();
        }
    }

    private static ObjectNode readRecord(Path p) throws IOException, Corrupt {
        JsonNode n;
        try {
            n = JSON.readTree(p.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new Corrupt("it is not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (n == null || !n.isObject()) throw new Corrupt(n == null || n.isMissingNode() ? "it is empty" : "it is not a JSON object");
        return (ObjectNode) n;
    }

    /** Moves {@code p} (a file or folder under the state folder) to {@code STATE/quarantine/} and logs why. */
    private Path quarantine(Path p, String what, String why) throws IOException {
        Path q = state.resolve("quarantine");
        Files.createDirectories(q);
        String rel = state.relativize(p).toString().replace('/', '_').replace('\\', '_');
        Path target = q.resolve(System.currentTimeMillis() + "-" + rel);
        Files.move(p, target);
        synchronized (log) {
            log.printf("owlet serve: quarantined %s %s -> %s: %s%n", what, state.relativize(p), state.relativize(target), why);
            log.flush();
        }
        return target;
    }

    private ObjectNode failedStub(String id, long createdAt, String code, String message) {
        ObjectNode job = JSON.createObjectNode();
        job.put("id", id).put("object", "fine_tuning.job").put("created_at", createdAt).putNull("finished_at");
        job.putNull("model").putNull("fine_tuned_model").put("organization_id", "org-owlet").put("status", "failed");
        job.putNull("training_file").putNull("validation_file").putArray("result_files");
        job.putNull("trained_tokens").putNull("error").putNull("seed").putNull("metadata");
        ObjectNode doc = JSON.createObjectNode();
        doc.set("job", job);
        doc.putArray("events");
        finish(doc, "failed", JSON.createObjectNode().put("code", code).put("message", message).putNull("param"));
        return doc;
    }

    // ---------------------------------------------------------------- files

    /** Where uploads are streamed while they arrive (emptied at every start). */
    Path uploadDir() { return state.resolve("tmp"); }

    /** Registers an uploaded file, moving {@code content} (a complete upload under {@link #uploadDir()}) into place. */
    synchronized ObjectNode upload(String filename, String purpose, Path content) throws IOException {
        if (!"fine-tune".equals(purpose)) {
            throw ApiError.bad("purpose", "purpose: only 'fine-tune' is supported, got '" + purpose + "'");
        }
        String id = "file-" + hex(12);
        long bytes = Files.size(content);
        Files.move(content, state.resolve("files").resolve(id + ".jsonl"), StandardCopyOption.ATOMIC_MOVE);
        ObjectNode f = JSON.createObjectNode();
        f.put("id", id).put("object", "file").put("bytes", bytes).put("created_at", now())
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
        if (f == null) throw ApiError.notFound("file_id", "No such File object: " + id);
        return f;
    }

    Path contentPath(String id) {
        file(id);
        return state.resolve("files").resolve(id + ".jsonl");
    }

    byte[] content(String id) throws IOException {
        return Files.readAllBytes(contentPath(id));
    }

    // ---------------------------------------------------------------- jobs

    /** Validates the request (models and file must exist) and queues the job; the file's content is checked later. */
    synchronized ObjectNode create(JsonNode body) throws IOException {
        if (body == null || !body.isObject()) throw ApiError.bad(null, "request body must be a JSON object");
        String model = str(body, "model", true);
        if (registry.get(model) == null) throw ApiError.bad("model", "model '" + model + "' is not available for fine-tuning");
        if (!(registry.get(model) instanceof EmbeddedBackend)) throw ApiError.bad("model", notTrainable(model));
        String fileId = str(body, "training_file", true);
        if (!files.containsKey(fileId)) throw ApiError.bad("training_file", "training_file: no such file " + fileId);
        JsonNode method = body.path("method");
        String type = method.isObject() ? method.path("type").asText("supervised") : "supervised";
        if (!type.equals("supervised") && !type.equals("owlet_soft")) {
            throw ApiError.bad("method.type", "method.type: '" + type + "' is not supported by owlet serve (supervised, owlet_soft)");
        }
        JsonNode hp = body.path("hyperparameters");
        JsonNode inMethod = method.path(type).path("hyperparameters");
        if (inMethod.isObject()) hp = inMethod;
        int epochs = intOrAuto(hp, "n_epochs", 3);
        int batch = intOrAuto(hp, "batch_size", 32);
        double mult = numOrAuto(hp, "learning_rate_multiplier", 1.0);
        if (epochs < 1 || epochs > 50) throw ApiError.bad("hyperparameters.n_epochs", "hyperparameters.n_epochs must be in [1, 50], got " + epochs);
        if (batch < 1 || batch > 1024) throw ApiError.bad("hyperparameters.batch_size", "hyperparameters.batch_size must be in [1, 1024], got " + batch);
        if (!(mult > 0 && mult <= 100)) throw ApiError.bad("hyperparameters.learning_rate_multiplier", "hyperparameters.learning_rate_multiplier must be in (0, 100], got " + mult);
        String teacher = null;
        String teacherSystem = null;
        if (type.equals("owlet_soft")) {
            teacher = method.path("owlet_soft").path("teacher").asText(null);
            if (teacher == null || registry.get(teacher) == null) {
                throw ApiError.bad("method.owlet_soft.teacher", "method.owlet_soft.teacher: a served model id is required, got " + teacher);
            }
            if (!(registry.get(teacher) instanceof EmbeddedBackend)) throw ApiError.bad("method.owlet_soft.teacher", notTrainable(teacher));
            teacherSystem = method.path("owlet_soft").path("teacher_system").asText(null);
        }
        String suffix = body.hasNonNull("suffix") ? str(body, "suffix", false) : null;
        if (suffix != null && !suffix.matches("[A-Za-z0-9._-]{1,64}")) {
            throw ApiError.bad("suffix", "suffix: letters, digits, '.', '_' and '-' only (at most 64), got '" + suffix + "'");
        }
        long seed = body.hasNonNull("seed") ? ChatCompletions.longField(body, "seed") : IDS.nextInt(Integer.MAX_VALUE);
        ObjectNode metadata = metadata(body.get("metadata"));
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
        if (metadata == null) job.putNull("metadata"); else job.set("metadata", metadata);
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

    /** Jobs newest first; {@code metadata} keeps those whose metadata has every given key with that value. */
    synchronized ObjectNode listJobs(Map<String, String> metadata) {
        ObjectNode out = JSON.createObjectNode().put("object", "list");
        ArrayNode data = out.putArray("data");
        List<ObjectNode> all = new ArrayList<>(jobs.values());
        for (int i = all.size() - 1; i >= 0; i--) { // newest first
            ObjectNode job = (ObjectNode) all.get(i).get("job");
            boolean match = true;
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                match &= e.getValue().equals(job.path("metadata").path(e.getKey()).asText(null));
            }
            if (match) data.add(job.deepCopy());
        }
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
            throw ApiError.bad(null, "job " + id + " is already " + s);
        }
        cancelRequested.add(id);
        if (!s.equals("running")) finish(d, "cancelled", null); // not started: the worker skips it
        else event(d, "Cancellation requested");
        save(d);
        return job.deepCopy();
    }

    /**
     * Why a job on a Hugging Face checkpoint is refused: the server's fine-tuner trains owlet's own models (full
     * weights, soft labels); LoRA on a checkpoint runs in the experiment pipeline, which saves PEFT adapters.
     */
    private static String notTrainable(String model) {
        return "model '" + model + "' is a Hugging Face checkpoint (hf:): owlet serve fine-tunes owlet's own models only;"
                + " LoRA-train a checkpoint with owlet run (reference: hf:DIR), which saves PEFT adapters";
    }

    private ObjectNode doc(String id) {
        ObjectNode d = jobs.get(id);
        if (d == null) throw ApiError.notFound("fine_tuning_job_id", "No such fine-tuning job: " + id);
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
                } catch (ApiError e) { // the file record is gone (quarantined)
                    finish(d, "failed", JSON.createObjectNode().put("code", "invalid_training_file").put("message", e.getMessage())
                            .put("param", "training_file"));
                    save(d);
                    return;
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
                base = registry.get(job.path("model").asText()) instanceof EmbeddedBackend e ? e : null;
                if (job.path("method").path("type").asText().equals("owlet_soft")) {
                    teacher = registry.get(job.path("method").path("owlet_soft").path("teacher").asText()) instanceof EmbeddedBackend e ? e : null;
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
            LmDistillation.SoftTeacher soft = null;
            if (teacher != null) {
                synchronized (teacher) {
                    teacherCopy = teacher.checkpoint().model().copy();
                }
                soft = new LmDistillation.SoftTeacher(teacherCopy, job.path("method").path("owlet_soft").path("teacher_system").asText(null));
            }
            int every = Math.max(1, (epochs * ((rows.size() + batch - 1) / batch)) / 10);
            double loss = LmDistillation.train(student, tok, rows, systems, type.equals("owlet_soft") ? StudentLoss.SOFT : StudentLoss.SFT, soft,
                    epochs, batch, lr, seed, (step, total, l) -> {
                        if (closing || cancelRequested.contains(id)) throw new CancellationException("stopped");
                        if (step % every == 0 || step == total) {
                            synchronized (this) {
                                event(d, String.format("Step %d/%d: training loss=%.4f", step, total, l));
                                saveQuietly(d);
                            }
                        }
                    }, LmDistillation.alphabet(tok), dev.owlet.train.TrainableParams.ALL);
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
        log.printf("owlet serve: job %s failed:%n", d.path("job").path("id").asText());
        e.printStackTrace(log);
        String msg = e.getMessage() == null ? "training stopped on an internal error (details in the server log)" : e.getMessage();
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

    /** OpenAI's job metadata: at most 16 string pairs, keys up to 64 and values up to 512 characters. */
    private static ObjectNode metadata(JsonNode m) {
        if (m == null || m.isNull()) return null;
        if (!m.isObject()) throw ApiError.bad("metadata", "metadata: an object of string values is required");
        if (m.size() > 16) throw ApiError.bad("metadata", "metadata: at most 16 keys, got " + m.size());
        ObjectNode out = JSON.createObjectNode();
        var it = m.fields();
        while (it.hasNext()) {
            var e = it.next();
            if (e.getKey().length() > 64) throw ApiError.bad("metadata", "metadata: keys are at most 64 characters");
            if (!e.getValue().isTextual() || e.getValue().asText().length() > 512) {
                throw ApiError.bad("metadata." + e.getKey(), "metadata." + e.getKey() + ": a string of at most 512 characters is required");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    private static String str(JsonNode body, String key, boolean required) {
        JsonNode v = body.get(key);
        if (v == null || v.isNull()) {
            if (required) throw ApiError.bad(key, key + ": required");
            return null;
        }
        if (!v.isTextual()) throw ApiError.bad(key, key + ": a string is required");
        return v.asText();
    }

    private static int intOrAuto(JsonNode hp, String key, int auto) {
        JsonNode v = hp.get(key);
        if (v == null || v.isNull() || (v.isTextual() && v.asText().equals("auto"))) return auto;
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw ApiError.bad("hyperparameters." + key, "hyperparameters." + key + ": an integer or \"auto\" is required, got " + v);
        }
        return v.intValue();
    }

    private static double numOrAuto(JsonNode hp, String key, double auto) {
        JsonNode v = hp.get(key);
        if (v == null || v.isNull() || (v.isTextual() && v.asText().equals("auto"))) return auto;
        if (!v.isNumber()) throw ApiError.bad("hyperparameters." + key, "hyperparameters." + key + ": a number or \"auto\" is required, got " + v);
        return v.asDouble();
    }
}
