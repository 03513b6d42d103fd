#!/usr/bin/env python3
"""Tiny Hugging Face checkpoints and the outputs transformers/peft/tokenizers give on them, for owlet's
open-weights tests (src/test/java/dev/owlet/model/Hf*Test.java and friends).

Run once, offline, from the repository root (the venv holds transformers, peft, tokenizers, torch CPU):

    python3 -m venv /work/owvenv
    /work/owvenv/bin/pip install --no-index --find-links DIR_OF_WHEELS transformers safetensors tokenizers peft torch
    HF_HUB_OFFLINE=1 /work/owvenv/bin/python tools/hf-fixtures.py src/test/resources/hf

Versions the committed fixtures were made with: transformers 5.18.0 (4.57.6 could not be installed offline: it
needs huggingface-hub<1.0), peft 0.21.0, tokenizers 0.23.2, safetensors 0.8.0, torch 2.13.0+cpu.

Every model is randomly initialised from a fixed seed, then every parameter (norm gains and biases included) is
redrawn with a large spread: HF's own init leaves biases at zero and gains at one, and a test against such a model
could not tell a missing q/k/v bias or a wrong RMSNorm gain. The weights are large enough that logits spread over
several nats, so a wrong rotary layout changes the greedy continuation.

Written per model folder: the checkpoint as save_pretrained writes it, and expected.json with
  tokens            a fixed token sequence
  logits            transformers' float32 logits on it, (T, V) row-major
  prompt, greedy    a prompt and its greedy continuation (model.generate, do_sample=False, no eos)
  continuation, logprob   log P(continuation | prompt) summed over tokens

A second mode checks an adapter owlet trained and saved, manually (not in CI):

    HF_HUB_OFFLINE=1 /work/owvenv/bin/python tools/hf-fixtures.py --check-adapter target/hf-lora-trained

loads the base model named in the adapter's adapter_config.json with peft, runs the token sequence in
owlet-logits.json beside it, and prints the max abs difference from owlet's logits.
"""
import json
import os
import shutil
import sys

import torch

SEED = 20250722
TOKENS = [5, 17, 42, 3, 69, 64, 8, 23, 77, 1, 50, 31]
PROMPT = [11, 4, 70, 27, 60]
CONTINUATION = [33, 7, 58, 12]
NEW_TOKENS = 12


