package dev.owlet.model;

import java.util.Map;

/**
 * A {@link CausalLm} whose projections a {@link Lora} can adapt: the Hugging Face architectures ({@link HfModel}) and
 * owlet's own {@link Gpt}. One adapter class serves both, so the embedded GPT's LoRA students are initialised,
 * trained and merged by exactly the code that makes PEFT-compatible adapters for open-weights checkpoints.
 */
public interface Adaptable extends CausalLm {
    /** The projections a LoRA may target: module name as PEFT names it (no {@code base_model.model.}) to {in, out}. */
    Map<String, long[]> linearModules();

    /** Routes the projections {@code adapter} targets through it; null detaches. The base weights never change. */
    void attach(Lora adapter);

    /** What kind of model this is, for messages ("a LLAMA checkpoint", "the embedded GPT"). */
    String describe();
}
