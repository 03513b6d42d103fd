package dev.owlet.pipeline;

import dev.owlet.data.DataRow;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.owlet.backend.BackendException;
import dev.owlet.backend.FineTuneJob;
import dev.owlet.backend.FineTuneRequest;
import dev.owlet.backend.LanguageModelBackend;
import dev.owlet.backend.UploadedFile;
import dev.owlet.provenance.AtomicFiles;
import dev.owlet.provenance.Hashing;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A fine-tuning step through a backend's job API that never pays twice: the job id is written to
 * {@code STAGE/job.json} (atomically) right after the job is created, before waiting on it. A rerun after a kill
 * finds the file, checks it was made for the same data and request, and polls that job instead of uploading and
 * training again. A job that failed or was cancelled is reported and its record removed, so the next run starts
 * a fresh job.
 */
public final class RemoteFineTune {
    public static final String JOB_FILE = "job.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private RemoteFineTune() {}

    /** The finished job: its id, the new model, and whether an earlier run's job was picked up. */
    public record Outcome(String jobId, String fineTunedModel, boolean resumed, List<String> events) {}

    /**
     * Runs (or resumes) the job. {@code request.trainingFile()} is ignored: the file is uploaded from
     * {@code jsonl}. {@code afterCreate} is a test hook called once the job id is on disk (throwing simulates a kill).
     */
    @SuppressWarnings("unchecked")
    public static Outcome run(LanguageModelBackend backend, Path stageDir, String filename, byte[] jsonl,
                              FineTuneRequest request, Duration poll, Duration timeout, PrintStream log,
                              Runnable afterCreate) throws IOException {
        Files.createDirectories(stageDir);
        Path record = stageDir.resolve(JOB_FILE);
        String key = Hashing.sha256(Hashing.sha256(jsonl) + "\n" + request.withTrainingFile("-"));
        String jobId = null;
        boolean resumed = false;
        if (Files.isRegularFile(record)) {
            Map<String, Object> m = JSON.readValue(record.toFile(), Map.class);
            if (key.equals(m.get("request_key"))) {
                jobId = (String) m.get("job_id");
                resumed = true;
                log.printf("fine-tune: resuming job %s from %s%n", jobId, record);
            }
        }
        if (jobId == null) {
            UploadedFile f = backend.uploadFile(filename, jsonl);
            FineTuneJob j = backend.createFineTune(request.withTrainingFile(f.id()));
            jobId = j.id();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("job_id", jobId);
            m.put("training_file", f.id());
            m.put("training_file_sha256", Hashing.sha256(jsonl));
            m.put("base_model", request.model());
            m.put("method", request.method());
            m.put("request_key", key);
            m.put("backend", backend.name());
            AtomicFiles.writeBytes(record, JSON.writeValueAsBytes(m));
            log.printf("fine-tune: job %s on %s (%d bytes, %s)%n", jobId, request.model(), jsonl.length, request.method());
            if (afterCreate != null) afterCreate.run();
        }
        FineTuneJob done = backend.awaitJob(jobId, poll, timeout);
        List<String> events = backend.events(jobId).stream().map(e -> e.message()).toList();
        if (!"succeeded".equals(done.status())) {
            Files.deleteIfExists(record);
            throw new BackendException("fine-tuning job " + jobId + " " + done.status()
                    + (done.error() == null ? "" : ": " + done.error()), 0, false);
        }
        return new Outcome(jobId, done.fineTunedModel(), resumed, events);
    }

    /** Chat-format JSONL for rows: optional system message, the prompt as user, the completion as assistant. */
    public static byte[] chatJsonl(List<DataRow> rows, String system) {
        StringBuilder sb = new StringBuilder();
        for (DataRow r : rows) {
            var line = JSON.createObjectNode();
            var ms = line.putArray("messages");
            if (system != null && !system.isEmpty()) ms.addObject().put("role", "system").put("content", system);
            ms.addObject().put("role", "user").put("content", r.prompt());
            ms.addObject().put("role", "assistant").put("content", r.completion());
            sb.append(line.toString()).append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}
