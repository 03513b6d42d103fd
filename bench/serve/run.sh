#!/usr/bin/env bash
# Soak benchmark for owlet serve: bench/serve/run.sh [requests=1000] [slow clients=50] [upload MB=200]
# Runs server and clients in one JVM with a small heap (-Xmx512m) so a 200 MB upload held in memory would show.
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -q -B -Dmaven.test.skip=true compile dependency:build-classpath -Dmdep.outputFile=target/soak.cp >&2
export OMP_WAIT_POLICY=PASSIVE OPT_OUT_TRACKING=true
exec java -Xmx512m -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=2 -Dai.djl.pytorch.num_interop_threads=1 \
  -cp "target/classes:$(cat target/soak.cp)" bench/serve/ServeSoak.java "${1:-1000}" "${2:-50}" "${3:-200}"
