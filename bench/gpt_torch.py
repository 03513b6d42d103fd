"""The same GPT as owlet's (GPT-2 layout, tied head) in PyTorch, timed the same way as `owlet bench-model`.

Run by bench/run.sh with Debian's python3-torch; prints one JSON line.
"""
import argparse, json, math, time
import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
for k, v in dict(layers=2, d_model=64, heads=4, vocab=512, context=128, batch=64, seq=64, steps=30,
                 sample_batch=256, prompt_len=24, new_tokens=40, threads=2, alphabet=20, loss_from=0, rounds=0).items():
    p.add_argument("--" + k.replace("_", "-"), type=int, default=v)
p.add_argument("--profile", action="store_true",
               help="print torch.profiler's operator table of the cross-entropy step (where a step's time goes) and exit")
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)


class Block(nn.Module):
    def __init__(s, d, h):
        super().__init__()
        s.h = h
        s.ln_1, s.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        s.c_attn, s.c_proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        s.fc, s.proj = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(s, x, bias, cache=None):
        B, T, D = x.shape
        q, k, v = s.c_attn(s.ln_1(x)).split(D, 2)
        q, k, v = [t.view(B, T, s.h, D // s.h).transpose(1, 2) for t in (q, k, v)]
        if cache is not None:
            if cache.get("k") is not None:
                k = torch.cat([cache["k"], k], 2)
                v = torch.cat([cache["v"], v], 2)
            cache["k"], cache["v"] = k, v
        att = (q @ k.transpose(-2, -1)) / math.sqrt(D // s.h) + bias
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, T, D)
        x = x + s.c_proj(y)
        return x + s.proj(F.gelu(s.fc(s.ln_2(x))))


class GPT(nn.Module):
    def __init__(s):
        super().__init__()
        s.wte, s.wpe = nn.Embedding(a.vocab, a.d_model), nn.Embedding(a.context, a.d_model)
        s.h = nn.ModuleList([Block(a.d_model, a.heads) for _ in range(a.layers)])
        s.ln_f = nn.LayerNorm(a.d_model)

    def forward(s, idx, pos, bias, caches=None):
        x = s.wte(idx) + s.wpe(pos)
        for i, b in enumerate(s.h):
            x = b(x, bias, None if caches is None else caches[i])
        return s.ln_f(x) @ s.wte.weight.T


m = GPT()
params = sum(t.numel() for t in m.parameters())
opt = torch.optim.AdamW(m.parameters(), lr=1e-3)
x = torch.randint(6, a.vocab, (a.batch, a.seq + 1))
mask = torch.triu(torch.full((a.seq, a.seq), -1e9), 1)
pos = torch.arange(a.seq).expand(a.batch, a.seq)


def update(loss):
    """One AdamW step on loss, as owlet's Trainer takes it: zeroed grads, backward, clip at 1, step."""
    opt.zero_grad(set_to_none=False)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    opt.step()


def timed_ms(loss_fn):
    """Mean ms per step of update(loss_fn()) over a.steps steps, after 5 warm-up steps."""
    for _ in range(5):
        update(loss_fn())
    t0 = time.perf_counter()
    for _ in range(a.steps):
        update(loss_fn())
    return (time.perf_counter() - t0) * 1000 / a.steps


in_loss = torch.zeros(a.batch, a.seq, dtype=torch.bool)
in_loss[:, a.loss_from:] = True  # positions before --loss-from are prompt, as in a student's rows


def cross_entropy():
    logits = m(x[:, :-1], pos, mask)
    if a.loss_from == 0:
        return F.cross_entropy(logits.reshape(-1, a.vocab), x[:, 1:].reshape(-1))
    return F.cross_entropy(logits[in_loss], x[:, 1:][in_loss])


def hidden():
    """ln_f(x) of the model: its forward without the tied head."""
    h = m.wte(x[:, :-1]) + m.wpe(pos)
    for b in m.h:
        h = b(h, mask)
    return m.ln_f(h)


def cross_entropy_at_loss():
    """The head at the loss positions only, as owlet's students compute it."""
    return F.cross_entropy(hidden()[in_loss] @ m.wte.weight.T, x[:, 1:][in_loss])


if a.profile:
    from torch.profiler import profile, ProfilerActivity
    for _ in range(5):
        update(cross_entropy())
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(a.steps):
            update(cross_entropy())
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15))
    raise SystemExit(0)

train_ms = timed_ms(cross_entropy)

# The soft-label step of a student: KL(teacher || student) over an alphabet of token ids, both renormalized over it,
# with fixed teacher labels copied in at every step (as owlet does with labels computed once).
alpha = torch.randperm(a.vocab - 6)[: a.alphabet] + 6
labels = torch.rand(a.batch, a.seq, a.alphabet).double()
labels = (labels / labels.sum(-1, keepdim=True)).float().numpy()
soft_mask = in_loss.float()


def soft_kl():
    p = torch.from_numpy(labels.copy())
    logq = m(x[:, :-1], pos, mask)[..., alpha].log_softmax(-1)
    kl = (p * (p.clamp_min(1e-30).log() - logq)).sum(-1)
    return (kl * soft_mask).sum() / soft_mask.sum()


def soft_kl_at_loss():
    """The head at the loss positions and the alphabet's rows only, as owlet's students compute it."""
    p = torch.from_numpy(labels.copy())[in_loss]
    logq = (hidden()[in_loss] @ m.wte.weight[alpha].T).log_softmax(-1)
    return (p * (p.clamp_min(1e-30).log() - logq)).sum(-1).mean()


soft_ms = timed_ms(soft_kl)
sft_at_ms = timed_ms(cross_entropy_at_loss)
soft_at_ms = timed_ms(soft_kl_at_loss)
if a.rounds > 0:  # alternate the forms in rounds and keep medians, as owlet's side does
    forms = [cross_entropy, cross_entropy_at_loss, soft_kl, soft_kl_at_loss]
    ms = [[] for _ in forms]
    for _ in range(a.rounds):
        for i, f in enumerate(forms):
            ms[i].append(timed_ms(f))
    train_ms, sft_at_ms, soft_ms, soft_at_ms = [sorted(x)[len(x) // 2] for x in ms]


@torch.no_grad()
def sample(B):
    prompts = torch.randint(6, a.vocab, (B, a.prompt_len))
    caches = [dict() for _ in range(a.layers)]
    L = a.prompt_len
    logits = m(prompts, torch.arange(L).expand(B, L), torch.triu(torch.full((L, L), -1e9), 1), caches)[:, -1]
    for t in range(a.new_tokens - 1):
        nxt = torch.multinomial(logits.softmax(-1), 1)
        logits = m(nxt, torch.full((B, 1), L + t), torch.zeros(1, 1, 1, L + t + 1), caches)[:, -1]
        logits.numpy()  # read back, as the Java side does


sample(8)
t0 = time.perf_counter()
sample(a.sample_batch)
tok_s = a.sample_batch * a.new_tokens / (time.perf_counter() - t0)
print(json.dumps(dict(impl="python-torch-" + torch.__version__, params=params, train_step_ms=round(train_ms, 3),
                      soft_step_ms=round(soft_ms, 3), sft_at_loss_ms=round(sft_at_ms, 3),
                      soft_at_loss_ms=round(soft_at_ms, 3),
                      sample_tok_per_s=round(tok_s, 1))))