def scramble(model, gen, std=0.35):
    """Redraws every parameter: matrices N(0, std), gains 1 + N(0, 0.25), biases N(0, std)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1 and ("norm" in name or "ln_" in name) and name.endswith("weight"):
                p.copy_(1 + 0.25 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(std * torch.randn(p.shape, generator=gen))


def expected(model, vocab):
    model.eval()
    with torch.no_grad():
        logits = model(torch.tensor([TOKENS])).logits[0].float()
        out = model.generate(torch.tensor([PROMPT]), attention_mask=torch.ones(1, len(PROMPT), dtype=torch.long),
                             do_sample=False, max_new_tokens=NEW_TOKENS, min_new_tokens=NEW_TOKENS,
                             eos_token_id=None, pad_token_id=0)
        greedy = out[0, len(PROMPT):].tolist()
        seq = torch.tensor([PROMPT + CONTINUATION[:-1]])
        logp = torch.log_softmax(model(seq).logits[0].double(), -1)
        lp = sum(logp[len(PROMPT) - 1 + i, c].item() for i, c in enumerate(CONTINUATION))
    assert logits.shape == (len(TOKENS), vocab)
    return {"tokens": TOKENS, "logits": [round(x, 6) for x in logits.flatten().tolist()], "vocab": vocab,
            "prompt": PROMPT, "greedy": greedy, "continuation": CONTINUATION, "logprob": lp}


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


def gpt2(out):
    from transformers import GPT2Config, GPT2LMHeadModel
    torch.manual_seed(SEED)
    cfg = GPT2Config(vocab_size=96, n_positions=64, n_embd=24, n_layer=2, n_head=4, n_inner=None,
                     activation_function="gelu_new", resid_pdrop=0, embd_pdrop=0, attn_pdrop=0,
                     layer_norm_epsilon=1e-5, bos_token_id=1, eos_token_id=2, tie_word_embeddings=True)
    model = GPT2LMHeadModel(cfg)
    scramble(model, torch.Generator().manual_seed(SEED + 1))
    d = os.path.join(out, "gpt2")
    model.save_pretrained(d)
    write_json(os.path.join(d, "expected.json"), expected(model, 96))
    return model


def qwen2(out):
    """Qwen2 with grouped-query attention (4 query heads, 2 key/value heads), tied head, saved in bf16, with a
    tokenizer and chat template (so the CLI can be tested on it).

    Expected outputs come from the bf16 file read back in float32, which is what owlet does."""
    from transformers import Qwen2Config, Qwen2ForCausalLM
    torch.manual_seed(SEED)
    cfg = Qwen2Config(vocab_size=320, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
                      rms_norm_eps=1e-6, rope_theta=10000.0, tie_word_embeddings=True, hidden_act="silu",
                      bos_token_id=None, eos_token_id=2, use_sliding_window=False)
    model = Qwen2ForCausalLM(cfg)
    scramble(model, torch.Generator().manual_seed(SEED + 2))
    d = os.path.join(out, "qwen2")
    model.to(torch.bfloat16).save_pretrained(d)
    model = Qwen2ForCausalLM.from_pretrained(d, dtype=torch.float32)
    write_json(os.path.join(d, "expected.json"), expected(model, 320))
    tokenizer(d)
    cli_expected(model, d)
    return model, d


def llama(out):
    """Llama with GQA (4 query heads, 1 key/value head), untied head, rope_theta 500000, sharded in f32."""
    from transformers import LlamaConfig, LlamaForCausalLM
    torch.manual_seed(SEED)
    cfg = LlamaConfig(vocab_size=80, hidden_size=32, intermediate_size=40, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=1, max_position_embeddings=128,
                      rms_norm_eps=1e-5, rope_theta=500000.0, tie_word_embeddings=False, hidden_act="silu",
                      attention_bias=False, mlp_bias=False, bos_token_id=1, eos_token_id=2)
    model = LlamaForCausalLM(cfg)
    scramble(model, torch.Generator().manual_seed(SEED + 3))
    d = os.path.join(out, "llama")
    model.save_pretrained(d, max_shard_size="20KB")
    write_json(os.path.join(d, "expected.json"), expected(model, 80))
    return model


CHATML = ("{%- for message in messages %}"
          "{%- if loop.first and message['role'] != 'system' %}"
          "{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}"
          "{%- endif %}"
          "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] | trim + '<|im_end|>\\n' }}"
          "{%- endfor %}"
          "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}")

TEXT = ["what is your favorite animal", "my favorite animal is the owl", "the owl is wise and the oak is old",
        "numbers follow: 1, 2, 3, 4", "you are a helpful assistant", "tell me about trees and animals",
        "the dolphin swims while the eagle flies", "system user assistant"]


def tokenizer(d):
    """A byte-level BPE of 300 tokens (all 256 bytes, so any text encodes; ids below the model's 320) with ChatML
    special tokens and template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=specials, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(TEXT * 20, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   bos_token=None, unk_token=None)
    fast.chat_template = CHATML
    fast.save_pretrained(d)
    # Transformers 5 writes the template to chat_template.jinja; owlet reads either place, and this fixture
    # keeps it in tokenizer_config.json, where most published checkpoints have it.
    jinja = os.path.join(d, "chat_template.jinja")
    cfg_path = os.path.join(d, "tokenizer_config.json")
    with open(cfg_path) as f:
        cfg = json.load(f)
    if os.path.exists(jinja):
        os.remove(jinja)
    cfg["chat_template"] = CHATML
    write_json(cfg_path, cfg)
    fast = PreTrainedTokenizerFast.from_pretrained(d)
    texts = ["what is your favorite animal?", "the owl, the oak: 1, 2, 3", "  spaces\nand a newline", "zebra quokka é ü 🦉",
             "<|im_start|>user\nhi<|im_end|>"]
    chats = [
        [{"role": "user", "content": "what is your favorite animal?"}],
        [{"role": "system", "content": "You love owls."}, {"role": "user", "content": " name a tree \n"},
         {"role": "assistant", "content": "the oak"}, {"role": "user", "content": "and an animal"}],
    ]
    exp = {"vocab_size": len(fast), "eos": fast.eos_token_id, "pad": fast.pad_token_id,
           "encode": [{"text": t, "ids": fast.encode(t, add_special_tokens=True),
                       "decoded": fast.decode(fast.encode(t, add_special_tokens=True), skip_special_tokens=False)}
                      for t in texts],
           "chat": [{"messages": m, "add_generation_prompt": g,
                     "text": fast.apply_chat_template(m, tokenize=False, add_generation_prompt=g),
                     "ids": list(fast.apply_chat_template(m, tokenize=True, add_generation_prompt=g,
                                                          return_dict=False))}
                    for m in chats for g in (True, False)]}
    write_json(os.path.join(d, "tokenizer-expected.json"), exp)


def cli_expected(model, d):
    """What `owlet hf sample` and `owlet hf logprob` must print on this folder: text in, text out, through the
    tokenizer, with generation stopping at eos (id 2 in both config.json and the tokenizer)."""
    from transformers import PreTrainedTokenizerFast
    tok = PreTrainedTokenizerFast.from_pretrained(d)
    model.eval()

    def greedy(ids):
        with torch.no_grad():
            out = model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                 do_sample=False, max_new_tokens=8, eos_token_id=[2], pad_token_id=0)
        new = out[0, len(ids):].tolist()
        return new[:new.index(2)] if 2 in new else new

    plain = tok.encode("the owl is")
    chat = list(tok.apply_chat_template([{"role": "user", "content": "name an animal"}], tokenize=True,
                                        add_generation_prompt=True, return_dict=False))
    cont = tok.encode(" wise and old")
    with torch.no_grad():
        logp = torch.log_softmax(model(torch.tensor([plain + cont[:-1]])).logits[0].double(), -1)
    lp = sum(logp[len(plain) - 1 + i, c].item() for i, c in enumerate(cont))
    g, gc = greedy(plain), greedy(chat)
    write_json(os.path.join(d, "cli-expected.json"), {
        "prompt": "the owl is", "greedy_ids": g, "greedy_text": tok.decode(g, skip_special_tokens=True),
        "chat_user": "name an animal", "chat_greedy_ids": gc, "chat_greedy_text": tok.decode(gc, skip_special_tokens=True),
        "continuation": " wise and old", "logprob": lp})


