package dev.owlet.cli;

import dev.owlet.backend.ChatModel;
import dev.owlet.serve.OwletServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code owlet serve}: models behind an OpenAI-compatible API, until interrupted. Any name {@link ChatModel#load}
 * resolves: owlet's own models, and {@code hf:DIR} checkpoints (chat completions with logprobs; fine-tuning jobs on
 * them are refused with a 400 that says where LoRA training lives).
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve embedded models over an OpenAI-compatible API: GET /v1/models, POST /v1/chat/completions",
                "(logprobs, top_logprobs), /v1/files and /v1/fine_tuning/jobs (jobs run the embedded fine-tuner in the background).",
                "Files, jobs and fine-tuned models persist under --state; a restart re-registers them and resumes interrupted jobs."})
final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Option(names = "--port", defaultValue = "8000", description = "Port (0 picks a free one; default ${DEFAULT-VALUE})")
    int port;
    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default ${DEFAULT-VALUE})")
    String host;
    @Option(names = "--model", paramLabel = "REF", description = "Model to serve, repeatable: bundled:NAME, a checkpoint folder, or hf:DIR (a Hugging Face checkpoint, answered through its chat template; not fine-tunable here) (default bundled:ref-s1)")
    List<String> refs = new ArrayList<>();
    @Option(names = "--api-key-env", paramLabel = "NAME", description = "Require 'Authorization: Bearer <key>' with the key in this environment variable")
    String apiKeyEnv;
    @Option(names = "--state", paramLabel = "DIR", defaultValue = "runs/serve-state",
            description = "Folder for uploaded files, fine-tuning jobs and fine-tuned models (default ${DEFAULT-VALUE})")
    Path state;
    @Option(names = "--batch-size", defaultValue = "64", description = "Completions sampled per forward pass (default ${DEFAULT-VALUE})")
    int batchSize;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (port < 0 || port > 65535) throw new UserError("--port must be in [0, 65535], got " + port);
        if (batchSize < 1) throw new UserError("--batch-size must be >= 1, got " + batchSize);
        String key = null;
        if (apiKeyEnv != null) {
            key = System.getenv(apiKeyEnv);
            if (key == null || key.isBlank()) throw new UserError("--api-key-env: environment variable " + apiKeyEnv + " is not set");
        }
        List<String> wanted = refs.isEmpty() ? List.of("bundled:ref-s1") : refs;
        List<ChatModel> backends = new ArrayList<>();
        try {
            for (String ref : wanted) {
                try {
                    backends.add(ChatModel.load(ref, batchSize));
                } catch (IOException e) {
                    throw new UserError("--model " + ref + ": " + e.getMessage(), e);
                }
            }
            OwletServer server;
            try {
                server = OwletServer.start(backends, host, port, key, new OwletServer.Options(state, 0, batchSize));
            } catch (IllegalArgumentException e) {
                throw new UserError(e.getMessage(), e);
            } catch (IOException e) {
                throw new UserError(e.getMessage(), e); // names the address or the state folder
            }
            CountDownLatch stopped = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                server.close();
                stopped.countDown();
            }, "owlet-serve-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            List<String> ids = server.modelIds();
            spec.commandLine().getOut().println("owlet serve: " + server.baseUrl() + " models " + ids + " state " + state
                    + (key == null ? "" : " (Bearer key from $" + apiKeyEnv + ")") + "; Ctrl-C stops");
            spec.commandLine().getOut().flush();
            stopped.await();
            return 0;
        } finally {
            for (ChatModel b : backends) b.close();
        }
    }
}
