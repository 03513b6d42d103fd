#!/usr/bin/env python3
"""The owlet MNIST ensemble training step in Python torch, for bench/mnist/run.sh.

Same program as dev.owlet.mnist.MnistBench: E MLPs 784-256-256-13 as one batched tensor program (weights
(E, in, out), torch.bmm), a random pool of 8192 images in [-1, 1] with random labels, each member gathering its
own batch, cross-entropy on the 10 class logits (summed over members, mean over the batch), Adam 1e-3.

--phases also splits each step with time.perf_counter into the phases Java's `owlet mnist --bench N --phases`
reports (gather, forward, backward, optimizer with zero_grad, readback; "other" is the rest of the loop);
--profile FILE writes torch.profiler's Chrome trace of the timed steps (bench/mnist/optable.py tabulates it).
"""
import argparse
import time

import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=10)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--phases", action="store_true")
    ap.add_argument("--profile", metavar="FILE")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(7)
    e, b, pool, dims = a.members, a.batch, 8192, [784, 256, 256, 13]
    x0 = torch.rand(pool, 784) * 2 - 1
    y0 = torch.randint(0, 10, (pool,))
    params = []
    for i in range(3):
        w = (torch.randn(e, dims[i], dims[i + 1]) / dims[i] ** 0.5).requires_grad_()
        params += [w, torch.zeros(e, 1, dims[i + 1], requires_grad=True)]
    opt = torch.optim.Adam(params, lr=1e-3)
    perms = [torch.randperm(pool) for _ in range(e)]
    steps_per_epoch = pool // b
    names = ["gather", "forward", "backward", "optimizer", "readback", "other"]
    ns = [0.0] * len(names)
    clock = time.perf_counter if a.phases else (lambda: 0.0)
    prof = None
    start = 0.0
    for s in range(a.warmup + a.steps):
        if s == a.warmup:
            if a.profile:
                prof = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU])
                prof.__enter__()
            start = time.perf_counter()
            ns = [0.0] * len(names)
        t0 = clock()
        k = s % steps_per_epoch
        if k == 0:
            perms = [torch.randperm(pool) for _ in range(e)]
        idx = torch.cat([p[k * b:(k + 1) * b] for p in perms])        # (E*B,)
        x = x0[idx].view(e, b, 784)                                    # (E, B, 784)
        y = y0[idx].view(e, b)                                         # (E, B)
        t1 = clock()
        h = x
        for l in range(3):
            h = torch.bmm(h, params[2 * l]) + params[2 * l + 1]       # (E, B, out)
            if l < 2:
                h = torch.relu(h)
        logits = h[:, :, :10]                                          # (E, B, 10)
        loss = torch.nn.functional.cross_entropy(logits.reshape(e * b, 10), y.reshape(-1), reduction="sum") / b
        t2 = clock()
        opt.zero_grad()
        t3 = clock()
        loss.backward()
        t4 = clock()
        opt.step()
        t5 = clock()
        loss.item()
        t6 = clock()
        ns[0] += t1 - t0
        ns[1] += t2 - t1
        ns[2] += t4 - t3
        ns[3] += (t3 - t2) + (t5 - t4)
        ns[4] += t6 - t5
        ns[5] -= t6 - t0
    secs = time.perf_counter() - start
    if prof is not None:
        prof.__exit__(None, None, None)
    print(f"python members={e} batch={b} steps={a.steps} seconds={secs:.3f} steps_per_s={a.steps / secs:.2f}")
    if a.phases:
        ns[5] += secs
        for name, t in zip(names, ns):
            print(f"phase {name} ms_per_step={t * 1e3 / a.steps:.3f}")
    if prof is not None:
        prof.export_chrome_trace(a.profile)


if __name__ == "__main__":
    main()
