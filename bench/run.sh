#!/usr/bin/env bash
# Times a GPT training step (cross-entropy and a soft-label step) and batched KV-cache sampling in owlet (DJL + PyTorch 2.7.1 natives) and the same
# model in Debian's python3-torch, in one run, and prints the Java/Python ratio for two model sizes.
# Usage: bench/run.sh            (installs python3-torch if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian's torch links the generic libblas.so.3; without OpenBLAS behind that name its matmuls are ~10x slower,
# which would flatter owlet. Install both so the peer runs at its real speed.
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null || [[ ! -e /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 ]]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch libopenblas0-pthread
fi
export OMP_WAIT_POLICY=PASSIVE
SIZES=("--layers 2 --d-model 64 --heads 4" "--layers 4 --d-model 128 --heads 4")
COMMON="--vocab 512 --context 128 --batch 64 --seq 64 --steps 30 --sample-batch 256 --prompt-len 24 --new-tokens 40"
printf "| model | params | Java train step (ms) | torch train step (ms) | train ratio J/P | Java soft step (ms) | torch soft step (ms) | soft ratio J/P | Java soft/SFT | Java sampling (tok/s) | torch sampling (tok/s) | sampling ratio J/P |\n"
printf "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
for s in "${SIZES[@]}"; do
  j=$(./owlet bench-model $s $COMMON | tail -1)
  p=$(/usr/bin/python3 bench/gpt_torch.py $s $COMMON --threads "$(nproc)" | tail -1)
  /usr/bin/python3 - "$s" "$j" "$p" <<'PY'
import json, sys
s, j, p = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
name = s.replace("--layers ", "L").replace(" --d-model ", " d").replace(" --heads ", " h")
print(f"| {name} | {j['params']:,} | {j['train_step_ms']:.1f} | {p['train_step_ms']:.1f} | "
      f"{j['train_step_ms']/p['train_step_ms']:.2f} | {j['soft_step_ms']:.1f} | {p['soft_step_ms']:.1f} | "
      f"{j['soft_step_ms']/p['soft_step_ms']:.2f} | {j['soft_step_ms']/j['train_step_ms']:.2f} | "
      f"{j['sample_tok_per_s']:,.0f} | {p['sample_tok_per_s']:,.0f} | "
      f"{j['sample_tok_per_s']/p['sample_tok_per_s']:.2f} |")
PY
done
