package dev.owlet.backend;

/**
 * A fine-tuning job as the server reports it. {@code status} is OpenAI's: {@code validating_files},
 * {@code queued}, {@code running}, {@code succeeded}, {@code failed} or {@code cancelled}.
 *
 * @param fineTunedModel the new model's id once succeeded, else null
 * @param error the server's reason when failed, else null
 */
public record FineTuneJob(String id, String status, String model, String fineTunedModel, String error) {
    public boolean terminal() {
        return "succeeded".equals(status) || "failed".equals(status) || "cancelled".equals(status);
    }
}
