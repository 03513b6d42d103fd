#!/usr/bin/env bash
# Times N training steps of the batched MNIST ensemble (E MLPs 784-256-256-13, weights (E, in, out), bmm, CE,
# Adam) in Java (DJL + PyTorch 2.7.1, via the hidden `owlet mnist --bench`) and in Debian's python3-torch,
# one after the other, and prints a table with steps/s and the Java/Python ratio.
# Usage: bench/mnist/run.sh [steps] [members] [batch ...]   (defaults: 100 10 256 1024)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STEPS="${1:-100}"
MEMBERS="${2:-10}"
shift $(( $# > 2 ? 2 : $# ))
BATCHES=("$@")
[[ ${#BATCHES[@]} -gt 0 ]] || BATCHES=(256 1024)
THREADS="${OWLET_THREADS:-$(nproc)}"
PY=/usr/bin/python3   # Debian's python3-torch; a pyenv python on PATH may lack torch
export OMP_WAIT_POLICY=PASSIVE OPT_OUT_TRACKING=true OWLET_THREADS="$THREADS"
echo "| members | batch | steps | Java steps/s | Python steps/s | Java/Python |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
for B in "${BATCHES[@]}"; do
  J=$("$ROOT/owlet" mnist --bench "$STEPS" --members "$MEMBERS" --batch "$B" 2>/dev/null | sed -n 's/.*steps_per_s=\([0-9.]*\).*/\1/p')
  P=$("$PY" "$ROOT/bench/mnist/mnist_torch.py" --steps "$STEPS" --members "$MEMBERS" --batch "$B" --threads "$THREADS" \
      | sed -n 's/.*steps_per_s=\([0-9.]*\).*/\1/p')
  R=$(awk -v j="$J" -v p="$P" 'BEGIN { printf "%.2f", j / p }')
  echo "| $MEMBERS | $B | $STEPS | $J | $P | $R |"
done
