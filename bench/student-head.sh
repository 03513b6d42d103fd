#!/usr/bin/env bash
# A student's step with the tied head computed everywhere vs only where the loss reads it (the loss positions, and
# for soft labels the alphabet's rows), in owlet and in the same model in Debian's python3-torch, in one run.
# Shape: the flagship's student (4 layers, d_model 128, vocabulary 479, alphabet 20), one part of a batch of 32
# (16 rows of 90 positions, the first 40 of them prompt), one engine thread each, as `owlet run` trains two at once.
# Each form of each step is timed 7 times (30 steps each), the forms alternating, and the medians are printed.
# Usage: bench/student-head.sh   (installs python3-torch if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null || [[ ! -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ]]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch libopenblas0-pthread
fi
export OMP_WAIT_POLICY=PASSIVE
ARGS="--layers 4 --d-model 128 --heads 4 --vocab 479 --context 128 --batch 16 --seq 90 --loss-from 40 --steps 30 --rounds 7 --sample-batch 8 --new-tokens 2"
j=$(OWLET_THREADS=1 ./owlet bench-model $ARGS | tail -1)
p=$(/usr/bin/python3 bench/gpt_torch.py $ARGS --threads 1 | tail -1)
/usr/bin/python3 - "$j" "$p" <<'PY'
import json, sys
j, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print("| step | owlet, head everywhere (ms) | owlet, head at the loss (ms) | saved | torch, head everywhere (ms) | torch, head at the loss (ms) | saved | owlet/torch at the loss |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for name, full, at in (("SFT", "train_step_ms", "sft_at_loss_ms"), ("soft labels", "soft_step_ms", "soft_at_loss_ms")):
    print(f"| {name} | {j[full]:.1f} | {j[at]:.1f} | {1 - j[at] / j[full]:.0%} | {p[full]:.1f} | {p[at]:.1f} | "
          f"{1 - p[at] / p[full]:.0%} | {j[at] / p[at]:.2f} |")
PY