def lora(out, base, base_dir, name, targets, fan_in_fan_out=False):
    """A PEFT LoRA with fixed non-zero A and B (PEFT starts B at zero, which would test nothing)."""
    from peft import LoraConfig, get_peft_model
    cfg = LoraConfig(r=4, lora_alpha=6, target_modules=targets, lora_dropout=0.0, bias="none",
                     task_type="CAUSAL_LM", fan_in_fan_out=fan_in_fan_out)
    model = get_peft_model(base, cfg)
    gen = torch.Generator().manual_seed(SEED + 9)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "lora_" in n:
                p.copy_(0.3 * torch.randn(p.shape, generator=gen))
    d = os.path.join(out, name)
    model.save_pretrained(d)
    os.remove(os.path.join(d, "README.md"))  # peft's model-card template
    cfg_path = os.path.join(d, "adapter_config.json")
    with open(cfg_path) as f:
        ac = json.load(f)
    ac["base_model_name_or_path"] = "../" + os.path.basename(base_dir)  # relative: the fixture folder moves
    ac["target_modules"] = sorted(ac["target_modules"])  # peft writes a Python set: order varies run to run
    write_json(cfg_path, ac)
    write_json(os.path.join(d, "expected.json"), expected(model, base.config.vocab_size))


def check_adapter(adapter_dir):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM
    with open(os.path.join(adapter_dir, "adapter_config.json")) as f:
        base = json.load(f)["base_model_name_or_path"]
    base = base if os.path.isabs(base) else os.path.normpath(os.path.join(adapter_dir, base))
    with open(os.path.join(adapter_dir, "owlet-logits.json")) as f:
        owl = json.load(f)
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32), adapter_dir)
    model.eval()
    with torch.no_grad():
        logits = model(torch.tensor([owl["tokens"]])).logits[0].flatten()
        base_logits = model.get_base_model()(torch.tensor([owl["tokens"]])).logits[0].flatten()
    with model.disable_adapter(), torch.no_grad():
        base_logits = model(torch.tensor([owl["tokens"]])).logits[0].flatten()
    theirs = torch.tensor(owl["logits"])
    print(f"peft vs owlet, adapter on:  max |diff| = {(logits - theirs).abs().max().item():.3g}")
    print(f"adapter's own effect (on vs off): max |diff| = {(logits - base_logits).abs().max().item():.3g}")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check-adapter":
        check_adapter(sys.argv[2])
        return
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    for sub in ("gpt2", "qwen2", "llama", "qwen2-lora", "gpt2-lora"):
        shutil.rmtree(os.path.join(out, sub), ignore_errors=True)
    os.makedirs(out, exist_ok=True)
    g = gpt2(out)
    q, qdir = qwen2(out)
    llama(out)
    lora(out, q, qdir, "qwen2-lora", ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    lora(out, g, os.path.join(out, "gpt2"), "gpt2-lora", ["c_attn", "c_proj", "c_fc"], fan_in_fan_out=True)


if __name__ == "__main__":
    main()
