package dev.owlet.model;

/** A model read from a Hugging Face checkpoint: a {@link CausalLm} with its config and LoRA-adaptable projections. */
public interface HfModel extends Adaptable {
    HfConfig config();

    @Override
    default String describe() { return "this " + config().architecture() + " checkpoint"; }
}
