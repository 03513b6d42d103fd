package dev.owlet.model;

import java.util.Map;

/** A model read from a Hugging Face checkpoint: a {@link CausalLm} with its config and LoRA-adaptable projections. */
public interface HfModel extends CausalLm {
    HfConfig config();

    /** The projections a LoRA may target: module name as PEFT names it (no {@code base_model.model.}) to {in, out}. */
    Map<String, long[]> linearModules();

    /** Routes the projections {@code adapter} targets through it; null detaches. The base weights never change. */
    void attach(Lora adapter);
}
